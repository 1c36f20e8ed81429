/* expconf.h: the experiment config (libconfig syntax, e.g. cfg/fashion.conf).
 *
 * msp_expconf_load parses the file and validates it against a fixed schema:
 * types, ranges, required keys, unknown keys (errors, with a "did you mean"
 * suggestion), and that every input file it names exists and is readable.
 * Output paths (output, base.weights) are not checked. Paths are used as
 * written: relative ones are relative to the current working directory.
 * With format "list", the base cfg is read for the images' shape (data.width,
 * height, channels default to its [net] values and must equal them if given)
 * and the names file for the class names (data.classes, if given, must have
 * as many; if not, it is filled from the file).
 *
 * Errors: MSP_BAD_INPUT with "FILE:LINE: message" for anything wrong in the
 * file (the line of the offending setting; for a missing key, the line of its
 * group, or 1 at the top level), "FILE: message" for a file that cannot be
 * read. The first error found wins.
 *
 * Limits: the file is at most 1 MiB and must be text (no NUL bytes);
 * @include is refused so that every setting comes from the named file;
 * integers without an L suffix must fit in 32 bits (libconfig 1.5 would
 * silently wrap them), with L in 64 bits.
 */
#ifndef MSP_EXPCONF_H
#define MSP_EXPCONF_H

#include <stdint.h>

#include "base/base.h"

typedef enum msp_data_format {
    MSP_DATA_IDX = 0, /* four IDX files (MNIST layout), optionally gzipped */
    MSP_DATA_LIST = 1 /* Darknet image lists + names file */
} msp_data_format;

#define MSP_EXPCONF_NAME_MAX 64
#define MSP_EXPCONF_CLASSES_MAX 10000

#define MSP_EXPCONF_LADDER_MAX 16
#define MSP_MAX_GENERALISTS 8

/* An off-the-shelf network of the experiment (`ladder = ( {...}, ... );`):
 * trained like the base by `msprune train` and selected among like a
 * specialist. */
typedef struct msp_ladder_net {
    char *name;          /* [A-Za-z0-9._-], unique, not "base" */
    char *cfg, *weights; /* cfg exists; weights are written by training */
    int epochs;          /* default: base.epochs */
    int line;            /* of the entry, for messages */
} msp_ladder_net;

/* Every string and array is owned by the struct; msp_expconf_free frees them.
 * Optional strings that are absent are NULL. */
typedef struct msp_expconf {
    char *path;   /* the config file as given to msp_expconf_load */
    char *name;   /* 1..64 of [A-Za-z0-9._-], not "." or ".." */
    char *output; /* default "results/<name>" */
    uint64_t seed;
    int threads;
    struct {
        msp_data_format format;
        /* format idx (else NULL) */
        char *train_images, *train_labels, *test_images, *test_labels;
        /* format list (else NULL / 0) */
        char *train_list, *test_list, *names;
        /* The network's input, from the base cfg's [net] unless given (then
         * equal to it); the lines are 0 when not given. */
        int width, height, channels;
        int width_line, height_line, channels_line;
        int resize; /* images of another size or colour are resized, not refused */
        /* Class names: data.classes, or with format list and no data.classes,
         * the names file's (classes_line 0). NULL / 0 for IDX without it. */
        char **classes;
        int n_classes, classes_line;
        double validation; /* fraction of the training split held out, [0, 0.9] */
        int train_limit, test_limit; /* 0 = all */
    } data;
    struct {
        char *cfg;     /* input, exists */
        char *weights; /* written by training, read by evaluation */
        int cfg_line, weights_line; /* where they were set, for later messages */
        int epochs, batch;
    } base;
    struct {
        int latency_runs, warmup;
    } evaluate;
    /* Training images are moved by up to shift pixels in x and y (what moves
     * out is lost, what comes in is 0) and mirrored left-right with
     * probability 1/2 when flip; for every network msprune trains. */
    struct {
        int shift, flip;
    } augment;
    int n_ladder;
    msp_ladder_net ladder[MSP_EXPCONF_LADDER_MAX];
    /* The specialised family (specialise/specialise.h). Defaults apply when
     * the group is absent; present says whether it was given. */
    struct {
        int present;
        int clustering;       /* msp_cluster_method: 0 confusion, 1 features, 2 embedding */
        int k;                /* clusters; 0 = automatic, by silhouette over [k_min, k_max] */
        int k_min, k_max;
        char *criterion;      /* prune/prune.h criterion name; NULL = "taylor" */
        int criterion_line;
        double target_flops;  /* each specialist's FLOPs as a fraction of the base's */
        int allocation;       /* 0 uniform, 1 global (msp_prune_alloc) */
        int min_channels;
        int protect_first;    /* the first conv layer keeps all its filters */
        int steps;            /* prune + fine-tune steps to reach the budget */
        int finetune_epochs;
        double finetune_lr;   /* 0: 0.2 x the cfg's learning_rate */
        int other;            /* class-group specialists get an "other" output */
        double other_share;   /* out-of-cluster training images, as a fraction of in-cluster */
        double distill;       /* weight of the base's soft targets in fine-tuning; 0 = off */
        double distill_temperature;
        /* Generalists: the base pruned to each of these FLOPs shares, all classes. */
        double generalists[MSP_MAX_GENERALISTS];
        int n_generalists;
        int specialists;      /* build the per-cluster specialists (default true) */
    } specialise;
    /* The model selector (selector/selector.h). */
    struct {
        int metric;           /* 0 top1, 1 top5 */
        char *features;       /* feature groups, "all" or "brightness,edges,..." */
        int features_line;
        int feature_selection;
        char **premodels;     /* kinds to train and compare; default all implemented */
        int n_premodels, premodels_line;
        int k, max_depth, min_leaf, epochs; /* premodel parameters */
        double l2, lr;
        int gate_epochs, gate_batch; /* gate-cnn premodel */
        double gate_lr;
        int label_images;     /* labelling inputs drawn from the validation split; 0 = all */
        int label_images_line; /* 0: not set (the default is not worth a warning) */
        int cv_folds;
        double min_gain;      /* > 0: greedy choice of networks, stopping under this gain; 0: all */
        int fallback;         /* safety net: run the base when a specialist says other */
        double min_confidence, min_prob;
        int tune_fallback;    /* choose min_prob per premodel on the labelling images */
        int fallback_per_network; /* ... one per chosen network */
        double fallback_tolerance; /* ... keeping top-1 there within this of the base's */
        int cascade_stages;   /* the cascade premodel's longest chain before the base */
    } selector;
    /* What each job of `msprune specialise --slurm` asks Slurm for; NULL / 0
     * leave it to Slurm's defaults (cpus 0: the config's threads). */
    struct {
        char *partition, *time, *mem;
        int cpus;
        char **sbatch_args; /* more sbatch options, each starting with '-' */
        int n_sbatch_args;
    } slurm;
} msp_expconf;

/* Slurm's syntax, for the config's `slurm` group and the command line:
 * NULL when v is one, else what is wrong with it.
 *   time limit: minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or "UNLIMITED"
 *   memory: a whole number with an optional K, M, G or T ("4G")
 *   partition: names of [A-Za-z0-9._-], comma-separated
 *   an sbatch option: starts with '-', and is none of those msprune sets
 *   itself (--array, --dependency, --output, --error, --chdir, --wrap,
 *   --parsable, --open-mode, --kill-on-invalid-dep) */
const char *msp_slurm_time_problem(const char *v);
const char *msp_slurm_mem_problem(const char *v);
const char *msp_slurm_partition_problem(const char *v);
const char *msp_slurm_sbatch_arg_problem(const char *v);

/* Load and validate path into *conf. On any error *conf is left zeroed and
 * err says what is wrong and where. */
msp_status msp_expconf_load(const char *path, msp_expconf *conf, msp_err *err);

/* Free everything conf owns and zero it; safe on a zeroed struct. */
void msp_expconf_free(msp_expconf *conf);

struct msp_stamp;
/* Append every setting of config group `group` ("data", "base", "evaluate",
 * "specialise", "selector") to a stamp as "group.key" = its value after
 * defaults, so that a changed setting names itself. data.classes (display
 * names, which change no result) is left out. */
void msp_expconf_stamp(const msp_expconf *conf, const char *group, struct msp_stamp *s);
/* The same for one ladder network ("ladder.NAME.key"). */
void msp_expconf_stamp_ladder(const msp_ladder_net *n, struct msp_stamp *s);
/* The augment group, only when it augments: the records of runs without
 * augmentation stay valid. */
void msp_expconf_stamp_augment(const msp_expconf *conf, struct msp_stamp *s);

#endif
