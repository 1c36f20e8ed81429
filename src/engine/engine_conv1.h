/* engine_conv1.h: the "conv1" learned feature of the premodel: the
 * base network's first layer, run alone, average-pooled per channel.
 * Part of the Darknet bridge (engine*.c); callers see only msprune types. */
#ifndef MSP_ENGINE_CONV1_H
#define MSP_ENGINE_CONV1_H

#include "data/data.h"
#include "engine.h"
#include "base/base.h"

/* For every example of d: the mean over positions of each output channel of
 * layer 0 (which must be [convolutional]; inference mode, after batch norm
 * and activation), computed by running layer 0 only, a batch at a time (the
 * last batch may be partial). *out: owned n x *dim (dim = layer 0's
 * filters). Equals msp_net_embedding(net, d, 0, ...) without running the
 * rest of the network. MSP_BAD_INPUT when layer 0 is not a convolution or
 * the images do not match the network input. */
msp_status msp_net_conv1_features(msp_net *net, const msp_dataset *d, float **out, int *dim,
                                  msp_err *err);

#endif
