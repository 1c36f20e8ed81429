/* progress.h: progress of long work. On a terminal a redrawn bar with rate
 * and ETA; otherwise a plain line at most every 10 seconds (or every
 * MSP_PROGRESS_INTERVAL seconds, 0 for every update), so logs of batch jobs
 * stay readable. Silent at --quiet. */
#ifndef MSP_PROGRESS_H
#define MSP_PROGRESS_H

#include <stdint.h>

typedef struct msp_progress {
    char label[64];
    int64_t total;      /* units of work (images) */
    double t_start, t_last;
    double interval;    /* seconds between draws */
    int tty, active;
} msp_progress;

void msp_progress_start(msp_progress *p, const char *label, int64_t total);
/* Would an update now be drawn? Lets a hot loop skip formatting extra. */
int msp_progress_due(const msp_progress *p);
/* done units so far; extra is a short free text such as "loss 0.412". */
void msp_progress_update(msp_progress *p, int64_t done, const char *extra);
void msp_progress_finish(msp_progress *p, int64_t done, const char *extra);

/* Monotonic seconds. */
double msp_now(void);

#endif
