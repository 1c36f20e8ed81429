/* engine_pool.h: a few persistent worker threads that run the parts of one
 * job alongside the calling thread (the fast engine's matrix products).
 *
 * msp_pool_run(n, fn, arg) calls fn(arg, i) for every part 0 <= i < n,
 * part 0 on the caller and the next ones on workers, and returns when every
 * part is done. Workers start on first use, up to msp_pool_size() - 1 of
 * them; parts beyond them, or refused a thread by the system (an
 * address-space limit), run on the caller. One job at a time: call it from
 * one thread. */
#ifndef MSP_ENGINE_POOL_H
#define MSP_ENGINE_POOL_H

#define MSP_POOL_MAX 64

/* Threads a job may use, the caller included: 1 to MSP_POOL_MAX. */
void msp_pool_set_size(int n);
int msp_pool_size(void);

typedef void (*msp_pool_fn)(void *arg, int part);
void msp_pool_run(int n, msp_pool_fn fn, void *arg);
/* Jobs so far that ran on more than one thread (tests see that a split
 * happened). */
unsigned long msp_pool_shared_jobs(void);

#endif
