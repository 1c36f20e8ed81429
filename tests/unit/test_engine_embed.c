/* test_engine_embed.c: embeddings against Darknet's own layer outputs. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

#include "engine/engine_stats.h"
#include "base/rng.h"

#define TINY "tests/data/tiny-fashion.cfg"

/* 5 random 28x28 images: more than one batch of 4, the last one partial. */
static void make_data(msp_dataset *d)
{
    memset(d, 0, sizeof *d);
    d->n = 5;
    d->w = d->h = 28;
    d->c = 1;
    d->n_classes = 10;
    d->x = malloc(sizeof(float) * 5 * 784);
    d->y = calloc(5, sizeof(int));
    msp_rng r;
    msp_rng_seed(&r, 4);
    for (int i = 0; i < 5 * 784; i++) d->x[i] = (float)msp_rng_uniform(&r);
}

Test(engine_embed, default_layer_is_the_penultimate_channel_means)
{
    msp_engine_seed(2);
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {.batch = 4};
    cr_assert_eq(msp_net_load(TINY, NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    msp_dataset d;
    make_data(&d);
    /* Darknet starts with zero rolling variances: give the untrained net
     * sane batch-norm statistics first. */
    msp_net_recalibrate_bn(net, d.x, 1, NULL);
    float *e = NULL;
    int dim = 0;
    cr_assert_eq(msp_net_embedding(net, &d, -1, &e, &dim, &err), MSP_OK, "%s", err.msg);
    /* tiny-fashion: conv, max, conv, max (7x7x16), connected, softmax */
    cr_assert_eq(dim, 16);

    /* Image 4 alone, recomputed from Darknet's layer 3 output. */
    network *dn = msp_net_darknet(net);
    float x[4 * 784] = {0};
    memcpy(x, d.x + 4 * 784, sizeof(float) * 784);
    network_predict(dn, x);
    const float *o3 = dn->layers[3].output;
    for (int c = 0; c < 16; c++) {
        double s = 0;
        for (int p = 0; p < 49; p++) s += o3[c * 49 + p];
        cr_assert(fabs(e[4 * 16 + c] - s / 49) <= 1e-6 * (1 + fabs(s / 49)), "channel %d: %g vs %g", c, e[4 * 16 + c],
                  s / 49);
    }
    /* A flat layer (softmax) is its own embedding: probabilities summing to 1. */
    float *p = NULL;
    cr_assert_eq(msp_net_embedding(net, &d, 5, &p, &dim, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(dim, 10);
    double sum = 0;
    for (int c = 0; c < 10; c++) sum += p[c];
    cr_assert(fabs(sum - 1) < 1e-5, "softmax embedding sums to %g", sum);
    free(p);
    cr_assert_eq(msp_net_embedding(net, &d, 6, &p, &dim, &err), MSP_BAD_INPUT);
    cr_assert_null(p);
    free(e);
    free(d.x);
    free(d.y);
    msp_net_free(net);
}

/* A "layer" whose output is its input doubled, counting the images it is
 * given per batch. */
typedef struct {
    float y[2 * 4];
    int ks[4], calls;
} doubling;

static const float *run_doubling(void *ctx, float *x, int k)
{
    doubling *r = ctx;
    r->ks[r->calls++] = k;
    for (int i = 0; i < 2 * 4; i++) r->y[i] = 2 * x[i];
    return r->y;
}

/* 3 images of 2 channels x 2 positions, batches of 2: exact channel means. */
Test(engine_embed, batch_channel_means_exact)
{
    float x[3 * 4] = {1, 2, 3, 5, /**/ -1, 0, 0.5f, 0.25f, /**/ 10, 20, 0, 0};
    msp_dataset d = {.n = 3, .w = 2, .h = 1, .c = 2, .x = x};
    doubling r = {.calls = 0};
    float *e = msp_batch_channel_means(&d, 2, 4, 4, 2, run_doubling, &r);
    const float want[3 * 2] = {3, 8, -1, 0.75f, 30, 0};
    cr_assert_arr_eq(e, want, sizeof want);
    cr_assert_eq(r.calls, 2);
    cr_assert_eq(r.ks[0], 2);
    cr_assert_eq(r.ks[1], 1);
    free(e);
}
