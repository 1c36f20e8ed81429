/* progress.c: terminal bar or periodic plain lines, through the log (src/base/log.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "progress.h"

#define PLAIN_INTERVAL_S 10.0
#define TTY_INTERVAL_S 0.2

double msp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds between plain lines: MSP_PROGRESS_INTERVAL when it is a number in
 * [0, 86400], else PLAIN_INTERVAL_S. */
static double plain_interval(void)
{
    const char *v = getenv("MSP_PROGRESS_INTERVAL");
    if (!v || !*v) return PLAIN_INTERVAL_S;
    char *end;
    double s = strtod(v, &end);
    return *end == '\0' && s >= 0 && s <= 86400 ? s : PLAIN_INTERVAL_S;
}

void msp_progress_start(msp_progress *p, const char *label, int64_t total)
{
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total > 0 ? total : 1;
    p->t_start = p->t_last = msp_now();
    p->tty = msp_log_can_redraw();
    p->interval = p->tty ? TTY_INTERVAL_S : plain_interval();
    p->active = msp_log_get_level() >= MSP_LOG_INFO;
}

static void fmt_duration(char *buf, size_t n, double s)
{
    if (s < 0 || s > 1e7) snprintf(buf, n, "--:--");
    else if (s >= 3600) snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, (int)s / 60 % 60, (int)s % 60);
    else snprintf(buf, n, "%02d:%02d", (int)s / 60, (int)s % 60);
}

static void draw(msp_progress *p, int64_t done, const char *extra, int final)
{
    double now = msp_now(), el = now - p->t_start;
    double rate = el > 0 ? (double)done / el : 0;
    double frac = (double)done / (double)p->total;
    if (frac > 1) frac = 1;
    char eta[32];
    fmt_duration(eta, sizeof eta, final ? el : (rate > 0 ? (double)(p->total - done) / rate : -1));
    if (p->tty) {
        char bar[31];
        int fill = (int)(frac * 30);
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = 0;
        msp_log_progress(final, "%s [%s] %3.0f%% %.0f img/s %s %s %s", p->label, bar, 100 * frac, rate,
                         final ? "took" : "ETA", eta, extra ? extra : "");
    } else {
        msp_log(MSP_LOG_INFO, "%s %5.1f%% %.0f img/s %s %s %s", p->label, 100 * frac, rate,
                final ? "took" : "ETA", eta, extra ? extra : "");
    }
}

int msp_progress_due(const msp_progress *p)
{
    return p->active && msp_now() - p->t_last >= p->interval;
}

void msp_progress_update(msp_progress *p, int64_t done, const char *extra)
{
    if (!msp_progress_due(p)) return;
    p->t_last = msp_now();
    draw(p, done, extra, 0);
}

void msp_progress_finish(msp_progress *p, int64_t done, const char *extra)
{
    if (p->active) draw(p, done, extra, 1);
}
