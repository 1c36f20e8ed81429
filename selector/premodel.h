/* premodel.h: the selector/ room's premodels: small classifiers
 * that look at an input's cheap features and pick which network of a family
 * runs on it.
 *
 * What this part of the room owns:
 *  - premodel.c: kinds, params, training dispatch, z-score standardisation
 *    (stored in the model), prediction;
 *  - premodel_knn.c: k-nearest neighbours (uniform or inverse-distance
 *    votes) over a reference set shrunk by Wilson editing and Hart's
 *    condensed nearest neighbour rule;
 *  - premodel_chain.c: knn-chain, one binary knn per network in ascending
 *    cost order ("is this network good enough?");
 *  - premodel_dtree.c: CART (Gini);
 *  - premodel_bayes.c: Gaussian naive Bayes;
 *  - premodel_logistic.c: multinomial softmax regression;
 *  - premodel_cv.c: stratified k-fold cross-validation;
 *  - premodel_select.c: feature selection;
 *  - premodel_train.c: checks, standardisation and dispatch of training;
 *  - premodel_gate.c: gate-cnn, a tiny Darknet CNN over the 14x14 `pixels`
 *    feature group (features.h), generated as a cfg in code and trained
 *    through src/engine/engine.h (Darknet + the fast engine);
 *  - premodel_gate_net.c: the gate-cnn network as stored in the file: its
 *    cfg text checked by src/dncfg/dncfg.h, its weights, and a plain-C forward
 *    pass for prediction (no Darknet, so loading and predicting never
 *    reach Darknet: the file's fuzz harness links without it);
 *  - premodel_io.c: the premodel file (format below).
 * cascade reads no features: it always picks one network (params.start) with
 * confidence 1, so with the safety net's min_prob it is a confidence cascade
 * (the start network answers when sure, the fallback otherwise); the
 * premodel stage picks the start network and threshold on the labelling
 * images. It uses no feature columns (d = 0).
 *
 * Everything here is pure C over float matrices (row-major, n x d). Every
 * function that can fail returns msp_status (MSP_BAD_INPUT for bad
 * arguments, data or files, MSP_FAIL for I/O) and fills err; on failure
 * outputs are left zeroed/NULL. Callers own what they pass in; a model
 * returned through msp_premodel ** is owned by the caller and freed with
 * msp_premodel_free. Deterministic: randomness only from params.seed, ties
 * go to the lowest index (class, feature, training example).
 *
 * Premodel file (little-endian, version 1):
 *   "MSPPREM\0"  u32 version  u32 kind  u32 d_in  u32 d  u32 m
 *   params: u32 k, weighting, condense, max_depth, min_leaf, epochs, batch
 *           f64 var_floor, l2, lr  u64 seed
 *   i32 feat[d] (input column of each used feature)  f32 mean[d]  f32 sd[d]
 *   payload by kind:
 *     knn        knn block (below, classes m)
 *     knn-chain  u32 order[m] (networks in chain order)  m-1 knn blocks
 *                (classes 2: 0 = not good enough, 1 = good enough)
 *     dtree      u32 nodes  {i32 feat, f32 thr, i32 left, i32 right,
 *                f32 prob[m]}[nodes]  (feat -1: a leaf)
 *     naive-bayes f64 log_prior[m]  f32 mean[m*d]  f32 var[m*d]
 *     logistic   f32 w[m*d]  f32 b[m]
 *     gate-cnn   u32 gate_epochs  u32 gate_batch  f64 gate_lr (training
 *                params, kept for an exact round trip)  u32 cfg_len
 *                u8 cfg[cfg_len] (Darknet cfg text)  u32 nw  f32 w[nw]
 *                (the weights in Darknet's .weights order, no header)
 *     cascade    u32 start
 *   knn block: u32 n  f32 x[n*d]  i32 y[n]
 *   u32 crc32 (zlib) of every byte before it
 * Loading checks the size, magic, checksum, version, then every count and
 * value against its bounds before allocating; anything wrong is
 * MSP_BAD_INPUT with a message naming the file. A gate-cnn cfg must pass
 * msprune's cfg checker (dncfg.h), take d inputs, end in a softmax of m
 * outputs, use only the layers the forward pass implements, and need
 * exactly nw weights.
 */
#ifndef MSP_PREMODEL_H
#define MSP_PREMODEL_H

#include <stdint.h>

#include "selector/features.h"
#include "base/base.h"

/* Bounds checked before any allocation (training data and files). */
#define MSP_PREMODEL_MAX_N 10000000
#define MSP_PREMODEL_MAX_DIM 4096
#define MSP_PREMODEL_MAX_NETS 256
#define MSP_PREMODEL_MAX_VALUES (1ULL << 31) /* n * d floats */
#define MSP_PREMODEL_MAX_K 1024
#define MSP_PREMODEL_MAX_DEPTH 64
#define MSP_PREMODEL_MAX_EPOCHS 1000000
#define MSP_PREMODEL_MAX_FOLDS 100
#define MSP_PREMODEL_MAX_FILE (1ULL << 33) /* 8 GiB */

/* Training data: n inputs, d features, m networks (indexed cheapest first
 * when cost is given). */
typedef struct msp_premodel_data {
    int n, d, m;
    const float *x;     /* n*d features, all finite */
    const int *label;   /* n, 0..m-1: cheapest network correct for the input
                           (the most accurate one if none is) */
    const uint8_t *ok;  /* n*m: network j correct on input i; may be NULL
                           except for knn-chain */
    const double *cost; /* m: latency in ms (ascending order = chain order);
                           may be NULL (index order) */
} msp_premodel_data;

typedef enum msp_premodel_kind {
    MSP_PREMODEL_KNN = 0,
    MSP_PREMODEL_KNN_CHAIN = 1,
    MSP_PREMODEL_DTREE = 2,
    MSP_PREMODEL_BAYES = 3,
    MSP_PREMODEL_LOGISTIC = 4,
    MSP_PREMODEL_GATE_CNN = 5, /* reads exactly the `pixels` feature group */
    MSP_PREMODEL_CASCADE = 6,  /* no features: always one network (see above) */
    MSP_PREMODEL_KIND_COUNT = 7
} msp_premodel_kind;

/* "knn", "knn-chain", "dtree", "naive-bayes", "logistic", "gate-cnn",
 * "cascade". */
const char *msp_premodel_kind_name(msp_premodel_kind kind);
/* Parse a kind name; MSP_BAD_INPUT with "did you mean" and the list. */
msp_status msp_premodel_kind_parse(const char *s, msp_premodel_kind *kind, msp_err *err);

typedef enum msp_knn_weighting {
    MSP_KNN_UNIFORM = 0,  /* one vote per neighbour */
    MSP_KNN_DISTANCE = 1  /* vote 1 / (distance + 1e-6) */
} msp_knn_weighting;

/* Parameters of every kind (each kind reads its own; all are checked). */
typedef struct msp_premodel_params {
    int k;            /* knn, knn-chain: neighbours, [1, MSP_PREMODEL_MAX_K] */
    int weighting;    /* knn, knn-chain: msp_knn_weighting */
    int condense;     /* knn, knn-chain: 0 all inputs, 1 Hart's condensed set,
                         2 Wilson editing then Hart (premodel_knn.c) */
    int max_depth;    /* dtree: [1, MSP_PREMODEL_MAX_DEPTH] (root = depth 0) */
    int min_leaf;     /* dtree: fewest training inputs in a leaf, >= 1 */
    int epochs;       /* logistic: passes, [1, MSP_PREMODEL_MAX_EPOCHS] */
    int batch;        /* logistic: mini-batch size; 0 = full batch */
    double var_floor; /* naive-bayes: smallest variance (standardised units), > 0 */
    double l2;        /* logistic: L2 penalty (l2/2) * |W|^2, >= 0 */
    double lr;        /* logistic: learning rate, > 0 */
    int gate_epochs;  /* gate-cnn: passes, [1, MSP_PREMODEL_MAX_GATE_EPOCHS] */
    int gate_batch;   /* gate-cnn: SGD batch, [1, MSP_PREMODEL_MAX_GATE_BATCH] */
    double gate_lr;   /* gate-cnn: initial learning rate (poly decay to 0), (0, 10] */
    uint64_t seed;    /* logistic mini-batch order; gate-cnn initial weights and
                         batch order; cv and feature selection */
    int start;        /* cascade: the network it always picks; -1 = the most
                         frequent label (not stored: the file keeps the result) */
} msp_premodel_params;

#define MSP_PREMODEL_MAX_GATE_EPOCHS 10000
#define MSP_PREMODEL_MAX_GATE_BATCH 4096

/* k 5, distance weighting, condense 2, depth 8, min_leaf 2, epochs 200,
 * full batch, var_floor 1e-3, l2 1e-3, lr 0.5, gate-cnn 30 epochs of
 * batch 32 at rate 0.05, seed 1, start -1. */
void msp_premodel_params_default(msp_premodel_params *p);
/* MSP_BAD_INPUT naming the first bad parameter for this kind. */
msp_status msp_premodel_params_check(msp_premodel_kind kind, const msp_premodel_params *p,
                                     msp_err *err);

/* Opaque trained model. */
typedef struct msp_premodel msp_premodel;

/* Train a premodel of this kind on data, using the feature columns feat[nfeat]
 * (distinct, in [0, data->d)) or, when feat is NULL, all d columns. gate-cnn
 * needs exactly MSP_PREMODEL_GATE_INPUTS used columns: the pixels group's
 * 14x14 grid in row order. The model
 * standardises each used feature with the training mean and population
 * standard deviation (1 for a constant feature). Checks: dims in bounds,
 * labels in [0, m), finite x, ok present for knn-chain, cost finite and
 * non-negative. */
msp_status msp_premodel_train(msp_premodel_kind kind, const msp_premodel_params *p,
                              const msp_premodel_data *data, const int *feat, int nfeat,
                              msp_premodel **out, msp_err *err);

/* Predict the network for one input x[d_in] (the full feature vector the
 * model was trained on; it picks its own columns). Returns the network index
 * in [0, m); *confidence (may be NULL) gets a value in [0, 1]:
 *   knn: the winner's share of the (weighted) votes;
 *   knn-chain: the chosen classifier's share of "yes" votes, or for the
 *     fallback (no classifier said yes) the smallest "no" share;
 *   dtree: the winner's fraction in the leaf;
 *   naive-bayes, logistic, gate-cnn: the winner's posterior / softmax
 *     probability.
 * Non-finite inputs give an unspecified network, never a crash. */
int msp_premodel_predict(const msp_premodel *pm, const float *x, double *confidence);

void msp_premodel_free(msp_premodel *pm);

msp_premodel_kind msp_premodel_get_kind(const msp_premodel *pm);
/* Input width d_in, used features d, networks m. */
void msp_premodel_dims(const msp_premodel *pm, int *d_in, int *d, int *m);
/* The feature groups of `all` that hold the columns the model reads: only
 * these need computing before a prediction (none for a cascade). */
msp_fset msp_premodel_groups(const msp_premodel *pm, msp_fset all);
/* The feature set a premodel of this kind is trained on (its d_in columns)
 * when the config's set is `configured`: the pixels group alone for
 * gate-cnn (whatever the config says), `configured` for the others. */
msp_fset msp_premodel_input_set(msp_premodel_kind kind, msp_fset configured);

#define MSP_PREMODEL_GATE_INPUTS (MSP_FEATURES_PIXELS_GRID * MSP_FEATURES_PIXELS_GRID)
/* Reference points a knn prediction scans (knn: the kept set; knn-chain: the
 * sum over its classifiers); 0 for other kinds. */
long msp_premodel_ref_count(const msp_premodel *pm);

/* Write the premodel file atomically (src/base/atomicio.h). */
msp_status msp_premodel_save(const msp_premodel *pm, const char *path, msp_err *err);
/* Read and validate a premodel file. */
msp_status msp_premodel_load(const char *path, msp_premodel **out, msp_err *err);

/* ---- cross-validation (premodel_cv.c) ---- */

/* Stratified fold assignment: the inputs of each class (ascending class)
 * are shuffled with an msp_rng seeded from seed and dealt round-robin, the
 * deal continuing across classes, so every fold's size is n/folds or one
 * more and every class is spread as evenly as possible. fold[n] gets
 * 0..folds-1. folds in [2, min(n, MSP_PREMODEL_MAX_FOLDS)]. */
msp_status msp_premodel_folds(const int *label, int n, int m, int folds, uint64_t seed,
                              int *fold, msp_err *err);

typedef struct msp_premodel_cv_result {
    int folds;
    double acc[MSP_PREMODEL_MAX_FOLDS]; /* per fold: predicted == label */
    double acc_mean, acc_std;           /* std: population, over folds */
    double ok_rate;   /* fraction of all inputs whose chosen network is ok
                         (-1 when data->ok is NULL) */
    double mean_cost; /* mean data->cost of the chosen network (-1 if no cost) */
} msp_premodel_cv_result;

/* k-fold cross-validation of one kind: folds from msp_premodel_folds(seed),
 * train on the other folds, predict the held-out one. oof (NULL, or n
 * entries) gets every input's out-of-fold prediction, which tunes
 * thresholds without the optimism of predicting the training inputs. */
msp_status msp_premodel_cv(msp_premodel_kind kind, const msp_premodel_params *p,
                           const msp_premodel_data *data, int folds, uint64_t seed,
                           msp_premodel_cv_result *res, int *oof, msp_err *err);

/* ---- feature selection (premodel_select.c) ---- */

typedef struct msp_premodel_fsel {
    double max_corr;     /* drop a feature with |Pearson r| > max_corr against
                            an earlier kept one (and constant features) */
    double tolerance;    /* keep the smallest prefix within this much validation
                            accuracy (fraction, 0.005 = half a point) of all */
    int val_folds;       /* validation split = fold 0 of this many stratified
                            folds (>= 2; 4 = a quarter) */
    uint64_t seed;
} msp_premodel_fsel;

/* max_corr 0.95, tolerance 0.005, val_folds 4, seed 1. */
void msp_premodel_fsel_default(msp_premodel_fsel *f);

/* Feature selection for one kind:
 *  1. correlation filter over all n inputs, in column order;
 *  2. permutation importance of each survivor: train on the training split
 *     with all survivors, then for each feature shuffle its column in the
 *     validation split (seeded) and take the accuracy drop;
 *  3. rank by importance (descending, ties to the lower column), train on
 *     each prefix of the ranking and keep the shortest whose validation
 *     accuracy >= (accuracy with all survivors) - tolerance.
 * kept (room for data->d) gets the kept columns in rank order, *nkept their
 * count; acc_all / acc_kept (may be NULL) the two validation accuracies;
 * importance (may be NULL, room for d) the drop per column (0 for dropped). */
msp_status msp_premodel_select_features(msp_premodel_kind kind, const msp_premodel_params *p,
                                        const msp_premodel_data *data,
                                        const msp_premodel_fsel *fs, int *kept, int *nkept,
                                        double *acc_all, double *acc_kept, double *importance,
                                        msp_err *err);

#endif
