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

#endif
