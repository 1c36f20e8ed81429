/* check.h: `msprune check`: validate files before anything reaches Darknet. */
#ifndef MSP_CHECK_H
#define MSP_CHECK_H

#include "base/base.h"

/* Check one file by its kind: an experiment config (.conf: the config, its
 * base cfg and, if present, its base weights) or a Darknet .cfg. On success
 * a one-line summary is written to summary (size n). */
msp_status msp_check_file(const char *path, char *summary, size_t n, msp_err *err);
/* The data of an experiment config whose base network is net: for image
 * lists every line and image (msp_imagelist_scan: classes resolve, images
 * exist, decode and fit the network), a class without training images is an
 * error, one without test images a warning; for IDX the headers and labels
 * (image size against the network's input, labels within its outputs).
 * Appends a line of counts to summary (size n). */
struct msp_expconf;
struct msp_dn_net;
msp_status msp_check_data(const struct msp_expconf *conf, const struct msp_dn_net *net,
                          char *summary, size_t n, msp_err *err);
/* A Darknet cfg and a .weights file that must match it exactly. */
msp_status msp_check_cfg_weights(const char *cfg, const char *weights, char *summary, size_t n,
                                 msp_err *err);

#endif
