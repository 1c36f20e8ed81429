/* test_eval_batches.c: batched evaluation (with and without its progress
 * bar) against one-image-at-a-time prediction, and silence of short runs. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "train/evaluate.h"
#include "base/log.h"
#include "base/rng.h"

#define TINY "tests/data/tiny-fashion.cfg"

/* n random 28x28 images with labels 0..9. */
static void make_data(msp_dataset *d, int n, uint64_t seed)
{
    msp_rng r;
    msp_rng_seed(&r, seed);
    memset(d, 0, sizeof *d);
    d->n = n;
    d->w = d->h = 28;
    d->c = 1;
    d->n_classes = 10;
    d->x = malloc(sizeof(float) * 784 * (size_t)n);
    d->y = malloc(sizeof(int) * (size_t)n);
    for (size_t i = 0; i < 784 * (size_t)n; i++) d->x[i] = (float)msp_rng_uniform(&r);
    for (int i = 0; i < n; i++) d->y[i] = (int)msp_rng_below(&r, 10);
}

static msp_net *load(int batch)
{
    msp_engine_seed(7);
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {.batch = batch};
    cr_assert_eq(msp_net_load(TINY, NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    return net;
}

/* Runs f with stderr sent to a file; returns how many bytes it wrote. */
static long stderr_bytes_of(void (*f)(void *), void *arg)
{
    char path[] = "/tmp/msprune-evalerr-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    f(arg);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    struct stat sb;
    fstat(fd, &sb);
    close(fd);
    unlink(path);
    return (long)sb.st_size;
}

/* 2050 images: 2050 % 64 = 2 leaves a short
 * last batch. Every path gives the same outputs; sampled images (and the
 * whole last batch) match a batch-1 network within float noise. */
Test(evalbatches, large_set_outputs_match_batch1_reference)
{
    msp_dataset d;
    make_data(&d, 2050, 3);
    msp_net *net = load(64), *one = load(1);
    float *a = malloc(sizeof(float) * 10 * 2050), *b = malloc(sizeof(float) * 10 * 2050);
    memset(a, 0xff, sizeof(float) * 10 * 2050);
    memset(b, 0xff, sizeof(float) * 10 * 2050);
    msp_eval_outputs(net, &d, a);
    msp_eval_outputs_progress(net, &d, b, "test");
    cr_assert_eq(memcmp(a, b, sizeof(float) * 10 * 2050), 0);
    for (int i = 0; i < 2050; i += (i >= 2040 ? 1 : 97)) {
        const float *ref = msp_net_predict(one, d.x + (size_t)i * 784);
        for (int k = 0; k < 10; k++)
            cr_assert(fabsf(ref[k] - a[i * 10 + k]) <= 1e-5f, "image %d class %d: %g vs %g", i, k,
                      ref[k], a[i * 10 + k]);
    }

    /* msp_eval_dataset counts exactly the argmax hits of those outputs. */
    msp_metrics m;
    msp_metrics_init(&m, 10);
    msp_eval_dataset(net, &d, &m);
    int64_t hits = 0;
    for (int i = 0; i < 2050; i++) hits += msp_argmax(a + i * 10, 10) == d.y[i];
    cr_assert_eq(m.n, 2050);
    cr_assert_eq(m.top1, hits);
    msp_metrics_free(&m);

    free(a);
    free(b);
    msp_net_free(net);
    msp_net_free(one);
    msp_dataset_free(&d);
}

typedef struct {
    msp_net *net;
    msp_dataset *d;
    float *out;
} run_args;

static void run_small(void *p)
{
    run_args *r = p;
    msp_eval_outputs_progress(r->net, r->d, r->out, "short");
    msp_metrics m;
    msp_metrics_init(&m, 10);
    msp_eval_dataset(r->net, r->d, &m);
    msp_metrics_free(&m);
}

/* A short run never draws its bar, so it prints nothing at all: logs of
 * batch jobs get no line per tiny evaluation. */
Test(evalbatches, short_runs_print_nothing)
{
    msp_dataset d;
    make_data(&d, 100, 4);
    msp_net *net = load(32);
    float *out = malloc(sizeof(float) * 10 * 100);
    run_args r = {net, &d, out};
    msp_log_level old = msp_log_get_level();
    msp_log_set_level(MSP_LOG_INFO);
    cr_assert_eq(stderr_bytes_of(run_small, &r), 0);
    msp_log_set_level(old);
    free(out);
    msp_net_free(net);
    msp_dataset_free(&d);
}
