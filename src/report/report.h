/* report.h: `msprune report`: one experiment's results as report.html (self-
 * contained: inline CSS and SVG drawn by src/report/svg.h, no JavaScript, no external
 * URLs) and report.md (for terminals).
 *
 * Inputs, all in the experiment's output folder and all optional:
 *   summary.json   family, selector per premodel, oracle (msprune premodel)
 *   per-input.csv  per-input chosen network and latency (msprune premodel)
 *   eval-base.json base net's per-class metrics and confusion (msprune evaluate)
 *   clusters.json  the clustering (msprune specialise)
 *   train.json     the base's training curve (msprune train), and
 *                  ladder/NAME/train.json for the config's other networks
 * and the experiment config itself, for the settings that made the results.
 * A missing file leaves its sections out with a note naming the command that
 * makes it; a malformed one is MSP_BAD_INPUT "FILE:LINE: message". Fields
 * that older runs did not write (fallback counts, measured latencies) are
 * optional: missing means unknown, and the report says so.
 *
 * Limits: at most MSP_REPORT_MAX_NETS networks, MSP_REPORT_MAX_PREMODELS
 * premodels, MSP_REPORT_MAX_ROWS per-input rows; heat maps are drawn up to
 * MSP_REPORT_MAX_HEAT rows (larger matrices are only summarised).
 */
#ifndef MSP_REPORT_H
#define MSP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "svg.h"

#define MSP_REPORT_MAX_NETS 256
#define MSP_REPORT_MAX_PREMODELS 64
#define MSP_REPORT_MAX_CLASSES 10000
#define MSP_REPORT_MAX_ROWS 10000000
#define MSP_REPORT_MAX_HEAT 40

typedef struct msp_report_net {
    char *name, *cfg;
    double top1, top5, latency_ms, flops, params;
    int cluster;                                  /* -1: base or ladder network; >= 0: a
                                                   * specialist, whose top1 over the whole
                                                   * test set means little */
    double in_cluster_top1, base_in_cluster_top1; /* NAN when null */
    double measured_ms; /* mean of the per-input timings (the reference only); NAN unknown */
} msp_report_net;

/* The selector driven by one premodel, or the oracle (name "oracle"). */
typedef struct msp_report_strategy {
    char *name;
    double top1, top5, mean_latency_ms;
    double premodel_accuracy, premodel_ms, cv_accuracy; /* NAN for the oracle */
    int64_t *chosen;    /* n_nets counts: how often each network is picked */
    int64_t *confusion; /* n_nets x n_nets, rows = oracle label, cols = choice; NULL for the oracle */
    double measured_ms; /* mean of the per-input timed paths; NAN unknown */
    /* Inputs answered by the fallback (the base): all of them, those that ran
     * the chosen network first ('other' answer, low probability) and those
     * the premodel sent straight to it. -1 = unknown (older summary.json). */
    int64_t fallbacks, fell_other, fell_prob, fell_unsure;
    char *chain; /* a cascade's chain before the base, "a > b"; NULL: none */
} msp_report_strategy;

/* One network's training curve (train.json): per epoch, NAN where not recorded. */
typedef struct msp_report_curve {
    char *name;
    int n;
    double *loss, *val_top1;
} msp_report_curve;

#define MSP_REPORT_MAX_EPOCHS 100000
#define MSP_REPORT_MAX_CURVES 17 /* the base and MSP_EXPCONF_LADDER_MAX ladder networks */

/* Everything read; every pointer is owned, msp_report_free releases it. */
typedef struct msp_report {
    char *experiment, *config; /* for titles and "run msprune ... CONFIG" notes */
    char *dir;                 /* the folder read */

    int have_summary;
    char *reference;
    int64_t test_inputs;
    msp_report_net *nets;
    int n_nets;
    msp_report_strategy *premodels;
    int n_premodels;
    /* The cascade over each part of the family (summary.json "ablation", at
     * most 5): name = the part, with top-1, top-5, mean latency and chain. */
    msp_report_strategy *ablation;
    int n_ablation;
    int best; /* index of summary.selector.premodel in premodels, -1 if absent */
    double speedup_vs_base, speedup_vs_best;
    msp_report_strategy oracle;

    int have_eval;
    int n_classes;
    char **class_names;
    double *precision, *recall, *f1;
    int64_t *support, *class_confusion; /* n_classes x n_classes, rows = true class */
    double base_top1, base_top5, base_latency_ms;

    int have_clusters;
    char *cluster_method;
    int k, cluster_width;   /* clusters, classes per row of cluster_class */
    int cluster_counts;     /* 1: cluster_class holds counts; 0: membership (0/1) */
    int64_t *cluster_sizes; /* k */
    int64_t *cluster_class; /* k x cluster_width */

    int have_inputs;
    size_t n_rows;
    int n_cols;        /* latency columns: 0 = oracle, then one per premodel */
    char **col_names;  /* "oracle", premodel names */
    double *ms;        /* n_cols x n_rows, column after column */
    int measured;      /* summary.json says the per-input times were measured
                        * (else they are per-network mean latencies added up) */

    int n_curves;      /* training curves found: the base first */
    msp_report_curve *curves;

    int have_settings; /* the config could be read */
    char *settings_error; /* else why not */
    int config_newer;  /* ... and changed after summary.json was written */
    int n_settings;
    char **setting_keys, **setting_values; /* "selector.premodels", "logistic, knn" */
} msp_report;

/* Read whatever exists in dir. experiment and config name the experiment in
 * the output. On failure *r is zeroed and err says which file and line. */
msp_status msp_report_load(const char *dir, const char *experiment, const char *config,
                           msp_report *r, msp_err *err);
void msp_report_free(msp_report *r);

/* on_front[i] = 1 when no other point is at most as costly and at least as
 * accurate, and strictly better in one of the two (equal points are both on
 * the front). Points with a non-finite coordinate are never on it. */
void msp_report_pareto(const double *cost, const double *acc, int n, int *on_front);

/* Wording shared with the terminal summaries (buf always NUL-terminated):
 *   speed:   "2.40x faster than REF", "1.04x slower than REF", "as fast as
 *            REF" when the ratio prints as 1.00 either way (without " than
 *            REF" / " as REF" when ref is NULL or ""); "-" for a
 *            non-positive or non-finite time;
 *   points:  a difference of fractions in points, "+0.10 pt", "-1.3 pt",
 *            "0.0 pt" (never "-0.0");
 *   saving:  the selector's saving over the reference as a share of the
 *            oracle's: "88% of the oracle's saving", "none of the oracle's
 *            saving" (no faster than the reference), "the oracle saves no
 *            time";
 *   headline: "selector NAME: SPEED than the base, top-1 POINTS, SAVING"
 *            (and how many inputs fell back, when known). */
void msp_report_speed_text(double ms, double ref_ms, const char *ref, char *buf, size_t size);
void msp_report_points_text(double diff, int decimals, char *buf, size_t size);
void msp_report_saving_text(double ms, double ref_ms, double oracle_ms, char *buf, size_t size);
void msp_report_headline_text(const msp_report *r, char *buf, size_t size);
/* The reference network of the summary, or NULL. */
const msp_report_net *msp_report_reference(const msp_report *r);

/* Render into a text buffer (appended). */
void msp_report_html(const msp_report *r, msp_svg *out);
void msp_report_md(const msp_report *r, msp_svg *out);

/* Load from in_dir, write out_dir/report.html and out_dir/report.md
 * atomically (out_dir is created). */
msp_status msp_report_write(const char *in_dir, const char *out_dir, const char *experiment,
                            const char *config, msp_err *err);

#endif
