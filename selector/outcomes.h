/* outcomes.h: the selector/ room's data files: per-input outcomes of a
 * family of networks (what every network answered on every labelling input)
 * and generic per-input tables (features, per-model score and time) for
 * domains msprune does not run itself. Labelling, the oracle, evaluation and
 * greedy network selection over either live in selector/label.h.
 *
 * Conventions (as the other rooms): functions that can fail return
 * msp_status (MSP_OK; MSP_BAD_INPUT for bad data or arguments, with
 * "file:line: message" for files; MSP_FAIL for I/O) and fill err; on failure
 * outputs are left zeroed (free functions are safe on them). Structs own
 * their arrays; free with the matching _free. Counts are bounded before any
 * allocation (limits below). Files are written atomically (src/base/atomicio.h).
 *
 * ---- The outcomes file (msp_outcomes_save / _load), version 1 ----
 * A CSV with a short '#' header section (pandas: read_csv(comment='#')):
 *
 *   # msprune outcomes 1
 *   # classes 10
 *   # network base latency_ms=12.5 flops=2450000
 *   # network spec0 latency_ms=3.25 flops=610000
 *   id,truth,base.pred,base.prob,base.top1,base.top5,spec0.pred,spec0.prob,spec0.top1,spec0.top5
 *   0,3,3,0.91,1,1,-1,0.88,0,0
 *
 * Line 1 is the magic and version, line 2 the number of classes of the BASE
 * class space, then one line per network in family order (name, measured
 * mean latency in ms, FLOPs; both finite and >= 0), then the column header,
 * which must name exactly these columns in this order, then one row per
 * input: id (an integer >= 0, unique: the input's index in its dataset),
 * truth (class in [0, classes)), and per network: pred (the predicted class
 * in the base class space, a specialist's answer mapped through its class
 * map; -1 when it answered 'other'), prob (its top-1 probability, in
 * [0, 1]), top1 and top5 (0 or 1; top1 must equal pred == truth and a top-1
 * hit must be a top-5 hit). Network names are 1 to MSP_OUTCOMES_MAX_NAME
 * characters of [A-Za-z0-9_-] and unique. Numbers are written so that a
 * save -> load round trip is exact (%.17g doubles, %.9g floats).
 *
 * ---- The generic table (msp_table_load), for `msprune premodel --table` ----
 * A plain CSV: a header row, then rows of numbers. Columns, in any order:
 *   id            optional, an integer (any sign), kept as is;
 *   f.NAME        a feature (at least one);
 *   score.MODEL   the quality of MODEL's output on the row's input (higher
 *                 is better; e.g. per-sentence BLEU);
 *   time.MODEL    MODEL's cost on the row's input (ms, >= 0);
 * every model has both a score and a time column (at least one model).
 * Models are numbered in the order of their score.* columns, features in
 * column order. NAMEs are non-empty; every value must be finite.
 */
#ifndef MSP_SELECTOR_OUTCOMES_H
#define MSP_SELECTOR_OUTCOMES_H

#include <stdint.h>

#include "base/base.h"

#define MSP_OUTCOMES_VERSION 1
#define MSP_OUTCOMES_MAX_NETS 256
#define MSP_OUTCOMES_MAX_NAME 64
#define MSP_OUTCOMES_MAX_CLASSES 100000
#define MSP_OUTCOMES_MAX_INPUTS 10000000
#define MSP_OUTCOMES_MAX_CELLS (1LL << 27) /* inputs x networks */
#define MSP_TABLE_MAX_FEATURES 4096
#define MSP_TABLE_MAX_NAME 256

/* What m networks answered on n inputs. Arrays indexed [i * m + j] are
 * input i, network j. */
typedef struct msp_outcomes {
    int n;          /* inputs */
    int m;          /* networks */
    int n_classes;  /* of the base class space */
    char **names;   /* m network names */
    double *latency_ms; /* m: measured mean latency of one input (batch 1) */
    double *flops;      /* m */
    int64_t *id;    /* n: the input's index in its dataset */
    int *truth;     /* n: true class */
    int *pred;      /* n*m: predicted base class, -1 = 'other' */
    float *prob;    /* n*m: top-1 probability */
    uint8_t *top1;  /* n*m: 1 if pred == truth */
    uint8_t *top5;  /* n*m: 1 if truth is among the 5 best (implied by top1) */
} msp_outcomes;

/* Allocate an outcomes struct for n inputs and m networks: every array
 * zeroed, names NULL (the caller fills them with msp_strdup), ids 0..n-1.
 * MSP_BAD_INPUT if n, m or n_classes are outside their limits. */
msp_status msp_outcomes_init(msp_outcomes *o, int n, int m, int n_classes, msp_err *err);
void msp_outcomes_free(msp_outcomes *o);

/* Everything the file format promises (sizes, names, ranges, consistency);
 * the first problem as "outcomes: ..." (input / network named). */
msp_status msp_outcomes_check(const msp_outcomes *o, msp_err *err);

/* Check, then write atomically. */
msp_status msp_outcomes_save(const char *path, const msp_outcomes *o, msp_err *err);
/* Read and check the whole file; errors name the file and line. */
msp_status msp_outcomes_load(const char *path, msp_outcomes *o, msp_err *err);

/* Index of the network called name, or -1. */
int msp_outcomes_find(const msp_outcomes *o, const char *name);

/* A generic table: n inputs, d features, m models. */
typedef struct msp_table {
    int n, d, m;
    char **feature_names; /* d, without the "f." prefix */
    char **model_names;   /* m, without "score." / "time." */
    int64_t *id;          /* n, or NULL when the file has no id column */
    float *features;      /* n*d, [i * d + k] */
    double *score;        /* n*m, [i * m + j] */
    double *time_ms;      /* n*m, [i * m + j] */
} msp_table;

msp_status msp_table_load(const char *path, msp_table *t, msp_err *err);
void msp_table_free(msp_table *t);

#endif
