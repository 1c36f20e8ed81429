/* evaluate.c: batched accuracy, batch-1 latency, and the evaluate report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "evaluate.h"
#include "data/data.h"

/* Runs net over d in full batches, handing each batch's outputs to sink and
 * reporting to pr (NULL: no progress; the caller starts and finishes it). */
typedef void (*batch_sink)(const float *out, int start, int k, int classes, void *user);

static void run_batches(msp_net *net, const msp_dataset *d, msp_progress *pr, batch_sink sink,
                        void *user)
{
    int bs = msp_net_batch(net), classes = msp_net_classes(net);
    size_t in = (size_t)msp_net_inputs(net);
    MSP_ASSERT(in == (size_t)d->w * d->h * d->c);
    float *x = msp_calloc((size_t)bs * in, sizeof(float));
    for (int start = 0; start < d->n; start += bs) {
        int k = d->n - start < bs ? d->n - start : bs;
        memcpy(x, d->x + (size_t)start * in, sizeof(float) * in * (size_t)k);
        sink(msp_net_predict(net, x), start, k, classes, user);
        if (pr) msp_progress_update(pr, start + k, NULL);
    }
    free(x);
}

/* run_batches with a bar named label (NULL: none), finished only if it was
 * ever drawn (after a fraction of a second on a terminal, 10 s in logs):
 * short runs stay silent and the cost is one clock read per batch. */
static void run_labelled(msp_net *net, const msp_dataset *d, const char *label, batch_sink sink,
                         void *user)
{
    msp_progress pr;
    if (label) msp_progress_start(&pr, label, d->n);
    run_batches(net, d, label ? &pr : NULL, sink, user);
    if (label && pr.t_last > pr.t_start) msp_progress_finish(&pr, d->n, NULL);
}

#define EVAL_LABEL "evaluating"

typedef struct {
    msp_metrics *m;
    const int *y;
    FILE *rows; /* NULL, or CSV rows for msp_eval_predictions */
} metrics_sink;

static void to_metrics(const float *out, int start, int k, int classes, void *user)
{
    metrics_sink *s = user;
    for (int j = 0; j < k; j++) {
        const float *p = out + (size_t)j * classes;
        msp_metrics_add(s->m, p, s->y[start + j]);
        if (!s->rows) continue;
        fprintf(s->rows, "%d,%d,%d", start + j, s->y[start + j], msp_argmax(p, classes));
        for (int c = 0; c < classes; c++) fprintf(s->rows, ",%.9g", p[c]);
        fputc('\n', s->rows);
    }
}

static void to_outputs(const float *out, int start, int k, int classes, void *user)
{
    memcpy((float *)user + (size_t)start * classes, out, sizeof(float) * (size_t)classes * (size_t)k);
}

void msp_eval_dataset(msp_net *net, const msp_dataset *d, msp_metrics *m)
{
    MSP_ASSERT(msp_net_classes(net) == m->n_classes);
    metrics_sink s = {m, d->y, NULL};
    run_labelled(net, d, EVAL_LABEL, to_metrics, &s);
}

msp_status msp_eval_predictions(msp_net *net, const msp_dataset *d, msp_metrics *m,
                                const char *csv_path, msp_err *err)
{
    MSP_ASSERT(msp_net_classes(net) == m->n_classes);
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, csv_path, err);
    metrics_sink s = {m, d->y, st == MSP_OK ? a.f : NULL};
    if (s.rows) {
        fprintf(a.f, "index,true,predicted");
        for (int c = 0; c < msp_net_classes(net); c++) fprintf(a.f, ",p%d", c);
        fputc('\n', a.f);
    }
    run_labelled(net, d, EVAL_LABEL, to_metrics, &s);
    return st == MSP_OK ? msp_atomic_commit(&a, err) : st;
}

void msp_eval_outputs(msp_net *net, const msp_dataset *d, float *out)
{
    run_labelled(net, d, EVAL_LABEL, to_outputs, out);
}

void msp_eval_outputs_progress(msp_net *net, const msp_dataset *d, float *out, const char *label)
{
    run_labelled(net, d, label, to_outputs, out);
}

double msp_eval_top1(msp_net *net, const msp_dataset *d)
{
    msp_metrics m;
    msp_metrics_init(&m, msp_net_classes(net));
    msp_eval_dataset(net, d, &m);
    double top1 = msp_metrics_top1(&m);
    msp_metrics_free(&m);
    return top1;
}

double msp_eval_top1_progress(msp_net *net, const msp_dataset *d, msp_progress *pr)
{
    msp_metrics m;
    msp_metrics_init(&m, msp_net_classes(net));
    metrics_sink s = {&m, d->y, NULL};
    run_batches(net, d, pr, to_metrics, &s);
    double top1 = msp_metrics_top1(&m);
    msp_metrics_free(&m);
    return top1;
}

void msp_eval_latency(msp_net *net1, const float *x, int n, int warmup, int runs,
                      msp_latency *out)
{
    MSP_ASSERT(msp_net_batch(net1) == 1 && n > 0 && runs > 0);
    size_t in = (size_t)msp_net_inputs(net1);
    double *t = msp_malloc(sizeof *t * (size_t)runs);
    for (int i = 0; i < warmup + runs; i++) {
        double t0 = msp_now();
        msp_net_predict(net1, x + (size_t)(i % n) * in);
        if (i >= warmup) t[i - warmup] = 1e3 * (msp_now() - t0);
    }
    out->runs = runs;
    out->median_ms = msp_median(t, runs);
    out->min_ms = out->max_ms = t[0];
    for (int i = 1; i < runs; i++) {
        if (t[i] < out->min_ms) out->min_ms = t[i];
        if (t[i] > out->max_ms) out->max_ms = t[i];
    }
    free(t);
}

#define RANDOM_IMAGES 4

void msp_eval_latency_random(msp_net *net1, uint64_t seed, int warmup, int runs, msp_latency *out)
{
    size_t n = (size_t)msp_net_inputs(net1) * RANDOM_IMAGES;
    float *x = msp_malloc(sizeof(float) * n);
    msp_rng r;
    msp_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) x[i] = (float)msp_rng_uniform(&r);
    msp_eval_latency(net1, x, RANDOM_IMAGES, warmup, runs, out);
    free(x);
}

const char *msp_eval_class_name(const msp_dataset *d, int k, char *buf, size_t n)
{
    if (d->class_names && d->class_names[k]) return d->class_names[k];
    snprintf(buf, n, "class %d", k);
    return buf;
}

void msp_eval_latency_interleaved(msp_net *const *nets1, int n, uint64_t seed, int warmup,
                                  int runs, int rounds, double *median_ms)
{
    MSP_ASSERT(n >= 0 && runs > 0 && rounds > 0);
    double *med = msp_malloc(sizeof(double) * ((size_t)n * (size_t)rounds + 1));
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < n; i++) {
            msp_latency lat;
            msp_eval_latency_random(nets1[i], seed + (uint64_t)r, r ? 2 : warmup, runs, &lat);
            med[(size_t)i * rounds + (size_t)r] = lat.median_ms;
        }
    for (int i = 0; i < n; i++) median_ms[i] = msp_median(med + (size_t)i * rounds, rounds);
    free(med);
}

static msp_status write_json(const char *path, const char *name, const char *cfg,
                             const char *weights, const msp_expconf *c,
                             const msp_dataset *d, const msp_metrics *m, const msp_latency *lat,
                             const msp_dn_net *info, msp_err *err)
{
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    FILE *f = a.f;
    char buf[32];
    fprintf(f, "{\n  \"experiment\": ");
    msp_json_string(f, c->name);
    fprintf(f, ",\n  \"network\": ");
    msp_json_string(f, name);
    fprintf(f, ",\n  \"cfg\": ");
    msp_json_string(f, cfg);
    fprintf(f, ",\n  \"weights\": ");
    msp_json_string(f, weights);
    fprintf(f, ",\n  \"images\": %lld,\n  \"top1\": ", (long long)m->n);
    msp_json_number(f, msp_metrics_top1(m));
    fprintf(f, ",\n  \"top5\": ");
    msp_json_number(f, msp_metrics_top5(m));
    fprintf(f, ",\n  \"macro_f1\": ");
    msp_json_number(f, msp_metrics_macro_f1(m));
    fprintf(f, ",\n  \"latency_ms\": {\"median\": ");
    msp_json_number(f, lat->median_ms);
    fprintf(f, ", \"min\": ");
    msp_json_number(f, lat->min_ms);
    fprintf(f, ", \"max\": ");
    msp_json_number(f, lat->max_ms);
    fprintf(f, ", \"runs\": %d},\n  \"flops\": %.0f,\n  \"parameters\": %zu,\n  \"classes\": [",
            lat->runs, info->flops, info->n_weights_floats);
    for (int k = 0; k < m->n_classes; k++) {
        msp_class_stats s = msp_metrics_class(m, k);
        fprintf(f, "%s\n    {\"name\": ", k ? "," : "");
        msp_json_string(f, msp_eval_class_name(d, k, buf, sizeof buf));
        fprintf(f, ", \"precision\": ");
        msp_json_number(f, s.precision);
        fprintf(f, ", \"recall\": ");
        msp_json_number(f, s.recall);
        fprintf(f, ", \"f1\": ");
        msp_json_number(f, s.f1);
        fprintf(f, ", \"support\": %lld}", (long long)s.support);
    }
    fprintf(f, "\n  ],\n  \"confusion\": [");
    for (int i = 0; i < m->n_classes; i++) {
        fprintf(f, "%s\n    [", i ? "," : "");
        for (int j = 0; j < m->n_classes; j++)
            fprintf(f, "%s%lld", j ? ", " : "", (long long)m->confusion[(size_t)i * m->n_classes + j]);
        fprintf(f, "]");
    }
    fprintf(f, "\n  ]\n}\n");
    return msp_atomic_commit(&a, err);
}

/* Evaluating a network reads its cfg and weights, the test data and the
 * evaluate settings. */
static void eval_inputs(const msp_expconf *c, const char *cfg, const char *weights, msp_stamp *s)
{
    msp_experiment_stamp_data(c, MSP_SPLIT_TEST, s);
    msp_expconf_stamp(c, "evaluate", s);
    msp_stamp_add(s, "network.cfg", "%s", cfg);
    msp_stamp_add_file(s, cfg);
    msp_stamp_add(s, "network.weights", "%s", weights);
    msp_stamp_add_file(s, weights);
}

void msp_evaluate_base_inputs(const msp_expconf *c, msp_stamp *s)
{
    eval_inputs(c, c->base.cfg, c->base.weights, s);
}

char *msp_evaluate_record_path(const msp_expconf *c, const char *net)
{
    char name[MSP_EXPCONF_NAME_MAX + 16];
    snprintf(name, sizeof name, "evaluate-%s", net ? net : "base");
    return msp_stamp_path(c->output, name);
}

msp_status msp_evaluate_experiment(const msp_expconf *c, const msp_eval_opts *opts, msp_err *err)
{
    const char *name = opts->net_name ? opts->net_name : "base";
    const char *cfg = c->base.cfg, *weights = c->base.weights;
    int line = c->base.weights_line;
    for (int i = 0; i < c->n_ladder; i++)
        if (!strcmp(name, c->ladder[i].name)) {
            cfg = c->ladder[i].cfg;
            weights = c->ladder[i].weights;
            line = c->ladder[i].line;
        }
    if (strcmp(name, "base") != 0 && cfg == c->base.cfg)
        return msp_err_set(err, MSP_BAD_INPUT, c->path, 0,
                           "no network named '%s' in this experiment (known: base%s)", name,
                           c->n_ladder ? " and the ladder's" : "");
    if (!msp_file_readable(weights))
        return msp_err_set(err, MSP_BAD_INPUT, c->path, line,
                           "weights '%s' not found: run 'msprune train %s%s%s' first", weights,
                           c->path, cfg == c->base.cfg ? "" : " --net ", cfg == c->base.cfg ? "" : name);
    msp_stamp in = {0};
    eval_inputs(c, cfg, weights, &in);
    msp_experiment_data data;
    msp_status st = msp_experiment_load_data(c, MSP_SPLIT_TEST, &data, err);
    if (st != MSP_OK) {
        msp_stamp_free(&in);
        return st;
    }

    msp_net *net = NULL, *net1 = NULL;
    msp_net_opts batched = {.batch = 100, .engine = opts->engine, .verbose = opts->verbose};
    msp_net_opts single = {.batch = 1, .engine = opts->engine, .verbose = opts->verbose};
    msp_metrics m = {0};
    st = msp_net_load(cfg, weights, &batched, &net, err);
    if (st == MSP_OK) st = msp_net_load(cfg, weights, &single, &net1, err);
    if (st != MSP_OK) goto out;
    if (msp_net_inputs(net) != data.test.w * data.test.h * data.test.c ||
        msp_net_classes(net) != data.test.n_classes) {
        st = msp_err_set(err, MSP_BAD_INPUT, cfg, 0,
                         "network does not fit the data (%d inputs, %d outputs vs %dx%dx%d, %d "
                         "classes)",
                         msp_net_inputs(net), msp_net_classes(net), data.test.w, data.test.h,
                         data.test.c, data.test.n_classes);
        goto out;
    }
    msp_metrics_init(&m, data.test.n_classes);
    if (opts->predictions) {
        st = msp_eval_predictions(net, &data.test, &m, opts->predictions, err);
        if (st != MSP_OK) goto out;
        msp_log(MSP_LOG_INFO, "wrote %s", opts->predictions);
    } else {
        msp_eval_dataset(net, &data.test, &m);
    }
    msp_latency lat;
    msp_eval_latency(net1, data.test.x, data.test.n, c->evaluate.warmup, c->evaluate.latency_runs, &lat);
    if (opts->on_result) {
        msp_eval_result r = {.name = name, .test = &data.test, .metrics = &m, .latency = &lat,
                             .info = msp_net_info(net)};
        opts->on_result(&r);
    }

    st = msp_mkdirs(c->output, err);
    if (st == MSP_OK) {
        char leaf[96];
        snprintf(leaf, sizeof leaf, "eval-%s.json", name);
        char *path = msp_experiment_path(c, leaf);
        st = write_json(path, name, cfg, weights, c, &data.test, &m, &lat, msp_net_info(net), err);
        if (st == MSP_OK) msp_log(MSP_LOG_INFO, "wrote %s", path);
        free(path);
    }
    if (st == MSP_OK) {
        char *rec = msp_evaluate_record_path(c, name);
        st = msp_stamp_write(&in, rec, err);
        free(rec);
    }
out:
    msp_stamp_free(&in);
    msp_metrics_free(&m);
    msp_net_free(net);
    msp_net_free(net1);
    msp_experiment_data_free(&data);
    return st;
}
