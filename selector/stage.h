/* stage.h: helpers shared by the selector's stages (stage_*.c); internal to
 * the selector/ room. */
#ifndef MSP_SELECTOR_STAGE_H
#define MSP_SELECTOR_STAGE_H

#include <stdio.h>

#include "selector/selector.h"

/* Record in the stage's record (msp_selector_record_path) what it made its
 * outputs from. */
msp_status msp_sel_record(const msp_expconf *conf, const char *stage, const struct msp_stamp *in,
                          msp_err *err);

/* "<output>/selector/<leaf>" (leaf NULL: the folder), owned by the caller. */
char *msp_sel_path(const msp_expconf *conf, const char *leaf);
/* <output>/family.conf, checked; a missing one says which command makes it. */
msp_status msp_sel_family(const msp_expconf *conf, msp_family *f, msp_err *err);
/* Outcomes of the family on d, from <output>/selector/<leaf> when that file
 * is newer than the manifest and fits (same networks, same inputs), else
 * computed and saved there. */
msp_status msp_sel_outcomes(const msp_expconf *conf, const msp_family *f, const msp_dataset *d,
                            msp_engine_kind engine, const char *leaf, msp_outcomes *o,
                            msp_err *err);
/* The config's feature groups (default: all). */
msp_status msp_sel_fset(const msp_expconf *conf, msp_fset *set, msp_err *err);
/* The premodel parameters of the config. */
void msp_sel_params(const msp_expconf *conf, msp_premodel_params *p);
/* The config's safety net, before any tuning (the base is the fallback). */
msp_safety msp_sel_config_safety(const msp_expconf *conf);
/* Rule 3's thresholds as premodels.json and summary.json hold them: one
 * number when networks 0..m-1 share it, else {"name": threshold, ...}. */
void msp_sel_json_min_prob(FILE *f, const msp_safety *sn, char *const *names, int m);
/* ', "chain": [names]' when sn has a chain, else nothing. */
void msp_sel_json_chain(FILE *f, const msp_safety *sn, char *const *names);
/* The ablation: cascades (msp_choice_tune_chain) restricted to a part of
 * the family, tuned on the labelling images by the premodel stage
 * (premodels.json "ablation") and measured on the test set by evaluate
 * (summary.json "ablation"), so that each part shows what it earns. */
/* use[j] (room for fam->n_nets): network j belongs to the part (selector.h):
 * ladder networks are the config's, specialists have a cluster,
 * generalists are the other networks but the base (network 0, the
 * fallback, in no part). Returns how many are used. */
int msp_sel_ablation_use(const msp_expconf *conf, const msp_family *fam, int part, uint8_t *use);
/* The parts worth comparing, in enum order, into parts (room for
 * MSP_SEL_ABL_N); their count, 0 when the family has only one kind of
 * network: generalists and specialists when it has both, derived and
 * ladder when it has both, and then all. */
int msp_sel_ablation_parts(const msp_expconf *conf, const msp_family *fam, int *parts);
/* The ablation's safety nets as premodels.json recorded them, sn[part] for
 * each part (n_chain = 0: none recorded). MSP_BAD_INPUT on a malformed
 * entry. */
msp_status msp_sel_ablation_load(const msp_expconf *conf, const msp_family *fam,
                                 msp_safety sn[MSP_SEL_ABL_N], msp_err *err);
/* A number the premodel stage recorded for a kind in
 * <output>/selector/premodels.json (cv_accuracy, min_prob), NAN when unknown. */
double msp_sel_recorded(const msp_expconf *conf, msp_premodel_kind kind, const char *key);
/* Every implemented premodel kind into kinds (room for 16); the count. */
int msp_sel_default_kinds(msp_premodel_kind *kinds);
/* The config's premodel kinds (default: every implemented kind): *kinds
 * owned by the caller. */
msp_status msp_sel_kinds(const msp_expconf *conf, msp_premodel_kind **kinds, int *n,
                         msp_err *err);

/* One strategy whose per-input path msp_sel_time_paths times: its premodel
 * (NULL for the oracle: no premodel runs), the feature sets the premodel
 * reads (all) and computes (used), the network chosen for each input and
 * the route each input took (msp_route and hops of msp_choice_eval; NULL:
 * the chosen network only). */
typedef struct msp_sel_timed {
    const msp_premodel *pm;
    msp_fset all, used;
    const int *chosen;    /* d->n */
    const uint8_t *route, *hops; /* d->n each, or NULL */
    const msp_safety *safety;    /* where inputs were handed on; needed with route */
} msp_sel_timed;

/* Every input of d timed at batch 1 along each strategy's path (family
 * networks loaded from dir), and the reference network alone: ms[k * d->n + i] and ref_ms[i],
 * in milliseconds, after `warmup` untimed passes. */
msp_status msp_sel_time_paths(const msp_family *fam, const char *dir, msp_engine_kind engine,
                              const msp_dataset *d, int reference, const msp_sel_timed *t, int n_t, int warmup, double *ref_ms,
                              double *ms, msp_err *err);

#endif
