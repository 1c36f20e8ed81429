/* conffile.h: msprune's libconfig-syntax files (experiment configs, family
 * and bundle manifests, device profiles) read safely: a regular file only
 * (a FIFO or device is refused without blocking), at most max_bytes, no
 * @include, bounded nesting and group sizes (libconfig's parse is quadratic
 * in a group's size), no NUL bytes, no integer libconfig would wrap.
 * Every refusal is MSP_BAD_INPUT with the file and, where known, the line. */
#ifndef MSP_CONFFILE_H
#define MSP_CONFFILE_H

#include <stddef.h>

#include <libconfig.h>

#include "status.h"

/* Parse path into cf (config_init'ed by the caller, who also destroys it).
 * what names the kind of file in messages ("an experiment config"). */
msp_status msp_conffile_read(const char *path, const char *what, size_t max_bytes, config_t *cf,
                             msp_err *err);
/* The same for text already in memory (len bytes, NUL-terminated); path is
 * used in messages only. */
msp_status msp_conffile_parse(const char *path, const char *what, const char *text, size_t len,
                              config_t *cf, msp_err *err);
/* A setting's line in its file, or its nearest enclosing setting's (array
 * elements may carry none); 1 when unknown, for messages. */
int msp_conffile_line(const config_setting_t *s);

/* For the readers of a parsed file's settings (family and bundle
 * manifests): the file, for messages, and the error to fill. */
typedef struct msp_conf_reader {
    const char *path;
    msp_err *err;
} msp_conf_reader;

/* Set r->err to the message at s's line (msp_conffile_line; s may be NULL)
 * and return MSP_BAD_INPUT. */
msp_status msp_conf_bad(const msp_conf_reader *r, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Every member of group g must be one of the NULL-terminated names:
 * otherwise "unknown key 'K' in WHERE" ("unknown key 'K'" when where is
 * NULL). */
msp_status msp_conf_known_keys(const msp_conf_reader *r, const config_setting_t *g,
                               const char *where, const char *const *names);

#endif
