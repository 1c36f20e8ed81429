/* engine.h: the one bridge between msprune and Darknet.
 *
 * Only engine*.c (and the image-list loader) include darknet.h; the rest of
 * msprune speaks through this opaque handle. Every cfg and weights file is
 * checked by msprune's own validators (dncfg.h) before Darknet reads it, so
 * Darknet's parser never sees a file that could crash it or exit(0).
 *
 * Darknet's gemm is replaced process-wide by a cblas_sgemm call (engine.c
 * defines the symbol; libdarknet's internal calls resolve to it).
 */
#ifndef MSP_ENGINE_H
#define MSP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "dncfg/dncfg.h"
#include "base/base.h"

typedef struct msp_net msp_net;

/* Which layer implementations run: msprune's fast ones (engine_fast.h) or
 * Darknet's own (with OpenBLAS gemm), for comparison. */
typedef enum msp_engine_kind { MSP_ENGINE_FAST = 0, MSP_ENGINE_STOCK = 1 } msp_engine_kind;
/* "fast" or "stock": what --engine takes. */
const char *msp_engine_kind_name(msp_engine_kind e);

typedef struct msp_net_opts {
    int batch;        /* images per forward/backward pass; 0 = the cfg's batch/subdivisions */
    int max_batches;  /* overrides [net] max_batches when > 0 (poly/sig schedules end there) */
    float learning_rate; /* overrides [net] learning_rate when > 0 */
    msp_engine_kind engine;
    int verbose;      /* let Darknet print its layer table */
} msp_net_opts;

/* Check cfg (and weights, if not NULL) and build the network. */
msp_status msp_net_load(const char *cfg_path, const char *weights_path, const msp_net_opts *opts,
                        msp_net **out, msp_err *err);
void msp_net_free(msp_net *net);

int msp_net_batch(const msp_net *net);
int msp_net_inputs(const msp_net *net);  /* floats per image (c*h*w) */
int msp_net_classes(const msp_net *net); /* outputs of the last layer */
const msp_dn_net *msp_net_info(const msp_net *net); /* checked shapes, FLOPs, params */

/* One SGD step on a full batch: x is batch x inputs, y batch labels.
 * Returns the mean loss per image (Darknet's cost / batch). */
float msp_net_train_batch(msp_net *net, const float *x, const int *y);
/* The same with any target distributions: truth is batch x classes. */
float msp_net_train_batch_truth(msp_net *net, const float *x, const float *truth);
/* Forward pass in inference mode over a full batch; returns batch x classes
 * scores owned by the network (valid until the next call). */
const float *msp_net_predict(msp_net *net, const float *x);

/* Batch-norm recalibration: set every batch-norm layer's rolling mean and
 * variance to the average of its batch statistics over n_batches full
 * batches of x (n_batches x batch x inputs), forwarded in training mode
 * without any weight update. Darknet's own running average (0.99 decay)
 * lags far behind the weights in short runs and fine-tuning; this makes
 * inference match the trained weights. */
struct msp_progress;
void msp_net_recalibrate_bn(msp_net *net, const float *x, int n_batches,
                            struct msp_progress *pr); /* pr: images done, or NULL */

float msp_net_learning_rate(msp_net *net);
uint64_t msp_net_seen(const msp_net *net); /* images trained on so far */
void msp_net_set_seen(msp_net *net, uint64_t seen);

/* Darknet .weights, written atomically and verified by size afterwards. */
msp_status msp_net_save_weights(msp_net *net, const char *path, msp_err *err);

/* Optimiser state that the .weights format does not hold (momentum buffers). */
size_t msp_net_optimizer_size(const msp_net *net);
void msp_net_optimizer_get(const msp_net *net, float *dst);
void msp_net_optimizer_set(msp_net *net, const float *src);

/* The Darknet network behind the handle, for tests that compare against
 * Darknet's own functions (include darknet.h to use it). */
struct network *msp_net_darknet(msp_net *net);

/* Darknet draws weight initialisation and dropout masks from the C library's
 * rand(); this is the one place that seeds it. */
void msp_engine_seed(uint64_t seed);
/* Threads for matrix products: OpenBLAS's (the stock engine, and the fast
 * engine on CPUs without AVX-512) and the fast engine's own kernel's
 * (src/engine/engine_gemm.h). Every other part of a layer runs on one thread. */
void msp_engine_set_threads(int n);
/* One OpenBLAS thread unless OPENBLAS_NUM_THREADS says otherwise (commands
 * that read a config's `threads` set it again). Each OpenBLAS thread maps a
 * buffer of its own (128 MiB) when it starts, before main(); under an
 * address-space limit (ulimit -v) the process re-executes itself (argv) with
 * the variable set, so that those threads never start. */
void msp_engine_default_threads(char **argv);
/* Ends the process with status when OpenBLAS's own shutdown could hang (an
 * address-space limit); otherwise returns status for main to return. */
int msp_engine_exit_status(int status);

/* The rest of the engine room's contract: device profiles, the premodel's
 * learned feature and per-channel statistics. */
#include "devprofile.h"
#include "engine_conv1.h"
#include "engine_stats.h"

#endif
