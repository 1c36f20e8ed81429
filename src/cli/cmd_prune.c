/* cmd_prune.c: `msprune prune`: prune a network file to a budget, optionally
 * in steps with fine-tuning on an experiment's data, and report FLOPs,
 * latency and accuracy before and after. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "cli.h"
#include "engine/engine.h"
#include "train/train.h"
#include "data/data.h"
#include "prune/prune.h"

static const char *const usage =
    "usage: msprune prune --cfg IN.cfg --weights IN.weights --out PREFIX\n"
    "                     [--criterion C]\n"
    "                     [--ratio R | --target-flops F | --target-latency MS]\n"
    "                     [--global] [--min-channels N]\n"
    "                     [--config EXP [--classes LIST [--other]] [--steps N]\n"
    "                      [--finetune-epochs E] [--finetune-lr LR]] [-q|-v]\n"
    "\n"
    "Structured filter pruning. Writes PREFIX.cfg, PREFIX.weights (Darknet\n"
    "formats) and PREFIX.json (channels, parameters and FLOPs per layer, before\n"
    "and after).\n"
    "\n"
    "options:\n"
    "  --cfg IN.cfg          the network to prune (required)\n"
    "  --weights IN.weights  its trained weights (required)\n"
    "  --out PREFIX          where PREFIX.cfg, PREFIX.weights and PREFIX.json go\n"
    "                        (required)\n"
    "  --criterion C         l1 (default), l2, linf, random, bn-gamma; with\n"
    "                        --config also apoz, mean-activation, taylor (on the\n"
    "                        config's training data)\n"
    "  --ratio R             fraction of each layer's prunable filters to\n"
    "                        remove, [0, 1)\n"
    "  --target-flops F      prune until FLOPs <= F (a fraction of the input's\n"
    "                        if F <= 1)\n"
    "  --target-latency MS   prune until the batch-1 median latency <= MS (one\n"
    "                        step)\n"
    "  --classes LIST        keep only these classes (ids or names,\n"
    "                        comma-separated)\n"
    "  --other               with --classes: add an 'other' output for the rest\n"
    "  --global              rank normalised scores across layers instead of\n"
    "                        per layer\n"
    "  --min-channels N      keep at least N filters in every layer (default 1)\n"
    "  --keep-first          never prune the first layer (default)\n"
    "  --no-keep-first       allow pruning the first layer\n"
    "  --config EXP          experiment config: its data for fine-tuning and\n"
    "                        accuracy\n"
    "  --steps N             reach the ratio in N prune + fine-tune steps\n"
    "                        (default 1)\n"
    "  --finetune-epochs E   epochs of fine-tuning after each step (default 0)\n"
    "  --finetune-lr LR      fine-tuning learning rate (default: 0.2 x the cfg's)\n"
    "  --seed S              for random scores and fine-tuning (default: the\n"
    "                        config's, else 1)\n"
    "  --engine E            'fast' (default) or 'stock' (Darknet's own layers)\n"
    "  -q, --quiet           warnings and errors only, no progress\n"
    "  -v, --verbose         debug messages and Darknet's own output (layer\n"
    "                        tables)\n"
    "  -h, --help            this help\n"
    MSP_CLI_EXIT_STATUS;

typedef struct {
    const char *cfg, *weights, *out, *config;
    msp_prune_criterion criterion;
    double ratio, target_flops, target_latency;
    const char *classes;
    int other;
    msp_prune_alloc alloc;
    int min_channels, steps, finetune_epochs, protect_first, seed_set;
    float finetune_lr;
    uint64_t seed;
    msp_engine_kind engine;
} prune_args;

static int parse_args(int argc, char **argv, prune_args *a)
{
    static const struct option longopts[] = {
        {"cfg", required_argument, 0, 'c'},          {"weights", required_argument, 0, 'w'},
        {"out", required_argument, 0, 'o'},          {"criterion", required_argument, 0, 'C'},
        {"ratio", required_argument, 0, 'r'},        {"global", no_argument, 0, 'g'},
        {"min-channels", required_argument, 0, 'm'}, {"config", required_argument, 0, 'x'},
        {"steps", required_argument, 0, 's'},        {"finetune-epochs", required_argument, 0, 'e'},
        {"finetune-lr", required_argument, 0, 'l'},  {"seed", required_argument, 0, 'S'},
        {"keep-first", no_argument, 0, 'k'},         {"no-keep-first", no_argument, 0, 'K'},
        {"target-flops", required_argument, 0, 'F'}, {"target-latency", required_argument, 0, 'L'},
        {"classes", required_argument, 0, 'y'},      {"other", no_argument, 0, 'O'},
        MSP_CLI_ENGINE,                              MSP_CLI_COMMON};
    msp_cli cli = {.cmd = "prune", .usage = usage};
    memset(a, 0, sizeof *a);
    a->min_channels = 1;
    a->steps = 1;
    a->protect_first = 1;
    a->seed = 1;
    a->ratio = -1;
    msp_err err = {{0}};
    int c, seed;
    char *end;
    while ((c = msp_cli_getopt(&cli, argc, argv, "c:w:o:C:r:gm:x:s:e:l:S:E:kKqvhF:L:y:O", longopts)) != -1) {
        switch (c) {
        case 'c': a->cfg = optarg; break;
        case 'w': a->weights = optarg; break;
        case 'o': a->out = optarg; break;
        case 'x': a->config = optarg; break;
        case 'g': a->alloc = MSP_ALLOC_GLOBAL; break;
        case 'k': a->protect_first = 1; break;
        case 'K': a->protect_first = 0; break;
        case 'C':
            if (msp_prune_criterion_parse(optarg, &a->criterion, &err) != MSP_OK)
                return msp_cli_usage_error("prune", "%s", err.msg);
            break;
        case 'r':
            a->ratio = strtod(optarg, &end);
            if (*end || end == optarg || !(a->ratio >= 0 && a->ratio < 1))
                return msp_cli_usage_error("prune", "--ratio wants a number in [0, 1)");
            break;
        case 'F':
            a->target_flops = strtod(optarg, &end);
            if (*end || end == optarg || !(a->target_flops > 0 && a->target_flops < 1e15))
                return msp_cli_usage_error("prune", "--target-flops wants a positive number");
            break;
        case 'L':
            a->target_latency = strtod(optarg, &end);
            if (*end || end == optarg || !(a->target_latency > 0 && a->target_latency < 1e7))
                return msp_cli_usage_error("prune", "--target-latency wants milliseconds > 0");
            break;
        case 'y': a->classes = optarg; break;
        case 'O': a->other = 1; break;
        case 'l':
            a->finetune_lr = strtof(optarg, &end);
            if (*end || end == optarg || !(a->finetune_lr > 0 && a->finetune_lr < 10))
                return msp_cli_usage_error("prune", "--finetune-lr wants a number in (0, 10)");
            break;
        case 'm':
            if (!msp_cli_parse_int(optarg, 1, 1 << 20, &a->min_channels))
                return msp_cli_usage_error("prune", "--min-channels wants an integer >= 1");
            break;
        case 's':
            if (!msp_cli_parse_int(optarg, 1, 100, &a->steps))
                return msp_cli_usage_error("prune", "--steps wants an integer in [1, 100]");
            break;
        case 'e':
            if (!msp_cli_parse_int(optarg, 0, 10000, &a->finetune_epochs))
                return msp_cli_usage_error("prune", "--finetune-epochs wants an integer in [0, 10000]");
            break;
        case 'S':
            if (!msp_cli_parse_int(optarg, 0, 2147483647, &seed))
                return msp_cli_usage_error("prune", "--seed wants a non-negative integer");
            a->seed = (uint64_t)seed;
            a->seed_set = 1;
            break;
        default: return cli.status;
        }
    }
    a->engine = cli.engine;
    if (optind != argc) return msp_cli_usage_error("prune", "unexpected argument '%s'", argv[optind]);
    if (!a->cfg || !a->weights || !a->out)
        return msp_cli_usage_error("prune", "--cfg, --weights and --out are required");
    int budgets = (a->ratio >= 0) + (a->target_flops > 0) + (a->target_latency > 0);
    if (budgets != 1 && !(budgets == 0 && a->classes))
        return msp_cli_usage_error("prune", "give one of --ratio, --target-flops, --target-latency");
    if (a->ratio < 0 && !a->target_flops && !a->target_latency) a->ratio = 0;
    if (a->target_latency > 0 && a->steps > 1)
        return msp_cli_usage_error("prune", "--target-latency works in one step");
    if (!msp_prune_criterion_is_weight_based(a->criterion) && !a->config)
        return msp_cli_usage_error("prune", "criterion '%s' needs data: add --config EXP",
                                   msp_prune_criterion_name(a->criterion));
    if ((a->finetune_epochs > 0 || a->steps > 1 || a->classes) && !a->config)
        return msp_cli_usage_error("prune", "--finetune-epochs, --steps and --classes need --config EXP");
    if (a->other && !a->classes) return msp_cli_usage_error("prune", "--other needs --classes");
    return -1;
}

static double test_top1(const char *cfg, const char *weights, const msp_dataset *test,
                        msp_engine_kind engine, msp_err *err, msp_status *st)
{
    msp_net *net = NULL;
    msp_net_opts o = {.batch = 100, .engine = engine};
    *st = msp_net_load(cfg, weights, &o, &net, err);
    if (*st != MSP_OK) return NAN;
    double top1 = msp_eval_top1(net, test);
    msp_net_free(net);
    return top1;
}

static double latency_ms(const char *cfg, const char *weights, msp_engine_kind engine)
{
    msp_net *net = NULL;
    msp_net_opts o = {.batch = 1, .engine = engine};
    msp_err err;
    if (msp_net_load(cfg, weights, &o, &net, &err) != MSP_OK) return NAN;
    msp_latency lat;
    msp_eval_latency_random(net, 1, 10, 100, &lat);
    msp_net_free(net);
    return lat.median_ms;
}

/* After several steps: the last step's network becomes PREFIX.*, with the
 * JSON report against the original network. */
static msp_status finalize(const prune_args *a, const char *last_cfg, const char *last_w,
                           msp_err *err)
{
    msp_prune_net orig = {0}, last = {0};
    msp_status st;
    if (!(st = msp_prune_net_open(a->cfg, a->weights, 0, &orig, err)) &&
        !(st = msp_prune_net_open(last_cfg, last_w, 0, &last, err))) {
        char note[160];
        snprintf(note, sizeof note, "criterion %s, %s %g in %d steps",
                 msp_prune_criterion_name(a->criterion),
                 a->target_latency > 0 ? "target ms" : a->target_flops > 0 ? "target FLOPs" : "ratio",
                 a->target_latency > 0 ? a->target_latency : a->target_flops > 0 ? a->target_flops : a->ratio,
                 a->steps);
        st = msp_prune_write(a->out, &last.cfg, &orig.net, &last.net, &last.w, note, err);
    }
    msp_prune_net_free(&orig);
    msp_prune_net_free(&last);
    return st;
}

static msp_status cfg_flops(const char *path, double *flops, msp_err *err)
{
    msp_dn_cfg cfg = {0};
    msp_dn_net net = {0};
    msp_status st = msp_dncfg_read(path, &cfg, err);
    if (st == MSP_OK) st = msp_dncfg_check(&cfg, &net, err);
    *flops = net.flops;
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
    return st;
}

/* "3,Sneaker,5": class ids or names of d; MSP_BAD_INPUT on anything else. */
static msp_status parse_classes(const char *list, const msp_dataset *d, int **out, int *n,
                                msp_err *err)
{
    char *copy = msp_strdup(list), *save = NULL;
    int *ids = msp_malloc(sizeof(int) * (strlen(list) + 1));
    int k = 0;
    msp_status st = MSP_OK;
    for (char *t = strtok_r(copy, ",", &save); t && st == MSP_OK; t = strtok_r(NULL, ",", &save)) {
        int id = -1;
        char *end;
        long v = strtol(t, &end, 10);
        if (*t && !*end && v >= 0 && v < d->n_classes) id = (int)v;
        for (int c = 0; id < 0 && d->class_names && c < d->n_classes; c++)
            if (!strcmp(t, d->class_names[c])) id = c;
        if (id < 0)
            st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                             "--classes: '%s' is neither a class id in [0, %d) nor a class name", t,
                             d->n_classes);
        ids[k++] = id;
    }
    free(copy);
    if (st == MSP_OK && k == 0) st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "--classes is empty");
    if (st != MSP_OK) {
        free(ids);
        return st;
    }
    *out = ids;
    *n = k;
    return MSP_OK;
}

/* Relabel d for a class-pruned network (msp_dataset_filter_classes). */
static msp_status relabel(msp_dataset *d, const int *classes, int k, int other, msp_err *err)
{
    msp_dataset out;
    msp_status st = msp_dataset_filter_classes(
        d, classes, k, other ? MSP_CLASSES_REMAP_OTHER : MSP_CLASSES_REMAP, &out, err);
    if (st != MSP_OK) return st;
    msp_dataset_free(d);
    *d = out;
    return MSP_OK;
}

/* --classes: cut the output layer to the classes (PREFIX.classes.*), relabel
 * the data, and measure the original on the kept classes' test images. */
static msp_status restrict_classes(const prune_args *a, msp_experiment_data *data, char **cur_cfg,
                                   char **cur_w, double *base_top1, msp_err *err)
{
    int *ids = NULL, k = 0;
    msp_status st = parse_classes(a->classes, &data->test, &ids, &k, err);
    if (st != MSP_OK) return st;
    msp_dataset kept;
    st = msp_dataset_filter_classes(&data->test, ids, k, MSP_CLASSES_KEEP, &kept, err);
    if (st == MSP_OK) {
        *base_top1 = test_top1(a->cfg, a->weights, &kept, a->engine, err, &st);
        msp_dataset_free(&kept);
    }
    msp_prune_net in = {0}, out = {0};
    char *prefix = msp_strcat3(a->out, ".classes", "");
    if (st == MSP_OK && !(st = msp_prune_net_open(a->cfg, a->weights, 0, &in, err)) &&
        !(st = msp_prune_classes(&in.cfg, &in.net, &in.w, ids, k, a->other, &out.cfg, &out.net,
                                 &out.w, err)))
        st = msp_prune_write(prefix, &out.cfg, &in.net, &out.net, &out.w, "class pruning", err);
    if (st == MSP_OK) {
        free(*cur_cfg);
        free(*cur_w);
        *cur_cfg = msp_strcat3(prefix, ".cfg", "");
        *cur_w = msp_strcat3(prefix, ".weights", "");
    }
    if (st == MSP_OK) st = relabel(&data->train, ids, k, a->other, err);
    if (st == MSP_OK) st = relabel(&data->val, ids, k, a->other, err);
    if (st == MSP_OK) st = relabel(&data->test, ids, k, a->other, err);
    free(prefix);
    free(ids);
    msp_prune_net_free(&in);
    msp_prune_net_free(&out);
    return st;
}

/* What the steps leave for the summary: the network they reached, its
 * FLOPs against the input's, and the test top-1 along the way. */
typedef struct prune_run {
    char *cur_cfg, *cur_w;
    double flops0, flops, before_ft, after_ft, base_top1;
    double target; /* --target-flops in FLOPs */
    int mode;      /* msp_prune_budget: 0 ratio, 1 FLOPs, 2 latency */
} prune_run;

/* Fine-tune a step's network in place (PREFIX.finetune holds the
 * checkpoints), then measure it. */
static msp_status finetune_step(const prune_args *a, const msp_expconf *conf,
                                const msp_experiment_data *data, int step, const char *prefix,
                                prune_run *run, msp_err *err)
{
    char *dir = msp_strcat3(prefix, ".finetune", "");
    msp_train_job j = {.name = prefix,
                       .cfg = run->cur_cfg,
                       .init_weights = run->cur_w,
                       .out_weights = run->cur_w,
                       .dir = dir,
                       .epochs = a->finetune_epochs,
                       .batch = conf->base.batch,
                       .learning_rate = msp_train_finetune_lr(run->cur_cfg, a->finetune_lr),
                       .seed = a->seed + (uint64_t)step,
                       .train = &data->train,
                       .val = &data->val};
    msp_train_job_augment(&j, conf);
    msp_train_opts to = {.engine = a->engine};
    msp_status st = msp_train_run(&j, &to, err);
    free(dir);
    if (st == MSP_OK) {
        run->after_ft = test_top1(run->cur_cfg, run->cur_w, &data->test, a->engine, err, &st);
        msp_log(MSP_LOG_INFO, "step %d/%d: after %d epochs of fine-tuning, test top-1 %.2f%%",
                step, a->steps, a->finetune_epochs, 100 * run->after_ft);
    }
    return st;
}

/* Step step of a->steps: prune run's current network to this step's budget
 * (PREFIX.stepN.* when there are several steps), recalibrate, measure and
 * fine-tune it with --config; it becomes the current network. */
static msp_status prune_one_step(const prune_args *a, const msp_expconf *conf,
                                 const msp_experiment_data *data, int step, double step_ratio,
                                 prune_run *run, msp_err *err)
{
    char suffix[32] = "";
    if (a->steps > 1) snprintf(suffix, sizeof suffix, ".step%d", step);
    char *prefix = msp_strcat3(a->out, suffix, "");
    double fb = 0, fa = 0, flops0 = run->flops0;
    double budget = run->mode == 0   ? step_ratio
                    : run->mode == 1 ? msp_prune_schedule_flops(flops0, run->target, step, a->steps)
                                     : a->target_latency;
    msp_prune_step ps = {.in_cfg = run->cur_cfg,
                         .in_weights = run->cur_w,
                         .out_prefix = prefix,
                         .criterion = a->criterion,
                         .budget_kind = (msp_prune_budget)run->mode,
                         .budget = budget,
                         .alloc = a->alloc,
                         .min_channels = a->min_channels,
                         .protect_first = a->protect_first,
                         .seed = a->seed,
                         .train = &data->train,
                         .batch = conf->base.batch,
                         .engine = a->engine};
    msp_status st = msp_prune_step_files(&ps, &fb, &fa, err);
    run->flops = fa;
    free(run->cur_cfg);
    free(run->cur_w);
    run->cur_cfg = msp_strcat3(prefix, ".cfg", "");
    run->cur_w = msp_strcat3(prefix, ".weights", "");
    if (st == MSP_OK && a->config)
        st = msp_train_recalibrate_files(run->cur_cfg, run->cur_w, run->cur_w, &data->train,
                                         conf->base.batch, a->seed, a->engine, err);
    if (st == MSP_OK && a->config) {
        run->before_ft = test_top1(run->cur_cfg, run->cur_w, &data->test, a->engine, err, &st);
        msp_log(MSP_LOG_INFO, "step %d/%d: %.2f MFLOPs (%.1f%% of the original), test top-1 %.2f%%",
                step, a->steps, fa / 1e6, 100 * fa / flops0, 100 * run->before_ft);
    }
    if (st == MSP_OK && a->finetune_epochs > 0)
        st = finetune_step(a, conf, data, step, prefix, run, err);
    free(prefix);
    return st;
}

/* The terminal summary: FLOPs and batch-1 latency of the input and of
 * PREFIX.*, and the test top-1 with --config. */
static void print_summary(const prune_args *a, const prune_run *run)
{
    int mode = run->mode;
    double flops0 = run->flops0, flops = run->flops;
    char *out_cfg = msp_strcat3(a->out, ".cfg", ""), *out_w = msp_strcat3(a->out, ".weights", "");
    double l0 = latency_ms(a->cfg, a->weights, a->engine);
    double l1 = latency_ms(out_cfg, out_w, a->engine);
    printf("pruned %s with %s to %s %g (%s allocation, %d step%s)\n", a->cfg,
           msp_prune_criterion_name(a->criterion),
           mode == 0 ? "ratio" : mode == 1 ? "MFLOPs" : "latency (ms)",
           mode == 0 ? a->ratio : mode == 1 ? run->target / 1e6 : a->target_latency,
           a->alloc == MSP_ALLOC_GLOBAL ? "global" : "uniform", a->steps, a->steps > 1 ? "s" : "");
    printf("  FLOPs    %.3f M -> %.3f M  (ratio %.3f)\n", flops0 / 1e6, flops / 1e6,
           flops / flops0);
    printf("  latency  %.3f ms -> %.3f ms (ratio %.3f, batch-1 median, engine %s)\n", l0, l1,
           l1 / l0, a->engine == MSP_ENGINE_FAST ? "fast" : "stock");
    if (a->config) {
        printf("  test top-1 original %.2f%%, pruned (batch-norm recalibrated) %.2f%%",
               100 * run->base_top1, 100 * run->before_ft);
        if (a->finetune_epochs > 0) printf(", fine-tuned %.2f%%", 100 * run->after_ft);
        printf("\n");
    }
    printf("  wrote %s.cfg, %s.weights, %s.json\n", a->out, a->out, a->out);
    free(out_cfg);
    free(out_w);
}

int msp_cmd_prune(int argc, char **argv)
{
    prune_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) return rc;
    msp_err err = {{0}};
    msp_status st = MSP_OK;
    msp_expconf conf = {0};
    msp_experiment_data data = {0};
    if (a.config) {
        if ((st = msp_expconf_load(a.config, &conf, &err)) != MSP_OK) return msp_cli_finish(st, &err);
        if (!a.seed_set) a.seed = conf.seed;
        st = msp_experiment_load_data(&conf, MSP_SPLIT_TRAIN | MSP_SPLIT_VAL | MSP_SPLIT_TEST,
                                      &data, &err);
        if (st != MSP_OK) goto out;
        msp_engine_set_threads(conf.threads);
    }

    prune_run run = {.cur_cfg = msp_strdup(a.cfg),
                     .cur_w = msp_strdup(a.weights),
                     .before_ft = NAN,
                     .after_ft = NAN,
                     .base_top1 = NAN};
    if (a.classes) {
        st = restrict_classes(&a, &data, &run.cur_cfg, &run.cur_w, &run.base_top1, &err);
        if (st != MSP_OK) goto done;
    } else if (a.config) {
        run.base_top1 = test_top1(a.cfg, a.weights, &data.test, a.engine, &err, &st);
    }
    if (st == MSP_OK) st = cfg_flops(run.cur_cfg, &run.flops0, &err);
    run.flops = run.flops0;
    /* Budgets per step: the same share of what is left is removed each
     * step, so that N steps reach the requested ratio or FLOPs. */
    run.target = a.target_flops <= 1 ? a.target_flops * run.flops0 : a.target_flops;
    double step_ratio = msp_prune_schedule_ratio(a.ratio, a.steps);
    run.mode = a.target_latency > 0 ? 2 : a.target_flops > 0 ? 1 : 0;
    for (int step = 1; step <= a.steps && st == MSP_OK; step++)
        st = prune_one_step(&a, &conf, &data, step, step_ratio, &run, &err);
    if (st == MSP_OK && a.steps > 1) st = finalize(&a, run.cur_cfg, run.cur_w, &err);
    if (st == MSP_OK) print_summary(&a, &run);
done:
    free(run.cur_cfg);
    free(run.cur_w);
out:
    msp_experiment_data_free(&data);
    msp_expconf_free(&conf);
    return msp_cli_finish(st, &err);
}
