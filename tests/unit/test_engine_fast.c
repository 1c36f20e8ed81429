/* test_engine_fast.c: the fast layers against Darknet's own functions.
 *
 * Each test parses the same cfg twice with the same srand seed, installs the
 * fast engine on one copy, and compares outputs, deltas, batch-norm
 * statistics, gradients and updated weights to a tight tolerance (the
 * implementations differ only in float summation order).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"

#include "data/dataset.h"
#include "dncfg/dncfg.h"
#include "engine/engine_fast.h"
#include "engine/engine_gemm.h"
#include "base/rng.h"

void forward_dropout_layer(layer l, network net);
void backward_dropout_layer(layer l, network net);

#define RTOL 1e-4f
#define ATOL 1e-5f

static network *parse_text(const char *text, unsigned seed)
{
    char path[] = "/tmp/msprune-tef-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    size_t len = strlen(text);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    close(null);
    srand(seed);
    network *net = parse_network_cfg(path);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    unlink(path);
    return net;
}

static void fill(msp_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)msp_rng_uniform(r);
}

static float *dup_floats(const float *x, size_t n)
{
    float *y = malloc(sizeof(float) * (n ? n : 1));
    memcpy(y, x, sizeof(float) * n);
    return y;
}

/* Gradients summed over thousands of terms (batch x pixels) carry Darknet's
 * sequential float rounding, a few 1e-5 of the array's scale. */
static float grad_atol = ATOL;

/* |fast - stock| <= RTOL*|stock| + ATOL*max|stock| (an error relative to
 * the array's scale: backward passes sum many terms that cancel). */
static void expect_close_tol(const char *what, const float *fast, const float *stock, size_t n,
                             float atol)
{
    float scale = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(stock[i]) > scale) scale = fabsf(stock[i]);
    if (getenv("TEF_REPORT")) {
        float worst = 0;
        for (size_t i = 0; i < n; i++)
            if (fabsf(fast[i] - stock[i]) > worst) worst = fabsf(fast[i] - stock[i]);
        fprintf(stderr, "%-40s scale %10.4g  max err/scale %.3g\n", what, scale,
                worst / (scale > 1e-3f ? scale : 1e-3f));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float tol = RTOL * fabsf(stock[i]) + atol * (scale > 1e-3f ? scale : 1e-3f);
        cr_assert(fabsf(fast[i] - stock[i]) <= tol && !isnan(fast[i]),
                  "%s[%zu]: fast %.9g vs stock %.9g (scale %g)", what, i, fast[i], stock[i],
                  scale);
    }
}

static void expect_close(const char *what, const float *fast, const float *stock, size_t n)
{
    expect_close_tol(what, fast, stock, n, ATOL);
}

typedef struct {
    network *stock, *fast;
} pair;

static pair make_pair(const char *text, unsigned seed)
{
    pair p = {parse_text(text, seed), parse_text(text, seed)};
    cr_assert(p.stock && p.fast);
    cr_assert(msp_engine_fast_install(p.fast) > 0);
    return p;
}

static void free_pair(pair *p)
{
    msp_engine_fast_release(p->fast);
    free_network(p->stock);
    free_network(p->fast);
}

/* Give both copies of layer i the same random weights and batch-norm state,
 * so inference and update are exercised on non-trivial values. */
static void randomize_params(pair *p, int i, msp_rng *r)
{
    layer *a = &p->stock->layers[i], *b = &p->fast->layers[i];
    size_t nw = 0, nb = 0;
    if (a->type == CONVOLUTIONAL) nw = (size_t)a->nweights, nb = (size_t)a->n;
    if (a->type == CONNECTED) nw = (size_t)a->inputs * a->outputs, nb = (size_t)a->outputs;
    if (!nw) return;
    fill(r, a->weights, nw, -0.5f, 0.5f);
    fill(r, a->biases, nb, -0.5f, 0.5f);
    fill(r, a->weight_updates, nw, -0.1f, 0.1f);
    fill(r, a->bias_updates, nb, -0.1f, 0.1f);
    memcpy(b->weights, a->weights, sizeof(float) * nw);
    memcpy(b->biases, a->biases, sizeof(float) * nb);
    memcpy(b->weight_updates, a->weight_updates, sizeof(float) * nw);
    memcpy(b->bias_updates, a->bias_updates, sizeof(float) * nb);
    if (a->batch_normalize) {
        fill(r, a->scales, nb, 0.5f, 1.5f);
        fill(r, a->scale_updates, nb, -0.1f, 0.1f);
        fill(r, a->rolling_mean, nb, -0.5f, 0.5f);
        fill(r, a->rolling_variance, nb, 0.5f, 2.0f);
        memcpy(b->scales, a->scales, sizeof(float) * nb);
        memcpy(b->scale_updates, a->scale_updates, sizeof(float) * nb);
        memcpy(b->rolling_mean, a->rolling_mean, sizeof(float) * nb);
        memcpy(b->rolling_variance, a->rolling_variance, sizeof(float) * nb);
    }
}

static void compare_params(const layer *f, const layer *s, const char *stage)
{
    char what[64];
    size_t nw = 0, nb = 0;
    if (s->type == CONVOLUTIONAL) nw = (size_t)s->nweights, nb = (size_t)s->n;
    if (s->type == CONNECTED) nw = (size_t)s->inputs * s->outputs, nb = (size_t)s->outputs;
    if (!nw) return;
    snprintf(what, sizeof what, "%s weight_updates", stage);
    expect_close_tol(what, f->weight_updates, s->weight_updates, nw, grad_atol);
    snprintf(what, sizeof what, "%s bias_updates", stage);
    expect_close_tol(what, f->bias_updates, s->bias_updates, nb, grad_atol);
    snprintf(what, sizeof what, "%s weights", stage);
    expect_close(what, f->weights, s->weights, nw);
    snprintf(what, sizeof what, "%s biases", stage);
    expect_close(what, f->biases, s->biases, nb);
    if (s->batch_normalize) {
        snprintf(what, sizeof what, "%s scale_updates", stage);
        expect_close_tol(what, f->scale_updates, s->scale_updates, nb, grad_atol);
        snprintf(what, sizeof what, "%s scales", stage);
        expect_close(what, f->scales, s->scales, nb);
        snprintf(what, sizeof what, "%s rolling_mean", stage);
        expect_close(what, f->rolling_mean, s->rolling_mean, nb);
        snprintf(what, sizeof what, "%s rolling_variance", stage);
        expect_close(what, f->rolling_variance, s->rolling_variance, nb);
    }
}

/* One layer (the last of the cfg) forward in inference mode, then forward
 * in training mode, backward with a random output delta onto a random
 * input delta, and one SGD update; everything compared with stock. */
static void check_last_layer(const char *text, unsigned seed)
{
    pair p = make_pair(text, seed);
    int li = p.stock->n - 1;
    layer *ls = &p.stock->layers[li], *lf = &p.fast->layers[li];
    cr_assert_neq((void *)lf->forward, (void *)ls->forward, "layer type %d not accelerated",
                  ls->type);
    msp_rng r;
    msp_rng_seed(&r, seed);
    randomize_params(&p, li, &r);
    size_t nin = (size_t)ls->batch * ls->inputs, nout = (size_t)ls->batch * ls->outputs;
    float *x = malloc(sizeof(float) * nin);
    fill(&r, x, nin, -1, 1);
    float *xs = dup_floats(x, nin), *xf = dup_floats(x, nin);

    for (int train = 0; train <= 1; train++) {
        network ns = *p.stock, nf = *p.fast;
        ns.input = xs, nf.input = xf;
        ns.train = nf.train = train;
        ns.truth = nf.truth = NULL;
        ns.delta = nf.delta = NULL;
        ls->forward(*ls, ns);
        lf->forward(*lf, nf);
        expect_close(train ? "train output" : "inference output", lf->output, ls->output, nout);
        if (train && ls->batch_normalize) {
            int c = ls->out_c;
            expect_close("mean", lf->mean, ls->mean, (size_t)c);
            expect_close("variance", lf->variance, ls->variance, (size_t)c);
            expect_close("rolling_mean", lf->rolling_mean, ls->rolling_mean, (size_t)c);
            expect_close("rolling_variance", lf->rolling_variance, ls->rolling_variance,
                         (size_t)c);
            expect_close("x", lf->x, ls->x, nout);
            expect_close("x_norm", lf->x_norm, ls->x_norm, nout);
        }
        if (!train) continue;

        fill(&r, ls->delta, nout, -1, 1);
        memcpy(lf->delta, ls->delta, sizeof(float) * nout);
        float *ds = malloc(sizeof(float) * nin);
        fill(&r, ds, nin, -1, 1);
        float *df = dup_floats(ds, nin);
        ns.delta = ds, nf.delta = df;
        ls->backward(*ls, ns);
        lf->backward(*lf, nf);
        expect_close("input delta", df, ds, nin);
        expect_close("layer delta", lf->delta, ls->delta, nout);
        compare_params(lf, ls, "backward");
        if (ls->update) {
            update_args a = {.batch = ls->batch, .learning_rate = 0.1f, .momentum = 0.9f,
                             .decay = 0.0005f};
            ls->update(*ls, a);
            lf->update(*lf, a);
            compare_params(lf, ls, "update");
        }
        free(ds);
        free(df);
    }
    free(x);
    free(xs);
    free(xf);
    free_pair(&p);
}

static char *conv_cfg(int batch, int h, int w, int c, int filters, int size, int stride,
                      int pad, int bn, const char *act)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "[net]\nbatch=%d\nsubdivisions=1\nheight=%d\nwidth=%d\nchannels=%d\n"
             "[convolutional]\nbatch_normalize=%d\nfilters=%d\nsize=%d\nstride=%d\n"
             "padding=%d\nactivation=%s\n",
             batch, h, w, c, bn, filters, size, stride, pad, act);
    return buf;
}

Test(engine_fast, conv_3x3_pad1_stride1_bn_leaky)
{
    check_last_layer(conv_cfg(4, 9, 9, 3, 8, 3, 1, 1, 1, "leaky"), 1);
}

Test(engine_fast, conv_batch1_bn_relu)
{
    check_last_layer(conv_cfg(1, 7, 6, 2, 5, 3, 1, 1, 1, "relu"), 2);
}

Test(engine_fast, conv_3x3_stride2_pad1_nobn_linear)
{
    check_last_layer(conv_cfg(3, 11, 10, 4, 6, 3, 2, 1, 0, "linear"), 3);
}

Test(engine_fast, conv_3x3_pad0_logistic)
{
    check_last_layer(conv_cfg(2, 8, 8, 3, 4, 3, 1, 0, 1, "logistic"), 4);
}

Test(engine_fast, conv_5x5_pad2_stride2_bn)
{
    check_last_layer(conv_cfg(5, 13, 12, 3, 7, 5, 2, 2, 1, "leaky"), 5);
}

Test(engine_fast, conv_5x5_pad1_stride1_nobn_leaky)
{
    check_last_layer(conv_cfg(2, 10, 10, 2, 3, 5, 1, 1, 0, "leaky"), 6);
}

/* stride 1, "same" padding: im2col/col2im copy shifted planes; a non-square
 * plane, and one smaller than the kernel (every shift clipped away) */
Test(engine_fast, conv_same_padding_shifted_planes)
{
    check_last_layer(conv_cfg(3, 6, 11, 2, 5, 5, 1, 2, 1, "leaky"), 20);
    check_last_layer(conv_cfg(2, 2, 3, 3, 4, 7, 1, 3, 0, "linear"), 21);
}

Test(engine_fast, conv_1x1_bn_and_nobn)
{
    check_last_layer(conv_cfg(6, 5, 5, 16, 10, 1, 1, 0, 1, "leaky"), 7);
    check_last_layer(conv_cfg(1, 5, 5, 16, 10, 1, 1, 0, 0, "linear"), 8);
}

Test(engine_fast, conv_other_activation_falls_back_to_darknet_activation)
{
    check_last_layer(conv_cfg(2, 6, 6, 2, 4, 3, 1, 1, 1, "tanh"), 9);
}

Test(engine_fast, conv_batch_spans_several_gemm_groups)
{
    /* 1 column per gemm, then 50: per-image, grouped and ragged last group */
    msp_engine_fast_set_gemm_cols(1);
    check_last_layer(conv_cfg(5, 9, 9, 3, 8, 3, 1, 1, 1, "leaky"), 10);
    msp_engine_fast_set_gemm_cols(50);
    check_last_layer(conv_cfg(5, 6, 6, 3, 8, 3, 1, 1, 1, "leaky"), 11);
    check_last_layer(conv_cfg(7, 4, 4, 8, 6, 1, 1, 0, 1, "linear"), 12);
    msp_engine_fast_set_gemm_cols(0);
}

Test(engine_fast, conv_large_batch_like_fashion_base)
{
    check_last_layer(conv_cfg(16, 14, 14, 32, 64, 3, 1, 1, 1, "leaky"), 13);
}

/* CPUs without AVX-512 (and the TX2) run the engine on cblas_sgemm: the
 * same layers through that path. */
Test(engine_fast, conv_on_the_blas_path)
{
    msp_gemm_force_blas(1);
    check_last_layer(conv_cfg(16, 14, 14, 32, 64, 3, 1, 1, 1, "leaky"), 14);
    check_last_layer(conv_cfg(3, 11, 10, 4, 6, 3, 2, 1, 0, "linear"), 15);
    check_last_layer(conv_cfg(6, 5, 5, 16, 10, 1, 1, 0, 1, "leaky"), 16);
    msp_gemm_force_blas(0);
}

Test(engine_fast, connected_bn_and_not)
{
    check_last_layer("[net]\nbatch=6\nheight=3\nwidth=3\nchannels=4\n"
                     "[connected]\noutput=17\nactivation=leaky\n",
                     20);
    check_last_layer("[net]\nbatch=8\nheight=1\nwidth=1\nchannels=30\n"
                     "[connected]\noutput=9\nbatch_normalize=1\nactivation=relu\n",
                     21);
    check_last_layer("[net]\nbatch=1\nheight=2\nwidth=2\nchannels=5\n"
                     "[connected]\noutput=3\nactivation=logistic\n",
                     22);
}

Test(engine_fast, maxpool_shapes)
{
    const char *shapes[][2] = {{"8", "size=2\nstride=2\n"}, {"7", "size=2\nstride=2\n"},
                               {"9", "size=3\nstride=2\n"}, {"6", "size=3\nstride=1\n"},
                               {"5", "size=2\nstride=1\n"}, {"7", "size=3\nstride=3\npadding=2\n"}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char buf[512];
        snprintf(buf, sizeof buf,
                 "[net]\nbatch=3\nheight=%s\nwidth=%s\nchannels=4\n[maxpool]\n%s", shapes[i][0],
                 shapes[i][0], shapes[i][1]);
        check_last_layer(buf, 30 + (unsigned)i);
    }
}

Test(engine_fast, avgpool_and_softmax)
{
    check_last_layer("[net]\nbatch=4\nheight=5\nwidth=5\nchannels=6\n[avgpool]\n", 40);
    check_last_layer("[net]\nbatch=3\nheight=7\nwidth=7\nchannels=3\n[avgpool]\n", 41);
    check_last_layer("[net]\nbatch=5\nheight=1\nwidth=1\nchannels=10\n[softmax]\n", 42);
    check_last_layer("[net]\nbatch=2\nheight=1\nwidth=1\nchannels=12\n[softmax]\ngroups=3\n",
                     43);
}

Test(engine_fast, softmax_cost_and_delta_with_truth)
{
    pair p = make_pair("[net]\nbatch=4\nheight=1\nwidth=1\nchannels=10\n[softmax]\n", 44);
    msp_rng r;
    msp_rng_seed(&r, 44);
    float x[40], truth[40] = {0};
    fill(&r, x, 40, -3, 3);
    for (int b = 0; b < 4; b++) truth[b * 10 + (b * 3) % 10] = 1;
    network *nets[2] = {p.stock, p.fast};
    for (int k = 0; k < 2; k++) {
        network n = *nets[k];
        n.input = x, n.truth = truth, n.train = 1;
        n.layers[0].forward(n.layers[0], n);
    }
    layer *ls = &p.stock->layers[0], *lf = &p.fast->layers[0];
    expect_close("softmax", lf->output, ls->output, 40);
    expect_close("delta", lf->delta, ls->delta, 40);
    expect_close("loss", lf->loss, ls->loss, 40);
    expect_close("cost", lf->cost, ls->cost, 1);
    cr_assert(ls->cost[0] > 0);
    free_pair(&p);
}

Test(engine_fast, dropout_mask_is_applied_and_inverted_like_darknet)
{
    pair p = make_pair("[net]\nbatch=4\nheight=8\nwidth=8\nchannels=8\n"
                       "[dropout]\nprobability=0.3\n",
                       50);
    layer *ls = &p.stock->layers[0], *lf = &p.fast->layers[0];
    size_t n = (size_t)lf->batch * lf->inputs;
    msp_rng r;
    msp_rng_seed(&r, 50);
    float *x = malloc(sizeof(float) * n), *xf = malloc(sizeof(float) * n);
    fill(&r, x, n, -1, 1);
    memcpy(xf, x, sizeof(float) * n);
    network nf = *p.fast;
    nf.input = xf, nf.train = 0;
    lf->forward(*lf, nf);
    cr_assert_eq(memcmp(xf, x, sizeof(float) * n), 0, "inference must not drop");
    nf.train = 1;
    srand(7);
    lf->forward(*lf, nf);
    size_t dropped = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert(lf->rand[i] >= 0 && lf->rand[i] < 1);
        float want = lf->rand[i] < 0.3f ? 0 : x[i] * lf->scale;
        cr_assert_eq(xf[i], want, "element %zu", i);
        dropped += lf->rand[i] < 0.3f;
    }
    /* 2048 draws of p = 0.3: 614 expected, sd 21 */
    cr_assert(dropped > 500 && dropped < 730, "dropped %zu of %zu", dropped, n);
    /* same seed, same mask */
    float *first = dup_floats(lf->rand, n);
    srand(7);
    memcpy(xf, x, sizeof(float) * n);
    lf->forward(*lf, nf);
    cr_assert_eq(memcmp(first, lf->rand, sizeof(float) * n), 0);
    /* backward: Darknet's own function with the same mask */
    memcpy(ls->rand, lf->rand, sizeof(float) * n);
    float *ds = malloc(sizeof(float) * n), *df = malloc(sizeof(float) * n);
    fill(&r, ds, n, -1, 1);
    memcpy(df, ds, sizeof(float) * n);
    network ns = *p.stock;
    ns.delta = ds, ns.train = 1;
    nf.delta = df;
    backward_dropout_layer(*ls, ns);
    lf->backward(*lf, nf);
    cr_assert_eq(memcmp(ds, df, sizeof(float) * n), 0);
    free(x);
    free(xf);
    free(first);
    free(ds);
    free(df);
    free_pair(&p);
}

/* Layer i's state that its backward reads, copied from stock to fast so
 * that every layer is checked on identical inputs: otherwise an output a
 * few ulps from 0 can take the other side of a leaky/relu kink and the
 * difference, legitimate, grows down the network. */
static void copy_state(layer *f, const layer *s)
{
    size_t n = (size_t)s->batch * s->outputs;
    memcpy(f->output, s->output, sizeof(float) * n);
    if (s->type == MAXPOOL) memcpy(f->indexes, s->indexes, sizeof(int) * n);
    if (s->batch_normalize && (s->type == CONVOLUTIONAL || s->type == CONNECTED)) {
        size_t c = (size_t)s->out_c;
        memcpy(f->x, s->x, sizeof(float) * n);
        memcpy(f->x_norm, s->x_norm, sizeof(float) * n);
        memcpy(f->mean, s->mean, sizeof(float) * c);
        memcpy(f->variance, s->variance, sizeof(float) * c);
        memcpy(f->rolling_mean, s->rolling_mean, sizeof(float) * c);
        memcpy(f->rolling_variance, s->rolling_variance, sizeof(float) * c);
    }
}

static void copy_params(layer *f, const layer *s)
{
    size_t nw = 0, nb = 0;
    if (s->type == CONVOLUTIONAL) nw = (size_t)s->nweights, nb = (size_t)s->n;
    if (s->type == CONNECTED) nw = (size_t)s->inputs * s->outputs, nb = (size_t)s->outputs;
    if (!nw) return;
    memcpy(f->weights, s->weights, sizeof(float) * nw);
    memcpy(f->weight_updates, s->weight_updates, sizeof(float) * nw);
    memcpy(f->biases, s->biases, sizeof(float) * nb);
    memcpy(f->bias_updates, s->bias_updates, sizeof(float) * nb);
    if (s->batch_normalize) {
        memcpy(f->scales, s->scales, sizeof(float) * nb);
        memcpy(f->scale_updates, s->scale_updates, sizeof(float) * nb);
    }
}

/* Whole network, layer by layer in Darknet's order (forward_network,
 * backward_network, update_network), every layer fed the same inputs and
 * incoming deltas on both sides; outputs, batch-norm state, deltas,
 * gradients and updated weights compared. */
static void check_network(const char *text, unsigned seed, int steps)
{
    pair p = make_pair(text, seed);
    network *ns = p.stock, *nf = p.fast;
    grad_atol = 1e-4f;
    msp_rng r;
    msp_rng_seed(&r, seed);
    size_t nin = (size_t)ns->batch * ns->inputs, ntruth = (size_t)ns->batch * ns->truths;
    for (int step = 0; step < steps; step++) {
        fill(&r, ns->input, nin, 0, 1);
        memcpy(nf->input, ns->input, sizeof(float) * nin);
        memset(ns->truth, 0, sizeof(float) * ntruth);
        for (int b = 0; b < ns->batch; b++)
            ns->truth[(size_t)b * ns->truths + msp_rng_below(&r, (uint64_t)ns->truths)] = 1;
        memcpy(nf->truth, ns->truth, sizeof(float) * ntruth);
        network a = *ns, b = *nf;
        a.train = b.train = 1;
        char what[96];
        for (int i = 0; i < ns->n; i++) {
            layer *ls = &ns->layers[i], *lf = &nf->layers[i];
            size_t n = (size_t)ls->batch * ls->outputs;
            if (ls->delta) memset(ls->delta, 0, sizeof(float) * n);
            if (lf->delta) memset(lf->delta, 0, sizeof(float) * n);
            ls->forward(*ls, a);
            lf->forward(*lf, b);
            snprintf(what, sizeof what, "step %d layer %d (type %d) output", step, i, ls->type);
            expect_close(what, lf->output, ls->output, n);
            if (ls->batch_normalize && (ls->type == CONVOLUTIONAL || ls->type == CONNECTED)) {
                snprintf(what, sizeof what, "step %d layer %d x_norm", step, i);
                expect_close(what, lf->x_norm, ls->x_norm, n);
                snprintf(what, sizeof what, "step %d layer %d variance", step, i);
                expect_close(what, lf->variance, ls->variance, (size_t)ls->out_c);
            }
            if (ls->type == SOFTMAX) {
                snprintf(what, sizeof what, "step %d layer %d softmax delta", step, i);
                expect_close(what, lf->delta, ls->delta, n);
            }
            copy_state(lf, ls);
            a.input = ls->output, b.input = lf->output;
        }
        for (int i = ns->n - 1; i >= 0; i--) {
            layer *ls = &ns->layers[i], *lf = &nf->layers[i];
            size_t n = (size_t)ls->batch * ls->outputs;
            memcpy(lf->delta, ls->delta, sizeof(float) * n);
            a = *ns, b = *nf;
            a.train = b.train = 1;
            if (i > 0) {
                a.input = ns->layers[i - 1].output, a.delta = ns->layers[i - 1].delta;
                b.input = nf->layers[i - 1].output, b.delta = nf->layers[i - 1].delta;
            }
            ls->backward(*ls, a);
            lf->backward(*lf, b);
            snprintf(what, sizeof what, "step %d layer %d (type %d) delta", step, i, ls->type);
            expect_close_tol(what, lf->delta, ls->delta, n, grad_atol);
            if (i > 0) {
                snprintf(what, sizeof what, "step %d layer %d (type %d) input delta", step, i,
                         ls->type);
                expect_close_tol(what, b.delta, a.delta,
                                 (size_t)ls->batch * ns->layers[i - 1].outputs, grad_atol);
            }
            snprintf(what, sizeof what, "step %d layer %d backward", step, i);
            compare_params(lf, ls, what);
        }
        update_network(ns);
        update_network(nf);
        for (int i = 0; i < ns->n; i++) {
            snprintf(what, sizeof what, "step %d layer %d update", step, i);
            compare_params(&nf->layers[i], &ns->layers[i], what);
            copy_params(&nf->layers[i], &ns->layers[i]);
        }
    }
    grad_atol = ATOL;
    free_pair(&p);
}

/* The whole chain with nothing re-synchronised: training steps through
 * forward_network/backward_network/update_network give close predictions
 * (a few ulps can flip a leaky kink, so the bound is loose). */
static void check_chain(const char *text, unsigned seed, int steps, float tol)
{
    pair p = make_pair(text, seed);
    network *ns = p.stock, *nf = p.fast;
    msp_rng r;
    msp_rng_seed(&r, seed);
    size_t nin = (size_t)ns->batch * ns->inputs, ntruth = (size_t)ns->batch * ns->truths;
    for (int step = 0; step <= steps; step++) {
        fill(&r, ns->input, nin, 0, 1);
        memcpy(nf->input, ns->input, sizeof(float) * nin);
        memset(ns->truth, 0, sizeof(float) * ntruth);
        for (int b = 0; b < ns->batch; b++)
            ns->truth[(size_t)b * ns->truths + msp_rng_below(&r, (uint64_t)ns->truths)] = 1;
        memcpy(nf->truth, ns->truth, sizeof(float) * ntruth);
        network *nets[2] = {ns, nf};
        for (int k = 0; k < 2; k++) {
            nets[k]->train = step < steps;
            if (step < steps) {
                train_network_datum(nets[k]);
            } else {
                nets[k]->truth = NULL;
                forward_network(nets[k]);
            }
        }
        if (step < steps) {
            cr_assert(fabsf(*nf->cost - *ns->cost) <= tol * (1 + fabsf(*ns->cost)),
                      "step %d cost: fast %g stock %g", step, *nf->cost, *ns->cost);
        }
    }
    size_t nout = (size_t)ns->batch * ns->outputs;
    for (size_t i = 0; i < nout; i++)
        cr_assert(fabsf(nf->output[i] - ns->output[i]) <= tol, "output %zu: fast %g stock %g", i,
                  nf->output[i], ns->output[i]);
    free_pair(&p);
}

Test(engine_fast, network_with_route_and_shortcut)
{
    check_network("[net]\nbatch=3\nheight=10\nwidth=10\nchannels=2\n"
                  "momentum=0.9\ndecay=0.0005\nlearning_rate=0.01\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[shortcut]\nfrom=-2\nactivation=linear\n"
                  "[convolutional]\nfilters=4\nsize=1\nstride=1\npad=1\nactivation=relu\n"
                  "[route]\nlayers=-1,-3\n"
                  "[maxpool]\nsize=2\nstride=2\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=2\npad=1\n"
                  "activation=leaky\n"
                  "[connected]\noutput=5\nactivation=linear\n"
                  "[softmax]\n",
                  60, 3);
}

Test(engine_fast, network_like_fashion_base_without_dropout)
{
    check_network("[net]\nbatch=8\nheight=28\nwidth=28\nchannels=1\n"
                  "momentum=0.9\ndecay=0.0005\nlearning_rate=0.05\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[maxpool]\nsize=2\nstride=2\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[maxpool]\nsize=2\nstride=2\n"
                  "[convolutional]\nfilters=10\nsize=1\nstride=1\npad=1\nactivation=linear\n"
                  "[avgpool]\n[softmax]\n",
                  61, 3);
}

Test(engine_fast, chain_like_fashion_base_training_stays_close)
{
    check_chain("[net]\nbatch=8\nheight=28\nwidth=28\nchannels=1\n"
                  "momentum=0.9\ndecay=0.0005\nlearning_rate=0.05\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[maxpool]\nsize=2\nstride=2\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[maxpool]\nsize=2\nstride=2\n"
                  "[convolutional]\nfilters=10\nsize=1\nstride=1\npad=1\nactivation=linear\n"
                  "[avgpool]\n[softmax]\n",
                  66, 3, 1e-3f);
}

/* A Darknet cfg file with [net] batch (subdivisions 1) and input size
 * replaced, as text: through msprune's cfg reader and writer. */
static char *cfg_resized(const char *path, int batch, int side)
{
    msp_dn_cfg cfg;
    msp_err err = {{0}};
    cr_assert_eq(msp_dncfg_read(path, &cfg, &err), MSP_OK, "%s", err.msg);
    msp_dncfg_set_int(&cfg.sec[0], "batch", batch);
    msp_dncfg_set_int(&cfg.sec[0], "subdivisions", 1);
    msp_dncfg_set_int(&cfg.sec[0], "width", side);
    msp_dncfg_set_int(&cfg.sec[0], "height", side);
    char tmp[] = "/tmp/msprune-tef-XXXXXX";
    int fd = mkstemp(tmp);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(msp_dncfg_write(&cfg, tmp, &err), MSP_OK, "%s", err.msg);
    msp_dncfg_free(&cfg);
    FILE *f = fopen(tmp, "r");
    cr_assert(f);
    size_t cap = 1 << 16;
    char *out = malloc(cap);
    size_t len = fread(out, 1, cap - 1, f);
    cr_assert(feof(f), "%s: over %zu bytes", path, cap - 1);
    out[len] = 0;
    fclose(f);
    unlink(tmp);
    return out;
}

/* Darknet's own classifier cfgs: strided 7x7 conv, shortcuts across a
 * downsampling (shortcut_cpu path), 1x1 bottlenecks, connected layers. */
Test(engine_fast, darknet_resnet18_cfg, .timeout = 120)
{
    char *text = cfg_resized("/usr/share/darknet/cfg/resnet18.cfg", 2, 64);
    check_network(text, 62, 2);
    free(text);
}

Test(engine_fast, darknet_tiny_cfg, .timeout = 120)
{
    char *text = cfg_resized("/usr/share/darknet/cfg/tiny.cfg", 3, 32);
    check_network(text, 63, 2);
    free(text);
}

Test(engine_fast, chain_tiny_cfg_training_stays_close, .timeout = 120)
{
    char *text = cfg_resized("/usr/share/darknet/cfg/tiny.cfg", 3, 32);
    check_chain(text, 65, 3, 1e-3f);
    free(text);
}

Test(engine_fast, darknet_reference_cfg, .timeout = 120)
{
    /* darknet.cfg (the reference model): six maxpools, down to 1x1 */
    char *text = cfg_resized("/usr/share/darknet/cfg/darknet.cfg", 4, 64);
    check_network(text, 64, 2);
    free(text);
}

/* Predictions over a batch in inference mode, into out (batch x classes). */
static void predict(network *net, const float *x, float *out)
{
    float *in = net->input;
    memcpy(in, x, sizeof(float) * (size_t)net->batch * net->inputs);
    net->train = 0;
    net->truth = NULL;
    forward_network(net);
    net->input = in;
    memcpy(out, net->output, sizeof(float) * (size_t)net->batch * net->outputs);
}

static int argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

Test(engine_fast, fashion_base_fast_and_stock_agree_on_fashion_mnist, .timeout = 300)
{
    msp_dataset train = {0}, test = {0};
    msp_err err = {{0}};
    const char *dir = "/usr/share/datasets/fashion-mnist/";
    char a[256], b[256];
    snprintf(a, sizeof a, "%strain-images-idx3-ubyte.gz", dir);
    snprintf(b, sizeof b, "%strain-labels-idx1-ubyte.gz", dir);
    cr_assert_eq(msp_idx_load(a, b, 10, 640, &train, &err), MSP_OK, "%s", err.msg);
    snprintf(a, sizeof a, "%st10k-images-idx3-ubyte.gz", dir);
    snprintf(b, sizeof b, "%st10k-labels-idx1-ubyte.gz", dir);
    cr_assert_eq(msp_idx_load(a, b, 10, 1000, &test, &err), MSP_OK, "%s", err.msg);

    /* fashion-base.cfg with its own batch; the stock copy is trained (with
     * dropout), the fast copy gets its weights, then both predict. */
    FILE *f = fopen("cfg/fashion-base.cfg", "r");
    cr_assert(f);
    static char text[8192];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = 0;
    char *bp = strstr(text, "batch=64");
    cr_assert(bp);
    memcpy(bp, "batch=50", 8);
    pair p = make_pair(text, 70);
    network *ns = p.stock, *nf = p.fast;
    size_t in = (size_t)ns->inputs;
    for (int step = 0; step < 20; step++) {
        int off = (step * 50) % 600;
        memcpy(ns->input, train.x + off * in, sizeof(float) * 50 * in);
        memset(ns->truth, 0, sizeof(float) * 50 * 10);
        for (int i = 0; i < 50; i++) ns->truth[i * 10 + train.y[off + i]] = 1;
        train_network_datum(ns);
    }
    for (int i = 0; i < ns->n; i++) {
        layer *ls = &ns->layers[i], *lf = &nf->layers[i];
        if (ls->type != CONVOLUTIONAL && ls->type != CONNECTED) continue;
        int conv = ls->type == CONVOLUTIONAL, outputs = conv ? ls->n : ls->outputs;
        size_t nw = conv ? (size_t)ls->nweights : (size_t)ls->inputs * (size_t)ls->outputs;
        memcpy(lf->weights, ls->weights, sizeof(float) * nw);
        memcpy(lf->biases, ls->biases, sizeof(float) * (size_t)outputs);
        if (!ls->batch_normalize) continue;
        memcpy(lf->scales, ls->scales, sizeof(float) * (size_t)outputs);
        memcpy(lf->rolling_mean, ls->rolling_mean, sizeof(float) * (size_t)outputs);
        memcpy(lf->rolling_variance, ls->rolling_variance, sizeof(float) * (size_t)outputs);
    }
    float *ps = malloc(sizeof(float) * 50 * 10), *pf = malloc(sizeof(float) * 50 * 10);
    int correct = 0, classes_seen[10] = {0};
    float maxdiff = 0;
    for (int k = 0; k < 1000; k += 50) {
        predict(ns, test.x + k * in, ps);
        predict(nf, test.x + k * in, pf);
        for (int i = 0; i < 50; i++) {
            int ts = argmax(ps + i * 10, 10), tf = argmax(pf + i * 10, 10);
            cr_assert_eq(tf, ts, "image %d: fast says %d, stock %d", k + i, tf, ts);
            correct += ts == test.y[k + i];
            classes_seen[ts] = 1;
            for (int c = 0; c < 10; c++) {
                float d = fabsf(ps[i * 10 + c] - pf[i * 10 + c]);
                if (d > maxdiff) maxdiff = d;
            }
        }
    }
    /* trained enough that predictions are not trivial (chance is 100; the
     * rolling batch-norm statistics still lag after 20 steps) */
    int distinct = 0;
    for (int c = 0; c < 10; c++) distinct += classes_seen[c];
    cr_assert(correct > 150 && distinct >= 4, "accuracy %d/1000, %d classes predicted", correct,
              distinct);
    cr_assert(maxdiff < 1e-4f, "probabilities differ by %g", maxdiff);
    free(ps);
    free(pf);
    free_pair(&p);
    msp_dataset_free(&train);
    msp_dataset_free(&test);
}

Test(engine_fast, install_is_idempotent_and_release_restores_stock)
{
    network *net = parse_text(conv_cfg(2, 6, 6, 2, 4, 3, 1, 1, 1, "leaky"), 80);
    void (*stock_f)(layer, network) = net->layers[0].forward;
    cr_assert_eq(msp_engine_fast_install(net), 1);
    cr_assert_neq((void *)net->layers[0].forward, (void *)stock_f);
    cr_assert_eq(msp_engine_fast_install(net), 1);
    msp_engine_fast_release(net);
    cr_assert_eq((void *)net->layers[0].forward, (void *)stock_f);
    free_network(net);
}

Test(engine_fast, unsupported_variants_keep_darknet)
{
    /* grouped and strided 1x1 convolutions stay stock */
    network *net = parse_text("[net]\nbatch=2\nheight=6\nwidth=6\nchannels=4\n"
                              "[convolutional]\nfilters=4\ngroups=2\nsize=3\npad=1\n"
                              "activation=leaky\n"
                              "[convolutional]\nfilters=4\nsize=1\nstride=2\nactivation=leaky\n",
                              81);
    void (*f0)(layer, network) = net->layers[0].forward, (*f1)(layer, network) =
                                                             net->layers[1].forward;
    cr_assert_eq(msp_engine_fast_install(net), 0);
    cr_assert_eq((void *)net->layers[0].forward, (void *)f0);
    cr_assert_eq((void *)net->layers[1].forward, (void *)f1);
    msp_engine_fast_release(net);
    free_network(net);
}
