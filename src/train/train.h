/* train.h: train the experiment's base network with Darknet's SGD.
 *
 * Epochs and batch come from the experiment config; the learning-rate policy
 * from the .cfg, whose max_batches is set to the run's total batches so that
 * poly-like schedules end with the run. Each epoch sees the training split
 * in an order drawn from (seed, epoch); Darknet's rand() is reseeded from
 * (seed, epoch, batch) before every batch, so a resumed run is bit-identical
 * to an uninterrupted one. A checkpoint is written after every epoch and on
 * SIGINT/SIGTERM; the last partial batch of an epoch is dropped (Darknet
 * trains on full batches only). After each epoch the batch-norm statistics
 * are recalibrated on training batches (engine.h), so validation and the
 * saved weights see statistics that match the weights. */
#ifndef MSP_TRAIN_H
#define MSP_TRAIN_H

#include "data/data.h"
#include "base/base.h"

#include "engine/engine.h"

struct msp_stamp;

typedef struct msp_train_opts {
    int resume;      /* continue from <dir>/checkpoint.* */
    int epochs;      /* > 0 overrides the config (msp_train_base only) */
    const char *net; /* msp_train_base: NULL / "base", or a ladder network's name */
    msp_engine_kind engine;
    int verbose;
} msp_train_opts;

/* One training run: from random initialisation (init_weights NULL) or from
 * given weights (fine-tuning, with a fresh learning-rate schedule). The
 * checkpoint and train.json go to dir; the result to out_weights. */
typedef struct msp_train_job {
    const char *name;          /* for train.json */
    const char *cfg;           /* checked Darknet cfg */
    const char *init_weights;  /* NULL: Darknet's seeded random initialisation */
    const char *out_weights;
    const char *dir;
    int epochs, batch;
    float learning_rate;       /* > 0 overrides the cfg's */
    uint64_t seed;
    const msp_dataset *train, *val; /* val may be empty */
    /* Distillation: NULL, or train->n x classes teacher distributions; the
     * target of image i is (1 - soft_weight) one-hot(y_i) + soft_weight soft_i. */
    const float *soft;
    float soft_weight;
    /* Augmentation of each training image (msp_augment_image), drawn from
     * (seed, epoch, batch): 0, 0 = the images as they are. */
    int augment_shift, augment_flip;
    /* NULL, or what the run is made from: recorded beside the checkpoint
     * (checkpoint.inputs) after its first save, for msp_train_base to
     * refuse resuming a checkpoint of other inputs. */
    const struct msp_stamp *inputs;
} msp_train_job;

msp_status msp_train_run(const msp_train_job *job, const msp_train_opts *opts, msp_err *err);

/* dst = src (w x h, c channels, CHW) moved by dx, dy pixels (positive: right,
 * down; pixels moved in are 0), mirrored left-right first when flip. */
void msp_augment_image(const float *src, float *dst, int w, int h, int c, int dx, int dy,
                       int flip);
/* The augmentation of conf for a training job. */
void msp_train_job_augment(msp_train_job *j, const msp_expconf *conf);

/* The experiment's base network (base.* of the config), or the ladder
 * network opts->net (checkpoints in <output>/ladder/NAME). Both return
 * MSP_INTERRUPTED after a clean stop on a signal (checkpoint saved). */
msp_status msp_train_base(const msp_expconf *conf, const msp_train_opts *opts, msp_err *err);

/* What network net (as opts->net) is trained from: the training data
 * (msp_experiment_stamp_data), its epochs and batch, its cfg by content.
 * msp_train_base records it at msp_train_record_path when it succeeds, and
 * beside the checkpoint when a run starts: a checkpoint made from other
 * inputs is never resumed (the run starts afresh and says why). */
msp_status msp_train_inputs(const msp_expconf *conf, const char *net, struct msp_stamp *s,
                            msp_err *err);
/* "<output>/stamps/train-<net>.inputs" (net NULL: "base"). */
char *msp_train_record_path(const msp_expconf *conf, const char *net);

/* Batch-norm statistics of cfg + in_weights re-estimated on the first
 * batches of train (no weight changes), saved to out_weights (may equal
 * in_weights). After pruning, a removed filter changes what every later
 * layer sees, and stale statistics would understate the pruned network. */
msp_status msp_train_recalibrate_files(const char *cfg, const char *in_weights,
                                       const char *out_weights, const msp_dataset *train,
                                       int batch, uint64_t seed, msp_engine_kind engine,
                                       msp_err *err);

/* The learning rate of a fine-tune of the network in cfg_path: chosen if
 * > 0, else a fifth of the cfg's [net] learning_rate (Darknet's default
 * 0.001 when absent): a pruned network starts close to a solution. */
float msp_train_finetune_lr(const char *cfg_path, double chosen);

/* Ask a running msp_train_base to stop at the next batch (signal-safe). */
void msp_train_request_stop(void);

/* The rest of the train room's contract: checking an experiment before it
 * runs, checkpoints, evaluation and its metrics, latency profiles. */
#include "check.h"
#include "checkpoint.h"
#include "evaluate.h"
#include "metrics.h"
#include "profile.h"

#endif
