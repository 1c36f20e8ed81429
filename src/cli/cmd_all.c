/* cmd_all.c: `msprune all CONFIG`: the whole pipeline, make-like. Each
 * stage records what it was built from (stamp.h: the config settings it
 * reads, its input files by content, the data's files by size and time)
 * and runs again only when its output is missing or one of those changed,
 * saying which:
 *
 *   train      base (and ladder) weights       <- data, base.epochs/batch, cfg
 *   evaluate   <output>/eval-base.json          <- test data, evaluate.*, base
 *   specialise <output>/family.conf             <- data, specialise.*, base, ladder
 *   premodel   <output>/selector/premodels.json <- data, selector.*, family.conf
 *   selector   <output>/summary.json            <- test data, selector.*, family,
 *                                                  premodels.json
 *   report     <output>/report.html             <- summary.json, eval-base.json
 *
 * An output without a record (made by an older msprune, or weights the user
 * brought) is judged by modification times, as make does; the report always
 * is. --force runs every stage, --from STAGE that stage and the ones after
 * it. Every stage resumes by itself (training from its checkpoint when that
 * was made from the same inputs, specialise keeps finished specialists), so
 * an interrupted `all` continues when run again. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "train/train.h"
#include "cli.h"
#include "report/report.h"
#include "selector/stage.h"

static const char *const stages[] = {"train", "evaluate", "specialise", "premodel", "selector",
                                     "report", NULL};
enum { S_TRAIN, S_EVALUATE, S_SPECIALISE, S_PREMODEL, S_SELECTOR, S_REPORT, S_COUNT };

static const char *const usage =
    "usage: msprune all CONFIG [--force | --from STAGE] [-j N | --slurm]\n"
    "                          [--engine E] [-q|-v]\n"
    "\n"
    "The whole pipeline, make-like: train the base (and ladder) networks,\n"
    "evaluate the base, build the family (specialise), label and train the\n"
    "premodels, evaluate the selector against every network and the oracle, and\n"
    "write the report. A stage runs only when its outputs are missing or what it\n"
    "was built from changed (config settings, files, the data's images), and says\n"
    "which; an interrupted run continues where it stopped when started again.\n"
    "\n"
    "options:\n"
    "  --force        run every stage\n"
    "  --from STAGE   run STAGE and every later one: train, evaluate, specialise,\n"
    "                 premodel, selector, report\n"
    "  -j, --jobs N   specialist jobs in parallel (default 1)\n"
    "  --slurm        the family's jobs on Slurm, as `specialise --slurm`; all\n"
    "                 waits for them (stopped, they go on, and the next `all\n"
    "                 --slurm` follows them); with --partition P, --time T,\n"
    "                 --cpus N, --mem M, --sbatch-arg ARG as for specialise\n"
    "  --engine E     'fast' (default) or 'stock' (Darknet's own layers)\n"
    MSP_CLI_USAGE_COMMON;

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

/* Must the stage that wrote out (recorded at rec) run again? A record that
 * differs from the inputs now names the change in why; without a record (an
 * output made by an older msprune, or given by the user) the modification
 * times decide, as make does. */
static int outdated(const char *out, const char *rec, const msp_stamp *now,
                    const char *const *in, char *why, size_t size, int *unrecorded)
{
    *unrecorded = 0;
    if (mtime(out) < 0) return 1;
    switch (msp_stamp_compare(now, rec, why, size)) {
    case MSP_STAMP_SAME: return 0;
    case MSP_STAMP_CHANGED: return 1;
    case MSP_STAMP_NONE: break;
    }
    why[0] = '\0';
    *unrecorded = 1;
    return stale(out, in);
}

/* "stage NAME", and why it runs again when an input changed. */
static void announce(const char *stage, const char *why, const char *again)
{
    if (why[0]) msp_log(MSP_LOG_INFO, "stage %s: %s: %s", stage, why, again);
    else msp_log(MSP_LOG_INFO, "stage %s", stage);
}

/* "train 80 s, evaluate 3 s, ..." for the stages that ran. */
static void stage_times(const double *spent, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < S_COUNT && len < size; i++)
        if (spent[i] >= 0)
            len += (size_t)snprintf(out + len, size - len, "%s%s %.1f s", len ? ", " : "",
                                    stages[i], spent[i]);
    if (!len) snprintf(out, size, "every stage up to date");
}

static msp_status train_net(const msp_expconf *conf, const char *net, const char *cfg,
                            const char *weights, const char *dir, int force,
                            msp_engine_kind engine, int verbose, int *ran, msp_err *err)
{
    msp_stamp now = {0};
    msp_status st = msp_train_inputs(conf, net, &now, err);
    char *rec = msp_train_record_path(conf, net);
    const char *in[] = {cfg, NULL};
    char why[600] = "";
    int unrecorded = 0;
    int run = st == MSP_OK && (force || outdated(weights, rec, &now, in, why, sizeof why,
                                                 &unrecorded));
    if (st == MSP_OK && !run && unrecorded)
        msp_log(MSP_LOG_INFO, "using %s as it is: no record that msprune trained it from these "
                              "inputs (--from train trains it)", weights);
    msp_stamp_free(&now);
    free(rec);
    if (!run) return st;
    *ran = 1;
    char stage[96];
    snprintf(stage, sizeof stage, "train: %s", net ? net : "base");
    announce(stage, why, "retraining");
    char *ckpt = msp_checkpoint_weights_path(dir);
    msp_train_opts t = {.resume = !force && msp_file_readable(ckpt), .engine = engine,
                        .verbose = verbose, .net = net};
    free(ckpt);
    st = msp_train_base(conf, &t, err);
    if (st == MSP_INTERRUPTED) /* all resumes from the checkpoint by itself */
        msp_log(MSP_LOG_WARN, "continue with: msprune all %s", conf->path);
    return st;
}

/* A later stage: run it when forced or outdated (announced). now was built
 * by the stage's own inputs function, the one the stage records with. */
static int must_run(int forced, const char *stage, const char *again, const char *out,
                    char *rec, msp_stamp *now, const char *const *in)
{
    char why[600] = "";
    int unrecorded;
    int run = forced || outdated(out, rec, now, in, why, sizeof why, &unrecorded);
    if (run) announce(stage, why, again);
    msp_stamp_free(now);
    free(rec);
    return run;
}

typedef struct {
    const char *config;
    int force, from, jobs, verbose;
    msp_engine_kind engine;
    msp_cli_slurm slurm;
} all_args;

static int parse_args(int argc, char **argv, all_args *a)
{
    static const struct option longopts[] = {
        {"force", no_argument, 0, 'F'},     {"from", required_argument, 0, 'f'},
        {"jobs", required_argument, 0, 'j'}, {"resume", no_argument, 0, 'R'}, MSP_CLI_SLURM,
        MSP_CLI_ENGINE, MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "all", .usage = usage};
    memset(a, 0, sizeof *a);
    a->from = S_COUNT;
    a->jobs = 0;
    int c, taken;
    while ((c = msp_cli_getopt(&cli, argc, argv, "Ff:j:E:qvh", longopts)) != -1) {
        if ((taken = msp_cli_slurm_option("all", c, optarg, &a->slurm)) != 0) {
            if (taken < 0) return MSP_BAD_INPUT;
            continue;
        }
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
        case 'R':
            return msp_cli_usage_error("all", "has no --resume: it resumes by itself; run "
                                              "`msprune all CONFIG` again");
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
    if (a->jobs && a->slurm.on) return msp_cli_usage_error("all", "-j or --slurm, not both");
    int rc = msp_cli_slurm_check("all", &a->slurm);
    if (rc >= 0) return rc;
    if (!a->jobs) a->jobs = 1;
    a->slurm.o.wait = 1; /* the stages after it need the family */
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
    msp_selector_opts so = {.engine = a.engine, .verbose = a.verbose,
                            .on_result = msp_cli_print_selector,
                            .on_trained = msp_cli_print_premodel};

    double spent[S_COUNT], t;
    for (int i = 0; i < S_COUNT; i++) spent[i] = -1;
    /* train: the base, then every ladder network. */
    t = msp_now();
    int ran = 0;
    st = train_net(&conf, NULL, conf.base.cfg, conf.base.weights, conf.output, a.from <= S_TRAIN,
                   a.engine, a.verbose, &ran, &err);
    for (int i = 0; i < conf.n_ladder && st == MSP_OK; i++) {
        char *dir = msp_strcat3(conf.output, "/ladder/", conf.ladder[i].name);
        st = train_net(&conf, conf.ladder[i].name, conf.ladder[i].cfg, conf.ladder[i].weights, dir,
                       a.from <= S_TRAIN, a.engine, a.verbose, &ran, &err);
        free(dir);
    }
    if (ran) spent[S_TRAIN] = msp_now() - t;
    msp_stamp now = {0};
    const char *in_eval[] = {conf.base.weights, NULL};
    if (st == MSP_OK) msp_evaluate_base_inputs(&conf, &now);
    if (st == MSP_OK && must_run(a.from <= S_EVALUATE, "evaluate: base", "evaluating again", eval_json,
                                 msp_evaluate_record_path(&conf, NULL), &now, in_eval)) {
        msp_eval_opts e = {.engine = a.engine, .verbose = a.verbose, .on_result = msp_cli_print_eval};
        t = msp_now();
        st = msp_evaluate_experiment(&conf, &e, &err);
        spent[S_EVALUATE] = msp_now() - t;
    }
    const char *in_spec[MSP_EXPCONF_LADDER_MAX + 3] = {conf.base.weights, conf.path};
    for (int i = 0; i < conf.n_ladder; i++) in_spec[2 + i] = conf.ladder[i].weights;
    if (st == MSP_OK) msp_specialise_inputs(&conf, &now);
    if (st == MSP_OK && must_run(a.from <= S_SPECIALISE, "specialise", "building the family again",
                                 family, msp_specialise_record_path(&conf), &now, in_spec)) {
        msp_specialise_opts o = {.jobs = a.jobs, .job = -1, .verbose = a.verbose, .engine = a.engine,
                                 .slurm = a.slurm.on ? &a.slurm.o : NULL};
        t = msp_now();
        msp_specialise_result r = {0};
        st = msp_specialise(&conf, &o, &r, &err);
        if (st == MSP_OK) msp_cli_print_family(&conf, &r.family);
        msp_specialise_result_free(&r);
        spent[S_SPECIALISE] = msp_now() - t;
    }
    const char *in_pm[] = {family, conf.path, NULL};
    if (st == MSP_OK) msp_selector_train_inputs(&conf, NULL, &now);
    if (st == MSP_OK && must_run(a.from <= S_PREMODEL, "premodel", "training the premodels again",
                                 premodels, msp_selector_record_path(&conf, "premodel"), &now,
                                 in_pm)) {
        t = msp_now();
        st = msp_selector_train(&conf, &so, &err);
        spent[S_PREMODEL] = msp_now() - t;
    }
    const char *in_sel[] = {premodels, family, NULL};
    if (st == MSP_OK) msp_selector_evaluate_inputs(&conf, &now);
    if (st == MSP_OK && must_run(a.from <= S_SELECTOR, "selector", "evaluating it again", summary,
                                 msp_selector_record_path(&conf, "selector"), &now, in_sel)) {
        t = msp_now();
        st = msp_selector_evaluate(&conf, &so, &err);
        if (st == MSP_OK) msp_cli_print_selector_files(&conf);
        spent[S_SELECTOR] = msp_now() - t;
    }
    const char *in_rep[] = {summary, eval_json, NULL};
    if (st == MSP_OK && (a.from <= S_REPORT || stale(report, in_rep))) {
        msp_log(MSP_LOG_INFO, "stage report");
        t = msp_now();
        st = msp_report_write(conf.output, conf.output, conf.name, conf.path, &err);
        spent[S_REPORT] = msp_now() - t;
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
        char times[256];
        stage_times(spent, times, sizeof times);
        printf("pipeline of %s done in %.0f s (%s); report: %s (and report.md)\n", conf.name,
               msp_now() - t0, times, report);
    }
    free(eval_json);
    free(family);
    free(premodels);
    free(summary);
    free(report);
    msp_expconf_free(&conf);
    return msp_cli_finish(st, &err);
}
