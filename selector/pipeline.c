/* pipeline.c: `msprune all CONFIG`: the whole pipeline, make-like. Each
 * stage runs only when its output is missing or older than its inputs:
 *
 *   train     base (and ladder) weights      <- the network cfg
 *   evaluate  <output>/eval-base.json         <- base weights
 *   specialise <output>/family.conf           <- base (ladder) weights, the config
 *   premodel  <output>/selector/premodels.json <- family.conf, the config
 *   selector  <output>/summary.json           <- premodels.json, family.conf
 *   report    <output>/report.html            <- summary.json, eval-base.json
 *
 * --force runs every stage, --from STAGE that stage and the ones after it.
 * Every stage resumes by itself (training from its checkpoint, specialise
 * keeps finished specialists), so an interrupted `all` continues when run
 * again. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicio.h"
#include "checkpoint.h"
#include "cli.h"
#include "evaluate.h"
#include "log.h"
#include "progress.h"
#include "report.h"
#include "selector/stage.h"
#include "train.h"

static const char *const stages[] = {"train", "evaluate", "specialise", "premodel", "selector",
                                     "report", NULL};
enum { S_TRAIN, S_EVALUATE, S_SPECIALISE, S_PREMODEL, S_SELECTOR, S_REPORT, S_COUNT };

static const char *const usage =
    "usage: msprune all CONFIG [--force | --from STAGE] [-j N] [--engine E] [-q|-v]\n"
    "\n"
    "The whole pipeline, make-like: train the base (and ladder) networks,\n"
    "evaluate the base, build the family (specialise), label and train the\n"
    "premodels, evaluate the selector against every network and the oracle, and\n"
    "write the report. A stage runs only when its outputs are missing or older\n"
    "than its inputs; an interrupted run continues where it stopped when started\n"
    "again.\n"
    "\n"
    "options:\n"
    "  --force        run every stage\n"
    "  --from STAGE   run STAGE and every later one: train, evaluate, specialise,\n"
    "                 premodel, selector, report\n"
    "  -j, --jobs N   specialist jobs in parallel (default 1)\n"
    "  --engine E     'fast' (default) or 'stock' (Darknet's own layers)\n"
    "  -q, --quiet    warnings and errors only, no progress\n"
    "  -v, --verbose  debug messages and Darknet's own output (layer tables)\n"
    "  -h, --help     this help\n"
    "\n"
    "exit status: 0 success, 1 the work failed, 2 bad usage or bad input.\n";

/* Modification time, or -1 when missing. */
static double mtime(const char *path)
{
    struct stat s;
    return stat(path, &s) == 0 ? (double)s.st_mtim.tv_sec + s.st_mtim.tv_nsec * 1e-9 : -1;
}

/* Is out missing or older than any of the inputs (NULL-terminated)? */
static int stale(const char *out, const char *const *in)
{
    double t = mtime(out);
    if (t < 0) return 1;
    for (; *in; in++)
        if (mtime(*in) > t) return 1;
    return 0;
}

static msp_status train_net(const msp_expconf *conf, const char *net, const char *cfg,
                            const char *weights, const char *dir, int force,
                            msp_engine_kind engine, int verbose, msp_err *err)
{
    const char *in[] = {cfg, NULL};
    if (!force && !stale(weights, in)) return MSP_OK;
    char *ckpt = msp_checkpoint_weights_path(dir);
    msp_train_opts t = {.resume = !force && msp_file_readable(ckpt), .engine = engine,
                        .verbose = verbose, .net = net};
    free(ckpt);
    msp_log(MSP_LOG_INFO, "stage train: %s%s", net ? net : "base", t.resume ? " (resuming)" : "");
    msp_status st = msp_train_base(conf, &t, err);
    if (st == MSP_INTERRUPTED) /* all resumes from the checkpoint by itself */
        msp_log(MSP_LOG_WARN, "continue with: msprune all %s", conf->path);
    return st;
}

typedef struct {
    const char *config;
    int force, from, jobs, verbose;
    msp_engine_kind engine;
} all_args;

static int parse_args(int argc, char **argv, all_args *a)
{
    static const struct option longopts[] = {
        {"force", no_argument, 0, 'F'},     {"from", required_argument, 0, 'f'},
        {"jobs", required_argument, 0, 'j'}, MSP_CLI_ENGINE,
        MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "all", .usage = usage};
    memset(a, 0, sizeof *a);
    a->from = S_COUNT;
    a->jobs = 1;
    int c;
    while ((c = msp_cli_getopt(&cli, argc, argv, "Ff:j:E:qvh", longopts)) != -1) {
        switch (c) {
        case 'F': a->force = 1; break;
        case 'f': {
            int s = 0;
            while (stages[s] && strcmp(stages[s], optarg)) s++;
            if (!stages[s])
                return msp_cli_usage_error("all", "--from: unknown stage '%s' (train, evaluate, "
                                                  "specialise, premodel, selector, report)", optarg);
            a->from = s;
            break;
        }
        case 'j':
            if (!msp_cli_parse_int(optarg, 1, 256, &a->jobs))
                return msp_cli_usage_error("all", "-j wants an integer in [1, 256]");
            break;
        default: return cli.status;
        }
    }
    a->engine = cli.engine;
    a->verbose = cli.verbose;
    if (optind + 1 != argc) return msp_cli_usage_error("all", "expects exactly one CONFIG");
    if (a->force && a->from != S_COUNT) return msp_cli_usage_error("all", "--force or --from, not both");
    if (a->force) a->from = 0;
    a->config = argv[optind];
    return -1;
}

int msp_cmd_all(int argc, char **argv)
{
    all_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    msp_err err = {{0}};
    msp_expconf conf;
    msp_status st = msp_expconf_load(a.config, &conf, &err);
    if (st == MSP_OK) st = msp_conf_check_stages(&conf, &err);
    if (st != MSP_OK) {
        msp_expconf_free(&conf);
        return msp_cli_finish(st, &err);
    }
    msp_engine_set_threads(conf.threads);
    double t0 = msp_now();
    char *eval_json = msp_strcat3(conf.output, "/", "eval-base.json");
    char *family = msp_strcat3(conf.output, "/", "family.conf");
    char *premodels = msp_sel_path(&conf, "premodels.json");
    char *summary = msp_strcat3(conf.output, "/", "summary.json");
    char *report = msp_strcat3(conf.output, "/", "report.html");
    msp_selector_opts so = {.engine = a.engine, .verbose = a.verbose};

    /* train: the base, then every ladder network. */
    st = train_net(&conf, NULL, conf.base.cfg, conf.base.weights, conf.output, a.from <= S_TRAIN,
                   a.engine, a.verbose, &err);
    for (int i = 0; i < conf.n_ladder && st == MSP_OK; i++) {
        char *dir = msp_strcat3(conf.output, "/ladder/", conf.ladder[i].name);
        st = train_net(&conf, conf.ladder[i].name, conf.ladder[i].cfg, conf.ladder[i].weights, dir,
                       a.from <= S_TRAIN, a.engine, a.verbose, &err);
        free(dir);
    }
    const char *in_eval[] = {conf.base.weights, NULL};
    if (st == MSP_OK && (a.from <= S_EVALUATE || stale(eval_json, in_eval))) {
        msp_log(MSP_LOG_INFO, "stage evaluate: base");
        msp_eval_opts e = {.engine = a.engine, .verbose = a.verbose};
        st = msp_evaluate_experiment(&conf, &e, &err);
    }
    const char *in_spec[] = {conf.base.weights, conf.path, NULL};
    int ladder_stale = 0;
    for (int i = 0; i < conf.n_ladder; i++) ladder_stale |= mtime(conf.ladder[i].weights) > mtime(family);
    if (st == MSP_OK && (a.from <= S_SPECIALISE || stale(family, in_spec) || ladder_stale)) {
        msp_log(MSP_LOG_INFO, "stage specialise");
        msp_specialise_opts o = {.jobs = a.jobs, .job = -1, .verbose = a.verbose, .engine = a.engine};
        st = msp_specialise(&conf, &o, &err);
    }
    const char *in_pm[] = {family, conf.path, NULL};
    if (st == MSP_OK && (a.from <= S_PREMODEL || stale(premodels, in_pm))) {
        msp_log(MSP_LOG_INFO, "stage premodel");
        st = msp_selector_train(&conf, &so, &err);
    }
    const char *in_sel[] = {premodels, family, NULL};
    if (st == MSP_OK && (a.from <= S_SELECTOR || stale(summary, in_sel))) {
        msp_log(MSP_LOG_INFO, "stage selector");
        st = msp_selector_evaluate(&conf, &so, &err);
    }
    const char *in_rep[] = {summary, eval_json, NULL};
    if (st == MSP_OK && (a.from <= S_REPORT || stale(report, in_rep))) {
        msp_log(MSP_LOG_INFO, "stage report");
        st = msp_report_write(conf.output, conf.output, conf.name, conf.path, &err);
    }
    if (st == MSP_OK) {
        /* The verdict in one plain line, worded as the report words it. */
        msp_report rep;
        msp_err ignore;
        if (msp_report_load(conf.output, conf.name, conf.path, &rep, &ignore) == MSP_OK) {
            char line[512];
            msp_report_headline_text(&rep, line, sizeof line);
            printf("%s\n", line);
            msp_report_free(&rep);
        }
        printf("pipeline of %s done in %.0f s; report: %s (and report.md)\n", conf.name,
               msp_now() - t0, report);
    }
    free(eval_json);
    free(family);
    free(premodels);
    free(summary);
    free(report);
    msp_expconf_free(&conf);
    return msp_cli_finish(st, &err);
}
