/* cmd_specialise.c: `msprune specialise CONFIG`: the family of pruned networks. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "cli.h"
#include "specialise/specialise.h"

static const char *const usage =
    "usage: msprune specialise CONFIG [-j N] [--jobs-file FILE] [--job N]\n"
    "                          [--engine E] [-q|-v]\n"
    "\n"
    "Cluster the inputs as the config's `specialise` section says, prune and\n"
    "fine-tune one specialist of the base network per cluster and one generalist\n"
    "per `generalists` entry, and write the family manifest <output>/family.conf\n"
    "(with <output>/clusters.json and <output>/family/). A config with a `ladder`\n"
    "and no `specialise` section gets the base + ladder as its family. Finished\n"
    "networks are kept: an interrupted run continues where it stopped.\n"
    "\n"
    "options:\n"
    "  -j, --jobs N      run up to N jobs at once, as processes (default 1)\n"
    "  --jobs-file FILE  write the pending jobs as shell commands, one per line\n"
    "                    (for a scheduler or `xargs -P`), and stop; run\n"
    "                    `specialise` again after\n"
    "  --job N           run only job N: the specialists first, then the\n"
    "                    generalists (what the lines run)\n"
    "  --engine E        'fast' (default) or 'stock' (Darknet's own layers)\n"
    "  -q, --quiet       warnings and errors only, no progress\n"
    "  -v, --verbose     debug messages and Darknet's own output (layer tables)\n"
    "  -h, --help        this help\n"
    MSP_CLI_EXIT_STATUS;


static int parse_args(int argc, char **argv, msp_specialise_opts *a)
{
    static const struct option longopts[] = {
        {"jobs", required_argument, 0, 'j'}, {"jobs-file", required_argument, 0, 'f'},
        {"job", required_argument, 0, 'J'},  MSP_CLI_ENGINE,
        MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "specialise", .usage = usage};
    memset(a, 0, sizeof *a);
    a->jobs = 1;
    a->job = -1;
    int c;
    while ((c = msp_cli_getopt(&cli, argc, argv, "j:f:J:E:qvh", longopts)) != -1) {
        switch (c) {
        case 'j':
            if (!msp_cli_parse_int(optarg, 1, 256, &a->jobs))
                return msp_cli_usage_error("specialise", "-j wants an integer in [1, 256]");
            break;
        case 'f': a->jobs_file = optarg; break;
        case 'J':
            if (!msp_cli_parse_int(optarg, 0, MSP_CLUSTER_MAX_K + MSP_MAX_GENERALISTS - 1, &a->job))
                return msp_cli_usage_error("specialise", "--job wants a job number");
            break;
        default: return cli.status;
        }
    }
    a->engine = cli.engine;
    a->verbose = cli.verbose;
    if (optind + 1 != argc) return msp_cli_usage_error("specialise", "give one experiment config");
    a->config = argv[optind];
    if (a->jobs_file && a->job >= 0)
        return msp_cli_usage_error("specialise", "--jobs-file and --job do not go together");
    return -1;
}

/* The family's table on stdout (also for `all`). */
void msp_cli_print_family(const msp_expconf *conf, const msp_family *f)
{
    const msp_family_net *b = &f->nets[0];
    printf("family of %s: %s clustering, k = %d (%s/family.conf)\n", conf->name, f->clustering, f->k,
           conf->output);
    printf("  %-6s %-8s %9s %7s %9s %7s  %-26s %-26s\n", "net", "outputs", "MFLOPs", "ratio",
           "latency", "ratio", "in-cluster val top-1", "in-cluster test top-1");
    for (int i = 0; i < f->n_nets; i++) {
        const msp_family_net *n = &f->nets[i];
        printf("  %-6s %-8d %9.3f %7.3f %7.3fms %7.3f", n->name, n->n_outputs, n->flops / 1e6,
               (double)n->flops / (double)b->flops, n->latency_ms, n->latency_ms / b->latency_ms);
        if (n->cluster < 0)
            printf("  %6.2f%% (all inputs)        %6.2f%% (all inputs)\n", 100 * n->val_top1,
                   100 * n->test_top1);
        else
            printf("  %6.2f%% (base %6.2f%%)     %6.2f%% (base %6.2f%%)\n", 100 * n->val_in_cluster,
                   100 * n->base_val_in_cluster, 100 * n->test_in_cluster, 100 * n->base_test_in_cluster);
    }
}

int msp_cmd_specialise(int argc, char **argv)
{
    msp_specialise_opts a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    msp_err err = {{0}};
    msp_expconf conf = {0};
    msp_status st = msp_expconf_load(a.config, &conf, &err);
    msp_specialise_result r = {0};
    if (st == MSP_OK) st = msp_specialise(&conf, &a, &r, &err);
    if (st == MSP_OK && r.jobs_written >= 0)
        printf("wrote %d job%s to %s; run them (e.g. `xargs -P 2 -I{} sh -c {} < %s`), then "
               "`msprune specialise %s` again to write the family\n",
               r.jobs_written, r.jobs_written == 1 ? "" : "s", a.jobs_file, a.jobs_file, a.config);
    if (st == MSP_OK && r.family.n_nets > 0) msp_cli_print_family(&conf, &r.family);
    msp_specialise_result_free(&r);
    msp_expconf_free(&conf);
    return msp_cli_finish(st, &err);
}
