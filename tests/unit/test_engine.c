/* test_engine.c: the Darknet bridge against Darknet's own code. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"

#include "engine/engine.h"
#include "base/rng.h"

/* Darknet's gemm (replaced by engine.c) and its original CPU version. */
void gemm(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda, float *B, int ldb,
          float BETA, float *C, int ldc);
void gemm_cpu(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda, float *B,
              int ldb, float BETA, float *C, int ldc);

#define TINY "tests/data/tiny-fashion.cfg"

static void fill(msp_rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)(2 * msp_rng_uniform(r) - 1);
}

Test(engine, gemm_override_matches_darknet_gemm_cpu)
{
    msp_rng r;
    msp_rng_seed(&r, 3);
    const int M = 37, N = 53, K = 29;
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            fill(&r, A, (size_t)M * K);
            fill(&r, B, (size_t)K * N);
            fill(&r, C1, (size_t)M * N);
            memcpy(C2, C1, sizeof(float) * M * N);
            int lda = ta ? M : K, ldb = tb ? K : N;
            gemm(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C1, N);
            gemm_cpu(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C2, N);
            for (int i = 0; i < M * N; i++)
                cr_assert(fabsf(C1[i] - C2[i]) <= 1e-5f * (1 + fabsf(C2[i])),
                          "TA=%d TB=%d i=%d: %g vs %g", ta, tb, i, C1[i], C2[i]);
        }
    free(A);
    free(B);
    free(C1);
    free(C2);
}

Test(engine, trained_weights_load_in_stock_darknet_with_identical_predictions)
{
    msp_rng r;
    msp_rng_seed(&r, 11);
    msp_engine_seed(5);
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {.batch = 8, .engine = MSP_ENGINE_STOCK}; /* bitwise vs Darknet */
    cr_assert_eq(msp_net_load(TINY, NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    int in = msp_net_inputs(net), classes = msp_net_classes(net);
    cr_assert_eq(in, 28 * 28);
    cr_assert_eq(classes, 10);
    float *x = malloc(sizeof(float) * 8 * in);
    int y[8];
    float first = 0, last = 0;
    for (int step = 0; step < 30; step++) {
        /* a learnable toy task: class k lights up row band k */
        for (int j = 0; j < 8; j++) {
            y[j] = (int)msp_rng_below(&r, 10);
            for (int p = 0; p < in; p++)
                x[j * in + p] = (p / 28) / 3 == y[j] ? 1.0f : 0.1f * (float)msp_rng_uniform(&r);
        }
        float loss = msp_net_train_batch(net, x, y);
        if (step == 0) first = loss;
        last = loss;
    }
    cr_assert(last < first, "loss did not go down: %g -> %g", first, last);

    char path[] = "/tmp/msprune-engine-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(msp_net_save_weights(net, path, &err), MSP_OK, "%s", err.msg);
    const float *ours = msp_net_predict(net, x);
    float *expect = malloc(sizeof(float) * 8 * classes);
    memcpy(expect, ours, sizeof(float) * 8 * classes);

    /* Stock Darknet, its own parser and loader, same inputs. */
    network *dn = load_network(TINY, path, 0);
    set_batch_network(dn, 8);
    float *theirs = network_predict(dn, x);
    for (int i = 0; i < 8 * classes; i++)
        cr_assert_eq(theirs[i], expect[i], "output %d: %.9g vs %.9g", i, theirs[i], expect[i]);

    /* And back through msprune's own loader. */
    msp_net *again = NULL;
    cr_assert_eq(msp_net_load(TINY, path, &o, &again, &err), MSP_OK, "%s", err.msg);
    const float *back = msp_net_predict(again, x);
    cr_assert_eq(memcmp(back, expect, sizeof(float) * 8 * classes), 0);

    free_network(dn);
    msp_net_free(again);
    msp_net_free(net);
    unlink(path);
    free(x);
    free(expect);
}

Test(engine, optimizer_state_round_trips)
{
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {.batch = 2};
    cr_assert_eq(msp_net_load(TINY, NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    size_t n = msp_net_optimizer_size(net);
    /* conv 8: 8 + 72 + 8; conv 16: 16 + 1152 + 16; connected 784->10: 10 + 7840 */
    cr_assert_eq(n, (size_t)(8 + 72 + 8 + 16 + 1152 + 16 + 10 + 7840));
    float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) a[i] = (float)i;
    msp_net_optimizer_set(net, a);
    msp_net_optimizer_get(net, b);
    cr_assert_eq(memcmp(a, b, sizeof(float) * n), 0);
    free(a);
    free(b);
    msp_net_free(net);
}

Test(engine, bad_cfg_never_reaches_darknet)
{
    msp_net *net = NULL;
    msp_err err = {{0}};
    char path[] = "/tmp/msprune-badcfg-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "[net]\nwidth=28\nheight=28\nchannels=1\n[convolutional]\nfilters=-3\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_assert_eq(msp_net_load(path, NULL, NULL, &net, &err), MSP_BAD_INPUT);
    cr_assert_null(net);
    cr_assert(strstr(err.msg, ":6:") != NULL, "%s", err.msg);
    unlink(path);
}

/* Darknet's training-mode forward pass (batch statistics), done by hand. */
static float *train_mode_output(msp_net *net, const float *x)
{
    network *dn = msp_net_darknet(net);
    float *input = dn->input, *truth = dn->truth;
    memcpy(input, x, sizeof(float) * dn->batch * dn->inputs);
    dn->truth = NULL;
    dn->train = 1;
    forward_network(dn);
    dn->input = input;
    dn->truth = truth;
    dn->train = 0;
    float *out = malloc(sizeof(float) * dn->batch * dn->outputs);
    memcpy(out, dn->output, sizeof(float) * dn->batch * dn->outputs);
    return out;
}

static float max_abs_diff(const float *a, const float *b, int n)
{
    float m = 0;
    for (int i = 0; i < n; i++)
        if (fabsf(a[i] - b[i]) > m) m = fabsf(a[i] - b[i]);
    return m;
}

/* After recalibrating on one batch, inference (rolling statistics) must
 * reproduce the training-mode pass on that batch (batch statistics): the
 * tiny net has no dropout, so the two differ only by rounding. Before, with
 * Darknet's initial statistics, they differ a lot. */
Test(engine, bn_recalibration_matches_batch_statistics)
{
    msp_rng r;
    msp_rng_seed(&r, 21);
    msp_engine_seed(9);
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {.batch = 16};
    cr_assert_eq(msp_net_load(TINY, NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    int n = 16 * msp_net_classes(net);
    float *x = malloc(sizeof(float) * 16 * msp_net_inputs(net));
    for (int i = 0; i < 16 * msp_net_inputs(net); i++) x[i] = (float)msp_rng_uniform(&r);

    float *expect = train_mode_output(net, x);
    float *stale = malloc(sizeof(float) * n);
    memcpy(stale, msp_net_predict(net, x), sizeof(float) * n);
    cr_assert(max_abs_diff(stale, expect, n) > 1e-2f, "initial statistics already match");

    msp_net_recalibrate_bn(net, x, 1, NULL);
    float d = max_abs_diff(msp_net_predict(net, x), expect, n);
    cr_assert(d < 1e-5f, "inference after recalibration differs by %g", d);

    free(expect);
    free(stale);
    free(x);
    msp_net_free(net);
}
