/* run.c: the specialise stage: cluster the inputs, build one pruned,
 * fine-tuned specialist per cluster (jobs, in parallel processes with -j),
 * then measure every network's latency side by side and write the family
 * manifest <output>/family.conf. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/base.h"
#include "train/train.h"
#include "data/data.h"
#include "specialise.h"

/* ---- jobs as processes ---- */

/* The lines run with --as-submitted: a job whose inputs changed after the
 * file was written refuses to run. */
static msp_status write_jobs_file(const msp_specialise_opts *a, const msp_expconf *conf,
                                  const msp_spec_plan *p, const msp_stamp *in, int *pending,
                                  msp_err *err)
{
    char exe[PATH_MAX], cwd[PATH_MAX];
    if (msp_command_self(exe, sizeof exe) != 0 || !getcwd(cwd, sizeof cwd))
        return msp_err_set(err, MSP_FAIL, a->jobs_file, 0, "cannot find msprune's own path");
    char *rec = msp_spec_submitted_record_path(conf);
    msp_status st = msp_stamp_write(in, rec, err);
    free(rec);
    msp_atomic f;
    if (st == MSP_OK) st = msp_atomic_open(&f, a->jobs_file, err);
    if (st != MSP_OK) return st;
    *pending = 0;
    for (int c = 0; c < msp_spec_n_jobs(conf, p); c++) {
        if (msp_spec_job_done(conf, p, c)) continue;
        fputs("cd ", f.f);
        msp_put_shell_quoted(f.f, cwd);
        fputs(" && ", f.f);
        msp_put_shell_quoted(f.f, exe);
        fputs(" specialise ", f.f);
        msp_put_shell_quoted(f.f, a->config);
        fprintf(f.f, " --job %d --engine %s --as-submitted -q\n", c, msp_engine_kind_name(a->engine));
        (*pending)++;
    }
    return msp_atomic_commit(&f, err);
}

/* Start `msprune specialise CONFIG --job c` with its output in NAME.log. */
static pid_t start_job(const msp_specialise_opts *a, const msp_expconf *conf,
                       const msp_spec_plan *p, int c)
{
    char job[16], name[16], log_leaf[48];
    snprintf(job, sizeof job, "%d", c);
    msp_spec_job_name(conf, p, c, name);
    snprintf(log_leaf, sizeof log_leaf, "family/%s.log", name);
    char *log_path = msp_strcat3(conf->output, "/", log_leaf);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *l = freopen(log_path, "a", stdout);
        if (l) dup2(fileno(stdout), 2);
        char *argv[] = {"msprune", "specialise", (char *)a->config, "--job", job, "--engine",
                        (char *)msp_engine_kind_name(a->engine), a->verbose ? "-v" : NULL, NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    if (pid > 0) msp_log(MSP_LOG_INFO, "%s: started (pid %d, log %s)", name, (int)pid, log_path);
    free(log_path);
    return pid;
}

/* Run the pending jobs, at most a->jobs at once. On Ctrl-C the running jobs
 * save their checkpoints (they get the signal too) and no new one starts. */
static msp_status run_parallel(const msp_specialise_opts *a, const msp_expconf *conf, const msp_spec_plan *p,
                               msp_err *err)
{
    int n_jobs = msp_spec_n_jobs(conf, p);
    pid_t *pids = msp_calloc((size_t)n_jobs + 1, sizeof(pid_t));
    int next = 0, running = 0, failed = -1, interrupted = 0;
    msp_stop_signals saved;
    msp_stop_signals_catch(&saved);
    for (;;) {
        while (!msp_stop_requested() && failed < 0 && running < a->jobs && next < n_jobs) {
            int c = next++;
            if (msp_spec_job_done(conf, p, c)) continue;
            pids[c] = start_job(a, conf, p, c);
            if (pids[c] < 0) {
                failed = c;
                break;
            }
            running++;
        }
        if (running == 0) break;
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int c = 0; c < n_jobs; c++) {
            if (pids[c] != pid) continue;
            running--;
            char name[16];
            msp_spec_job_name(conf, p, c, name);
            int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (code == 0) {
                msp_log(MSP_LOG_INFO, "%s: finished", name);
            } else if (code == MSP_INTERRUPTED || (WIFSIGNALED(status) && msp_stop_requested())) {
                interrupted = 1;
            } else if (failed < 0) {
                failed = c;
                msp_log(MSP_LOG_WARN, "%s failed (exit status %d): see %s/family/%s.log", name,
                        code, conf->output, name);
            }
        }
    }
    msp_stop_signals_release(&saved);
    free(pids);
    if (msp_stop_requested() || interrupted) {
        msp_log(MSP_LOG_WARN, "interrupted: run the same command again to continue");
        return MSP_INTERRUPTED;
    }
    if (failed >= 0) {
        char name[16];
        msp_spec_job_name(conf, p, failed, name);
        return msp_err_set(err, MSP_FAIL, conf->path, 0, "the job of %s failed", name);
    }
    return MSP_OK;
}

/* ---- the family ---- */

static msp_status measure_latencies(const msp_expconf *conf, const char *dir, msp_family *f,
                                    msp_engine_kind engine, msp_err *err)
{
    double *ms = msp_calloc((size_t)f->n_nets, sizeof(double));
    msp_status st = msp_family_latency(f, dir, engine, conf->seed, conf->evaluate.warmup,
                                       conf->evaluate.latency_runs, ms, err);
    for (int i = 0; st == MSP_OK && i < f->n_nets; i++) f->nets[i].latency_ms = ms[i];
    free(ms);
    return st;
}

/* An entry for a network that serves every input (the base, a ladder
 * network): a copy of its files in the family folder, its size, and its
 * top-1 on the validation and test splits. */
static msp_status plain_entry(const char *name, const char *cfg_in, const char *w_in,
                              const char *dir, const msp_dataset *val, const msp_dataset *test,
                              msp_engine_kind engine, msp_family_net *n, msp_err *err)
{
    memset(n, 0, sizeof *n);
    n->name = msp_strdup(name);
    n->cfg = msp_strcat3(name, ".cfg", "");
    n->weights = msp_strcat3(name, ".weights", "");
    n->cluster = -1;
    n->budget = NAN;
    n->val_in_cluster = n->base_val_in_cluster = n->test_in_cluster = n->base_test_in_cluster = NAN;
    msp_dn_cfg cfg = {0};
    msp_dn_net net = {0};
    char *cfg_path = msp_strcat3(dir, "/", n->cfg), *w_path = msp_strcat3(dir, "/", n->weights);
    msp_status st = msp_dncfg_read(cfg_in, &cfg, err);
    if (st == MSP_OK) st = msp_dncfg_check(&cfg, &net, err);
    if (st == MSP_OK) st = msp_dncfg_write(&cfg, cfg_path, err);
    msp_net *dn = NULL;
    msp_net_opts o = {.batch = 100, .engine = engine};
    if (st == MSP_OK) st = msp_net_load(cfg_in, w_in, &o, &dn, err);
    if (st == MSP_OK) st = msp_net_save_weights(dn, w_path, err);
    if (st == MSP_OK) {
        n->flops = (int64_t)net.flops;
        n->params = (int64_t)net.n_weights_floats;
        n->n_outputs = msp_net_classes(dn);
        n->outputs = msp_malloc(sizeof(int) * (size_t)n->n_outputs);
        for (int c = 0; c < n->n_outputs; c++) n->outputs[c] = c;
        n->val_top1 = val->n ? msp_eval_top1(dn, val) : NAN;
        n->test_top1 = test->n ? msp_eval_top1(dn, test) : NAN;
    }
    msp_net_free(dn);
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
    free(cfg_path);
    free(w_path);
    return st;
}

/* Measure every network's latency side by side, make paths relative to the
 * manifest (beside the family folder) and write <output>/family.conf. */
static msp_status write_manifest(const msp_expconf *conf, msp_family *f, msp_engine_kind engine,
                                 msp_err *err)
{
    char *dir = msp_strcat3(conf->output, "/", "family");
    msp_status st = measure_latencies(conf, dir, f, engine, err);
    for (int i = 0; i < f->n_nets && st == MSP_OK; i++) {
        char *c = msp_strcat3("family/", f->nets[i].cfg, ""), *w = msp_strcat3("family/", f->nets[i].weights, "");
        free(f->nets[i].cfg);
        free(f->nets[i].weights);
        f->nets[i].cfg = c;
        f->nets[i].weights = w;
    }
    char *manifest = msp_strcat3(conf->output, "/", "family.conf");
    if (st == MSP_OK) st = msp_family_write(manifest, f, err);
    free(manifest);
    free(dir);
    return st;
}

static void family_init(msp_family *f, const msp_expconf *conf, const char *clustering, int k,
                        int n_classes, uint32_t crc, int max_nets)
{
    memset(f, 0, sizeof *f);
    f->experiment = msp_strdup(conf->name);
    f->clustering = msp_strdup(clustering);
    f->k = k;
    f->n_classes = n_classes;
    f->plan_crc = crc;
    f->nets = msp_calloc((size_t)max_nets, sizeof *f->nets);
}

/* The config's ladder networks appended to f (room for them), each as a
 * plain entry. */
static msp_status add_ladder(const msp_expconf *conf, const char *dir, const msp_dataset *val,
                             const msp_dataset *test, msp_engine_kind engine, msp_family *f,
                             msp_err *err)
{
    msp_status st = MSP_OK;
    for (int i = 0; i < conf->n_ladder && st == MSP_OK; i++) {
        const msp_ladder_net *l = &conf->ladder[i];
        for (int j = 0; j < f->n_nets; j++)
            if (!strcmp(f->nets[j].name, l->name))
                return msp_err_set(err, MSP_BAD_INPUT, conf->path, l->line,
                                   "ladder network '%s' has the name of a derived network: "
                                   "rename it", l->name);
        if (!msp_file_readable(l->weights))
            return msp_err_set(err, MSP_BAD_INPUT, conf->path, l->line,
                               "weights %s do not exist yet: run `msprune train %s --net %s` first",
                               l->weights, conf->path, l->name);
        st = plain_entry(l->name, l->cfg, l->weights, dir, val, test, engine, &f->nets[f->n_nets],
                         err);
        f->n_nets++;
    }
    return st;
}

/* The base, every job's network, then the ladder networks if the config
 * has any (so that one evaluation measures both side by side). */
static msp_status build_manifest(const msp_expconf *conf, const msp_spec_plan *p,
                                 const msp_dataset *val, const msp_dataset *test,
                                 msp_engine_kind engine, msp_family *f, msp_err *err)
{
    char *dir = msp_strcat3(conf->output, "/", "family");
    int n_jobs = msp_spec_n_jobs(conf, p);
    family_init(f, conf, msp_cluster_method_name(p->method), p->k, p->n_classes, p->crc,
                n_jobs + 1 + conf->n_ladder);
    msp_status st = plain_entry("base", conf->base.cfg, conf->base.weights, dir, val, test, engine,
                                &f->nets[0], err);
    f->n_nets = 1;
    for (int c = 0; c < n_jobs && st == MSP_OK; c++) {
        char *path = msp_spec_job_result_path(conf, p, c);
        msp_family one;
        st = msp_family_load(path, &one, err);
        if (st == MSP_OK) {
            f->nets[f->n_nets++] = one.nets[0];
            memset(&one.nets[0], 0, sizeof one.nets[0]);
            msp_family_free(&one);
        }
        free(path);
    }
    if (st == MSP_OK) st = add_ladder(conf, dir, val, test, engine, f, err);
    if (st == MSP_OK) st = write_manifest(conf, f, engine, err);
    free(dir);
    return st;
}

/* A ladder experiment's family: the base and the ladder networks, no clusters. */
static msp_status build_ladder(const msp_expconf *conf, const msp_dataset *val,
                               const msp_dataset *test, msp_engine_kind engine, msp_family *f,
                               msp_err *err)
{
    char *dir = msp_strcat3(conf->output, "/", "family");
    family_init(f, conf, "none", 1, val->n_classes, 0, conf->n_ladder + 1);
    msp_status st = msp_mkdirs(dir, err);
    if (st == MSP_OK)
        st = plain_entry("base", conf->base.cfg, conf->base.weights, dir, val, test, engine,
                         &f->nets[0], err);
    f->n_nets = 1;
    if (st == MSP_OK) st = add_ladder(conf, dir, val, test, engine, f, err);
    if (st == MSP_OK) st = write_manifest(conf, f, engine, err);
    free(dir);
    return st;
}

static msp_status write_plan(const msp_expconf *conf, const msp_spec_plan *p, msp_err *err)
{
    char *dir = msp_strcat3(conf->output, "/", "family");
    char *plan_path = msp_strcat3(dir, "/", "plan.conf");
    char *clusters = msp_strcat3(conf->output, "/", "clusters.json");
    msp_status st = msp_mkdirs(dir, err);
    msp_atomic a;
    if (st == MSP_OK && (st = msp_atomic_open(&a, plan_path, err)) == MSP_OK) {
        char *text = msp_spec_plan_text(conf, p);
        fputs(text, a.f);
        free(text);
        st = msp_atomic_commit(&a, err);
    }
    if (st == MSP_OK) {
        int confusion = p->method == MSP_CLUSTER_CONFUSION;
        msp_clusters c = {.method = p->method,
                          .k = p->k,
                          .n_items = confusion ? p->n_classes : p->n_split[MSP_SPLIT_IDX_TRAIN],
                          .assign = confusion ? p->class_cluster : p->assign[MSP_SPLIT_IDX_TRAIN],
                          .silhouette = p->silhouette,
                          .inertia = NAN,
                          .seed = conf->seed};
        st = msp_clusters_write_json(clusters, &c, NULL, 0, err);
    }
    free(dir);
    free(plan_path);
    free(clusters);
    return st;
}

void msp_specialise_inputs(const msp_expconf *c, msp_stamp *s)
{
    msp_experiment_stamp_data(c, MSP_SPLIT_TRAIN | MSP_SPLIT_VAL | MSP_SPLIT_TEST, s);
    msp_expconf_stamp(c, "specialise", s);
    msp_expconf_stamp_augment(c, s);
    msp_expconf_stamp(c, "evaluate", s);
    msp_stamp_add(s, "base.batch", "%d", c->base.batch);
    msp_stamp_add(s, "base.cfg", "%s", c->base.cfg);
    msp_stamp_add_file(s, c->base.cfg);
    msp_stamp_add(s, "base.weights", "%s", c->base.weights);
    msp_stamp_add_file(s, c->base.weights);
    for (int i = 0; i < c->n_ladder; i++) {
        msp_expconf_stamp_ladder(&c->ladder[i], s);
        msp_stamp_add_file(s, c->ladder[i].cfg);
        msp_stamp_add_file(s, c->ladder[i].weights);
    }
}

char *msp_specialise_record_path(const msp_expconf *c)
{
    return msp_stamp_path(c->output, "specialise");
}

/* The family is written: record what it was built from. */
static msp_status record_family(const msp_expconf *c, const msp_stamp *in, msp_err *err)
{
    char *rec = msp_specialise_record_path(c);
    msp_status st = msp_stamp_write(in, rec, err);
    free(rec);
    return st;
}

/* A job handed out (--slurm, --jobs-file): are the inputs still those it
 * was handed out with? */
static msp_status same_as_submitted(const msp_expconf *c, const msp_stamp *in, msp_err *err)
{
    char *rec = msp_spec_submitted_record_path(c);
    char why[600];
    msp_stamp_result r = msp_stamp_compare(in, rec, why, sizeof why);
    free(rec);
    if (r == MSP_STAMP_SAME) return MSP_OK;
    if (r == MSP_STAMP_NONE) snprintf(why, sizeof why, "there is no record of a submission");
    return msp_err_set(err, MSP_BAD_INPUT, c->path, 0,
                       "refusing to run: %s since the jobs were handed out; `msprune specialise "
                       "%s` with --slurm (or --jobs-file) hands them out again", why, c->path);
}

/* The family manifest as written (by a job of Slurm's). */
static msp_status load_family(const msp_expconf *c, msp_family *f, msp_err *err)
{
    char *manifest = msp_strcat3(c->output, "/", "family.conf");
    msp_status st = msp_family_load(manifest, f, err);
    free(manifest);
    return st;
}

msp_status msp_specialise(const msp_expconf *cf, const msp_specialise_opts *ao,
                          msp_specialise_result *out, msp_err *err)
{
    msp_specialise_opts a = *ao;
    a.config = cf->path;
    const msp_expconf *c = cf;
    msp_experiment_data data = {0};
    msp_spec_plan plan = {0};
    memset(out, 0, sizeof *out);
    out->jobs_written = -1;
    msp_family *fam = &out->family;
    msp_net *base = NULL;
    msp_status st = MSP_OK;
    msp_stamp in = {0};
    msp_specialise_inputs(c, &in);
    msp_engine_set_threads(c->threads);
    if (a.as_submitted && (st = same_as_submitted(c, &in, err)) != MSP_OK) goto out;
    if (!msp_file_readable(c->base.weights)) {
        st = msp_err_set(err, MSP_BAD_INPUT, c->path, c->base.weights_line,
                         "base weights %s do not exist yet: run `msprune train %s` first",
                         c->base.weights, c->path);
        goto out;
    }
    if (c->n_ladder && !c->specialise.present) {
        /* An off-the-shelf ladder is the family: nothing to specialise. */
        st = msp_experiment_load_data(c, MSP_SPLIT_VAL | MSP_SPLIT_TEST, &data, err);
        if (st == MSP_OK) st = build_ladder(c, &data.val, &data.test, a.engine, fam, err);
        if (st == MSP_OK) st = record_family(c, &in, err);
        goto out;
    }
    if (!c->specialise.present)
        msp_log(MSP_LOG_INFO, "%s has no `specialise` section: using the defaults", c->path);
    st = msp_experiment_load_data(c, MSP_SPLIT_TRAIN | MSP_SPLIT_VAL | MSP_SPLIT_TEST, &data, err);
    msp_net_opts o = {.batch = 100, .engine = a.engine, .verbose = a.verbose};
    if (st == MSP_OK) st = msp_net_load(c->base.cfg, c->base.weights, &o, &base, err);
    if (st == MSP_OK) st = msp_spec_plan_make(c, base, &data.train, &data.val, &data.test, &plan, err);
    msp_net_free(base);
    if (st != MSP_OK) goto out;

    msp_spec_job_opts jo = {.engine = a.engine, .verbose = a.verbose};
    if (a.job >= 0) {
        st = msp_spec_job_run(c, &plan, a.job, &data.train, &data.val, &data.test, &jo, err);
        goto out;
    }
    if ((st = write_plan(c, &plan, err)) != MSP_OK) goto out;
    msp_log(MSP_LOG_INFO, "%s clustering: k = %d (silhouette %.3f)", msp_cluster_method_name(plan.method),
            plan.k, plan.silhouette);
    if (a.jobs_file) {
        int pending = 0;
        st = write_jobs_file(&a, c, &plan, &in, &pending, err);
        if (st == MSP_OK) out->jobs_written = pending;
        goto out;
    }
    if (a.slurm) {
        st = msp_spec_slurm(c, &plan, &in, a.engine, a.slurm, &out->slurm, err);
        if (st == MSP_OK && (a.slurm->wait || !out->slurm.family[0]))
            st = load_family(c, fam, err);
        goto out;
    }
    if (a.jobs > 1) {
        st = run_parallel(&a, c, &plan, err);
    } else {
        for (int k = 0; k < msp_spec_n_jobs(c, &plan) && st == MSP_OK; k++)
            st = msp_spec_job_run(c, &plan, k, &data.train, &data.val, &data.test, &jo, err);
    }
    if (st == MSP_OK) st = build_manifest(c, &plan, &data.val, &data.test, a.engine, fam, err);
    if (st == MSP_OK) st = record_family(c, &in, err);
out:
    if (st != MSP_OK) msp_family_free(fam);
    msp_stamp_free(&in);
    msp_spec_plan_free(&plan);
    msp_experiment_data_free(&data);
    return st;
}

void msp_specialise_result_free(msp_specialise_result *r)
{
    msp_family_free(&r->family);
}
