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
 * comes from the same machine state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicio.h"
#include "evaluate.h"
#include "experiment.h"
#include "json.h"
#include "jsonread.h"
#include "log.h"
#include "metrics.h"
#include "progress.h"
#include "selector/stage.h"

#define CHUNK 16

typedef struct pm_result {
    msp_premodel_kind kind;
    msp_safety safety; /* with the threshold tuned by the premodel stage */
    msp_select_stats s;
    double premodel_ms, cv_accuracy;
    int *chosen;
} pm_result;

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

static msp_status write_summary(const msp_expconf *conf, const msp_family *fam,
                                const msp_outcomes *o, const msp_select_stats *single,
                                const msp_select_stats *oracle, const pm_result *r, int n_r,
                                int best, msp_err *err)
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
    fprintf(f, ",\n  \"test_inputs\": %d,\n  \"networks\": [", o->n);
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
        fprintf(f, ", \"fallbacks\": %lld", (long long)p->s.fallbacks);
        json_counts(f, "chosen", p->s.chosen, o->m);
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
    json_counts(f, "chosen", oracle->chosen, o->m);
    fprintf(f, "}\n}\n");
    return msp_atomic_commit(&a, err);
}

static msp_status write_per_input(const msp_expconf *conf, const msp_outcomes *o,
                                  const msp_choice *ch, const int *label, const pm_result *r,
                                  int n_r, msp_err *err)
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
                ch->cost_ms[(size_t)i * o->m + label[i]]);
        for (int k = 0; k < n_r; k++)
            fprintf(a.f, ",%s,%.6f", net_name(o, r[k].chosen[i]), r[k].s.cost[i]);
        fprintf(a.f, "\n");
    }
    return msp_atomic_commit(&a, err);
}

static void print_row(const char *name, const msp_select_stats *s, double base_ms, double extra_acc)
{
    printf("  %-22s %7.2f%% %7.2f%% %9.4f ms %6.3fx", name, 100 * s->score, 100 * s->top5, s->mean_ms,
           s->mean_ms / base_ms);
    if (!isnan(extra_acc)) printf("  %6.2f%%", 100 * extra_acc);
    printf("\n");
}

msp_status msp_selector_evaluate(const msp_expconf *conf, const msp_selector_opts *opt,
                                 msp_err *err)
{
    msp_family fam = {0};
    msp_experiment_data data = {0};
    msp_outcomes o = {0};
    msp_choice ch = {0};
    msp_select_stats *single = NULL, oracle = {0};
    msp_premodel_kind *kinds = NULL;
    pm_result *r = NULL;
    int n_kinds = 0, n_r = 0, *label = NULL;
    float *confidence = NULL;
    msp_fset set;
    msp_status st;
    if ((st = msp_sel_fset(conf, &set, err)) || (st = msp_sel_kinds(conf, &kinds, &n_kinds, err)) ||
        (st = msp_sel_family(conf, &fam, err)) ||
        (st = msp_experiment_load_data(conf, MSP_SPLIT_TEST, &data, err)))
        goto out;
    char *dir = msp_sel_path(conf, NULL);
    st = msp_mkdirs(dir, err);
    free(dir);
    if (st || (st = msp_sel_outcomes(conf, &fam, &data.test, opt->engine, "outcomes-test.csv", &o, err)) ||
        (st = msp_family_latency(&fam, conf->output, opt->engine, conf->seed, conf->evaluate.warmup,
                                  conf->evaluate.latency_runs, o.latency_ms, err)) ||
        (st = msp_choice_from_outcomes(&o, (msp_metric)conf->selector.metric, &ch, err)))
        goto out;
    single = msp_calloc((size_t)o.m, sizeof *single);
    for (int j = 0; j < o.m && st == MSP_OK; j++) st = msp_choice_eval_single(&ch, j, &single[j], err);
    label = msp_malloc(sizeof(int) * (size_t)o.n);
    if (st || (st = msp_choice_oracle(&ch, &oracle, err)) || (st = msp_choice_label(&ch, NULL, label, err)))
        goto out;

    r = msp_calloc((size_t)n_kinds, sizeof *r);
    confidence = msp_malloc(sizeof(float) * (size_t)o.n);
    for (int k = 0; k < n_kinds && !opt->oracle_only && st == MSP_OK; k++) {
        char leaf[64];
        snprintf(leaf, sizeof leaf, "premodel-%s.bin", msp_premodel_kind_name(kinds[k]));
        char *path = msp_sel_path(conf, leaf);
        msp_premodel *pm = NULL;
        msp_fset kset = set;
        if (!msp_file_readable(path)) {
            st = msp_err_set(err, MSP_BAD_INPUT, path, 0, "no such premodel: run `msprune premodel %s` first",
                             conf->path);
        } else if ((st = msp_premodel_load(path, &pm, err)) == MSP_OK) {
            int d_in, d, m;
            msp_premodel_dims(pm, &d_in, &d, &m);
            kset = msp_premodel_input_set(kinds[k], set);
            if (msp_premodel_get_kind(pm) != kinds[k] || d_in != msp_features_dim(kset) || m != o.m)
                st = msp_err_set(err, MSP_BAD_INPUT, path, 0,
                                 "a %s premodel made for %d features and %d networks, but the "
                                 "config has %d and the family %d: run `msprune premodel %s` again",
                                 msp_premodel_kind_name(msp_premodel_get_kind(pm)), d_in, m,
                                 msp_features_dim(kset), o.m, conf->path);
        }
        free(path);
        if (st != MSP_OK) {
            msp_premodel_free(pm);
            break;
        }
        pm_result *p = &r[n_r++];
        p->kind = kinds[k];
        p->cv_accuracy = msp_sel_recorded(conf, kinds[k], "cv_accuracy");
        p->chosen = msp_malloc(sizeof(int) * (size_t)o.n);
        st = msp_sel_safety(conf, kinds[k], &fam, &p->safety, err);
        if (st == MSP_OK)
            st = run_premodel(pm, kset, &data.test, p->chosen, confidence, &p->premodel_ms, err);
        msp_premodel_free(pm);
        double *pms = msp_malloc(sizeof(double) * (size_t)o.n);
        for (int i = 0; i < o.n; i++) pms[i] = p->premodel_ms;
        if (st == MSP_OK) st = msp_choice_eval(&ch, p->chosen, label, confidence, pms, &p->safety, &p->s, err);
        free(pms);
    }
    if (st != MSP_OK) goto out;

    /* The best real premodel: the cheapest within 0.3 points of the base's
     * top-1, else the most accurate. */
    int best = -1;
    for (int k = 0; k < n_r; k++) {
        int ok_k = r[k].s.score >= single[0].score - 0.003;
        int ok_b = best >= 0 && r[best].s.score >= single[0].score - 0.003;
        if (best < 0 || (ok_k && (!ok_b || r[k].s.mean_ms < r[best].s.mean_ms)) ||
            (!ok_k && !ok_b && r[k].s.score > r[best].s.score))
            best = k;
    }
    printf("selector evaluation of %s on %d test images (batch-1 latency, premodel cost included)\n",
           conf->name, o.n);
    printf("  %-22s %8s %8s %12s %7s  %s\n", "", "top-1", "top-5", "mean latency", "vs base",
           "premodel accuracy");
    for (int j = 0; j < o.m; j++) print_row(o.names[j], &single[j], o.latency_ms[0], NAN);
    for (int k = 0; k < n_r; k++) {
        char name[64];
        snprintf(name, sizeof name, "selector %s%s", msp_premodel_kind_name(r[k].kind), k == best ? " *" : "");
        print_row(name, &r[k].s, o.latency_ms[0], r[k].s.premodel_acc);
    }
    print_row("oracle", &oracle, o.latency_ms[0], NAN);
    if (best >= 0) {
        double saved = o.latency_ms[0] - oracle.mean_ms, got = o.latency_ms[0] - r[best].s.mean_ms;
        printf("  best premodel %s: %.2fx faster than the base, %.1f%% of the oracle's time saving "
               "(premodel %.4f ms per input)\n",
               msp_premodel_kind_name(r[best].kind), o.latency_ms[0] / r[best].s.mean_ms,
               saved > 0 ? 100 * got / saved : NAN, r[best].premodel_ms);
    }
    if ((st = write_summary(conf, &fam, &o, single, &oracle, r, n_r, best, err)) == MSP_OK)
        st = write_per_input(conf, &o, &ch, label, r, n_r, err);
    if (st == MSP_OK) printf("  wrote %s/summary.json and %s/per-input.csv\n", conf->output, conf->output);
out:
    for (int k = 0; r && k < n_r; k++) {
        msp_select_stats_free(&r[k].s);
        free(r[k].chosen);
    }
    free(r);
    for (int j = 0; single && j < o.m; j++) msp_select_stats_free(&single[j]);
    free(single);
    msp_select_stats_free(&oracle);
    free(label);
    free(confidence);
    free(kinds);
    msp_choice_free(&ch);
    msp_outcomes_free(&o);
    msp_experiment_data_free(&data);
    msp_family_free(&fam);
    return st;
}
