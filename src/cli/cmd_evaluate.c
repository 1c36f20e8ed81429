/* cmd_evaluate.c: `msprune evaluate CONFIG`: one network on the test set
 * (cmd_train.c's options), or with --selector / --oracle the whole family, the
 * selector with every trained premodel and the oracle in one run. */
#include <getopt.h>
#include <string.h>

#include "base/base.h"
#include "cli.h"
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
    "\n"
    "exit status: 0 success, 1 the work failed, 2 bad usage or bad input.\n";

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
    "  -q, --quiet    warnings and errors only, no progress\n"
    "  -v, --verbose  debug messages and Darknet's own output (layer tables)\n"
    "  -h, --help     this help\n"
    "\n"
    "exit status: 0 success, 1 the work failed, 2 bad usage or bad input.\n";

/* --selector and --oracle: the family, the selector and the oracle. */
static int evaluate_family(int argc, char **argv)
{
    int selector = 0;
    for (int i = 1; i < argc; i++) selector |= !strcmp(argv[i], "--selector");
    static const struct option longopts[] = {
        {"selector", no_argument, 0, 's'}, {"oracle", no_argument, 0, 'o'}, MSP_CLI_ENGINE,
        MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "evaluate", .usage = usage_family};
    msp_selector_opts o = {.oracle_only = !selector};
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
