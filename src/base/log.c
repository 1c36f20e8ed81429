/* log.c: one sink for diagnostics (stderr by default). */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

static msp_log_level g_level = MSP_LOG_INFO;
static msp_log_fn g_fn;
static void *g_user;

void msp_log_set_level(msp_log_level level) { g_level = level; }
msp_log_level msp_log_get_level(void) { return g_level; }

void msp_log_set_callback(msp_log_fn fn, void *user)
{
    g_fn = fn;
    g_user = user;
}

static void deliver(msp_log_level level, const char *msg)
{
    if (g_fn) {
        g_fn(level, msg, g_user);
        return;
    }
    static const char *const tag[] = {"", "warning: ", "", ""};
    fprintf(stderr, "msprune: %s%s\n", tag[level], msg);
}

void msp_log(msp_log_level level, const char *fmt, ...)
{
    if (level > g_level) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    deliver(level, buf);
}

int msp_log_can_redraw(void) { return !g_fn && isatty(STDERR_FILENO); }

void msp_log_progress(int last, const char *fmt, ...)
{
    if (MSP_LOG_INFO > g_level) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!msp_log_can_redraw()) {
        if (last) deliver(MSP_LOG_INFO, buf);
        return;
    }
    /* Back to the start of the line and clear it, then the new text. */
    fprintf(stderr, "\r\033[K%s%s", buf, last ? "\n" : "");
    fflush(stderr);
}
