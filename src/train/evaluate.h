/* evaluate.h: accuracy and latency of a network on a dataset. */
#ifndef MSP_EVALUATE_H
#define MSP_EVALUATE_H

#include "data/data.h"
#include "engine/engine.h"
#include "metrics.h"
#include "base/base.h"

/* Run net over every example of d in full batches (the last one padded)
 * and accumulate into m (initialised by the caller with d->n_classes). */
void msp_eval_dataset(msp_net *net, const msp_dataset *d, msp_metrics *m);
/* The network's outputs for every example of d: out[n x classes] (caller's). */
void msp_eval_outputs(msp_net *net, const msp_dataset *d, float *out);
/* Both show a progress bar ("evaluating") once the run lasts long enough to
 * draw it (src/base/progress.h): a small network on few images stays silent, a
 * large one on few images does not. */
/* msp_eval_outputs with a progress bar named label (NULL: none). */
void msp_eval_outputs_progress(msp_net *net, const msp_dataset *d, float *out, const char *label);
/* Top-1 accuracy of net on d, in [0, 1]. */
double msp_eval_top1(msp_net *net, const msp_dataset *d);
/* msp_eval_top1 reporting to pr, which the caller started (total d->n) and
 * finishes; training's validation is part of its epoch's bar. */
double msp_eval_top1_progress(msp_net *net, const msp_dataset *d, msp_progress *pr);

/* Batch-1 inference latency: `warmup` untimed passes, then `runs` timed
 * passes cycling over the n images in x; the median in milliseconds. */
typedef struct msp_latency {
    double median_ms, min_ms, max_ms;
    int runs;
} msp_latency;
void msp_eval_latency(msp_net *net1, const float *x, int n, int warmup, int runs,
                      msp_latency *out);

/* The same on 4 seeded uniform random images: layer cost does not depend on
 * the values, so this times a network without any data. */
void msp_eval_latency_random(msp_net *net1, uint64_t seed, int warmup, int runs, msp_latency *out);

/* Batch-1 latency of n networks measured side by side: `rounds` rounds,
 * each timing every network in turn (`runs` passes after `warmup`, random
 * inputs from seed), so load on a shared machine affects all alike;
 * median_ms[i] = median of network i's round medians. */
void msp_eval_latency_interleaved(msp_net *const *nets1, int n, uint64_t seed, int warmup,
                                  int runs, int rounds, double *median_ms);

/* msp_eval_dataset that also writes one CSV row per example to `csv_path`
 * (through atomicio): "index,true,predicted,p0,...,p<K-1>", probabilities
 * as the network's outputs printed with %.9g (exact float round trip). Used to
 * compare builds (scripts/tx2-check). MSP_FAIL if the file cannot be written;
 * m holds the metrics either way. */
msp_status msp_eval_predictions(msp_net *net, const msp_dataset *d, msp_metrics *m,
                                const char *csv_path, msp_err *err);

/* What msp_evaluate_experiment measured, valid during its on_result call. */
typedef struct msp_eval_result {
    const char *name;         /* "base" or the ladder network's */
    const msp_dataset *test;  /* for the class names (msp_eval_class_name) */
    const msp_metrics *metrics;
    const msp_latency *latency;
    const msp_dn_net *info;   /* FLOPs, parameters */
} msp_eval_result;

typedef struct msp_eval_opts {
    const char *net_name; /* NULL or "base" */
    msp_engine_kind engine;
    int verbose;
    const char *predictions; /* NULL, or a CSV path for msp_eval_predictions */
    /* Called once the network is measured and before the files are written
     * (the command prints the result, also if writing then fails); may be
     * NULL. */
    void (*on_result)(const msp_eval_result *r);
} msp_eval_opts;

/* Class k's name in d, or "class K" in buf when d has none. */
const char *msp_eval_class_name(const msp_dataset *d, int k, char *buf, size_t n);

/* `msprune evaluate`: measure a network on the test split, hand the result
 * to opts->on_result, write <output>/eval-<name>.json (and
 * opts->predictions if set), and record what it was made from at
 * msp_evaluate_record_path. */
msp_status msp_evaluate_experiment(const msp_expconf *conf, const msp_eval_opts *opts,
                                   msp_err *err);

struct msp_stamp;
/* What evaluating the base reads: the test data, the evaluate settings, the
 * base's cfg and weights by content. */
void msp_evaluate_base_inputs(const msp_expconf *conf, struct msp_stamp *s);
/* "<output>/stamps/evaluate-<net>.inputs" (net NULL: "base"). */
char *msp_evaluate_record_path(const msp_expconf *conf, const char *net);

#endif
