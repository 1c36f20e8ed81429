/* cmd_premodel.c: `msprune premodel CONFIG` and `msprune premodel --table FILE.csv`. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/base.h"
#include "selector/stage.h"

static const char *const usage_premodel =
    "usage: msprune premodel CONFIG [--latencies PROFILE] [--engine E] [-q|-v]\n"
    "       msprune premodel --table FILE.csv [--premodel KIND]... [--tolerance T]\n"
    "                        [--folds N]\n"
    "\n"
    "Label the labelling images of an experiment with the cheapest family member\n"
    "that classifies them correctly, choose the members worth routing to, select\n"
    "features, and train and cross-validate every premodel of the config's\n"
    "`selector` section (<output>/selector/premodel-KIND.bin, premodels.json).\n"
    "Then `msprune evaluate CONFIG --selector` measures them on the test set.\n"
    "--latencies PROFILE (from `msprune profile BUNDLE` on the device) replaces\n"
    "the family's latencies by the device's before labelling.\n"
    "With --table: a premodel for any domain, from a CSV of per-input features\n"
    "(f.NAME), per-model scores (score.MODEL, higher is better) and costs\n"
    "(time.MODEL, ms); reports out-of-fold results against every single model\n"
    "and the oracle.\n"
    "\n"
    "options:\n"
    "  --latencies PROFILE  the device's latencies (from `msprune profile BUNDLE`)\n"
    "  --table FILE.csv     premodels from this CSV instead of an experiment\n"
    "  --premodel KIND      knn, knn-chain, dtree, naive-bayes, logistic, cascade\n"
    "                       (repeatable; default all)\n"
    "  --tolerance T        a model is good enough within T of the input's best\n"
    "                       score (default 0)\n"
    "  --folds N            cross-validation folds (default 10)\n"
    "  --engine E           'fast' (default) or 'stock' (Darknet's own layers)\n"
    "  -q, --quiet          warnings and errors only, no progress\n"
    "  -v, --verbose        debug messages and Darknet's own output (layer\n"
    "                       tables)\n"
    "  -h, --help           this help\n"
    MSP_CLI_EXIT_STATUS;

/* Out-of-fold choices of one premodel kind on a table: every row is
 * predicted by a model trained on the other folds. */
static msp_status table_predict(msp_premodel_kind kind, const msp_premodel_params *p,
                                const msp_premodel_data *data, int folds, const int *fold,
                                int *chosen, double *ms_per_input, msp_err *err)
{
    int n = data->n, d = data->d;
    float *x = msp_malloc(sizeof(float) * (size_t)n * (size_t)d + 1);
    int *lab = msp_malloc(sizeof(int) * (size_t)n + 1);
    uint8_t *ok = data->ok ? msp_malloc((size_t)n * (size_t)data->m + 1) : NULL;
    msp_status st = MSP_OK;
    double t_pred = 0;
    /* Out-of-fold prediction is quadratic in the rows for knn: minutes on
     * a large table, so it shows progress (rows predicted). */
    msp_progress prog;
    char label[64];
    snprintf(label, sizeof label, "premodel %s, %d folds", msp_premodel_kind_name(kind), folds);
    msp_progress_start(&prog, label, n);
    int64_t done = 0;
    for (int f = 0; f < folds && st == MSP_OK; f++) {
        int nt = 0;
        for (int i = 0; i < n; i++) {
            if (fold[i] == f) continue;
            memcpy(x + (size_t)nt * d, data->x + (size_t)i * d, sizeof(float) * (size_t)d);
            lab[nt] = data->label[i];
            if (ok) memcpy(ok + (size_t)nt * data->m, data->ok + (size_t)i * data->m, (size_t)data->m);
            nt++;
        }
        msp_premodel_data tr = *data;
        tr.n = nt;
        tr.x = x;
        tr.label = lab;
        tr.ok = ok;
        msp_premodel *pm = NULL;
        st = msp_premodel_train(kind, p, &tr, NULL, 0, &pm, err);
        if (st != MSP_OK) break;
        double t0 = msp_now();
        for (int i = 0; i < n; i++) {
            if (fold[i] != f) continue;
            chosen[i] = msp_premodel_predict(pm, data->x + (size_t)i * d, NULL);
            msp_progress_update(&prog, ++done, NULL);
        }
        t_pred += msp_now() - t0;
        msp_premodel_free(pm);
    }
    if (st == MSP_OK) msp_progress_finish(&prog, done, NULL);
    *ms_per_input = t_pred * 1e3 / n;
    free(x);
    free(lab);
    free(ok);
    return st;
}

static int run_table(const char *path, const msp_premodel_kind *kinds, int n_kinds, double tol,
                     int folds)
{
    msp_err err = {{0}};
    msp_table t = {0};
    msp_choice ch = {0};
    msp_select_stats s = {0};
    int *label = NULL, *fold = NULL, *chosen = NULL;
    msp_status st = msp_table_load(path, &t, &err);
    if (st == MSP_OK) st = msp_choice_from_table(&t, tol, &ch, &err);
    if (st != MSP_OK) goto out;
    label = msp_malloc(sizeof(int) * (size_t)t.n);
    fold = msp_malloc(sizeof(int) * (size_t)t.n);
    chosen = msp_malloc(sizeof(int) * (size_t)t.n);
    if ((st = msp_choice_label(&ch, NULL, label, &err)) ||
        (st = msp_premodel_folds(label, t.n, t.m, folds, 1, fold, &err)))
        goto out;
    printf("%s: %d inputs, %d features, %d models; %d-fold out-of-fold results\n", path, t.n, t.d,
           t.m, folds);
    printf("  %-20s %10s %12s %9s %10s\n", "", "mean score", "mean time", "vs best", "accuracy");
    int best = 0;
    for (int j = 0; j < t.m && st == MSP_OK; j++) {
        if ((st = msp_choice_eval_single(&ch, j, &s, &err))) break;
        if (s.score > 0 && ch.mean_cost_ms[j] >= 0) {
            msp_select_stats b = {0};
            if (msp_choice_eval_single(&ch, best, &b, &err) == MSP_OK && s.score > b.score) best = j;
            msp_select_stats_free(&b);
        }
        printf("  %-20s %10.4f %9.4f ms\n", t.model_names[j], s.score, s.mean_ms);
        msp_select_stats_free(&s);
    }
    double best_ms = ch.mean_cost_ms[best];
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_premodel_data data = {.n = t.n, .d = t.d, .m = t.m, .x = t.features, .label = label,
                              .ok = ch.ok, .cost = ch.mean_cost_ms};
    for (int k = 0; k < n_kinds && st == MSP_OK; k++) {
        double ms = 0;
        st = table_predict(kinds[k], &p, &data, folds, fold, chosen, &ms, &err);
        if (st == MSP_OK) st = msp_choice_eval(&ch, chosen, label, NULL, NULL, NULL, &s, &err);
        if (st == MSP_OK) {
            char name[48];
            snprintf(name, sizeof name, "premodel %s", msp_premodel_kind_name(kinds[k]));
            printf("  %-20s %10.4f %9.4f ms %8.3fx %9.2f%%  (+%.4f ms premodel)\n", name, s.score,
                   s.mean_ms, best_ms / s.mean_ms, 100 * s.premodel_acc, ms);
        }
        msp_select_stats_free(&s);
    }
    if (st == MSP_OK && (st = msp_choice_oracle(&ch, &s, &err)) == MSP_OK)
        printf("  %-20s %10.4f %9.4f ms %8.3fx\n", "oracle", s.score, s.mean_ms, best_ms / s.mean_ms);
    msp_select_stats_free(&s);
out:
    free(label);
    free(fold);
    free(chosen);
    msp_choice_free(&ch);
    msp_table_free(&t);
    return msp_cli_finish(st, &err);
}

void msp_cli_print_premodel(const msp_selector_trained *t)
{
    const msp_outcomes *o = t->o;
    const msp_safety *sn = t->safety;
    if (sn->n_chain) { /* a cascade: its chain, each network's threshold, then the base */
        printf("  %-12s chain", msp_premodel_kind_name(t->kind));
        for (int k = 0; k < sn->n_chain; k++) {
            double p = sn->min_prob[sn->chain[k]];
            if (p > 0) printf(" %s (on below p %.3g) >", o->names[sn->chain[k]], p);
            else printf(" %s (on if 'other') >", o->names[sn->chain[k]]);
        }
        printf(" %s  %.1f s\n", o->names[sn->fallback], t->seconds);
        return;
    }
    printf("  %-12s %2d features  %2d-fold CV accuracy %.2f%% (+- %.2f)  fallback below p",
           msp_premodel_kind_name(t->kind), t->n_features, t->folds, 100 * t->cv_mean,
           100 * t->cv_std);
    if (msp_safety_min_prob_shared(t->safety, o->m))
        printf(" %.2f", t->safety->min_prob[0]);
    else /* network 0, the fallback, never falls back */
        for (int j = 1; j < o->m; j++) printf(" %s %.2f", o->names[j], t->safety->min_prob[j]);
    printf("  %.1f s\n", t->seconds);
}

int msp_cmd_premodel(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"table", required_argument, 0, 't'},   {"premodel", required_argument, 0, 'p'},
        {"tolerance", required_argument, 0, 'T'}, {"folds", required_argument, 0, 'f'},
        {"latencies", required_argument, 0, 'L'}, MSP_CLI_ENGINE,
        MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "premodel", .usage = usage_premodel};
    const char *table = NULL;
    msp_premodel_kind kinds[16];
    int n_kinds = 0, folds = 10, c;
    double tol = 0;
    char *end;
    msp_err err = {{0}};
    msp_selector_opts o = {.on_trained = msp_cli_print_premodel};
    while ((c = msp_cli_getopt(&cli, argc, argv, "t:p:T:f:E:L:qvh", longopts)) != -1) {
        switch (c) {
        case 't': table = optarg; break;
        case 'L': o.latencies = optarg; break;
        case 'p':
            if (n_kinds == 16) return msp_cli_usage_error("premodel", "too many --premodel");
            if (msp_premodel_kind_parse(optarg, &kinds[n_kinds++], &err) != MSP_OK)
                return msp_cli_usage_error("premodel", "%s", err.msg);
            break;
        case 'T':
            tol = strtod(optarg, &end);
            if (*end || end == optarg || !(tol >= 0 && tol < 1e300))
                return msp_cli_usage_error("premodel", "--tolerance wants a number >= 0");
            break;
        case 'f':
            if (!msp_cli_parse_int(optarg, 2, 100, &folds))
                return msp_cli_usage_error("premodel", "--folds wants an integer in [2, 100]");
            break;
        default: return cli.status;
        }
    }
    o.engine = cli.engine;
    o.verbose = cli.verbose;
    if (table) {
        if (optind != argc) return msp_cli_usage_error("premodel", "--table takes no CONFIG");
        if (o.latencies) return msp_cli_usage_error("premodel", "--latencies goes with a CONFIG, not --table");
        if (!n_kinds) n_kinds = msp_sel_default_kinds(kinds);
        for (int k = 0; k < n_kinds; k++)
            if (kinds[k] == MSP_PREMODEL_GATE_CNN)
                return msp_cli_usage_error("premodel", "gate-cnn reads images, and a --table has only "
                                                       "features: choose knn, knn-chain, dtree, "
                                                       "naive-bayes or logistic");
        return run_table(table, kinds, n_kinds, tol, folds);
    }
    if (n_kinds || tol > 0 || folds != 10)
        return msp_cli_usage_error("premodel", "--premodel, --tolerance and --folds go with --table; "
                                               "for a CONFIG they come from its `selector` section");
    if (optind + 1 != argc) return msp_cli_usage_error("premodel", "give one experiment config or --table FILE");
    msp_expconf conf;
    msp_status st = msp_expconf_load(argv[optind], &conf, &err);
    if (st != MSP_OK) return msp_cli_finish(st, &err);
    msp_engine_set_threads(conf.threads);
    st = msp_selector_train(&conf, &o, &err);
    msp_expconf_free(&conf);
    return msp_cli_finish(st, &err);
}
