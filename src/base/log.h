/* log.h: all of msprune's diagnostics go through msp_log, so --quiet,
 * --verbose and tests (which capture or silence it) work everywhere. */
#ifndef MSP_LOG_H
#define MSP_LOG_H

typedef enum msp_log_level {
    MSP_LOG_ERROR = 0,
    MSP_LOG_WARN = 1,
    MSP_LOG_INFO = 2,
    MSP_LOG_DEBUG = 3
} msp_log_level;

/* Messages above this level are dropped. Default MSP_LOG_INFO. */
void msp_log_set_level(msp_log_level level);
msp_log_level msp_log_get_level(void);

/* Where messages go; NULL restores the default (stderr, "msprune: " prefix). */
typedef void (*msp_log_fn)(msp_log_level level, const char *msg, void *user);
void msp_log_set_callback(msp_log_fn fn, void *user);

void msp_log(msp_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Progress bars (src/base/progress.c) are drawn through the log too, so that a
 * callback or a level that silences messages also silences them.
 * Can a progress line be redrawn in place? Only by the default sink, when
 * stderr is a terminal. */
int msp_log_can_redraw(void);
/* A progress line at MSP_LOG_INFO that replaces the one before it: the
 * default sink on a terminal writes it over the current line, and ends the
 * line when last is set. Where lines cannot be redrawn only the last one is
 * passed on, as an ordinary message. */
void msp_log_progress(int last, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
