/* prune.h: the prune/ room: structured filter pruning of Darknet classifiers.
 *
 * What the room owns: reading a Darknet .weights file into per-layer arrays
 * and writing it back (weights_io.c); the dependency groups that say which
 * output channels can be removed together (groups.c); weight-based
 * importance scores (criteria.c); choosing the channels to remove for a
 * ratio (plan.c); and the surgery that writes the smaller network as a new
 * cfg + weights + JSON report (surgery.c).
 *
 * Pipeline (every step returns msp_status and fills msp_err):
 *   msp_dncfg_read + msp_dncfg_check          -> cfg, net         (src/dncfg/dncfg.h)
 *   msp_prune_weights_load                    -> weights
 *   msp_prune_groups_build(cfg, net, opts)    -> groups
 *   msp_prune_score_weights(criterion)        -> scores  (or fill scores.layer[]
 *                                                 yourself, then msp_prune_scores_finish)
 *   msp_prune_plan_ratio(ratio, mode)         -> masks   (or set masks by hand)
 *   msp_prune_apply                           -> new cfg, net, weights
 *   msp_prune_write(PREFIX)                   -> PREFIX.cfg, .weights, .json
 * msp_prune_ratio_files does all of it for files on disk.
 * Also here: scores from activation statistics (criteria_data.c: apoz,
 * mean-activation, taylor), class pruning with an optional `other` output
 * (classes.c), and FLOPs / latency targets (target.c).
 *
 * Model. A "producer" is a [convolutional] or [connected] layer; its output
 * channels (filters / outputs) are the things removed. Removing channel k of
 * a producer removes its bias, batch-norm scale/mean/variance and weights
 * row, and input channel k of every consumer, wherever the channel travels:
 * through [maxpool], [avgpool], [dropout], [batchnorm] (its own
 * scale/mean/variance k go too) and [activation]; into the right slice of
 * every [route] concatenation; into the columns k*h*w .. (k+1)*h*w-1 of a
 * [connected] layer fed by the flattened c x h x w map; and into a
 * [convolutional] layer's weights[:, k, :, :].
 *
 * Shortcut coupling. A [shortcut] adds channel k of its `from` layer to
 * channel k of the previous layer, so both must go or stay together, and
 * transitively through chains of shortcuts (a ResNet stage is one coupled
 * group of every conv that writes into its residual stream). Coupled channels
 * are pruned together, as one "unit" whose score is the MEAN of its members'
 * per-layer-normalised scores. (The mean rather than the sum keeps coupled
 * units on the same 0..1 scale as single ones, so the global ranking does not
 * shield residual channels merely for having more members; within one group
 * the order is the same either way.) When the two inputs differ in channel
 * count (Darknet's stock ResNets add a 64-channel map to a 256-channel one),
 * Darknet adds only the first min(c1, c2) channels: that prefix is coupled
 * pair by pair and the wider side's tail is free. This stays aligned after
 * pruning: pairs are removed together, so both prefixes shrink alike and the
 * tail stays past the new min(c1', c2').
 *
 * What stays whole (channels "locked", reason in groups.why[layer]):
 *  - the last layer's outputs (the classes; class pruning is a separate job)
 *    and so every producer whose channels reach them unchanged, e.g. the
 *    final 1x1 conv of darknet19 or the last [connected] before [softmax];
 *  - the first producer layer when opts.protect_first (default on);
 *  - grouped convolutions (groups > 1): their outputs and their inputs;
 *  - anything feeding [softmax], [cost], [crop], [local], [reorg] or
 *    [normalization] (refused rather than handled: not needed by the stock
 *    classifiers, whose [crop] sits on the input image);
 *  - channels coupled through a shortcut with the network input or another
 *    non-prunable source.
 * Refused outright (MSP_BAD_INPUT from msp_prune_weights_load/_random):
 * dontload=, dontloadscales=, numload= (the file would not hold every
 * layer), flipped=1 convolutions, and transposed (version > 1000) files with
 * [connected] layers.
 *
 * Ownership: every struct here owns what it points to and has a free that is
 * safe on a zeroed struct; on error outputs are left zeroed. The groups,
 * scores and masks of one network refer to it by layer index and must be used
 * with that network only.
 */
#ifndef MSP_PRUNE_H
#define MSP_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "data/data.h"
#include "dncfg/dncfg.h"
#include "engine/engine.h"
#include "base/base.h"

/* ---- weights (weights_io.c) ----------------------------------------- */

/* One layer's arrays, pointing into msp_prune_weights.data (NULL/0 where the
 * layer has none). conv: biases[n], scales/rolling_*[n] if batch_normalize,
 * weights[n][c/groups][size][size]; connected: biases[out],
 * weights[out][inputs], scales/rolling_*[out] if batch_normalize;
 * batchnorm: scales/rolling_*[c]. */
typedef struct msp_prune_layer_w {
    float *biases, *scales, *rolling_mean, *rolling_variance, *weights;
    size_t n_biases; /* = n_bn when batch-normalised */
    size_t n_bn;
    size_t n_weights;
} msp_prune_layer_w;

typedef struct msp_prune_weights {
    msp_dn_weights_header hdr; /* written back unchanged */
    float *data;               /* owned: every float of the file, in file order */
    size_t n_floats;
    int n_layers;
    msp_prune_layer_w *layers; /* owned, n_layers; pointers into data */
} msp_prune_weights;

/* Read path for the checked net (cfg gives the per-layer switches). The size
 * is checked first with msp_dnweights_check. */
msp_status msp_prune_weights_load(const char *path, const msp_dn_cfg *cfg, const msp_dn_net *net,
                                  msp_prune_weights *w, msp_err *err);
/* Zeroed weights laid out for net, with header hdr (NULL: version 0.2.0, seen 0). */
msp_status msp_prune_weights_init(const msp_dn_cfg *cfg, const msp_dn_net *net,
                                  const msp_dn_weights_header *hdr, msp_prune_weights *w,
                                  msp_err *err);
/* Seeded random weights for tests: He-like uniform weights, small biases,
 * BN scales and variances in [0.5, 1.5), means in [-0.1, 0.1). Header 0.2.0,
 * seen 0. */
msp_status msp_prune_weights_random(const msp_dn_cfg *cfg, const msp_dn_net *net, uint64_t seed,
                                    msp_prune_weights *w, msp_err *err);
/* A network as pruning sees it: a checked cfg and its weights. Inputs and
 * results of surgery are held this way. */
typedef struct msp_prune_net {
    msp_dn_cfg cfg;
    msp_dn_net net;
    msp_prune_weights w;
} msp_prune_net;
/* Read and check cfg_path, then load weights_path (NULL: seeded random
 * weights, msp_prune_weights_random). p is zeroed on error. */
msp_status msp_prune_net_open(const char *cfg_path, const char *weights_path, uint64_t seed,
                              msp_prune_net *p, msp_err *err);
void msp_prune_net_free(msp_prune_net *p);

/* Write atomically, header as loaded (16- or 20-byte form kept). */
msp_status msp_prune_weights_save(const msp_prune_weights *w, const char *path, msp_err *err);
void msp_prune_weights_free(msp_prune_weights *w);

/* ---- dependency groups (groups.c) ----------------------------------- */

typedef struct msp_prune_opts {
    int protect_first; /* lock the first producer layer's channels (default 1) */
} msp_prune_opts;
void msp_prune_opts_default(msp_prune_opts *o);

/* Channels are numbered globally: channel c of producer layer l is
 * chan_base[l] + c (non-producers own no channels). A unit is a set of
 * channels removed together (one channel, or several coupled by shortcuts);
 * a group is a set of producer layers whose channels are coupled (a lone
 * producer is its own group). Per-layer uniform allocation works per group. */
typedef struct msp_prune_group {
    int *layers; /* owned: producer layers, ascending */
    int n_layers;
    int *units;  /* owned: unit indices, ascending */
    int n_units;
} msp_prune_group;

typedef struct msp_prune_groups {
    int n_layers;        /* of the net */
    int *chan_base;      /* owned, n_layers + 1 */
    int n_chans;         /* = chan_base[n_layers] */
    int *chan_layer;     /* owned, n_chans: producer layer of each channel */
    int *chan_unit;      /* owned, n_chans: unit, or -1 when locked */
    int n_units;
    int *unit_group;     /* owned, n_units */
    int *unit_base;      /* owned, n_units + 1: members of unit u are */
    int *unit_member;    /*   unit_member[unit_base[u] .. unit_base[u+1]) (channels) */
    int n_groups;
    msp_prune_group *groups; /* owned */
    /* Where each layer's output channels come from: out_map[out_base[l] + k]
     * is the global channel behind output channel k of layer l, or -1 for
     * channels no producer owns (the input image, [softmax] output, ...). */
    int *out_base;       /* owned, n_layers + 1 */
    int *out_map;        /* owned */
    const char **why;    /* owned array of static strings, n_layers: why some
                          * channel of this producer is locked, NULL if none */
} msp_prune_groups;

msp_status msp_prune_groups_build(const msp_dn_cfg *cfg, const msp_dn_net *net,
                                  const msp_prune_opts *opts, msp_prune_groups *g, msp_err *err);
void msp_prune_groups_free(msp_prune_groups *g);

/* ---- criteria (criteria.c) ------------------------------------------ */

typedef enum msp_prune_criterion {
    MSP_CRIT_L1,
    MSP_CRIT_L2,
    MSP_CRIT_LINF,
    MSP_CRIT_RANDOM,
    MSP_CRIT_BN_GAMMA,
    /* Data-driven: computed by the caller from activations, handed in
     * through msp_prune_scores.layer + msp_prune_scores_finish. */
    MSP_CRIT_APOZ,
    MSP_CRIT_MEAN_ACT,
    MSP_CRIT_TAYLOR
} msp_prune_criterion;

/* "l1", "l2", "linf", "random", "bn-gamma", "apoz", "mean-activation",
 * "taylor"; anything else -> MSP_BAD_INPUT listing them. */
msp_status msp_prune_criterion_parse(const char *name, msp_prune_criterion *out, msp_err *err);
const char *msp_prune_criterion_name(msp_prune_criterion c);
/* Is the criterion computed from weights alone (msp_prune_score_weights)? */
int msp_prune_criterion_is_weight_based(msp_prune_criterion c);

/* Higher score = more important = kept longer. */
typedef struct msp_prune_scores {
    int n_layers;
    float **layer; /* owned: raw score of each channel of producer layer l
                    * (filters entries), NULL for other layers; finite, >= 0 */
    float *unit;   /* owned, groups.n_units: filled by msp_prune_scores_finish */
} msp_prune_scores;

/* Zeroed raw arrays for every producer layer of net. */
void msp_prune_scores_init(const msp_dn_net *net, msp_prune_scores *s);
/* Normalise each layer's raw scores by the layer's largest (so 1 is the
 * layer's best channel; an all-zero layer stays 0) and set each unit's score
 * to the mean over its members. Negative or non-finite raw scores ->
 * MSP_BAD_INPUT. */
msp_status msp_prune_scores_finish(const msp_dn_net *net, const msp_prune_groups *g,
                                   msp_prune_scores *s, msp_err *err);
/* init + raw scores from the weights + finish. l1/l2/linf: norm of each
 * filter's (row's) weights; random: uniform from seed; bn-gamma: |scale|,
 * refused unless every layer that has prunable channels is batch-normalised. */
msp_status msp_prune_score_weights(const msp_dn_net *net, const msp_prune_weights *w,
                                   const msp_prune_groups *g, msp_prune_criterion c,
                                   uint64_t seed, msp_prune_scores *s, msp_err *err);
void msp_prune_scores_free(msp_prune_scores *s);

/* ---- plan (plan.c) -------------------------------------------------- */

/* keep[l][k] = 1 keeps channel k of producer layer l; keep[l] is NULL for
 * non-producers (and may be NULL for a producer: keep everything). */
typedef struct msp_prune_masks {
    int n_layers;
    unsigned char **keep; /* owned */
} msp_prune_masks;

/* Everything kept. */
void msp_prune_masks_init(const msp_dn_net *net, msp_prune_masks *m);
void msp_prune_masks_free(msp_prune_masks *m);

typedef enum msp_prune_alloc {
    MSP_ALLOC_UNIFORM, /* each group loses floor(ratio * its units), lowest scores first */
    MSP_ALLOC_GLOBAL   /* the lowest scores of the whole net until floor(ratio * prunable
                        * channels) channels are gone */
} msp_prune_alloc;

/* Choose the channels to remove. ratio in [0, 1); every producer keeps at
 * least min_channels (>= 1) channels, counting locked ones; ties go by unit
 * index. A unit that would break min_channels is skipped, so the result may
 * remove fewer than asked. Bad ratio / min_channels -> MSP_BAD_INPUT. */
msp_status msp_prune_plan_ratio(const msp_dn_net *net, const msp_prune_groups *g,
                                const msp_prune_scores *s, double ratio, msp_prune_alloc mode,
                                int min_channels, msp_prune_masks *m, msp_err *err);

/* ---- surgery (surgery.c) -------------------------------------------- */

/* Check masks against groups (coupled channels all kept or all removed,
 * locked channels kept, >= 1 channel per layer; else MSP_BAD_INPUT naming
 * the layer) and build the pruned network: out_cfg is cfg with filters= /
 * output= changed, out_net its check, out_w its weights (header kept). With
 * every channel kept the result is identical to the input. */
msp_status msp_prune_apply(const msp_dn_cfg *cfg, const msp_dn_net *net,
                           const msp_prune_groups *g, const msp_prune_weights *w,
                           const msp_prune_masks *m, msp_dn_cfg *out_cfg, msp_dn_net *out_net,
                           msp_prune_weights *out_w, msp_err *err);

/* The two ends every surgery (channels here, classes in classes.c) shares.
 * Start: outputs zeroed; w must hold net's weights (else MSP_BAD_INPUT). */
msp_status msp_prune_surgery_start(const msp_dn_cfg *cfg, const msp_dn_net *net,
                                   const msp_prune_weights *w, msp_dn_cfg *out_cfg,
                                   msp_dn_net *out_net, msp_prune_weights *out_w, msp_err *err);
/* Once out_cfg is edited: out_net its check (the same layers as net) and
 * out_w weights of its shapes with w's header, to be filled by the caller.
 * On failure out_cfg and out_net are freed. */
msp_status msp_prune_surgery_rebuild(const msp_dn_net *net, const msp_prune_weights *w,
                                     msp_dn_cfg *out_cfg, msp_dn_net *out_net,
                                     msp_prune_weights *out_w, msp_err *err);

/* Write PREFIX.cfg, PREFIX.weights and PREFIX.json, each atomically. The
 * JSON holds, per layer of before/after (same layer count), the type and
 * output channels, parameters (weight floats) and FLOPs before and after,
 * and the totals; note (may be NULL) is stored as "note". */
msp_status msp_prune_write(const char *prefix, const msp_dn_cfg *cfg, const msp_dn_net *before,
                           const msp_dn_net *after, const msp_prune_weights *w,
                           const char *note, msp_err *err);

/* The whole pipeline on files: read + check cfg_path, load weights_path
 * (or random weights from seed when NULL), score by a weight-based
 * criterion, plan, apply, write PREFIX.*. flops_before/after (may be NULL)
 * receive the FLOPs of both networks. */
msp_status msp_prune_ratio_files(const char *cfg_path, const char *weights_path,
                                 const char *prefix, msp_prune_criterion c, double ratio,
                                 msp_prune_alloc mode, int min_channels,
                                 const msp_prune_opts *opts, uint64_t seed, double *flops_before,
                                 double *flops_after, msp_err *err);

/* ---- data-driven scores (criteria_data.c) ----------------------------- */

/* Scores for c = apoz / mean-activation / taylor from per-channel
 * statistics: values[l] holds n_channels[l] values for every producer l
 * (layer count and channel counts must match net). Higher = keep:
 * apoz -> 1 - apoz (values must be in [0, 1]), mean-activation -> |mean|,
 * taylor -> the value (must be >= 0). Then msp_prune_scores_finish. */
msp_status msp_prune_scores_from_stats(const msp_dn_net *net, const msp_prune_groups *g,
                                       msp_prune_criterion c, int n_layers,
                                       const int *n_channels, const float *const *values,
                                       msp_prune_scores *s, msp_err *err);
/* msp_net_channel_stats (engine_stats.h) on dn over d (max_images <= 0: all;
 * full batches of dn's batch size, the last partial one dropped), then
 * msp_prune_scores_from_stats. net is the checked cfg dn was loaded from. */
msp_status msp_prune_score_data(msp_net *dn, const msp_dataset *d, int max_images,
                                const msp_dn_net *net, const msp_prune_groups *g,
                                msp_prune_criterion c, msp_prune_scores *s, msp_err *err);

/* ---- class pruning (classes.c) ---------------------------------------- */

/* The output layer: the last conv/connected layer, followed only by
 * avgpool / maxpool / dropout / activation / softmax (groups=1) / cost, whose
 * filters are the network's classes. Else MSP_BAD_INPUT naming the layer. */
msp_status msp_prune_output_layer(const msp_dn_cfg *cfg, const msp_dn_net *net, int *layer,
                                  msp_err *err);
/* Keep classes[0..n_keep) (distinct ids in [0, classes), in this order) and,
 * when other != 0, append one "other" output initialised from the dropped
 * classes (mean effective row, bias + log(dropped count): see classes.c).
 * Every other layer is copied unchanged. MSP_BAD_INPUT: id out of range,
 * repeated id, empty list, all classes with other, a single output. */
msp_status msp_prune_classes(const msp_dn_cfg *cfg, const msp_dn_net *net,
                             const msp_prune_weights *w, const int *classes, int n_keep,
                             int other, msp_dn_cfg *out_cfg, msp_dn_net *out_net,
                             msp_prune_weights *out_w, msp_err *err);

/* ---- FLOPs / latency targets (target.c) ------------------------------- */

/* FLOPs of the net pruned by m, without surgery: equals out_net.flops of
 * msp_prune_apply with the same masks. */
double msp_prune_masks_flops(const msp_dn_net *net, const msp_prune_groups *g,
                             const msp_prune_masks *m);

typedef struct msp_prune_target_result {
    double ratio;        /* the chosen plan's ratio for msp_prune_plan_ratio */
    double flops_before; /* the unpruned network */
    double flops_after;  /* the chosen plan */
    double flops_next;   /* FLOPs of the next less pruned plan (above the target);
                          * flops_before when nothing was pruned */
    double latency_before_ms, latency_after_ms; /* latency search only (medians) */
    int measured;        /* latency search: networks timed */
} msp_prune_target_result;

/* The plan (masks m) of the smallest ratio whose FLOPs are <= the target,
 * i.e. the most FLOPs not above it. target: a fraction of net->flops in
 * (0, 1] when is_fraction, else absolute FLOPs > 0. Unreachable even at the
 * largest ratio -> MSP_BAD_INPUT giving the FLOPs reached there. */
msp_status msp_prune_target_flops(const msp_dn_net *net, const msp_prune_groups *g,
                                  const msp_prune_scores *s, msp_prune_alloc mode,
                                  int min_channels, double target, int is_fraction,
                                  msp_prune_masks *m, msp_prune_target_result *res, msp_err *err);
/* The least pruned plan whose measured median batch-1 latency is
 * <= target_ms, among a handful of candidates bracketed by FLOPs (see
 * target.c); inputs are uniform random from seed. Nothing meets it (the
 * most pruned plan is too slow) -> MSP_BAD_INPUT giving what it reached.
 * Noisy by nature: repeated calls may choose neighbouring plans. */
msp_status msp_prune_target_latency(const msp_dn_cfg *cfg, const msp_dn_net *net,
                                    const msp_prune_groups *g, const msp_prune_weights *w,
                                    const msp_prune_scores *s, msp_prune_alloc mode,
                                    int min_channels, double target_ms, uint64_t seed,
                                    msp_prune_masks *m, msp_prune_target_result *res,
                                    msp_err *err);

/* ---- one step on files (step.c) --------------------------------------- */

typedef enum msp_prune_budget {
    MSP_BUDGET_RATIO,  /* budget = fraction of filters removed, [0, 1) */
    MSP_BUDGET_FLOPS,  /* budget = absolute FLOPs (msp_prune_target_flops) */
    MSP_BUDGET_LATENCY /* budget = batch-1 median ms (msp_prune_target_latency) */
} msp_prune_budget;

typedef struct msp_prune_step {
    const char *in_cfg, *in_weights, *out_prefix; /* in_weights NULL: random from seed */
    msp_prune_criterion criterion;
    msp_prune_budget budget_kind;
    double budget;
    msp_prune_alloc alloc;
    int min_channels, protect_first;
    uint64_t seed;           /* random scores, latency inputs */
    const msp_dataset *train; /* data-driven criteria: statistics on its first images */
    int batch;               /* network batch for those statistics */
    msp_engine_kind engine;
} msp_prune_step;

/* Score, plan to the budget, cut, and write out_prefix.{cfg,weights,json};
 * flops_before/after (may be NULL) get both networks' FLOPs. */
/* Pruning in steps: the budget of step k of n (1-based) when the network
 * of flops0 FLOPs is to reach target FLOPs, each step removing the same share
 * of what is left: flops0 * (target / flops0)^(k / n). */
double msp_prune_schedule_flops(double flops0, double target, int k, int n);
/* The same for a ratio of filters removed in all: each step removes
 * 1 - (1 - ratio)^(1 / n) of the filters left. */
double msp_prune_schedule_ratio(double ratio, int n);

msp_status msp_prune_step_files(const msp_prune_step *a, double *flops_before, double *flops_after,
                                msp_err *err);

#endif
