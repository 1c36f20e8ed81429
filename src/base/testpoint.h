/* testpoint.h: deterministic interruptions for the crash tests.
 *
 * Code that must survive being killed calls msp_testpoint("name") at the
 * places where a kill is interesting. With MSP_TEST_KILL_AT=NAME or
 * NAME@N in the environment, the N-th arrival (default the first) of this
 * process at the point NAME raises MSP_TEST_KILL_SIGNAL there: KILL (the
 * default), INT, TERM or STOP (the process waits there until a scheduler's
 * cancel ends it). Without the variable a point costs one branch.
 *
 * Points:
 *   commit              a file was just renamed into its final name, or a
 *                       deployed bundle folder swapped in
 *   train-batch         a training batch was just applied
 *   train-checkpoint    an epoch's checkpoint was saved, train.json not yet
 *   train-final         training ended, the final weights not yet written
 *   checkpoint-weights  a checkpoint's weights written, its state not yet
 *   checkpoint-state    a checkpoint's state in place, its weights not yet
 *   JOB-stepK-pruned    family job JOB ("s1", "g0") wrote step K's pruned
 *                       network, its fine-tuning not begun
 */
#ifndef MSP_TESTPOINT_H
#define MSP_TESTPOINT_H

void msp_testpoint(const char *name);

#endif
