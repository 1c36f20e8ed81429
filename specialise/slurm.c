/* slurm.c: the family's jobs on a Slurm cluster.
 *
 * The jobs that are not done go in as one job array through sbatch (task N
 * builds job N), and one more job, which depends on the whole array
 * (afterok), writes the family manifest. Both run msprune itself with
 * --as-submitted, so a task whose inputs changed after the submission
 * refuses to run. Everything msprune writes for Slurm lives in
 * <output>/slurm/: the two batch scripts, Slurm's own output of each task
 * (ARRAY_TASK.out), the manifest job's log (family.log) and submitted.conf,
 * the ids of what is in Slurm's hands; each job's own log is
 * <output>/family/NAME.log, as with -j.
 *
 * A second --slurm while those jobs are queued or running submits nothing
 * and follows them; after they ended it submits only the jobs that are not
 * done (the jobs resume from their intermediate files, job.c). Following
 * is squeue, polled at a slowing pace (2 s, then up to 30 s); a failing
 * squeue is tried again, up to QUERY_TRIES times in a row. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "specialise.h"

enum {
    MAX_JOBS = MSP_CLUSTER_MAX_K + MSP_MAX_GENERALISTS,
    QUERY_TRIES = 5 /* squeue failing this many times in a row ends --wait */
};

static char *slurm_file(const msp_expconf *c, const char *leaf)
{
    return msp_strcat3(c->output, "/slurm/", leaf);
}

char *msp_spec_submitted_record_path(const msp_expconf *c)
{
    return msp_stamp_path(c->output, "specialise-submitted");
}

/* ---- sbatch's command line ---- */

typedef struct argvec {
    char **v; /* NULL-terminated */
    int n, cap;
} argvec;

static void arg_add(argvec *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg_add(argvec *a, const char *fmt, ...)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = msp_realloc(a->v, sizeof(char *) * (size_t)a->cap);
    }
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = msp_malloc((size_t)len + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static void argvec_free(argvec *a)
{
    for (int i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* What every job asks for: the command line's settings over the config's. */
static void add_resources(argvec *a, const msp_expconf *c, const msp_slurm_opts *o)
{
    const char *partition = o->partition ? o->partition : c->slurm.partition;
    const char *time_limit = o->time ? o->time : c->slurm.time;
    const char *mem = o->mem ? o->mem : c->slurm.mem;
    int cpus = o->cpus ? o->cpus : c->slurm.cpus ? c->slurm.cpus : c->threads;
    if (partition) arg_add(a, "--partition=%s", partition);
    if (time_limit) arg_add(a, "--time=%s", time_limit);
    if (mem) arg_add(a, "--mem=%s", mem);
    arg_add(a, "--cpus-per-task=%d", cpus);
    for (int i = 0; i < c->slurm.n_sbatch_args; i++) arg_add(a, "%s", c->slurm.sbatch_args[i]);
    for (int i = 0; i < o->n_sbatch_args; i++) arg_add(a, "%s", o->sbatch_args[i]);
}

/* sbatch's message on one line. */
static void one_line(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 3 < size; s++) {
        if (*s == '\n') {
            out[n++] = ';';
            out[n++] = ' ';
        } else if ((unsigned char)*s >= 0x20) {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
}

/* Run one of Slurm's commands; MSP_FAIL with what it said when it fails,
 * unless what it said holds `tolerated` (then r->status tells). */
static msp_status slurm_command(const msp_expconf *c, argvec *a, const char *tolerated,
                                msp_command_result *r, msp_err *err)
{
    msp_status st = msp_command_run(a->v, r, err);
    if (st == MSP_BAD_INPUT) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        return msp_err_set(err, MSP_BAD_INPUT, c->path, 0,
                           "%s: --slurm needs Slurm's commands (Debian package slurm-client; "
                           "`scripts/setup slurm` installs it)", why);
    }
    if (st != MSP_OK || r->status == 0 || (tolerated && strstr(r->errs, tolerated))) return st;
    char said[600];
    one_line(r->errs[0] ? r->errs : r->out, said, sizeof said);
    st = msp_err_set(err, MSP_FAIL, c->path, 0, "%s failed (exit status %d): %s", a->v[0], r->status,
                     said[0] ? said : "it said nothing");
    msp_command_result_free(r);
    return st;
}

/* sbatch --parsable ...: the new job's id ("123" of "123;cluster"). */
static msp_status sbatch(const msp_expconf *c, argvec *a, char id[32], msp_err *err)
{
    msp_command_result r;
    msp_status st = slurm_command(c, a, NULL, &r, err);
    if (st != MSP_OK) return st;
    size_t n = strspn(r.out, "0123456789");
    if (n == 0 || n >= 32) {
        char said[200];
        one_line(r.out, said, sizeof said);
        st = msp_err_set(err, MSP_FAIL, c->path, 0, "sbatch answered '%s', not a job id", said);
    } else {
        memcpy(id, r.out, n);
        id[n] = '\0';
    }
    msp_command_result_free(&r);
    return st;
}

static void scancel(const char *id)
{
    char *argv[] = {"scancel", (char *)id, NULL};
    msp_command_result r;
    msp_err ignore;
    if (msp_command_run(argv, &r, &ignore) == MSP_OK) msp_command_result_free(&r);
}

/* ---- the batch scripts ---- */

typedef struct where {
    char exe[PATH_MAX], cwd[PATH_MAX], config[PATH_MAX], output[PATH_MAX];
} where;

/* Absolute paths, so that the jobs find the same files on any node that
 * shares them. */
static msp_status resolve(const msp_expconf *c, where *w, msp_err *err)
{
    if (msp_command_self(w->exe, sizeof w->exe) != 0 || !getcwd(w->cwd, sizeof w->cwd))
        return msp_err_set(err, MSP_FAIL, c->path, 0, "cannot find msprune's own path");
    if (!realpath(c->path, w->config))
        return msp_err_set(err, MSP_FAIL, c->path, 0, "cannot resolve the path: %s", strerror(errno));
    if (!realpath(c->output, w->output))
        return msp_err_set(err, MSP_FAIL, c->output, 0, "cannot resolve the path: %s", strerror(errno));
    static const char *const local[] = {"/tmp/", "/var/tmp/", "/dev/shm/", "/run/", NULL};
    for (const char *const *l = local; *l; l++)
        if (!strncmp(w->output, *l, strlen(*l)) || !strncmp(w->cwd, *l, strlen(*l)))
            msp_log(MSP_LOG_WARN, "%s is on a node's own disk (%s): jobs on other nodes will not "
                    "see it", !strncmp(w->output, *l, strlen(*l)) ? w->output : w->cwd, *l);
    return MSP_OK;
}

static void put_command(FILE *f, const where *w, const char *engine)
{
    fputs("cd ", f);
    msp_put_shell_quoted(f, w->cwd);
    fputs(" || exit 1\nexec ", f);
    msp_put_shell_quoted(f, w->exe);
    fputs(" specialise ", f);
    msp_put_shell_quoted(f, w->config);
    fprintf(f, " --engine %s --as-submitted", engine);
}

/* Task N runs job N into family/NAME.log. */
static msp_status write_array_script(const char *path, const msp_expconf *c, const msp_spec_plan *p,
                                     const where *w, const char *engine, msp_err *err)
{
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    fprintf(a.f, "#!/bin/sh\n# Written by `msprune specialise --slurm`: array task N builds job N "
                 "of the family of %s.\ncase \"$SLURM_ARRAY_TASK_ID\" in\n", c->name);
    for (int j = 0; j < msp_spec_n_jobs(c, p); j++) {
        char name[16];
        msp_spec_job_name(c, p, j, name);
        fprintf(a.f, "%d) name=%s ;;\n", j, name);
    }
    fputs("*) echo \"msprune: no job $SLURM_ARRAY_TASK_ID in this family\" >&2; exit 2 ;;\nesac\n", a.f);
    put_command(a.f, w, engine);
    fputs(" --job \"$SLURM_ARRAY_TASK_ID\" >>", a.f);
    msp_put_shell_quoted(a.f, w->output);
    fputs("/family/\"$name.log\" 2>&1\n", a.f);
    return msp_atomic_commit(&a, err);
}

static msp_status write_family_script(const char *path, const msp_expconf *c, const where *w,
                                      const char *engine, msp_err *err)
{
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    fprintf(a.f, "#!/bin/sh\n# Written by `msprune specialise --slurm`: the family manifest of %s, "
                 "once every job is done.\n", c->name);
    put_command(a.f, w, engine);
    fputc('\n', a.f);
    return msp_atomic_commit(&a, err);
}

/* ---- what was submitted ---- */

static msp_status write_submission(const char *path, const msp_slurm_submission *s, msp_err *err)
{
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    fprintf(a.f, "# The jobs `msprune specialise --slurm` gave Slurm: array task N builds job N.\n"
                 "array = \"%s\";\nfamily = \"%s\";\njobs = [", s->array, s->family);
    for (int i = 0; i < s->n_jobs; i++) fprintf(a.f, "%s%d", i ? ", " : "", s->jobs[i]);
    fputs("];\n", a.f);
    return msp_atomic_commit(&a, err);
}

static msp_status read_id(const msp_conf_reader *r, config_t *cf, const char *key, char id[32])
{
    const config_setting_t *s = config_lookup(cf, key);
    const char *v = s ? config_setting_get_string(s) : NULL;
    if (!v) return msp_conf_bad(r, s, "'%s' must be a job id in double quotes", key);
    size_t n = strspn(v, "0123456789");
    if (n != strlen(v) || n >= 32) return msp_conf_bad(r, s, "'%s' = \"%s\" is not a job id", key, v);
    memcpy(id, v, n + 1);
    return MSP_OK;
}

static msp_status read_submission(const char *path, int n_jobs, msp_slurm_submission *s, msp_err *err)
{
    static const char *const keys[] = {"array", "family", "jobs", NULL};
    memset(s, 0, sizeof *s);
    config_t cf;
    config_init(&cf);
    msp_conf_reader r = {path, err};
    msp_status st = msp_conffile_read(path, "a Slurm submission record", 1 << 16, &cf, err);
    if (st == MSP_OK) st = msp_conf_known_keys(&r, config_root_setting(&cf), NULL, keys);
    if (st == MSP_OK) st = read_id(&r, &cf, "array", s->array);
    if (st == MSP_OK) st = read_id(&r, &cf, "family", s->family);
    const config_setting_t *jobs = st == MSP_OK ? config_lookup(&cf, "jobs") : NULL;
    if (st == MSP_OK && (!jobs || !config_setting_is_array(jobs)))
        st = msp_conf_bad(&r, jobs, "'jobs' must be an array of job numbers");
    for (int i = 0; st == MSP_OK && i < config_setting_length(jobs); i++) {
        const config_setting_t *e = config_setting_get_elem(jobs, (unsigned)i);
        int v = config_setting_type(e) == CONFIG_TYPE_INT ? config_setting_get_int(e) : -1;
        if (v < 0 || v >= n_jobs || s->n_jobs >= MAX_JOBS)
            st = msp_conf_bad(&r, jobs, "entry %d of 'jobs' is not a job of this family (0 to %d)",
                              i + 1, n_jobs - 1);
        else
            s->jobs[s->n_jobs++] = v;
    }
    if (st == MSP_OK && !s->family[0]) st = msp_conf_bad(&r, NULL, "'family' is empty");
    config_destroy(&cf);
    return st;
}

/* ---- Slurm's view ---- */

typedef struct job_state {
    char state[32]; /* squeue's state; "" when squeue does not know the job (any more) */
    int raw_exit;   /* squeue's exit_code: a wait status */
} job_state;

static int terminal(const char *state)
{
    static const char *const end[] = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
                                      "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY", NULL};
    for (const char *const *e = end; *e; e++)
        if (!strcmp(state, *e)) return 1;
    return 0;
}

static int settled(const job_state *j)
{
    return !j->state[0] || terminal(j->state);
}

/* "exit status 2" or "signal 9" of a wait status. */
static void exit_text(int raw, char *out, size_t size)
{
    if (raw & 0x7f) snprintf(out, size, "signal %d", raw & 0x7f);
    else snprintf(out, size, "exit status %d", (raw >> 8) & 0xff);
}

/* squeue on the submission's jobs: tasks[N] for array task N, *family. */
static msp_status query(const msp_expconf *c, const msp_slurm_submission *s, job_state *tasks,
                        job_state *family, msp_err *err)
{
    memset(tasks, 0, sizeof(job_state) * MAX_JOBS);
    memset(family, 0, sizeof *family);
    argvec a = {0};
    arg_add(&a, "squeue");
    arg_add(&a, "--noheader");
    arg_add(&a, "--array");
    arg_add(&a, "--states=all");
    arg_add(&a, "--jobs=%s%s%s", s->array, s->array[0] ? "," : "", s->family);
    arg_add(&a, "--Format=JobArrayID:|,State:|,exit_code:");
    msp_command_result r;
    msp_status st = slurm_command(c, &a, "Invalid job id", &r, err);
    argvec_free(&a);
    if (st != MSP_OK) return st;
    if (r.status != 0) { /* none of them is known any more */
        msp_command_result_free(&r);
        return MSP_OK;
    }
    size_t alen = strlen(s->array);
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        char id[64], state[32];
        int raw = 0;
        if (sscanf(line, " %63[^|]|%31[^|]|%d", id, state, &raw) < 2) continue;
        char *sp = strchr(state, ' ');
        if (sp) *sp = '\0';
        job_state *j = NULL;
        if (!strcmp(id, s->family)) j = family;
        else if (alen && !strncmp(id, s->array, alen) && id[alen] == '_') {
            char *end;
            long t = strtol(id + alen + 1, &end, 10);
            if (end != id + alen + 1 && *end == '\0' && t >= 0 && t < MAX_JOBS) j = &tasks[t];
        }
        if (!j) continue;
        snprintf(j->state, sizeof j->state, "%s", state);
        j->raw_exit = raw;
    }
    msp_command_result_free(&r);
    return MSP_OK;
}

static int anything_active(const msp_slurm_submission *s, const job_state *tasks,
                           const job_state *family)
{
    for (int i = 0; i < s->n_jobs; i++)
        if (!settled(&tasks[s->jobs[i]])) return 1;
    return !settled(family);
}

/* ---- following ---- */

static void pause_seconds(int s)
{
    for (int i = 0; i < 10 * s && !msp_stop_requested(); i++) {
        struct timespec t = {0, 100000000L};
        nanosleep(&t, NULL);
    }
}

/* Say what changed since the last look. */
static void report_changes(const msp_expconf *c, const msp_spec_plan *p,
                           const msp_slurm_submission *s, const job_state *tasks, job_state *seen,
                           const job_state *family, job_state *family_seen)
{
    for (int i = 0; i < s->n_jobs; i++) {
        int j = s->jobs[i];
        if (!strcmp(tasks[j].state, seen[j].state)) continue;
        seen[j] = tasks[j];
        if (!tasks[j].state[0]) continue;
        char name[16], how[32];
        msp_spec_job_name(c, p, j, name);
        if (!terminal(tasks[j].state) || !strcmp(tasks[j].state, "COMPLETED")) {
            msp_log(MSP_LOG_INFO, "%s (%s_%d): %s", name, s->array, j, tasks[j].state);
        } else {
            exit_text(tasks[j].raw_exit, how, sizeof how);
            msp_log(MSP_LOG_WARN, "%s (%s_%d): %s, %s: see %s/family/%s.log and %s/slurm/%s_%d.out",
                    name, s->array, j, tasks[j].state, how, c->output, name, c->output, s->array, j);
        }
    }
    if (strcmp(family->state, family_seen->state) && family->state[0])
        msp_log(MSP_LOG_INFO, "family (%s): %s", s->family, family->state);
    *family_seen = *family;
}

/* Before a resubmission: how the last submission's unfinished jobs ended. */
static void report_unfinished(const msp_expconf *c, const msp_spec_plan *p,
                              const msp_slurm_submission *s, const job_state *tasks)
{
    for (int i = 0; i < s->n_jobs; i++) {
        int j = s->jobs[i];
        if (msp_spec_job_done(c, p, j)) continue;
        char name[16], how[32];
        msp_spec_job_name(c, p, j, name);
        exit_text(tasks[j].raw_exit, how, sizeof how);
        if (tasks[j].state[0])
            msp_log(MSP_LOG_WARN, "%s (%s_%d) ended %s, %s: see %s/family/%s.log; submitting it again",
                    name, s->array, j, tasks[j].state, how, c->output, name);
        else
            msp_log(MSP_LOG_WARN, "%s (%s_%d) did not finish (Slurm no longer lists it): see "
                    "%s/family/%s.log; submitting it again", name, s->array, j, c->output, name);
    }
}

/* Is the family written from these inputs (its record matches)? */
static int family_written(const msp_expconf *c, const msp_stamp *in)
{
    char *manifest = msp_strcat3(c->output, "/", "family.conf");
    char *rec = msp_specialise_record_path(c);
    char why[256];
    int ok = msp_file_readable(manifest) && msp_stamp_compare(in, rec, why, sizeof why) == MSP_STAMP_SAME;
    free(manifest);
    free(rec);
    return ok;
}

/* Why the family was not written, naming every job that did not finish. */
static msp_status not_written(const msp_expconf *c, const msp_spec_plan *p,
                              const msp_slurm_submission *s, const job_state *tasks,
                              const job_state *family, msp_err *err)
{
    char list[700] = "";
    size_t len = 0;
    int n = 0;
    for (int i = 0; i < s->n_jobs && len < sizeof list; i++) {
        int j = s->jobs[i];
        if (msp_spec_job_done(c, p, j)) continue;
        char name[16], how[32] = "";
        msp_spec_job_name(c, p, j, name);
        if (tasks[j].state[0] && strcmp(tasks[j].state, "CANCELLED")) {
            how[0] = ',';
            how[1] = ' ';
            exit_text(tasks[j].raw_exit, how + 2, sizeof how - 2);
        }
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s %s%s (%s/family/%s.log)",
                                n++ ? "; " : "", name,
                                tasks[j].state[0] ? tasks[j].state : "gone from the queue", how,
                                c->output, name);
    }
    if (n)
        return msp_err_set(err, MSP_FAIL, c->path, 0,
                           "the family was not written: %d job%s did not finish: %s. `msprune "
                           "specialise %s --slurm` runs the unfinished ones again",
                           n, n == 1 ? "" : "s", list, c->path);
    char how[32];
    exit_text(family->raw_exit, how, sizeof how);
    return msp_err_set(err, MSP_FAIL, c->path, 0,
                       "every job is done, but the job that writes the family (%s) ended %s, %s: "
                       "see %s/slurm/family.log",
                       s->family, family->state[0] ? family->state : "gone from the queue", how,
                       c->output);
}

static msp_status follow(const msp_expconf *c, const msp_spec_plan *p, const msp_stamp *in,
                         const msp_slurm_submission *s, msp_err *err)
{
    job_state tasks[MAX_JOBS], seen[MAX_JOBS], family, family_seen;
    memset(seen, 0, sizeof seen);
    memset(&family_seen, 0, sizeof family_seen);
    msp_stop_signals saved;
    msp_stop_signals_catch(&saved);
    msp_status st;
    int failures = 0;
    for (int pace = 2;; pace = pace < 30 ? pace + 2 : 30) {
        st = query(c, s, tasks, &family, err);
        if (st == MSP_FAIL && ++failures < QUERY_TRIES) {
            /* a controller restarting or busy: the jobs are not lost */
            msp_log(MSP_LOG_WARN, "%s; trying again in %d s", err->msg, pace);
        } else if (st != MSP_OK) {
            break;
        } else {
            failures = 0;
            report_changes(c, p, s, tasks, seen, &family, &family_seen);
            if (!anything_active(s, tasks, &family)) break;
        }
        pause_seconds(pace);
        if (msp_stop_requested()) {
            msp_log(MSP_LOG_WARN, "stopped following: the jobs go on in Slurm; `msprune specialise "
                    "%s --slurm --wait` follows them again", c->path);
            st = MSP_INTERRUPTED;
            break;
        }
    }
    msp_stop_signals_release(&saved);
    if (st != MSP_OK) return st;
    return family_written(c, in) ? MSP_OK : not_written(c, p, s, tasks, &family, err);
}

/* ---- submitting ---- */

static msp_status submit(const msp_expconf *c, const msp_spec_plan *p, const msp_stamp *in,
                         msp_engine_kind engine, const msp_slurm_opts *o, msp_slurm_submission *s,
                         msp_err *err)
{
    const char *eng = msp_engine_kind_name(engine);
    char *dir = msp_strcat3(c->output, "/", "slurm");
    char *array_script = slurm_file(c, "jobs.sh"), *family_script = slurm_file(c, "family.sh");
    char *record = slurm_file(c, "submitted.conf"), *inputs = msp_spec_submitted_record_path(c);
    where *w = msp_calloc(1, sizeof *w);
    argvec a = {0}, f = {0};
    msp_status st = msp_mkdirs(dir, err);
    if (st == MSP_OK) st = resolve(c, w, err);
    if (st == MSP_OK) st = msp_stamp_write(in, inputs, err);
    if (st == MSP_OK && s->n_jobs) st = write_array_script(array_script, c, p, w, eng, err);
    if (st == MSP_OK) st = write_family_script(family_script, c, w, eng, err);
    if (st == MSP_OK && s->n_jobs) {
        arg_add(&a, "sbatch");
        arg_add(&a, "--parsable");
        arg_add(&a, "--job-name=msprune-%s", c->name);
        add_resources(&a, c, o);
        char list[8 * MAX_JOBS] = "";
        for (int i = 0, len = 0; i < s->n_jobs; i++)
            len += snprintf(list + len, sizeof list - (size_t)len, "%s%d", i ? "," : "", s->jobs[i]);
        arg_add(&a, "--array=%s", list);
        arg_add(&a, "--output=%s/slurm/%%A_%%a.out", w->output);
        arg_add(&a, "--open-mode=append");
        arg_add(&a, "%s", array_script);
        st = sbatch(c, &a, s->array, err);
    }
    if (st == MSP_OK) {
        arg_add(&f, "sbatch");
        arg_add(&f, "--parsable");
        arg_add(&f, "--job-name=msprune-%s-family", c->name);
        add_resources(&f, c, o);
        if (s->n_jobs) {
            arg_add(&f, "--dependency=afterok:%s", s->array);
            arg_add(&f, "--kill-on-invalid-dep=yes");
        }
        arg_add(&f, "--output=%s/slurm/family.log", w->output);
        arg_add(&f, "--open-mode=append");
        arg_add(&f, "%s", family_script);
        st = sbatch(c, &f, s->family, err);
        if (st != MSP_OK && s->array[0]) scancel(s->array); /* all or nothing */
    }
    if (st == MSP_OK && (st = write_submission(record, s, err)) != MSP_OK) {
        if (s->array[0]) scancel(s->array);
        scancel(s->family);
    }
    if (st != MSP_OK) { /* nothing of a submission that did not happen */
        remove(array_script);
        remove(family_script);
        remove(inputs);
        s->array[0] = s->family[0] = '\0';
    }
    argvec_free(&a);
    argvec_free(&f);
    free(w);
    free(dir);
    free(array_script);
    free(family_script);
    free(record);
    free(inputs);
    return st;
}

static void log_submission(const msp_expconf *c, const msp_spec_plan *p, const msp_slurm_submission *s)
{
    for (int i = 0; i < s->n_jobs; i++) {
        char name[16];
        msp_spec_job_name(c, p, s->jobs[i], name);
        msp_log(MSP_LOG_INFO, "%s: Slurm job %s_%d, log %s/family/%s.log", name, s->array, s->jobs[i],
                c->output, name);
    }
    msp_log(MSP_LOG_INFO, "family manifest: Slurm job %s%s%s, log %s/slurm/family.log", s->family,
            s->array[0] ? ", after every job of array " : "", s->array, c->output);
}

msp_status msp_spec_slurm(const msp_expconf *c, const msp_spec_plan *p, const msp_stamp *in,
                          msp_engine_kind engine, const msp_slurm_opts *o, msp_slurm_submission *s,
                          msp_err *err)
{
    memset(s, 0, sizeof *s);
    char *record = slurm_file(c, "submitted.conf");
    msp_status st = MSP_OK;
    if (msp_file_readable(record)) {
        job_state tasks[MAX_JOBS], family;
        st = read_submission(record, msp_spec_n_jobs(c, p), s, err);
        if (st == MSP_OK) st = query(c, s, tasks, &family, err);
        if (st == MSP_OK && anything_active(s, tasks, &family)) {
            s->followed = 1;
            msp_log(MSP_LOG_INFO, "the jobs submitted before (array %s, family job %s) are still "
                    "in Slurm's queue: nothing new is submitted%s", s->array[0] ? s->array : "none",
                    s->family, o->wait ? "; following them" : "");
        } else if (st == MSP_OK) {
            report_unfinished(c, p, s, tasks);
            memset(s, 0, sizeof *s);
        }
    }
    if (st == MSP_OK && !s->followed) {
        for (int j = 0; j < msp_spec_n_jobs(c, p); j++)
            if (!msp_spec_job_done(c, p, j)) s->jobs[s->n_jobs++] = j;
        if (s->n_jobs == 0 && family_written(c, in)) {
            msp_log(MSP_LOG_INFO, "every job is done and the family written: nothing to submit");
            free(record);
            return MSP_OK;
        }
        st = submit(c, p, in, engine, o, s, err);
        if (st == MSP_OK) log_submission(c, p, s);
    }
    free(record);
    if (st == MSP_OK && o->wait) st = follow(c, p, in, s, err);
    return st;
}
