/* stage_evaluate.c: `msprune evaluate CONFIG --selector | --oracle`: every
 * single network of the family, the selector with every trained premodel,
 * and the oracle, on the test set, in one run on this machine.
 *
 * Cost per input (label.h's cost model): the premodel's own cost (its
 * features, computed for the feature groups it uses, plus its prediction:
 * the median per-image time over the test set, timed in chunks of 16
 * images) + the chosen network's batch-1 latency (+ the base's when the
 * safety net falls back). Network latencies are re-measured here, side by
 * side (msp_family_latency), so every number of one summary
 * comes from the same machine state.
 *
 * Measured per input: every test input's actual path (premodel, chosen
 * network, fallback) is also timed at batch 1 (stage_timing.c), together
 * with the base alone; per-input.csv holds these times and summary.json
 * their means ("measured_mean_ms"), beside the cost model's means. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "train/train.h"
#include "data/data.h"
#include "report/report.h"
#include "selector/stage.h"

#define CHUNK 16

typedef struct pm_result {
    msp_premodel_kind kind;
    msp_safety safety; /* with the threshold tuned by the premodel stage */
    msp_select_stats s;
    double premodel_ms, cv_accuracy;
    int *chosen;
    msp_premodel *pm;  /* kept loaded for the timed pass */
    msp_fset set;      /* the feature set it reads */
    double measured_ms; /* mean of the timed per-input paths */
} pm_result;

/* The ablation's cascades (stage.h), measured by the cost model. */
typedef struct ablation {
    msp_safety sn[MSP_SEL_ABL_N];
    msp_select_stats s[MSP_SEL_ABL_N];
    int part[MSP_SEL_ABL_N], n; /* the parts measured, in enum order */
} ablation;

/* Predict every test image, timing features + prediction per chunk. */
static msp_status run_premodel(const msp_premodel *pm, msp_fset all, const msp_dataset *d,
                               int *chosen, float *conf_out, double *ms, msp_err *err)
{
    msp_fset used = msp_premodel_groups(pm, all);
    size_t scratch_n = msp_features_scratch_size(used, d->c, d->h, d->w);
    void *scratch = msp_malloc(scratch_n + 1);
    int dim_all = msp_features_dim(all), dim_used = msp_features_dim(used);
    float *full = msp_calloc((size_t)dim_all + 1, sizeof(float));
    float *part = msp_malloc(sizeof(float) * ((size_t)dim_used + 1));
    int n_chunks = (d->n + CHUNK - 1) / CHUNK;
    double *t = msp_malloc(sizeof(double) * ((size_t)n_chunks + 1));
    size_t in = msp_dataset_example_size(d);
    msp_status st = MSP_OK;
    for (int c = 0; c < n_chunks && st == MSP_OK; c++) {
        int lo = c * CHUNK, hi = lo + CHUNK < d->n ? lo + CHUNK : d->n;
        double t0 = msp_now();
        for (int i = lo; i < hi && st == MSP_OK; i++) {
            st = msp_features_compute(used, d->x + (size_t)i * in, d->c, d->h, d->w, part, scratch,
                                      scratch_n, err);
            msp_features_scatter(all, used, part, full);
            double cf;
            chosen[i] = msp_premodel_predict(pm, full, &cf);
            conf_out[i] = (float)cf;
        }
        t[c] = (msp_now() - t0) * 1e3 / (hi - lo);
    }
    *ms = msp_median(t, n_chunks);
    free(t);
    free(part);
    free(full);
    free(scratch);
    return st;
}

static const char *net_name(const msp_outcomes *o, int j)
{
    return j >= 0 && j < o->m ? o->names[j] : "?";
}

static void json_stats(FILE *f, const msp_select_stats *s)
{
    fprintf(f, "\"top1\": ");
    msp_json_number(f, s->score);
    fprintf(f, ", \"top5\": ");
    msp_json_number(f, s->top5);
    fprintf(f, ", \"mean_latency_ms\": ");
    msp_json_number(f, s->mean_ms);
}

static void json_counts(FILE *f, const char *key, const int64_t *v, int m)
{
    fprintf(f, ", \"%s\": [", key);
    for (int j = 0; j < m; j++) fprintf(f, "%s%lld", j ? ", " : "", (long long)v[j]);
    fprintf(f, "]");
}

/* The per-input times of the timed pass: the oracle, then each premodel
 * (the per-input.csv's columns), and the base alone. */
typedef struct timings {
    double *ms;       /* (1 + n_r) x n, strategy after strategy */
    double *base_ms;  /* n */
    double oracle_mean, base_mean;
} timings;

static double mean(const double *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return n > 0 ? s / n : NAN;
}

static msp_status write_summary(const msp_expconf *conf, const msp_family *fam,
                                const msp_outcomes *o, const msp_select_stats *single,
                                const msp_select_stats *oracle, const pm_result *r, int n_r,
                                int best, const timings *tm, const ablation *ab, msp_err *err)
{
    char *path = msp_strcat3(conf->output, "/", "summary.json");
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    free(path);
    if (st != MSP_OK) return st;
    FILE *f = a.f;
    int most = 0;
    for (int j = 1; j < o->m; j++)
        if (single[j].score > single[most].score) most = j;
    fprintf(f, "{\n  \"experiment\": ");
    msp_json_string(f, conf->name);
    fprintf(f, ",\n  \"reference\": \"base\",\n  \"most_accurate\": ");
    msp_json_string(f, o->names[most]);
    fprintf(f, ",\n  \"test_inputs\": %d,\n  \"per_input_ms\": \"measured\",\n  \"networks\": [", o->n);
    for (int j = 0; j < o->m; j++) {
        const msp_family_net *n = &fam->nets[j];
        fprintf(f, "%s\n    {\"name\": ", j ? "," : "");
        msp_json_string(f, o->names[j]);
        fprintf(f, ", \"cfg\": ");
        msp_json_string(f, n->cfg);
        fprintf(f, ", \"top1\": ");
        msp_json_number(f, single[j].score);
        fprintf(f, ", \"top5\": ");
        msp_json_number(f, single[j].top5);
        fprintf(f, ", \"latency_ms\": ");
        msp_json_number(f, o->latency_ms[j]);
        fprintf(f, ", \"flops\": %lld, \"params\": %lld, \"cluster\": %d, \"in_cluster_top1\": ",
                (long long)n->flops, (long long)n->params, n->cluster);
        msp_json_number(f, n->test_in_cluster);
        fprintf(f, ", \"base_in_cluster_top1\": ");
        msp_json_number(f, n->base_test_in_cluster);
        fprintf(f, ", \"measured_mean_ms\": ");
        if (j == 0) msp_json_number(f, tm->base_mean);
        else fprintf(f, "null");
        fprintf(f, "}");
    }
    fprintf(f, "\n  ],\n  \"selector\": ");
    if (best >= 0) {
        const pm_result *b = &r[best];
        fprintf(f, "{\"premodel\": \"%s\", ", msp_premodel_kind_name(b->kind));
        json_stats(f, &b->s);
        fprintf(f, ", \"premodel_accuracy\": ");
        msp_json_number(f, b->s.premodel_acc);
        fprintf(f, ", \"premodel_ms\": ");
        msp_json_number(f, b->premodel_ms);
        fprintf(f, ", \"speedup_vs_base\": ");
        msp_json_number(f, o->latency_ms[0] / b->s.mean_ms);
        fprintf(f, ", \"speedup_vs_best\": ");
        msp_json_number(f, o->latency_ms[most] / b->s.mean_ms);
        fprintf(f, "}");
    } else {
        fprintf(f, "null");
    }
    fprintf(f, ",\n  \"premodels\": [");
    for (int i = 0; i < n_r; i++) {
        const pm_result *p = &r[i];
        fprintf(f, "%s\n    {\"premodel\": \"%s\", ", i ? "," : "", msp_premodel_kind_name(p->kind));
        json_stats(f, &p->s);
        fprintf(f, ", \"premodel_accuracy\": ");
        msp_json_number(f, p->s.premodel_acc);
        fprintf(f, ", \"premodel_ms\": ");
        msp_json_number(f, p->premodel_ms);
        fprintf(f, ", \"cv_accuracy\": ");
        msp_json_number(f, p->cv_accuracy);
        fprintf(f, ", \"min_prob\": ");
        msp_sel_json_min_prob(f, &p->safety, o->names, o->m);
        msp_sel_json_chain(f, &p->safety, o->names);
        if (p->safety.n_chain > 1) fprintf(f, ", \"escalated\": %lld", (long long)p->s.escalated);
        fprintf(f, ", \"measured_mean_ms\": ");
        msp_json_number(f, p->measured_ms);
        fprintf(f, ", \"fallbacks\": %lld, \"fallback_other\": %lld, \"fallback_prob\": %lld, "
                   "\"fallback_unsure\": %lld",
                (long long)p->s.fallbacks, (long long)p->s.fell_other, (long long)p->s.fell_prob,
                (long long)p->s.fell_unsure);
        json_counts(f, "chosen", p->s.chosen, o->m);
        json_counts(f, "answered", p->s.answered, o->m);
        fprintf(f, ", \"confusion\": [");
        for (int l = 0; l < o->m; l++) {
            fprintf(f, "%s[", l ? ", " : "");
            for (int j = 0; j < o->m; j++)
                fprintf(f, "%s%lld", j ? ", " : "", (long long)p->s.confusion[(size_t)l * o->m + j]);
            fprintf(f, "]");
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ],\n  \"oracle\": {");
    json_stats(f, oracle);
    fprintf(f, ", \"measured_mean_ms\": ");
    msp_json_number(f, tm->oracle_mean);
    json_counts(f, "chosen", oracle->chosen, o->m);
    fprintf(f, "}");
    if (ab->n) fprintf(f, ",\n  \"ablation\": [");
    for (int k = 0; k < ab->n; k++) {
        fprintf(f, "%s\n    {\"networks\": \"%s\", ", k ? "," : "",
                msp_sel_ablation_name(ab->part[k]));
        json_stats(f, &ab->s[k]);
        msp_sel_json_chain(f, &ab->sn[k], o->names);
        json_counts(f, "answered", ab->s[k].answered, o->m);
        fprintf(f, "}");
    }
    fprintf(f, "%s\n}\n", ab->n ? "\n  ]" : "");
    return msp_atomic_commit(&a, err);
}

static msp_status write_per_input(const msp_expconf *conf, const msp_outcomes *o,
                                  const int *label, const pm_result *r, int n_r, const timings *tm,
                                  msp_err *err)
{
    char *path = msp_strcat3(conf->output, "/", "per-input.csv");
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    free(path);
    if (st != MSP_OK) return st;
    fprintf(a.f, "input,class,oracle,oracle_ms");
    for (int k = 0; k < n_r; k++)
        fprintf(a.f, ",%s,%s_ms", msp_premodel_kind_name(r[k].kind), msp_premodel_kind_name(r[k].kind));
    fprintf(a.f, "\n");
    for (int i = 0; i < o->n; i++) {
        fprintf(a.f, "%lld,%d,%s,%.6f", (long long)o->id[i], o->truth[i], net_name(o, label[i]),
                tm->ms[i]);
        for (int k = 0; k < n_r; k++)
            fprintf(a.f, ",%s,%.6f", net_name(o, r[k].chosen[i]), tm->ms[(size_t)(k + 1) * o->n + i]);
        fprintf(a.f, "\n");
    }
    return msp_atomic_commit(&a, err);
}

/* Every input's own path, timed at batch 1: the oracle's, each premodel's,
 * and the base alone; their means. */
static msp_status time_paths(const msp_expconf *conf, msp_engine_kind engine, const msp_family *fam,
                             const msp_dataset *test, const int *label, pm_result *r, int n_r,
                             timings *tm, msp_err *err)
{
    int n = test->n;
    tm->ms = msp_malloc(sizeof(double) * (size_t)(n_r + 1) * (size_t)n);
    tm->base_ms = msp_malloc(sizeof(double) * (size_t)n);
    msp_sel_timed *tt = msp_calloc((size_t)n_r + 1, sizeof *tt);
    tt[0] = (msp_sel_timed){.chosen = label};
    for (int k = 0; k < n_r; k++)
        tt[k + 1] = (msp_sel_timed){.pm = r[k].pm,
                                    .all = r[k].set,
                                    .used = msp_premodel_groups(r[k].pm, r[k].set),
                                    .chosen = r[k].chosen,
                                    .route = r[k].s.route,
                                    .hops = r[k].s.hops,
                                    .safety = &r[k].safety};
    msp_status st = msp_sel_time_paths(fam, conf->output, engine, test, 0, tt, n_r + 1,
                                       conf->evaluate.warmup, tm->base_ms, tm->ms, err);
    free(tt);
    if (st != MSP_OK) return st;
    tm->oracle_mean = mean(tm->ms, n);
    tm->base_mean = mean(tm->base_ms, n);
    for (int k = 0; k < n_r; k++) r[k].measured_ms = mean(tm->ms + (size_t)(k + 1) * n, n);
    return MSP_OK;
}

/* One evaluation: what it measures (the family's outcomes and latencies,
 * every premodel's choices), what it decides (the best premodel) and the
 * timed paths; printed and written at the end. */
typedef struct eval_run {
    msp_family fam;
    msp_experiment_data data;
    msp_outcomes o;
    msp_choice ch;
    msp_select_stats *single, oracle; /* single: one per network */
    msp_premodel_kind *kinds;
    pm_result *r;
    int n_kinds, n_r, best, *label;
    float *confidence;
    timings tm;
    msp_fset set;
    ablation ab;
} eval_run;

static void eval_run_free(eval_run *ev)
{
    for (int k = 0; ev->r && k < ev->n_r; k++) {
        msp_select_stats_free(&ev->r[k].s);
        free(ev->r[k].chosen);
        msp_premodel_free(ev->r[k].pm);
    }
    free(ev->tm.ms);
    free(ev->tm.base_ms);
    free(ev->r);
    for (int j = 0; ev->single && j < ev->o.m; j++) msp_select_stats_free(&ev->single[j]);
    free(ev->single);
    msp_select_stats_free(&ev->oracle);
    for (int k = 0; k < ev->ab.n; k++) msp_select_stats_free(&ev->ab.s[k]);
    free(ev->label);
    free(ev->confidence);
    free(ev->kinds);
    msp_choice_free(&ev->ch);
    msp_outcomes_free(&ev->o);
    msp_experiment_data_free(&ev->data);
    msp_family_free(&ev->fam);
}

/* Every network of the family on the test set: outcomes, latencies
 * measured side by side, each network alone, the oracle and its labels. */
static msp_status measure_networks(const msp_expconf *conf, const msp_selector_opts *opt,
                                   eval_run *ev, msp_err *err)
{
    msp_status st;
    if ((st = msp_sel_fset(conf, &ev->set, err)) ||
        (st = msp_sel_kinds(conf, &ev->kinds, &ev->n_kinds, err)) ||
        (st = msp_sel_family(conf, &ev->fam, err)) ||
        (st = msp_experiment_load_data(conf, MSP_SPLIT_TEST, &ev->data, err)))
        return st;
    char *dir = msp_sel_path(conf, NULL);
    st = msp_mkdirs(dir, err);
    free(dir);
    msp_outcomes *o = &ev->o;
    if (st ||
        (st = msp_sel_outcomes(conf, &ev->fam, &ev->data.test, opt->engine, "outcomes-test.csv",
                               o, err)) ||
        (st = msp_family_latency(&ev->fam, conf->output, opt->engine, conf->seed,
                                 conf->evaluate.warmup, conf->evaluate.latency_runs,
                                 o->latency_ms, err)) ||
        (st = msp_choice_from_outcomes(o, (msp_metric)conf->selector.metric, &ev->ch, err)))
        return st;
    ev->single = msp_calloc((size_t)o->m, sizeof *ev->single);
    for (int j = 0; j < o->m && st == MSP_OK; j++)
        st = msp_choice_eval_single(&ev->ch, j, &ev->single[j], err);
    ev->label = msp_malloc(sizeof(int) * (size_t)o->n);
    if (st || (st = msp_choice_oracle(&ev->ch, &ev->oracle, err)))
        return st;
    return msp_choice_label(&ev->ch, NULL, ev->label, err);
}

/* The trained premodel of kind, refused unless it was made for this
 * config's features and this family; *kset gets the features it reads. */
static msp_status load_premodel(const msp_expconf *conf, const eval_run *ev,
                                msp_premodel_kind kind, msp_premodel **pm, msp_fset *kset,
                                msp_err *err)
{
    char leaf[64];
    snprintf(leaf, sizeof leaf, "premodel-%s.bin", msp_premodel_kind_name(kind));
    char *path = msp_sel_path(conf, leaf);
    msp_status st = MSP_OK;
    *kset = ev->set;
    if (!msp_file_readable(path)) {
        st = msp_err_set(err, MSP_BAD_INPUT, path, 0,
                         "no such premodel: run `msprune premodel %s` first", conf->path);
    } else if ((st = msp_premodel_load(path, pm, err)) == MSP_OK) {
        int d_in, d, m;
        msp_premodel_dims(*pm, &d_in, &d, &m);
        *kset = msp_premodel_input_set(kind, ev->set);
        if (msp_premodel_get_kind(*pm) != kind || d_in != msp_features_dim(*kset) || m != ev->o.m)
            st = msp_err_set(err, MSP_BAD_INPUT, path, 0,
                             "a %s premodel made for %d features and %d networks, but the "
                             "config has %d and the family %d: run `msprune premodel %s` again",
                             msp_premodel_kind_name(msp_premodel_get_kind(*pm)), d_in, m,
                             msp_features_dim(*kset), ev->o.m, conf->path);
    }
    free(path);
    return st;
}

/* The selector with every trained premodel (none with --oracle): its
 * choices, timed, and their outcome under its safety net. */
static msp_status measure_premodels(const msp_expconf *conf, const msp_selector_opts *opt,
                                    eval_run *ev, msp_err *err)
{
    const msp_outcomes *o = &ev->o;
    msp_status st = MSP_OK;
    ev->r = msp_calloc((size_t)ev->n_kinds, sizeof *ev->r);
    ev->confidence = msp_malloc(sizeof(float) * (size_t)o->n);
    for (int k = 0; k < ev->n_kinds && !opt->oracle_only && st == MSP_OK; k++) {
        msp_premodel_kind kind = ev->kinds[k];
        msp_premodel *pm = NULL;
        msp_fset kset;
        st = load_premodel(conf, ev, kind, &pm, &kset, err);
        if (st != MSP_OK) {
            msp_premodel_free(pm);
            break;
        }
        pm_result *p = &ev->r[ev->n_r++];
        p->kind = kind;
        p->pm = pm;
        p->set = kset;
        p->cv_accuracy = msp_sel_recorded(conf, kind, "cv_accuracy");
        p->chosen = msp_malloc(sizeof(int) * (size_t)o->n);
        st = msp_sel_safety(conf, kind, &ev->fam, &p->safety, err);
        if (st == MSP_OK)
            st = run_premodel(pm, kset, &ev->data.test, p->chosen, ev->confidence, &p->premodel_ms,
                              err);
        double *pms = msp_malloc(sizeof(double) * (size_t)o->n);
        for (int i = 0; i < o->n; i++) pms[i] = p->premodel_ms;
        if (st == MSP_OK)
            st = msp_choice_eval(&ev->ch, p->chosen, ev->label, ev->confidence, pms, &p->safety,
                                 &p->s, err);
        free(pms);
    }
    return st;
}

/* The ablation's cascades, when the premodel stage tuned them: each one's
 * chain on the test set. */
static msp_status measure_ablation(const msp_expconf *conf, eval_run *ev, msp_err *err)
{
    msp_safety sn[MSP_SEL_ABL_N];
    msp_status st = msp_sel_ablation_load(conf, &ev->fam, sn, err);
    int *chosen = msp_malloc(sizeof(int) * (size_t)ev->o.n);
    ablation *ab = &ev->ab;
    for (int part = 0; part < MSP_SEL_ABL_N && st == MSP_OK; part++) {
        if (!sn[part].n_chain) continue;
        for (int i = 0; i < ev->o.n; i++) chosen[i] = sn[part].chain[0];
        ab->sn[ab->n] = sn[part];
        ab->part[ab->n] = part;
        st = msp_choice_eval(&ev->ch, chosen, NULL, NULL, NULL, &sn[part], &ab->s[ab->n], err);
        ab->n++;
    }
    free(chosen);
    return st;
}

/* The best real premodel, by the tuning rule: the cheapest that keeps the
 * base's top-1 within MSP_SELECT_KEEP, else the most accurate; -1 if none. */
static int pick_best(const eval_run *ev)
{
    const pm_result *r = ev->r;
    int best = -1;
    for (int k = 0; k < ev->n_r; k++)
        if (best < 0 || msp_select_better(r[k].s.score, r[k].s.mean_ms, r[best].s.score,
                                          r[best].s.mean_ms, ev->single[0].score - MSP_SELECT_KEEP))
            best = k;
    return best;
}

/* summary.json and per-input.csv, then the stage's record: a summary
 * without the premodels (--oracle) is not the selector stage's output. */
static msp_status write_outputs(const msp_expconf *conf, const msp_selector_opts *opt,
                                const eval_run *ev, const msp_stamp *in, msp_err *err)
{
    msp_status st = write_summary(conf, &ev->fam, &ev->o, ev->single, &ev->oracle, ev->r, ev->n_r,
                                  ev->best, &ev->tm, &ev->ab, err);
    if (st == MSP_OK) st = write_per_input(conf, &ev->o, ev->label, ev->r, ev->n_r, &ev->tm, err);
    if (st == MSP_OK && !opt->oracle_only) st = msp_sel_record(conf, "selector", in, err);
    if (st == MSP_OK && opt->oracle_only) {
        char *rec = msp_selector_record_path(conf, "selector");
        unlink(rec);
        free(rec);
    }
    return st;
}

/* What was measured, handed to the command. */
static void report(const msp_expconf *conf, const msp_selector_opts *opt, const eval_run *ev)
{
    msp_selector_pm_result *pm = msp_calloc((size_t)ev->n_r + 1, sizeof *pm);
    for (int k = 0; k < ev->n_r; k++)
        pm[k] = (msp_selector_pm_result){.kind = ev->r[k].kind,
                                         .s = &ev->r[k].s,
                                         .safety = &ev->r[k].safety,
                                         .premodel_ms = ev->r[k].premodel_ms,
                                         .measured_ms = ev->r[k].measured_ms};
    msp_selector_result r = {.o = &ev->o,
                             .fam = &ev->fam,
                             .single = ev->single,
                             .oracle = &ev->oracle,
                             .pm = pm,
                             .n_pm = ev->n_r,
                             .best = ev->best,
                             .ablation = ev->ab.s,
                             .ablation_safety = ev->ab.sn,
                             .ablation_part = ev->ab.part,
                             .n_ablation = ev->ab.n,
                             .base_measured_ms = ev->tm.base_mean,
                             .oracle_measured_ms = ev->tm.oracle_mean};
    opt->on_result(conf, &r);
    free(pm);
}

msp_status msp_selector_evaluate(const msp_expconf *conf, const msp_selector_opts *opt,
                                 msp_err *err)
{
    eval_run ev = {0};
    msp_stamp in = {0};
    msp_selector_evaluate_inputs(conf, &in);
    msp_status st = measure_networks(conf, opt, &ev, err);
    if (st == MSP_OK) st = measure_premodels(conf, opt, &ev, err);
    if (st == MSP_OK && !opt->oracle_only) st = measure_ablation(conf, &ev, err);
    if (st == MSP_OK) {
        ev.best = pick_best(&ev);
        st = time_paths(conf, opt->engine, &ev.fam, &ev.data.test, ev.label, ev.r, ev.n_r, &ev.tm,
                        err);
    }
    if (st == MSP_OK) {
        if (opt->on_result) report(conf, opt, &ev);
        st = write_outputs(conf, opt, &ev, &in, err);
    }
    msp_stamp_free(&in);
    eval_run_free(&ev);
    return st;
}
