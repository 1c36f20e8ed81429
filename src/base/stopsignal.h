/* stopsignal.h: Ctrl-C (SIGINT) and SIGTERM as a request to stop at the
 * next safe point. The long loops (training, the family's job processes,
 * following jobs on Slurm) catch the two signals while they run, poll the
 * request, and give the caller's handlers back when they end. */
#ifndef MSP_STOPSIGNAL_H
#define MSP_STOPSIGNAL_H

#include <signal.h>

typedef struct msp_stop_signals {
    struct sigaction old_int, old_term;
} msp_stop_signals;

/* Catch SIGINT and SIGTERM as a stop request (cleared first); the handlers
 * they had go to *saved. */
void msp_stop_signals_catch(msp_stop_signals *saved);
/* Give the handlers in *saved back. */
void msp_stop_signals_release(const msp_stop_signals *saved);
/* Was a stop asked for since the last catch? */
int msp_stop_requested(void);
/* Ask for one, as the signals do. */
void msp_stop_request(void);

#endif
