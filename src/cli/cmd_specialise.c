/* cmd_specialise.c: `msprune specialise CONFIG`: the family of pruned networks. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "cli.h"
#include "specialise/specialise.h"

static const char *const usage =
    "usage: msprune specialise CONFIG [-j N | --jobs-file FILE | --job N]\n"
    "                          [--slurm [--wait]] [--partition P] [--time T]\n"
    "                          [--cpus N] [--mem M] [--sbatch-arg ARG]...\n"
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
    "  --slurm           hand the jobs to Slurm (sbatch) as one job array, and the\n"
    "                    family manifest to a job that runs after them; again\n"
    "                    after a failure: only the unfinished jobs go in\n"
    "  --wait            with --slurm: follow the jobs to their end (squeue)\n"
    "  --partition P     each job's partition (else the config's `slurm` group)\n"
    "  --time T          each job's time limit, e.g. 4:00:00 (else the config's)\n"
    "  --cpus N          CPUs per job (else the config's; default its threads)\n"
    "  --mem M           memory per job, e.g. 4G (else the config's)\n"
    "  --sbatch-arg ARG  one more sbatch option (again for more), e.g.\n"
    "                    --sbatch-arg=--account=vision\n"
    "  --as-submitted    what the jobs of --slurm and --jobs-file run with: refuse\n"
    "                    to run when what the family is built from changed since\n"
    "                    they were handed out\n"
    "  --engine E        'fast' (default) or 'stock' (Darknet's own layers)\n"
    "  -q, --quiet       warnings and errors only, no progress\n"
    "  -v, --verbose     debug messages and Darknet's own output (layer tables)\n"
    "  -h, --help        this help\n"
    MSP_CLI_EXIT_STATUS;


static int parse_args(int argc, char **argv, msp_specialise_opts *a, msp_cli_slurm *sl)
{
    static const struct option longopts[] = {
        {"jobs", required_argument, 0, 'j'}, {"jobs-file", required_argument, 0, 'f'},
        {"job", required_argument, 0, 'J'},  {"as-submitted", no_argument, 0, 'S'},
        MSP_CLI_SLURM, MSP_CLI_ENGINE, MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "specialise", .usage = usage};
    memset(a, 0, sizeof *a);
    memset(sl, 0, sizeof *sl);
    a->jobs = 0;
    a->job = -1;
    int c, taken;
    while ((c = msp_cli_getopt(&cli, argc, argv, "j:f:J:E:qvh", longopts)) != -1) {
        if ((taken = msp_cli_slurm_option("specialise", c, optarg, sl)) != 0) {
            if (taken < 0) return MSP_BAD_INPUT;
            continue;
        }
        switch (c) {
        case 'S': a->as_submitted = 1; break;
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
    int rc, ways = !!a->jobs_file + (a->job >= 0) + sl->on + (a->jobs > 0);
    if (ways > 1)
        return msp_cli_usage_error("specialise", "-j, --jobs-file, --job and --slurm: one at most");
    if ((rc = msp_cli_slurm_check("specialise", sl)) >= 0) return rc;
    if (!a->jobs) a->jobs = 1;
    if (sl->on) a->slurm = &sl->o;
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

/* What is in Slurm's hands, and how to follow it. */
void msp_cli_print_submission(const msp_expconf *conf, const msp_slurm_submission *s)
{
    if (!s->family[0]) return; /* nothing submitted: the family is printed */
    if (s->followed)
        printf("jobs of %s already in Slurm's queue: array %s, family job %s; nothing new "
               "submitted\n", conf->name, s->array[0] ? s->array : "(none)", s->family);
    else if (s->n_jobs)
        printf("submitted %d job%s of %s to Slurm as array %s (logs %s/family/NAME.log), and "
               "family job %s after them (log %s/slurm/family.log)\n",
               s->n_jobs, s->n_jobs == 1 ? "" : "s", conf->name, s->array, conf->output, s->family,
               conf->output);
    else
        printf("every job of %s is done: submitted family job %s (log %s/slurm/family.log)\n",
               conf->name, s->family, conf->output);
    printf("follow them with `msprune specialise %s --slurm --wait` (or squeue); the family "
           "appears in %s/family.conf\n", conf->path, conf->output);
}

int msp_cmd_specialise(int argc, char **argv)
{
    msp_specialise_opts a;
    msp_cli_slurm sl;
    int rc = parse_args(argc, argv, &a, &sl);
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
    if (st == MSP_OK && a.slurm && !a.slurm->wait) msp_cli_print_submission(&conf, &r.slurm);
    if (st == MSP_OK && r.family.n_nets > 0) msp_cli_print_family(&conf, &r.family);
    msp_specialise_result_free(&r);
    msp_expconf_free(&conf);
    return msp_cli_finish(st, &err);
}
