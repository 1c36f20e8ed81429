/* job.c: one specialist or generalist of the family, as an independent,
 * restartable job.
 *
 * In <output>/family/NAME.work/ (NAME = s<cluster> or g<i>):
 *   plan.crc               the plan the files below were made from; another
 *                          plan empties the folder first
 *   classes.*              class clusters: the base cut to the cluster's
 *                          classes (+ "other")
 *   stepK-pruned.*         step K: pruned with the data-driven criterion
 *   stepK-recal.weights    ... batch-norm statistics re-estimated
 *   stepK.finetune/        ... fine-tuning checkpoints
 *   stepK-tuned.weights    ... fine-tuned
 * then NAME.cfg, NAME.weights and, last, NAME.result (a one-network family
 * manifest with the measurements) in <output>/family/.
 *
 * Every file is written atomically and is a deterministic function of the
 * files before it, so a killed job restarts at the first missing file and
 * ends with the same specialist an uninterrupted run makes (fine-tuning
 * resumes bit-identically from its checkpoint, see train.h). */
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "train/train.h"
#include "prune/prune.h"
#include "specialise.h"

static char *family_dir(const msp_expconf *conf)
{
    return msp_strcat3(conf->output, "/", "family");
}

static int n_specialists(const msp_expconf *conf, const msp_spec_plan *plan)
{
    return conf->specialise.specialists ? plan->k : 0;
}

int msp_spec_n_jobs(const msp_expconf *conf, const msp_spec_plan *plan)
{
    return n_specialists(conf, plan) + conf->specialise.n_generalists;
}

/* The cluster a job specialises in; -1 for a generalist. */
static int job_cluster(const msp_expconf *conf, const msp_spec_plan *plan, int job)
{
    return job < n_specialists(conf, plan) ? job : -1;
}

void msp_spec_job_name(const msp_expconf *conf, const msp_spec_plan *plan, int job, char name[16])
{
    int ns = n_specialists(conf, plan);
    snprintf(name, 16, job < ns ? "s%d" : "g%d", job < ns ? job : job - ns);
}

static char *job_file(const msp_expconf *conf, const msp_spec_plan *plan, int job,
                      const char *suffix)
{
    char name[16], leaf[64];
    msp_spec_job_name(conf, plan, job, name);
    snprintf(leaf, sizeof leaf, "family/%s%s", name, suffix);
    return msp_strcat3(conf->output, "/", leaf);
}

char *msp_spec_job_result_path(const msp_expconf *conf, const msp_spec_plan *plan, int job)
{
    return job_file(conf, plan, job, ".result");
}

int msp_spec_job_done(const msp_expconf *conf, const msp_spec_plan *plan, int job)
{
    char *path = msp_spec_job_result_path(conf, plan, job);
    msp_family f;
    msp_err err;
    int done = msp_file_readable(path) && msp_family_load(path, &f, &err) == MSP_OK;
    if (done) {
        done = f.plan_crc == plan->crc && f.n_nets == 1 &&
               f.nets[0].cluster == job_cluster(conf, plan, job);
        msp_family_free(&f);
    }
    free(path);
    return done;
}

/* ---- the work folder ---- */

/* Remove every regular file in dir and in its subfolders one level down
 * (the fine-tuning checkpoints): what an older plan left. */
static void empty_dir(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *p = msp_strcat3(dir, "/", e->d_name);
        if (depth > 0) empty_dir(p, depth - 1);
        if (remove(p) != 0) msp_log(MSP_LOG_WARN, "could not remove %s", p);
        free(p);
    }
    closedir(d);
}

/* Make the work folder belong to this plan. */
static msp_status claim_work_dir(const char *work, uint32_t crc, msp_err *err)
{
    msp_status st = msp_mkdirs(work, err);
    if (st != MSP_OK) return st;
    char *path = msp_strcat3(work, "/", "plan.crc");
    FILE *f = fopen(path, "r");
    unsigned long have = 0;
    int same = f && fscanf(f, "%lu", &have) == 1 && have == crc;
    if (f) fclose(f);
    if (!same) {
        if (f) msp_log(MSP_LOG_INFO, "%s was made from another plan: starting it afresh", work);
        empty_dir(work, 1);
        msp_atomic a;
        if ((st = msp_atomic_open(&a, path, err)) == MSP_OK) {
            fprintf(a.f, "%" PRIu32 "\n", crc);
            st = msp_atomic_commit(&a, err);
        }
    }
    free(path);
    return st;
}

/* ---- the specialist's data ---- */

/* The cluster's examples of d plus a seeded share of the others (in their
 * original order); class clusters are relabelled for the class-pruned
 * network (cluster classes 0..k-1, then "other" = k). */
static msp_status job_data(const msp_expconf *conf, const msp_spec_plan *p, int cluster,
                           const int *classes, int n_classes, const msp_dataset *d,
                           const int *assign, uint64_t seed, msp_dataset *out, msp_err *err)
{
    int *in = msp_malloc(sizeof(int) * ((size_t)d->n + 1)), *oth = msp_malloc(sizeof(int) * ((size_t)d->n + 1));
    int n_in = 0, n_oth = 0;
    for (int i = 0; i < d->n; i++) {
        if (cluster < 0 || assign[i] == cluster) in[n_in++] = i;
        else oth[n_oth++] = i;
    }
    if (cluster < 0) { /* a generalist: every image, every class (all went to `in`) */
        msp_dataset_subset(d, in, n_in, out);
        free(in);
        free(oth);
        return MSP_OK;
    }
    int class_groups = p->method == MSP_CLUSTER_CONFUSION;
    int take = 0;
    if (!class_groups || conf->specialise.other) {
        double want = conf->specialise.other_share * n_in;
        take = want >= n_oth ? n_oth : (int)llround(want);
    }
    msp_rng rng;
    msp_rng_seed(&rng, seed);
    msp_rng_shuffle(&rng, oth, n_oth);
    /* Merge the two ascending lists: the cluster's and the first `take` others sorted. */
    int *idx = msp_malloc(sizeof(int) * ((size_t)n_in + (size_t)take + 1));
    int n = 0;
    unsigned char *pick = msp_calloc((size_t)d->n + 1, 1);
    for (int i = 0; i < n_in; i++) pick[in[i]] = 1;
    for (int i = 0; i < take; i++) pick[oth[i]] = 1;
    for (int i = 0; i < d->n; i++)
        if (pick[i]) idx[n++] = i;
    free(pick);
    free(in);
    free(oth);
    msp_status st = MSP_OK;
    if (class_groups) {
        msp_dataset sub;
        msp_dataset_subset(d, idx, n, &sub);
        st = msp_dataset_filter_classes(&sub, classes, n_classes,
                                        conf->specialise.other ? MSP_CLASSES_REMAP_OTHER : MSP_CLASSES_REMAP,
                                        out, err);
        msp_dataset_free(&sub);
    } else {
        msp_dataset_subset(d, idx, n, out);
    }
    free(idx);
    return st;
}

/* ---- measuring ---- */

typedef struct counts {
    int n, correct, in_n, in_correct, base_in_correct;
} counts;

/* Top-1 of the specialist (outputs map to base classes, -1 = other: wrong)
 * over every image of d and over the cluster's, and the base on the latter. */
static msp_status measure(const char *cfg, const char *weights, msp_net *base, const int *outputs,
                          const msp_dataset *d, const int *assign, int cluster,
                          msp_engine_kind engine, counts *c, msp_err *err)
{
    memset(c, 0, sizeof *c);
    if (d->n == 0) return MSP_OK;
    msp_net *net = NULL;
    msp_net_opts o = {.batch = 100, .engine = engine};
    msp_status st = msp_net_load(cfg, weights, &o, &net, err);
    if (st != MSP_OK) return st;
    int m = msp_net_classes(net), mb = msp_net_classes(base);
    float *out = msp_malloc(sizeof(float) * (size_t)d->n * (size_t)m);
    float *bout = msp_malloc(sizeof(float) * (size_t)d->n * (size_t)mb);
    msp_eval_outputs(net, d, out);
    msp_eval_outputs(base, d, bout);
    for (int i = 0; i < d->n; i++) {
        int ok = outputs[msp_argmax(out + (size_t)i * m, m)] == d->y[i];
        int bok = msp_argmax(bout + (size_t)i * mb, mb) == d->y[i];
        c->n++;
        c->correct += ok;
        if (cluster >= 0 && assign[i] == cluster) {
            c->in_n++;
            c->in_correct += ok;
            c->base_in_correct += bok;
        }
    }
    free(out);
    free(bout);
    msp_net_free(net);
    return MSP_OK;
}

static double frac(int a, int b)
{
    return b ? (double)a / b : NAN;
}

/* ---- the job ---- */

typedef struct job {
    const msp_expconf *conf;
    const msp_spec_plan *plan;
    int id;                 /* the job's number (msp_spec_job_name) */
    int cluster;            /* -1 for a generalist */
    double budget;          /* the share of the base's FLOPs it is pruned to */
    const msp_spec_job_opts *o;
    char *work;
    msp_dataset train, val; /* the network's fine-tuning data */
    const int *outputs;     /* base class per output, -1 = other */
    int n_outputs;
    float *soft;            /* distillation targets for train, made when first needed */
} job;

static char *work_file(const job *j, const char *leaf)
{
    return msp_strcat3(j->work, "/", leaf);
}

/* Step k: prune cur -> stepK-pruned, recalibrate -> stepK-recal, fine-tune
 * -> stepK-tuned; each skipped when its output exists. cur_cfg/cur_w are
 * replaced by the step's result. */
static msp_status run_step(job *j, int k, double flops_target, char **cur_cfg, char **cur_w,
                           msp_err *err)
{
    const __typeof__(j->conf->specialise) *s = &j->conf->specialise;
    char name[64];
    snprintf(name, sizeof name, "step%d-pruned", k);
    char *prefix = work_file(j, name);
    char *pruned_cfg = msp_strcat3(prefix, ".cfg", ""), *pruned_w = msp_strcat3(prefix, ".weights", "");
    snprintf(name, sizeof name, "step%d-recal.weights", k);
    char *recal_w = work_file(j, name);
    snprintf(name, sizeof name, "step%d-tuned.weights", k);
    char *tuned_w = work_file(j, name);
    snprintf(name, sizeof name, "step%d.finetune", k);
    char *ft_dir = work_file(j, name);
    uint64_t seed = j->conf->seed * 1000003u + (uint64_t)j->id * 101u + (uint64_t)k;
    msp_status st = MSP_OK;

    if (!msp_file_readable(tuned_w) && !msp_file_readable(recal_w) && !msp_file_readable(pruned_w)) {
        msp_prune_step ps = {.in_cfg = *cur_cfg,
                             .in_weights = *cur_w,
                             .out_prefix = prefix,
                             .budget_kind = MSP_BUDGET_FLOPS,
                             .budget = flops_target,
                             .alloc = s->allocation ? MSP_ALLOC_GLOBAL : MSP_ALLOC_UNIFORM,
                             .min_channels = s->min_channels,
                             .protect_first = s->protect_first,
                             .seed = seed,
                             .train = &j->train,
                             .batch = j->conf->base.batch,
                             .engine = j->o->engine};
        st = msp_prune_criterion_parse(s->criterion ? s->criterion : "taylor", &ps.criterion, err);
        if (st != MSP_OK) {
            msp_err e = *err;
            msp_err_set(err, st, j->conf->path, s->criterion_line, "specialise.criterion: %s", e.msg);
        }
        if (st == MSP_OK) st = msp_prune_step_files(&ps, NULL, NULL, err);
        if (st == MSP_OK) { /* "s1-step1-pruned": the crash tests stop one job here */
            char point[64], job_name[16];
            msp_spec_job_name(j->conf, j->plan, j->id, job_name);
            snprintf(point, sizeof point, "%s-step%d-pruned", job_name, k);
            msp_testpoint(point);
        }
    }
    if (st == MSP_OK && !msp_file_readable(tuned_w) && !msp_file_readable(recal_w))
        st = msp_train_recalibrate_files(pruned_cfg, pruned_w, recal_w, &j->train,
                                         j->conf->base.batch, seed, j->o->engine, err);
    if (st == MSP_OK && !msp_file_readable(tuned_w)) {
        if (s->finetune_epochs == 0) {
            st = msp_copy_file(recal_w, tuned_w, NULL, NULL, err);
        } else if (s->distill > 0 && !j->soft) {
            st = msp_spec_teacher_targets(j->conf->base.cfg, j->conf->base.weights, &j->train,
                                          j->outputs, j->n_outputs, s->distill_temperature,
                                          j->o->engine, &j->soft, err);
        }
        if (st == MSP_OK && s->finetune_epochs > 0) {
            char *ckpt = msp_checkpoint_weights_path(ft_dir);
            msp_train_job tj = {.name = name,
                                .cfg = pruned_cfg,
                                .init_weights = recal_w,
                                .out_weights = tuned_w,
                                .dir = ft_dir,
                                .epochs = s->finetune_epochs,
                                .batch = j->conf->base.batch,
                                .learning_rate = msp_train_finetune_lr(pruned_cfg, s->finetune_lr),
                                .seed = seed,
                                .train = &j->train,
                                .val = &j->val,
                                .soft = j->soft,
                                .soft_weight = (float)s->distill};
            msp_train_job_augment(&tj, j->conf);
            msp_train_opts to = {.engine = j->o->engine, .verbose = j->o->verbose,
                                 .resume = msp_file_readable(ckpt)};
            st = msp_train_run(&tj, &to, err);
            free(ckpt);
        }
    }
    if (st == MSP_OK) {
        free(*cur_cfg);
        free(*cur_w);
        *cur_cfg = msp_strdup(pruned_cfg);
        *cur_w = msp_strdup(tuned_w);
    }
    free(prefix);
    free(pruned_cfg);
    free(pruned_w);
    free(recal_w);
    free(tuned_w);
    free(ft_dir);
    return st;
}

/* The cut to the cluster's classes (+ other), into classes.*. */
static msp_status cut_classes(job *j, const int *classes, int n, char **cur_cfg, char **cur_w,
                              msp_err *err)
{
    char *prefix = work_file(j, "classes");
    char *cfg = msp_strcat3(prefix, ".cfg", ""), *w = msp_strcat3(prefix, ".weights", "");
    msp_status st = MSP_OK;
    if (!msp_file_readable(w)) {
        msp_prune_net in = {0}, out = {0};
        if (!(st = msp_prune_net_open(*cur_cfg, *cur_w, 0, &in, err)) &&
            !(st = msp_prune_classes(&in.cfg, &in.net, &in.w, classes, n, j->conf->specialise.other,
                                     &out.cfg, &out.net, &out.w, err)))
            st = msp_prune_write(prefix, &out.cfg, &in.net, &out.net, &out.w, "class pruning", err);
        msp_prune_net_free(&in);
        msp_prune_net_free(&out);
    }
    free(prefix);
    if (st == MSP_OK) {
        free(*cur_cfg);
        free(*cur_w);
        *cur_cfg = cfg;
        *cur_w = w;
    } else {
        free(cfg);
        free(w);
    }
    return st;
}

static msp_status net_size(const char *cfg_path, int64_t *flops, int64_t *params, msp_err *err)
{
    msp_dn_cfg cfg = {0};
    msp_dn_net net = {0};
    msp_status st = msp_dncfg_read(cfg_path, &cfg, err);
    if (st == MSP_OK) st = msp_dncfg_check(&cfg, &net, err);
    if (st == MSP_OK) {
        *flops = (int64_t)net.flops;
        *params = (int64_t)net.n_weights_floats;
    }
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
    return st;
}

/* Evaluate the finished specialist and write s<C>.result. */
static msp_status finish(job *j, const char *cfg, const char *w, const int *outputs, int n_outputs,
                         const msp_dataset *val, const msp_dataset *test, msp_err *err)
{
    const msp_spec_plan *p = j->plan;
    char leaf[16];
    msp_spec_job_name(j->conf, p, j->id, leaf);
    char *fcfg = job_file(j->conf, p, j->id, ".cfg"), *fw = job_file(j->conf, p, j->id, ".weights");
    char *cfg_leaf = msp_strcat3(leaf, ".cfg", ""), *w_leaf = msp_strcat3(leaf, ".weights", "");
    msp_family_net n = {.name = leaf, .cfg = cfg_leaf, .weights = w_leaf, .cluster = j->cluster,
                        .n_outputs = n_outputs, .outputs = (int *)outputs,
                        .budget = j->budget, .latency_ms = NAN};
    msp_net *base = NULL;
    msp_net_opts bo = {.batch = 100, .engine = j->o->engine};
    counts cv, ct;
    msp_status st;
    if ((st = msp_copy_file(cfg, fcfg, NULL, NULL, err)) ||
        (st = msp_copy_file(w, fw, NULL, NULL, err)) ||
        (st = net_size(fcfg, &n.flops, &n.params, err)) ||
        (st = msp_net_load(j->conf->base.cfg, j->conf->base.weights, &bo, &base, err)) ||
        (st = measure(fcfg, fw, base, outputs, val, p->assign[MSP_SPLIT_IDX_VAL], j->cluster,
                      j->o->engine, &cv, err)) ||
        (st = measure(fcfg, fw, base, outputs, test, p->assign[MSP_SPLIT_IDX_TEST], j->cluster,
                      j->o->engine, &ct, err)))
        goto out;
    n.val_top1 = frac(cv.correct, cv.n);
    n.val_in_cluster = frac(cv.in_correct, cv.in_n);
    n.base_val_in_cluster = frac(cv.base_in_correct, cv.in_n);
    n.val_cluster_n = cv.in_n;
    n.test_top1 = frac(ct.correct, ct.n);
    n.test_in_cluster = frac(ct.in_correct, ct.in_n);
    n.base_test_in_cluster = frac(ct.base_in_correct, ct.in_n);
    n.test_cluster_n = ct.in_n;
    msp_family one = {.experiment = j->conf->name,
                      .clustering = (char *)msp_cluster_method_name(p->method),
                      .k = p->k,
                      .n_classes = p->n_classes,
                      .plan_crc = p->crc,
                      .n_nets = 1,
                      .nets = &n};
    char *result = msp_spec_job_result_path(j->conf, p, j->id);
    st = msp_family_write(result, &one, err);
    if (st == MSP_OK && j->cluster < 0)
        msp_log(MSP_LOG_INFO, "%s: %.2f MFLOPs, validation top-1 %.2f%%, test %.2f%%", leaf,
                n.flops / 1e6, 100 * n.val_top1, 100 * n.test_top1);
    else if (st == MSP_OK)
        msp_log(MSP_LOG_INFO,
                "%s: %.2f MFLOPs, in-cluster validation top-1 %.2f%% (base %.2f%%), test %.2f%% "
                "(base %.2f%%)",
                leaf, n.flops / 1e6, 100 * n.val_in_cluster, 100 * n.base_val_in_cluster,
                100 * n.test_in_cluster, 100 * n.base_test_in_cluster);
    free(result);
out:
    msp_net_free(base);
    free(fcfg);
    free(fw);
    free(cfg_leaf);
    free(w_leaf);
    return st;
}

msp_status msp_spec_job_run(const msp_expconf *conf, const msp_spec_plan *plan, int id,
                            const msp_dataset *train, const msp_dataset *val,
                            const msp_dataset *test, const msp_spec_job_opts *o, msp_err *err)
{
    int n_jobs = msp_spec_n_jobs(conf, plan);
    if (id < 0 || id >= n_jobs)
        return msp_err_set(err, MSP_BAD_INPUT, conf->path, 0, "job %d: the plan has jobs 0 to %d", id,
                           n_jobs - 1);
    char name[16];
    msp_spec_job_name(conf, plan, id, name);
    if (msp_spec_job_done(conf, plan, id)) {
        msp_log(MSP_LOG_INFO, "%s: done already", name);
        return MSP_OK;
    }
    int cluster = job_cluster(conf, plan, id);
    job j = {.conf = conf, .plan = plan, .id = id, .cluster = cluster, .o = o};
    j.work = job_file(conf, plan, id, ".work");
    char *fdir = family_dir(conf);
    int *classes = NULL, n_classes = 0, *outputs = NULL, n_outputs = 0;
    char *cur_cfg = msp_strdup(conf->base.cfg), *cur_w = msp_strdup(conf->base.weights);
    msp_status st = msp_mkdirs(fdir, err);
    if (st == MSP_OK) st = claim_work_dir(j.work, plan->crc, err);
    if (st != MSP_OK) goto out;

    /* The network's outputs, as base classes (-1 = other). */
    if (cluster >= 0 && plan->method == MSP_CLUSTER_CONFUSION) {
        classes = msp_malloc(sizeof(int) * (size_t)plan->n_classes);
        n_classes = msp_cluster_members(plan->class_cluster, plan->n_classes, cluster, classes);
        outputs = msp_malloc(sizeof(int) * ((size_t)n_classes + 1));
        memcpy(outputs, classes, sizeof(int) * (size_t)n_classes);
        n_outputs = n_classes;
        if (conf->specialise.other) outputs[n_outputs++] = -1;
    } else {
        n_outputs = plan->n_classes;
        outputs = msp_malloc(sizeof(int) * (size_t)n_outputs);
        for (int c = 0; c < n_outputs; c++) outputs[c] = c;
    }
    j.outputs = outputs;
    j.n_outputs = n_outputs;
    uint64_t dseed = conf->seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(id + 1));
    if ((st = job_data(conf, plan, cluster, classes, n_classes, train, plan->assign[MSP_SPLIT_IDX_TRAIN],
                       dseed, &j.train, err)) ||
        (st = job_data(conf, plan, cluster, classes, n_classes, val, plan->assign[MSP_SPLIT_IDX_VAL],
                       dseed + 1, &j.val, err)))
        goto out;
    msp_log(MSP_LOG_INFO, "%s: %d training images (%d classes), %d validation", name, j.train.n,
            j.train.n_classes, j.val.n);
    if (j.train.n < conf->base.batch) {
        st = msp_err_set(err, MSP_BAD_INPUT, conf->path, 0,
                         "%s has %d training images, fewer than one batch (%d)", name, j.train.n,
                         conf->base.batch);
        goto out;
    }
    int64_t base_flops, params;
    if ((st = net_size(conf->base.cfg, &base_flops, &params, err))) goto out;
    if (classes && (st = cut_classes(&j, classes, n_classes, &cur_cfg, &cur_w, err))) goto out;
    int64_t start_flops;
    if ((st = net_size(cur_cfg, &start_flops, &params, err))) goto out;
    /* The same share of what is left goes each step, ending at the budget. */
    double share = cluster >= 0 ? conf->specialise.target_flops
                                : conf->specialise.generalists[id - n_specialists(conf, plan)];
    j.budget = share;
    double target = share * (double)base_flops;
    int steps = conf->specialise.steps;
    for (int k = 1; k <= steps && st == MSP_OK; k++)
        st = run_step(&j, k, msp_prune_schedule_flops(start_flops, target, k, steps), &cur_cfg,
                      &cur_w, err);
    if (st == MSP_OK) st = finish(&j, cur_cfg, cur_w, outputs, n_outputs, val, test, err);
out:
    msp_dataset_free(&j.train);
    msp_dataset_free(&j.val);
    free(j.soft);
    free(j.work);
    free(fdir);
    free(classes);
    free(outputs);
    free(cur_cfg);
    free(cur_w);
    return st;
}
