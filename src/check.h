/* check.h: `msprune check`: validate files before anything reaches Darknet. */
#ifndef MSP_CHECK_H
#define MSP_CHECK_H

#include "status.h"

/* Check one file by its kind: an experiment config (.conf: the config, its
 * base cfg and, if present, its base weights) or a Darknet .cfg. On success
 * a one-line summary is written to summary (size n). */
msp_status msp_check_file(const char *path, char *summary, size_t n, msp_err *err);
/* A Darknet cfg and a .weights file that must match it exactly. */
msp_status msp_check_cfg_weights(const char *cfg, const char *weights, char *summary, size_t n,
                                 msp_err *err);

#endif
