/* cmd_train.c: `msprune train CONFIG`, and the one-network side of `msprune
 * evaluate CONFIG [--net NAME]`, which shares its options. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "train/train.h"
#include "cli.h"
#include "engine/engine.h"
#include "data/data.h"

typedef struct {
    int resume, epochs, threads, verbose;
    msp_engine_kind engine;
    const char *net, *predictions;
} run_opts;

static const char *const usage_train =
    "usage: msprune train CONFIG [--net NAME] [--resume] [--epochs N]\n"
    "                     [--threads N] [--engine E] [-q|-v]\n"
    "\n"
    "Train the base network of an experiment config (or, with --net, one of its\n"
    "ladder networks) with Darknet's SGD. Writes <output>/checkpoint.{weights,state}\n"
    "after every epoch and on Ctrl-C, <output>/train.json, and the final weights\n"
    "to base.weights.\n"
    "\n"
    "options:\n"
    "  --net NAME     a ladder network instead of the base (checkpoints in\n"
    "                 <output>/ladder/NAME)\n"
    "  --resume       continue from the last checkpoint\n"
    "  --epochs N     override the config's base.epochs\n"
    "  --threads N    threads for matrix products (default: the config's threads)\n"
    "  --engine E     'fast' (default) or 'stock' (Darknet's own layers)\n"
    MSP_CLI_USAGE_COMMON;

/* Parse the options shared by train/evaluate/all; returns -1 to continue,
 * otherwise the exit status. */
static int parse(const char *cmd, const char *usage, int argc, char **argv, run_opts *o,
                 const char **config)
{
    static const struct option longopts[] = {
        {"resume", no_argument, 0, 'r'},     {"epochs", required_argument, 0, 'e'},
        {"threads", required_argument, 0, 't'}, {"net", required_argument, 0, 'n'},
        {"predictions", required_argument, 0, 'P'}, MSP_CLI_ENGINE, MSP_CLI_COMMON};
    msp_cli cli = {.cmd = cmd, .usage = usage};
    int c;
    memset(o, 0, sizeof *o);
    while ((c = msp_cli_getopt(&cli, argc, argv, "re:t:n:E:qvh", longopts)) != -1) {
        switch (c) {
        case 'r': o->resume = 1; break;
        case 'e':
            if (!msp_cli_parse_int(optarg, 1, 100000, &o->epochs))
                return msp_cli_usage_error(cmd, "--epochs wants an integer in [1, 100000]");
            break;
        case 't':
            if (!msp_cli_parse_int(optarg, 1, 64, &o->threads))
                return msp_cli_usage_error(cmd, "--threads wants an integer in [1, 64]");
            break;
        case 'n': o->net = optarg; break;
        case 'P': o->predictions = optarg; break;
        default: return cli.status;
        }
    }
    o->engine = cli.engine;
    o->verbose = cli.verbose;
    int allowed_resume = strcmp(cmd, "train") == 0;
    if ((o->resume || o->epochs) && !allowed_resume)
        return msp_cli_usage_error(cmd, "--resume and --epochs belong to 'train'");
    if (o->predictions && strcmp(cmd, "evaluate") != 0)
        return msp_cli_usage_error(cmd, "--predictions belongs to 'evaluate'");
    if (argc - optind != 1) return msp_cli_usage_error(cmd, "expects exactly one CONFIG");
    *config = argv[optind];
    return -1;
}

/* Load the config and check its base network before Darknet sees it. */
static msp_status load_checked(const char *path, const run_opts *o, msp_expconf *conf,
                               msp_err *err)
{
    msp_status st = msp_expconf_load(path, conf, err);
    if (st != MSP_OK) return st;
    char summary[512];
    st = msp_check_cfg_weights(conf->base.cfg, NULL, summary, sizeof summary, err);
    if (st != MSP_OK) {
        msp_expconf_free(conf);
        return st;
    }
    msp_log(MSP_LOG_DEBUG, "%s: %s", conf->base.cfg, summary);
    msp_engine_set_threads(o->threads ? o->threads : conf->threads);
    return MSP_OK;
}

int msp_cli_run_net(const char *cmd, const char *usage, int argc, char **argv)
{
    run_opts o;
    const char *path = NULL;
    int rc = parse(cmd, usage, argc, argv, &o, &path);
    if (rc >= 0) return rc;
    msp_expconf conf;
    msp_err err = {{0}};
    msp_status st = o.predictions ? msp_atomic_check_target(o.predictions, &err) : MSP_OK;
    if (st != MSP_OK) return msp_cli_finish(st, &err);
    st = load_checked(path, &o, &conf, &err);
    if (st != MSP_OK) return msp_cli_finish(st, &err);
    int do_train = strcmp(cmd, "evaluate") != 0, do_eval = strcmp(cmd, "train") != 0;
    if (do_train) {
        msp_train_opts t = {
            .resume = o.resume, .epochs = o.epochs, .engine = o.engine, .verbose = o.verbose,
            .net = o.net};
        st = msp_train_base(&conf, &t, &err);
        if (st == MSP_INTERRUPTED)
            msp_log(MSP_LOG_WARN, "continue with: msprune %s %s --resume", cmd, conf.path);
    }
    if (st == MSP_OK && do_eval) {
        msp_eval_opts e = {.net_name = o.net, .engine = o.engine, .verbose = o.verbose,
                           .on_result = msp_cli_print_eval,
                           .predictions = o.predictions};
        st = msp_evaluate_experiment(&conf, &e, &err);
    }
    msp_expconf_free(&conf);
    return msp_cli_finish(st, &err);
}

/* evaluate's table on stdout, as `evaluate` and `all` print it. */
void msp_cli_print_eval(const msp_eval_result *r)
{
    const msp_dataset *d = r->test;
    const msp_metrics *m = r->metrics;
    const msp_latency *lat = r->latency;
    const msp_dn_net *info = r->info;
    const char *name = r->name;
    char buf[32];
    printf("network %s: %lld test images\n", name, (long long)m->n);
    printf("  top-1 %.2f%%   top-5 %.2f%%   macro F1 %.4f\n", 100 * msp_metrics_top1(m),
           100 * msp_metrics_top5(m), msp_metrics_macro_f1(m));
    printf("  latency (batch 1) median %.3f ms over %d runs (min %.3f, max %.3f)\n", lat->median_ms,
           lat->runs, lat->min_ms, lat->max_ms);
    printf("  %.2f MFLOPs, %.3f M parameters\n\n", info->flops / 1e6,
           (double)info->n_weights_floats / 1e6);
    printf("  %-16s %9s %9s %9s %8s\n", "class", "precision", "recall", "F1", "support");
    for (int k = 0; k < m->n_classes; k++) {
        msp_class_stats s = msp_metrics_class(m, k);
        printf("  %-16.16s %9.4f %9.4f %9.4f %8lld\n", msp_eval_class_name(d, k, buf, sizeof buf),
               s.precision, s.recall, s.f1, (long long)s.support);
    }
    printf("\n  confusion (rows: true class, columns: predicted)\n  %4s", "");
    for (int j = 0; j < m->n_classes; j++) printf(" %5d", j);
    printf("\n");
    for (int i = 0; i < m->n_classes; i++) {
        printf("  %4d", i);
        for (int j = 0; j < m->n_classes; j++)
            printf(" %5lld", (long long)m->confusion[(size_t)i * m->n_classes + j]);
        printf("\n");
    }
    fflush(stdout); /* the table before the log lines on a shared terminal */
}

int msp_cmd_train(int argc, char **argv) { return msp_cli_run_net("train", usage_train, argc, argv); }
