/* engine_pool.c: persistent workers woken by a condition variable. */
#include <pthread.h>
#include <stdint.h>

#include "engine_pool.h"

static struct {
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    int size;       /* wanted threads, the caller included */
    int started;    /* workers running: parts 1..started */
    unsigned gen;   /* bumped for every job */
    int parts, pending;
    unsigned long shared;  /* jobs run on more than one thread */
    msp_pool_fn fn;
    void *arg;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER,
            .go = PTHREAD_COND_INITIALIZER,
            .done = PTHREAD_COND_INITIALIZER,
            .size = 1};

void msp_pool_set_size(int n) { pool.size = n < 1 ? 1 : n > MSP_POOL_MAX ? MSP_POOL_MAX : n; }
int msp_pool_size(void) { return pool.size; }
unsigned long msp_pool_shared_jobs(void) { return pool.shared; }

static void *worker(void *p)
{
    int part = (int)(intptr_t)p;
    unsigned seen = 0;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (pool.gen == seen) pthread_cond_wait(&pool.go, &pool.mu);
        seen = pool.gen;
        if (part >= pool.parts) continue;
        pthread_mutex_unlock(&pool.mu);
        pool.fn(pool.arg, part);
        pthread_mutex_lock(&pool.mu);
        if (--pool.pending == 0) pthread_cond_signal(&pool.done);
    }
    return NULL;
}

/* A forked child has none of its parent's workers. */
static void forget_workers(void)
{
    pthread_mutex_init(&pool.mu, NULL);
    pthread_cond_init(&pool.go, NULL);
    pthread_cond_init(&pool.done, NULL);
    pool.started = 0;
}

/* Start workers up to n - 1; fewer if the system refuses one. Their stacks
 * are small: a part needs little stack (its buffers are on the heap). */
static void start_workers(int n)
{
    static int atfork;
    if (!atfork) atfork = pthread_atfork(NULL, NULL, forget_workers) == 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, (size_t)256 << 10);
    while (pool.started < n - 1) {
        pthread_t t;
        if (pthread_create(&t, &attr, worker, (void *)(intptr_t)(pool.started + 1)) != 0) break;
        pthread_detach(t);
        pool.started++;
    }
    pthread_attr_destroy(&attr);
}

void msp_pool_run(int n, msp_pool_fn fn, void *arg)
{
    int threads = n < pool.size ? n : pool.size;
    if (threads > 1 && pool.started < threads - 1) start_workers(threads);
    int on_workers = threads - 1 < pool.started ? threads - 1 : pool.started;
    if (on_workers > 0) {
        pthread_mutex_lock(&pool.mu);
        pool.fn = fn;
        pool.arg = arg;
        pool.parts = on_workers + 1;
        pool.pending = on_workers;
        pool.gen++;
        pool.shared++;
        pthread_cond_broadcast(&pool.go);
        pthread_mutex_unlock(&pool.mu);
    }
    fn(arg, 0);
    for (int part = on_workers + 1; part < n; part++) fn(arg, part);
    if (on_workers > 0) {
        pthread_mutex_lock(&pool.mu);
        while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.mu);
        pthread_mutex_unlock(&pool.mu);
    }
}
