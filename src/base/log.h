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

#endif
