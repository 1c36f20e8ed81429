/* stopsignal.c: one flag, set by the handler, read by the loops. */
#include "stopsignal.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

void msp_stop_signals_catch(msp_stop_signals *saved)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_stop = 0;
    sigaction(SIGINT, &sa, &saved->old_int);
    sigaction(SIGTERM, &sa, &saved->old_term);
}

void msp_stop_signals_release(const msp_stop_signals *saved)
{
    sigaction(SIGINT, &saved->old_int, NULL);
    sigaction(SIGTERM, &saved->old_term, NULL);
}

int msp_stop_requested(void)
{
    return g_stop != 0;
}

void msp_stop_request(void)
{
    g_stop = 1;
}
