/* specialise.h: the specialise/ room: a family of networks specialised to
 * clusters of inputs.
 *
 * What the room owns:
 *  - cluster.c: `confusion` clustering of classes: a symmetrised similarity
 *    from the base network's confusion matrix, average-linkage agglomerative
 *    clustering, silhouette over class distances (1 - similarity) and the
 *    automatic choice of k;
 *  - cluster_kmeans.c: k-means (k-means++ seeding, Lloyd iterations, empty
 *    cluster repair) over feature vectors, Euclidean silhouette and the
 *    automatic choice of k; used for `features` and `embedding` clustering;
 *  - cluster_features.c: cheap per-image features (brightness, contrast,
 *    gradients, bright fraction, a 4x4 intensity grid) for `features`
 *    clustering, and their z-score standardisation;
 *  - cluster_json.c: clusters.json, written atomically;
 *  - plan.c: the specialisation plan of an experiment: the clustering it
 *    asks for, every split's examples assigned to clusters, and the job
 *    settings, with a CRC that identifies it;
 *  - distill.c: the base's softened probabilities as fine-tuning targets;
 *  - job.c: one specialist: class pruning (class clusters), data-driven
 *    pruning to the FLOPs budget in steps with fine-tuning, evaluation;
 *    restartable, every intermediate file atomic;
 *  - family.c: the family manifest (libconfig), written and validated;
 *  - family_latency.c: every network's latency, measured side by side;
 *  - run.c: the stage as a whole: jobs in parallel processes or as shell
 *    lines, latencies, the manifest (the command is src/cli/cmd_specialise.c).
 *
 * Conventions. Every function that can fail returns msp_status (MSP_OK, or
 * MSP_BAD_INPUT for bad arguments / non-finite data, MSP_FAIL for I/O) and
 * fills err; on failure outputs are left zeroed. Callers own every array
 * they pass in; arrays returned through pointer-to-pointer arguments are
 * owned by the caller and freed with free(). Everything is deterministic:
 * randomness comes only from an explicit seed, ties go to the lowest index.
 * Cluster ids are always 0..k-1, numbered by the smallest member index
 * (class id or example index), so equal partitions compare equal.
 */
#ifndef MSP_SPECIALISE_H
#define MSP_SPECIALISE_H

#include <stdint.h>

#include "data/data.h"
#include "engine/engine.h"
#include "base/base.h"

/* Bounds checked before any allocation. */
#define MSP_CLUSTER_MAX_CLASSES 2048   /* agglomerative clustering is O(n^3) */
#define MSP_CLUSTER_MAX_POINTS 10000000
#define MSP_CLUSTER_MAX_DIM 65536
#define MSP_CLUSTER_MAX_VALUES (1ULL << 31) /* n * d floats */
#define MSP_CLUSTER_MAX_K 4096
#define MSP_CLUSTER_MAX_ITER 100000

typedef enum msp_cluster_method {
    MSP_CLUSTER_CONFUSION = 0, /* groups of classes */
    MSP_CLUSTER_FEATURES = 1,  /* k-means over cheap image features */
    MSP_CLUSTER_EMBEDDING = 2  /* k-means over penultimate activations */
} msp_cluster_method;

/* "confusion", "features", "embedding". */
const char *msp_cluster_method_name(msp_cluster_method m);
/* Parse a method name; MSP_BAD_INPUT (listing the valid names) otherwise. */
msp_status msp_cluster_method_parse(const char *s, msp_cluster_method *m, msp_err *err);

/* ---- confusion clustering of classes (cluster.c) ---- */

/* sim (n x n, row-major) from a confusion matrix conf (n x n, int64 counts,
 * rows = true class, columns = predicted, as msp_metrics.confusion):
 * sim[i][j] = (C[i][j]/row_i + C[j][i]/row_j) / 2 for i != j (a term whose
 * row is empty is 0), sim[i][i] = 1. Values in [0, 1], symmetric.
 * MSP_BAD_INPUT for n outside [1, MSP_CLUSTER_MAX_CLASSES] or a negative count. */
msp_status msp_cluster_similarity(const int64_t *conf, int n, double *sim, msp_err *err);

/* Average-linkage agglomerative clustering of n items from a symmetric
 * similarity matrix (n x n): start from singletons and merge the pair of
 * clusters with the highest mean pairwise similarity until k remain; ties go
 * to the pair whose smallest members are lowest. assign[n] gets cluster ids
 * numbered by smallest member. k in [1, n]. */
msp_status msp_cluster_agglomerative(const double *sim, int n, int k, int *assign, msp_err *err);

/* msp_cluster_similarity followed by msp_cluster_agglomerative. */
msp_status msp_cluster_classes_confusion(const int64_t *conf, int n, int k, int *assign,
                                         msp_err *err);

/* Choose k in [k_min, k_max] (1 <= k_min <= k_max <= n) for confusion
 * clustering, maximising the silhouette with distance 1 - similarity (ties:
 * smaller k). Outputs best_k, assign[n] for it, and, if scores is not NULL,
 * scores[k - k_min] for every k tried. */
msp_status msp_cluster_choose_k_confusion(const int64_t *conf, int n, int k_min, int k_max,
                                          int *best_k, int *assign, double *scores, msp_err *err);

/* Mean silhouette over n items from a distance matrix dist (n x n) and
 * assignments in [0, k). For an item i: a = mean distance to the other
 * members of its cluster, b = smallest mean distance to another cluster,
 * s = (b - a) / max(a, b) (0 when both are 0); an item alone in its cluster
 * has s = 0, and k == 1 gives 0. Empty clusters are ignored. */
msp_status msp_silhouette_dist(const double *dist, int n, const int *assign, int k,
                               double *score, msp_err *err);

/* One item's silhouette from sum[c], its summed distances to the cnt[c]
 * members of each cluster c, where ci is its own cluster (2 or more
 * members): (b - a) / max(a, b) as above, 0 without another non-empty
 * cluster. Both silhouettes (distance matrix and Euclidean) end here. */
double msp_silhouette_item(const double *sum, const int *cnt, int k, int ci);

/* try_k clusters the n items into k groups (assign[n]) and scores that. */
typedef msp_status (*msp_cluster_try_k)(void *ctx, int k, int *assign, double *score,
                                        msp_err *err);
/* The automatic choice of k for every clustering: try_k(ctx, k) for each k
 * in [k_min, k_max] (already checked), keeping the highest score (ties:
 * smaller k) in best_k and assign[n]; scores[k - k_min] if not NULL. On an
 * error from try_k: best_k 0 and assign zeroed. */
msp_status msp_cluster_best_k(int n, int k_min, int k_max, msp_cluster_try_k try_k, void *ctx,
                              int *best_k, int *assign, double *scores, msp_err *err);

/* The members of cluster c, ascending: members gets them (room for n),
 * returns their count. */
int msp_cluster_members(const int *assign, int n, int c, int *members);

/* ---- k-means (cluster_kmeans.c) ---- */

/* k-means over x (n x d floats, row-major, all finite). Seeding: k-means++
 * with an msp_rng seeded from seed; then Lloyd iterations until the
 * assignments stop changing or max_iter iterations (max_iter in
 * [1, MSP_CLUSTER_MAX_ITER]). A cluster left empty takes the point farthest
 * from its own centroid (among clusters of 2 or more), so every cluster is
 * non-empty when the points allow it (k <= n always). Ties go to the lowest
 * centroid. Outputs: assign[n] (clusters numbered by first member),
 * centroids[k x d] (may be NULL), inertia (sum of squared distances to the
 * assigned centroid; may be NULL). k in [1, min(n, MSP_CLUSTER_MAX_K)],
 * d in [1, MSP_CLUSTER_MAX_DIM]. */
msp_status msp_kmeans(const float *x, int n, int d, int k, uint64_t seed, int max_iter,
                      int *assign, float *centroids, double *inertia, msp_err *err);

/* Mean Euclidean silhouette (definition as msp_silhouette_dist). It costs
 * O(m^2 d) for m points: if max_points > 0 and n > max_points, the mean is
 * taken over a seeded random sample of max_points points (distances between
 * sampled points only). */
msp_status msp_silhouette(const float *x, int n, int d, const int *assign, int k,
                          int max_points, uint64_t seed, double *score, msp_err *err);

/* Choose k in [k_min, k_max] (1 <= k_min <= k_max <= n) for k-means,
 * maximising msp_silhouette (same seed and max_points; ties: smaller k).
 * Outputs best_k, assign[n] for it and, if scores is not NULL,
 * scores[k - k_min]. */
msp_status msp_cluster_choose_k_kmeans(const float *x, int n, int d, int k_min, int k_max,
                                       uint64_t seed, int max_iter, int max_points, int *best_k,
                                       int *assign, double *scores, msp_err *err);

/* ---- cheap image features (cluster_features.c) ----
 *
 * Not the premodel's features (selector/features.h, msp_features_*): those
 * are chosen per experiment from named groups, while these 21 are fixed so
 * that `features` clustering does not change with the selector's settings.
 * They compute different things (forward-difference gradients and a 4x4
 * grid here; Sobel edges and pooled 7x7 / 14x14 grids there), and
 * specialise/ cannot call up into selector/. */

/* Per image, over the gray image g (mean of the channels per pixel), in this
 * order: */
enum {
    MSP_FEAT_BRIGHTNESS = 0, /* mean of g */
    MSP_FEAT_CONTRAST = 1,   /* population standard deviation of g */
    MSP_FEAT_GRADIENT = 2,   /* mean gradient magnitude (below) */
    MSP_FEAT_EDGES = 3,      /* fraction of pixels with magnitude > MSP_FEAT_EDGE_THRESHOLD */
    MSP_FEAT_BRIGHT = 4,     /* fraction of pixels with g > MSP_FEAT_BRIGHT_THRESHOLD */
    MSP_FEAT_GRID = 5,       /* 16 cell means of g, 4x4 grid, row by row */
    MSP_FEAT_DIM = 21
};
/* Gradient at (y, x): forward differences gx = g(y, x+1) - g(y, x) and
 * gy = g(y+1, x) - g(y, x) (0 on the last column / row), magnitude
 * sqrt(gx^2 + gy^2); averaged over all h*w pixels. Grid cell (r, c) covers
 * rows [r*h/4, (r+1)*h/4) and columns likewise (integer division; at least
 * one row / column, so images smaller than 4 repeat pixels). */
#define MSP_FEAT_EDGE_THRESHOLD 0.1
#define MSP_FEAT_BRIGHT_THRESHOLD 0.5

/* Features of one CHW image (c, h, w >= 1) into out[MSP_FEAT_DIM]. */
void msp_cluster_features_image(const float *img, int c, int h, int w, float *out);

/* Features of every example of ds: *out (owned, n x MSP_FEAT_DIM) and
 * *d = MSP_FEAT_DIM. MSP_BAD_INPUT for an empty dataset or a bad shape. */
msp_status msp_cluster_features_extract(const msp_dataset *ds, float **out, int *d, msp_err *err);

/* z-score statistics per dimension, to standardise new data the same way. */
typedef struct msp_feature_stats {
    int d;
    float *mean; /* d, owned */
    float *std;  /* d, owned; a constant dimension gets 1 so it maps to 0 */
} msp_feature_stats;

/* Mean and population standard deviation of each of the d columns of x
 * (n x d, finite). */
msp_status msp_cluster_features_fit(const float *x, int n, int d, msp_feature_stats *st, msp_err *err);
/* x[i][j] = (x[i][j] - mean[j]) / std[j], in place; n x st->d. */
void msp_cluster_features_apply(const msp_feature_stats *st, float *x, int n);
/* Free and zero; safe on a zeroed struct. */
void msp_feature_stats_free(msp_feature_stats *st);

/* ---- clusters.json (cluster_json.c) ---- */

typedef struct msp_clusters {
    msp_cluster_method method;
    int k;
    int n_items;       /* classes (confusion) or examples (features, embedding) */
    const int *assign; /* n_items ids in [0, k), borrowed */
    double silhouette; /* NAN when not computed */
    double inertia;    /* k-means only; NAN otherwise */
    uint64_t seed;     /* written for k-means methods */
} msp_clusters;

/* Write c to path atomically as JSON:
 *   {"method": "...", "k": K, "n_items": N, "seed": S, "silhouette": x|null,
 *    "inertia": x|null, "sizes": [...],
 *    "clusters": [{"id": 0, "size": n, "classes": [...]} | {..., "class_counts": [...]}]}
 * For MSP_CLUSTER_CONFUSION the items are classes and each cluster lists
 * its class ids ("classes"). Otherwise the items are examples: if labels
 * (n_items labels in [0, n_classes)) is not NULL each cluster gets
 * "class_counts" (n_classes counts), else neither. "seed" is written for
 * k-means methods only. */
msp_status msp_clusters_write_json(const char *path, const msp_clusters *c, const int *labels,
                                   int n_classes, msp_err *err);

/* ---- the specialisation plan (plan.c) ---- */

typedef struct msp_spec_plan {
    msp_cluster_method method;
    int k;
    double silhouette;      /* of the chosen clustering */
    double *k_scores;       /* owned: silhouette per k tried (auto k), else NULL */
    int k_min, k_max;       /* the range tried (k_min == k_max == k when fixed) */
    int n_classes;
    int *class_cluster;     /* owned, n_classes: confusion only, else NULL */
    int n_split[3];         /* examples of train, val, test */
    int *assign[3];         /* owned: cluster of every example of train, val, test */
    uint32_t crc;           /* CRC-32 of the plan text (msp_spec_plan_text) */
} msp_spec_plan;

enum { MSP_SPLIT_IDX_TRAIN = 0, MSP_SPLIT_IDX_VAL = 1, MSP_SPLIT_IDX_TEST = 2 };

/* Cluster as conf->specialise asks: `confusion` from the base network's
 * confusion matrix on the validation split, `features` and `embedding` by
 * k-means over z-scored features of the training split (validation and test
 * examples go to the nearest centroid). Deterministic for a given config
 * and data, so every job recomputes the same plan. base is the experiment's
 * base network loaded with any batch size. */
msp_status msp_spec_plan_make(const msp_expconf *conf, msp_net *base, const msp_dataset *train,
                              const msp_dataset *val, const msp_dataset *test,
                              msp_spec_plan *plan, msp_err *err);
/* The plan and the job settings as libconfig text (owned by the caller):
 * what <output>/family/plan.conf holds; plan->crc is its CRC-32. */
char *msp_spec_plan_text(const msp_expconf *conf, const msp_spec_plan *plan);
void msp_spec_plan_free(msp_spec_plan *plan);

/* ---- the family manifest (family.c) ---- */

#define MSP_FAMILY_MAX_NETS 256
#define MSP_FAMILY_VERSION 1

/* One network of the family. Paths are relative to the manifest's folder. */
typedef struct msp_family_net {
    char *name;        /* [A-Za-z0-9._-]{1,64}, unique */
    char *cfg, *weights;
    int cluster;       /* -1 for the base (or a network serving every input) */
    int n_outputs;
    int *outputs;      /* owned, n_outputs: base class of each output, -1 = "other" */
    int64_t flops, params;
    double budget;     /* the share of the base's FLOPs it was pruned to; NAN: not pruned */
    double latency_ms; /* batch-1 median on the machine that built the family; NAN if not measured */
    /* Top-1 on the validation and test splits; "overall" over every image
     * (an "other" answer is wrong), "in_cluster" over the cluster's images,
     * base_in_cluster = the base network on those same images. NAN = not
     * measured. */
    double val_top1, val_in_cluster, base_val_in_cluster;
    double test_top1, test_in_cluster, base_test_in_cluster;
    int val_cluster_n, test_cluster_n; /* images in the cluster */
} msp_family_net;

typedef struct msp_family {
    char *experiment;
    char *clustering;  /* method name, or "none" (a ladder: every cluster is -1) */
    int k;
    int n_classes;     /* of the base network */
    uint32_t plan_crc;
    int n_nets;
    msp_family_net *nets; /* owned; nets[0] is the base */
} msp_family;

/* Write atomically (libconfig syntax, see family.c). */
msp_status msp_family_write(const char *path, const msp_family *f, msp_err *err);
/* Read and validate path: schema, ranges, unique names, outputs, paths
 * relative and inside the folder (no absolute path, no ".."), and every cfg
 * and weights file present. Errors are "path:line: message", MSP_BAD_INPUT;
 * on error *f is zeroed. */
msp_status msp_family_load(const char *path, msp_family *f, msp_err *err);
void msp_family_free(msp_family *f);
/* Batch-1 median latency (ms) of every network of f (paths relative to
 * dir) into ms[f->n_nets], timed side by side in interleaved rounds
 * (msp_eval_latency_interleaved), `runs` timed passes per network in all. */
msp_status msp_family_latency(const msp_family *f, const char *dir, msp_engine_kind engine,
                              uint64_t seed, int warmup, int runs, double *ms, msp_err *err);
void msp_family_net_free(msp_family_net *n);

/* ---- distillation (distill.c) ---- */

/* One teacher distribution p[n_classes] (a softmax output) softened by
 * temperature (>= 1: p^(1/T), renormalised) and folded onto a specialist's
 * outputs (base class per output, -1 = other): soft[n_outputs] sums to 1.
 * A class with no output and no `other` is dropped and the rest
 * renormalised. */
void msp_spec_soften(const float *p, int n_classes, double temperature, const int *outputs,
                     int n_outputs, float *soft);
/* The base network (cfg, weights) over every image of ds: *out gets
 * ds->n x n_outputs softened targets (msp_spec_soften), owned by the caller. */
msp_status msp_spec_teacher_targets(const char *cfg, const char *weights, const msp_dataset *ds,
                                    const int *outputs, int n_outputs, double temperature,
                                    msp_engine_kind engine, float **out, msp_err *err);

/* ---- specialist and generalist jobs (job.c) ---- */

/* A plan's jobs: the specialists s0..s<k-1> (none when specialise.specialists
 * is false), then one generalist g<i> per specialise.generalists entry: the
 * base pruned to that FLOPs share, every class kept, fine-tuned on every
 * training image. */
int msp_spec_n_jobs(const msp_expconf *conf, const msp_spec_plan *plan);
/* The network job `job` builds: "s<cluster>" or "g<i>". */
void msp_spec_job_name(const msp_expconf *conf, const msp_spec_plan *plan, int job, char name[16]);

typedef struct msp_spec_job_opts {
    msp_engine_kind engine;
    int verbose;
} msp_spec_job_opts;

/* Build the network of job `job` (0 <= job < msp_spec_n_jobs) into
 * <output>/family/NAME.*: resumes from the intermediate files of an
 * interrupted run and returns at once if NAME.result exists for the same
 * plan. */
msp_status msp_spec_job_run(const msp_expconf *conf, const msp_spec_plan *plan, int job,
                            const msp_dataset *train, const msp_dataset *val,
                            const msp_dataset *test, const msp_spec_job_opts *o, msp_err *err);
/* "<output>/family/NAME.result", owned by the caller. */
char *msp_spec_job_result_path(const msp_expconf *conf, const msp_spec_plan *plan, int job);
/* Is the job's result present and made from this plan? */
int msp_spec_job_done(const msp_expconf *conf, const msp_spec_plan *plan, int job);

/* ---- jobs on Slurm (slurm.c) ---- */

/* What each job asks Slurm for, on top of the config's `slurm` group: a
 * NULL / 0 field keeps the config's value (cpus: then the config's
 * threads); sbatch_args come after the config's. */
typedef struct msp_slurm_opts {
    const char *partition, *time, *mem;
    int cpus;
    const char *const *sbatch_args;
    int n_sbatch_args;
    int wait; /* follow the jobs to their end */
} msp_slurm_opts;

/* The jobs in Slurm's hands, as <output>/slurm/submitted.conf records them. */
typedef struct msp_slurm_submission {
    char array[32];  /* the job array's id ("" when every job was done) */
    char family[32]; /* the job that writes the family manifest */
    int n_jobs;      /* array task N builds job N (msp_spec_job_name) */
    int jobs[MSP_CLUSTER_MAX_K + MSP_MAX_GENERALISTS];
    int followed;    /* an earlier submission was still queued or running:
                      * nothing new was submitted */
} msp_slurm_submission;

/* Hand the plan's jobs to Slurm: when an earlier submission is still queued
 * or running, follow it (with o->wait) and submit nothing; else submit the
 * jobs that are not done as one array, and a job that writes the manifest
 * once every task succeeded. in is what the family is built from: the
 * tasks refuse to run when it changes before they start. With o->wait,
 * returns when Slurm is done with them: MSP_OK when the family was
 * written, MSP_FAIL naming every job that did not finish (its state, exit
 * status and log). *sub gets the submission (n_jobs 0 and both ids "" when
 * the family was up to date and nothing was submitted). */
struct msp_stamp;
msp_status msp_spec_slurm(const msp_expconf *conf, const msp_spec_plan *plan,
                          const struct msp_stamp *in, msp_engine_kind engine,
                          const msp_slurm_opts *o, msp_slurm_submission *sub, msp_err *err);
/* "<output>/stamps/specialise-submitted.inputs": the inputs when the jobs
 * were handed out (to Slurm, or as a jobs file), which a job started with
 * --as-submitted must find. */
char *msp_spec_submitted_record_path(const msp_expconf *conf);

/* ---- the stage (run.c) ---- */

typedef struct msp_specialise_opts {
    const char *config;    /* set from the loaded config by msp_specialise */
    const char *jobs_file; /* write the pending jobs there and stop */
    int jobs;              /* parallel job processes (>= 1) */
    int job;               /* >= 0: run only this job (msp_spec_job_name) */
    int as_submitted;      /* refuse when the inputs differ from the submission's */
    const msp_slurm_opts *slurm; /* non-NULL: the jobs go to Slurm (msp_spec_slurm) */
    int verbose;
    msp_engine_kind engine;
} msp_specialise_opts;

/* What msp_specialise did, for the command to print; free with
 * msp_specialise_result_free (also after a failure). */
typedef struct msp_specialise_result {
    msp_family family; /* the manifest written (n_nets 0 when none was) */
    int jobs_written;  /* with jobs_file: the pending jobs written; else -1 */
    msp_slurm_submission slurm; /* with slurm: what is in Slurm's hands */
} msp_specialise_result;

/* `msprune specialise` on a loaded config: the plan, the jobs, the manifest
 * (a ladder config without a `specialise` section: base + ladder). When the
 * manifest is written, what it was built from is recorded at
 * msp_specialise_record_path. */
msp_status msp_specialise(const msp_expconf *conf, const msp_specialise_opts *o,
                          msp_specialise_result *out, msp_err *err);
void msp_specialise_result_free(msp_specialise_result *r);

/* What the family is built from: all the data, the specialise and evaluate
 * settings, the base's (and ladder's) cfg and weights by content. */
void msp_specialise_inputs(const msp_expconf *conf, struct msp_stamp *s);
/* "<output>/stamps/specialise.inputs". */
char *msp_specialise_record_path(const msp_expconf *conf);

#endif
