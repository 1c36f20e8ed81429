/* cmd_evaluate.c: `msprune evaluate CONFIG`: one network on the test set
 * (cmd_train.c's options), or with --selector / --oracle the whole family, the
 * selector with every trained premodel and the oracle in one run. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "cli.h"
#include "report/report.h"
#include "selector/selector.h"

static const char *const usage_evaluate =
    "usage: msprune evaluate CONFIG [--net NAME] [--threads N] [--engine E] [-q|-v]\n"
    "       msprune evaluate CONFIG --selector | --oracle [--engine E] [-q|-v]\n"
    "\n"
    "One network (default: the base) on the test set: top-1, top-5, per-class\n"
    "precision/recall/F1, confusion matrix and batch-1 latency (median after\n"
    "warm-up); also <output>/eval-NAME.json. With --selector and/or --oracle:\n"
    "every network of the family, the selector with every trained premodel and\n"
    "the oracle, measured in one run (<output>/summary.json,\n"
    "<output>/per-input.csv); see 'msprune evaluate --selector --help'.\n"
    "\n"
    "options:\n"
    "  --net NAME          network to evaluate (default: base)\n"
    "  --threads N         threads for matrix products (default: the config's\n"
    "                      threads)\n"
    "  --selector          the model selector with every trained premodel\n"
    "  --oracle            the oracle (a perfect premodel) and the single networks\n"
    "  --predictions FILE  also write every test image's true class, predicted\n"
    "                      class and class probabilities, as CSV (for comparing\n"
    "                      builds)\n"
    "  --engine E          'fast' (default) or 'stock' (Darknet's own layers)\n"
    "  -q, --quiet         warnings and errors only, no progress\n"
    "  -v, --verbose       debug messages and Darknet's own output (layer tables)\n"
    "  -h, --help          this help\n"
    MSP_CLI_EXIT_STATUS;

static const char *const usage_family =
    "usage: msprune evaluate CONFIG --selector | --oracle [--engine E] [-q|-v]\n"
    "\n"
    "The model selector on the test set, measured in one run on this machine:\n"
    "every single network of the family, the selector with every trained\n"
    "premodel (--selector) and the oracle, a perfect premodel that always picks\n"
    "the cheapest correct network (both flags; --oracle alone needs no\n"
    "premodel). Writes <output>/summary.json and <output>/per-input.csv. Without\n"
    "these flags: `msprune evaluate CONFIG [--net NAME]`.\n"
    "\n"
    "options:\n"
    "  --selector     the selector with every trained premodel, and the oracle\n"
    "  --oracle       the single networks and the oracle (no premodel needed)\n"
    "  --engine E     'fast' (default) or 'stock' (Darknet's own layers)\n"
    MSP_CLI_USAGE_COMMON;

/* One line of the terminal table: top-1 and top-5 (a specialist's over
 * the whole test set mean little: its own cluster's instead), mean latency
 * by the cost model and measured, speed and top-1 against the base. */
static void print_row(const char *name, const msp_select_stats *s, double measured,
                      const msp_family_net *spec, const msp_select_stats *base, double base_ms,
                      const char *extra)
{
    char speed[64], pts[32], meas[32] = "";
    msp_report_speed_text(s->mean_ms, base_ms, NULL, speed, sizeof speed);
    if (isfinite(measured)) snprintf(meas, sizeof meas, "%.4f ms", measured);
    if (spec) {
        printf("  %-22s %8s %8s %9.4f ms %12s  %-13s %9s  own cluster %.2f%% (base %.2f%%)\n",
               name, "-", "-", s->mean_ms, meas, speed, "", 100 * spec->test_in_cluster,
               100 * spec->base_test_in_cluster);
        return;
    }
    msp_report_points_text(s->score - base->score, 2, pts, sizeof pts);
    printf("  %-22s %7.2f%% %7.2f%% %9.4f ms %12s  %-13s %9s  %s\n", name, 100 * s->score,
           100 * s->top5, s->mean_ms, meas, s == base ? "reference" : speed, s == base ? "" : pts,
           extra ? extra : "");
}

/* How many inputs each network of a chain answered. */
static void print_chain(const msp_outcomes *o, const msp_select_stats *s, const msp_safety *sn)
{
    if (sn->n_chain < 2) return;
    printf("  chain:");
    for (int k = 0; k < sn->n_chain; k++)
        printf(" %s %lld >", o->names[sn->chain[k]], (long long)s->answered[sn->chain[k]]);
    printf(" %s %lld (inputs each network answered)\n", o->names[sn->fallback],
           (long long)s->answered[sn->fallback]);
}

/* The terminal table: every network, every premodel's selector and the
 * oracle against the base, then the best premodel's verdict. */
void msp_cli_print_selector(const msp_expconf *conf, const msp_selector_result *res)
{
    const msp_outcomes *o = res->o;
    const msp_family *fam = res->fam;
    const msp_select_stats *single = res->single, *oracle = res->oracle;
    const msp_selector_pm_result *r = res->pm;
    int n_r = res->n_pm, best = res->best;
    double base_ms = o->latency_ms[0];
    printf("selector evaluation of %s on %d test images (batch-1 latency, premodel cost included;\n"
           "mean latency: median network latencies added up along each input's path; measured:\n"
           "the mean of every input's own path timed at batch 1)\n",
           conf->name, o->n);
    printf("  %-22s %8s %8s %12s %12s  %-13s %9s  %s\n", "", "top-1", "top-5", "mean latency",
           "measured", "vs the base", "top-1", "fallbacks, premodel accuracy");
    for (int j = 0; j < o->m; j++)
        print_row(o->names[j], &single[j], j == 0 ? res->base_measured_ms : NAN,
                  fam->nets[j].cluster >= 0 ? &fam->nets[j] : NULL, &single[0], base_ms, NULL);
    for (int k = 0; k < n_r; k++) {
        char name[64], extra[128];
        snprintf(name, sizeof name, "selector %s%s", msp_premodel_kind_name(r[k].kind), k == best ? " *" : "");
        snprintf(extra, sizeof extra, "%lld fallbacks (%.1f%%), premodel %.2f%%",
                 (long long)r[k].s->fallbacks, 100.0 * (double)r[k].s->fallbacks / o->n,
                 100 * r[k].s->premodel_acc);
        print_row(name, r[k].s, r[k].measured_ms, NULL, &single[0], base_ms, extra);
    }
    print_row("oracle", oracle, res->oracle_measured_ms, NULL, &single[0], base_ms, NULL);
    if (best >= 0) {
        const msp_selector_pm_result *b = &r[best];
        char speed[64], pts[32], saving[64], mspeed[64];
        msp_report_speed_text(b->s->mean_ms, base_ms, "the base", speed, sizeof speed);
        msp_report_points_text(b->s->score - single[0].score, 2, pts, sizeof pts);
        msp_report_saving_text(b->s->mean_ms, base_ms, oracle->mean_ms, saving, sizeof saving);
        msp_report_speed_text(b->measured_ms, res->base_measured_ms, "the base", mspeed, sizeof mspeed);
        printf("  best premodel %s: %s, top-1 %s, %s (measured per input: %s)\n",
               msp_premodel_kind_name(b->kind), speed, pts, saving, mspeed);
        printf("  fallbacks: %lld of %d inputs ran the chosen network and then the base (%lld "
               "said 'other', %lld were under their probability threshold), %lld went straight to the base (premodel "
               "unsure); premodel %.4f ms per input\n",
               (long long)(b->s->fell_other + b->s->fell_prob), o->n, (long long)b->s->fell_other,
               (long long)b->s->fell_prob, (long long)b->s->fell_unsure, b->premodel_ms);
        print_chain(o, b->s, b->safety);
    }
    if (res->n_ablation)
        printf("  which networks earn their place: the cascade over each part of the family, "
               "tuned on the labelling images\n");
    for (int part = 0; part < res->n_ablation; part++) {
        const msp_select_stats *s = &res->ablation[part];
        const msp_safety *sn = &res->ablation_safety[part];
        char speed[64], pts[32];
        msp_report_speed_text(s->mean_ms, base_ms, "the base", speed, sizeof speed);
        msp_report_points_text(s->score - single[0].score, 2, pts, sizeof pts);
        printf("    %-12s %6.2f%%  %.4f ms  %s, top-1 %s; chain",
               msp_sel_ablation_name(res->ablation_part[part]),
               100 * s->score, s->mean_ms, speed, pts);
        for (int k = 0; k < sn->n_chain; k++) printf(" %s >", o->names[sn->chain[k]]);
        printf(" %s\n", o->names[sn->fallback]);
    }
}

void msp_cli_print_selector_files(const msp_expconf *conf)
{
    printf("  wrote %s/summary.json and %s/per-input.csv\n", conf->output, conf->output);
}

/* --selector and --oracle: the family, the selector and the oracle. */
static int evaluate_family(int argc, char **argv)
{
    int selector = 0;
    for (int i = 1; i < argc; i++) selector |= !strcmp(argv[i], "--selector");
    static const struct option longopts[] = {
        {"selector", no_argument, 0, 's'}, {"oracle", no_argument, 0, 'o'}, MSP_CLI_ENGINE,
        MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "evaluate", .usage = usage_family};
    msp_selector_opts o = {.oracle_only = !selector, .on_result = msp_cli_print_selector};
    int c;
    while ((c = msp_cli_getopt(&cli, argc, argv, "soE:qvh", longopts)) != -1) {
        switch (c) {
        case 's':
        case 'o': break;
        default: return cli.status;
        }
    }
    o.engine = cli.engine;
    o.verbose = cli.verbose;
    if (optind + 1 != argc) return msp_cli_usage_error("evaluate", "expects exactly one CONFIG");
    msp_err err = {{0}};
    msp_expconf conf;
    msp_status st = msp_expconf_load(argv[optind], &conf, &err);
    if (st != MSP_OK) return msp_cli_finish(st, &err);
    msp_engine_set_threads(conf.threads);
    st = msp_selector_evaluate(&conf, &o, &err);
    if (st == MSP_OK) msp_cli_print_selector_files(&conf);
    msp_expconf_free(&conf);
    return msp_cli_finish(st, &err);
}

int msp_cmd_evaluate(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--selector") || !strcmp(argv[i], "--oracle"))
            return evaluate_family(argc, argv);
    return msp_cli_run_net("evaluate", usage_evaluate, argc, argv);
}
