/* selector.h: the selector/ room: the model selector.
 *
 * The room's parts, each with its own contract:
 *  - features.h: cheap per-image features and their measured cost;
 *  - premodel.h: the premodels (cascade, knn, knn-chain, dtree, naive-bayes,
 *    logistic, gate-cnn), cross-validation, feature selection, the premodel
 *    file;
 *  - outcomes.h: per-input outcomes of a family, generic CSV tables;
 *  - label.h: labelling, greedy network choice, the oracle, the cost model
 *    and evaluation of a selector, the safety net.
 * This header adds the stages that tie them to an experiment:
 *  - family_run.c: run a family's networks over a dataset -> outcomes;
 *  - stage_premodel.c: the premodel stage (`msprune premodel CONFIG`):
 *    label the labelling images (outcomes cached in <output>/selector/),
 *    select features, train and cross-validate every premodel of the
 *    config, save them;
 *  - stage_evaluate.c: the selector's evaluation (`msprune evaluate CONFIG
 *    --selector | --oracle`): every single network, every premodel and the
 *    oracle on the test set, with every latency measured in the same run;
 *    summary.json + per-input.csv;
 *  - table.c: premodels from a CSV table (`msprune premodel --table`).
 * The commands themselves live in src/cli/.
 * Files: <output>/family.conf (from `msprune specialise`), and in
 * <output>/selector/: outcomes-label.csv, outcomes-test.csv,
 * premodel-<kind>.bin, premodels.json; <output>/summary.json and
 * <output>/per-input.csv.
 */
#ifndef MSP_SELECTOR_H
#define MSP_SELECTOR_H

#include "data/data.h"
#include "engine/engine.h"
#include "selector/features.h"
#include "selector/label.h"
#include "selector/outcomes.h"
#include "selector/premodel.h"
#include "specialise/specialise.h"
#include "base/base.h"

/* Everything in conf that a later stage would refuse (premodel kinds,
 * pruning criterion, feature groups, class names and data shape against
 * the base network), with the config's file and line. */
msp_status msp_conf_check_stages(const msp_expconf *conf, msp_err *err);

/* Outcomes of every network of f (paths relative to dir) on d; latency and
 * FLOPs from the manifest. */
msp_status msp_family_outcomes(const msp_family *f, const char *dir, const msp_dataset *d,
                               msp_engine_kind engine, msp_outcomes *o, msp_err *err);

/* The parts of the family the ablation's cascades use: the generalists
 * and the specialists msprune derived, both (derived), the config's ladder
 * networks (ladder), every network (all). */
enum {
    MSP_SEL_ABL_GENERALISTS,
    MSP_SEL_ABL_SPECIALISTS,
    MSP_SEL_ABL_DERIVED,
    MSP_SEL_ABL_LADDER,
    MSP_SEL_ABL_ALL,
    MSP_SEL_ABL_N
};
/* "generalists", "specialists", "derived", "ladder", "all". */
const char *msp_sel_ablation_name(int part);

/* One premodel's selector as msp_selector_evaluate measured it. */
typedef struct msp_selector_pm_result {
    msp_premodel_kind kind;
    const msp_select_stats *s; /* under its safety net, by the cost model */
    const msp_safety *safety;  /* that safety net (a cascade's chain in it) */
    double premodel_ms;        /* its features and prediction, per input */
    double measured_ms;        /* mean of every input's own path, timed */
} msp_selector_pm_result;

/* What msp_selector_evaluate measured, valid during its on_result call. */
typedef struct msp_selector_result {
    const msp_outcomes *o;            /* the family's outcomes; o->latency_ms measured now */
    const msp_family *fam;
    const msp_select_stats *single;   /* each network alone, one per network */
    const msp_select_stats *oracle;
    const msp_selector_pm_result *pm; /* every trained premodel (none with oracle_only) */
    int n_pm, best;                   /* best: index into pm, -1 if none */
    /* The ablation: a cascade over each part of the family (part[k], as
     * msp_sel_ablation_name), by the cost model; n_ablation 0: none. */
    const msp_select_stats *ablation;
    const msp_safety *ablation_safety;
    const int *ablation_part;
    int n_ablation;
    double base_measured_ms, oracle_measured_ms; /* means of the timed paths */
} msp_selector_result;

/* One premodel as msp_selector_train trained it, valid during its
 * on_trained call. */
typedef struct msp_selector_trained {
    msp_premodel_kind kind;
    int n_features, folds;    /* features kept by feature selection; CV folds */
    double cv_mean, cv_std;   /* out-of-fold accuracy */
    const msp_safety *safety; /* the fallback thresholds chosen */
    const msp_outcomes *o;    /* the family's network names (o->names, o->m) */
    double seconds;           /* spent training it */
} msp_selector_trained;

typedef struct msp_selector_opts {
    /* evaluate: called once everything is measured and before the files
     * are written (the command prints the result); may be NULL. */
    void (*on_result)(const msp_expconf *conf, const msp_selector_result *r);
    /* premodel: called after each premodel is trained; may be NULL. */
    void (*on_trained)(const msp_selector_trained *t);
    msp_engine_kind engine;
    int oracle_only; /* evaluate: single networks and the oracle, no premodel */
    const char *latencies; /* premodel: a device profile (runtime/bundle.h) whose
                            * latencies replace the family's before labelling */
    int verbose;
} msp_selector_opts;

/* The premodel stage (see above). */
msp_status msp_selector_train(const msp_expconf *conf, const msp_selector_opts *o, msp_err *err);
/* The evaluation stage (see above); hands what it measured to
 * o->on_result. */
msp_status msp_selector_evaluate(const msp_expconf *conf, const msp_selector_opts *o,
                                 msp_err *err);

struct msp_stamp;
/* What the premodel stage reads: the training data (labelling images), the
 * selector settings, family.conf, and the device profile when one is given
 * (latencies, NULL if none). */
void msp_selector_train_inputs(const msp_expconf *conf, const char *latencies,
                               struct msp_stamp *s);
/* What the evaluation stage reads: the test data, the selector and evaluate
 * settings, family.conf and premodels.json. */
void msp_selector_evaluate_inputs(const msp_expconf *conf, struct msp_stamp *s);
/* "<output>/stamps/<stage>.inputs" for stage "premodel" or "selector": the
 * stages record what they were made from when they succeed. */
char *msp_selector_record_path(const msp_expconf *conf, const char *stage);

/* The safety net a premodel of this kind runs with, in evaluation and in a
 * deployed bundle alike: the config's, with the thresholds the premodel
 * stage tuned for the kind (premodels.json: one number, or one per network
 * of fam by name) when the config tunes the fallback. MSP_BAD_INPUT when a
 * network of fam has no recorded threshold. */
msp_status msp_sel_safety(const msp_expconf *conf, msp_premodel_kind kind,
                          const msp_family *fam, msp_safety *sn, msp_err *err);

#endif
