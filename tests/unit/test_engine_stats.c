/* test_engine_stats.c: per-channel statistics against Darknet's own passes.
 *
 * A tiny net (conv+BN, maxpool, conv, connected, softmax) is written at test
 * time and loaded with Darknet's random initialisation. mean-activation and
 * apoz are recomputed from l.output after network_predict; taylor is
 * recomputed with Darknet's own backward_network, each layer's backward
 * wrapped to record output x delta as it starts. The network must come out
 * of every statistic bit-identical (weights, BN rolling statistics,
 * momentum buffers).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "darknet.h"

#include "engine/engine.h"
#include "engine/engine_stats.h"
#include "prune/prune.h"
#include "base/rng.h"

#define BATCH 4
#define N_IMAGES 10 /* two full batches of 4; the last 2 images are dropped */

static const char *net_text(const char *act0, int dropout)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "[net]\nbatch=%d\nsubdivisions=1\nwidth=8\nheight=8\nchannels=2\n"
             "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\nstride=1\npad=1\n"
             "activation=%s\n"
             "[maxpool]\nsize=2\nstride=2\n"
             "[convolutional]\nfilters=5\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
             "%s"
             "[connected]\noutput=4\nactivation=linear\n"
             "[softmax]\n",
             BATCH, act0, dropout ? "[dropout]\nprobability=0.5\n" : "");
    return buf;
}

static msp_net *load_text_engine(const char *text, msp_engine_kind engine)
{
    char path[] = "/tmp/msprune-stats-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    msp_engine_seed(7);
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {.batch = BATCH, .engine = engine};
    cr_assert_eq(msp_net_load(path, NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    unlink(path);
    /* Non-trivial BN statistics and biases, so inference differs from training. */
    network *dn = msp_net_darknet(net);
    msp_rng r;
    msp_rng_seed(&r, 5);
    for (int i = 0; i < dn->n; i++) {
        layer *l = &dn->layers[i];
        if (l->type != CONVOLUTIONAL && l->type != CONNECTED) continue;
        for (int k = 0; k < l->out_c; k++) {
            l->biases[k] = (float)(0.2 * msp_rng_uniform(&r) - 0.1);
            if (l->batch_normalize) {
                l->rolling_mean[k] = (float)(0.2 * msp_rng_uniform(&r) - 0.1);
                l->rolling_variance[k] = (float)(0.5 + msp_rng_uniform(&r));
                l->scales[k] = (float)(0.5 + msp_rng_uniform(&r));
            }
        }
    }
    return net;
}

static msp_net *load_text(const char *text) { return load_text_engine(text, MSP_ENGINE_FAST); }

static void make_data(msp_dataset *d)
{
    memset(d, 0, sizeof *d);
    d->n = N_IMAGES;
    d->w = d->h = 8;
    d->c = 2;
    d->n_classes = 4;
    d->x = malloc(sizeof(float) * N_IMAGES * 128);
    d->y = malloc(sizeof(int) * N_IMAGES);
    msp_rng r;
    msp_rng_seed(&r, 3);
    for (int i = 0; i < N_IMAGES * 128; i++) d->x[i] = (float)msp_rng_uniform(&r);
    for (int i = 0; i < N_IMAGES; i++) d->y[i] = (int)msp_rng_below(&r, 4);
}

/* Every float that defines the network or its optimiser state, in order. */
static float *snapshot(network *dn, size_t *n)
{
    size_t cap = 1 << 16, k = 0;
    float *s = malloc(cap * sizeof(float));
#define PUT(p, cnt)                                                                     \
    do {                                                                                \
        if (p)                                                                          \
            for (size_t j_ = 0; j_ < (size_t)(cnt); j_++) {                             \
                cr_assert(k < cap);                                                     \
                s[k++] = (p)[j_];                                                       \
            }                                                                           \
    } while (0)
    for (int i = 0; i < dn->n; i++) {
        layer *l = &dn->layers[i];
        if (l->type != CONVOLUTIONAL && l->type != CONNECTED) continue;
        size_t nw = l->type == CONVOLUTIONAL ? (size_t)l->nweights
                                             : (size_t)l->inputs * (size_t)l->outputs;
        int c = l->out_c;
        PUT(l->weights, nw);
        PUT(l->biases, c);
        PUT(l->weight_updates, nw);
        PUT(l->bias_updates, c);
        if (l->batch_normalize) {
            PUT(l->scales, c);
            PUT(l->rolling_mean, c);
            PUT(l->rolling_variance, c);
            PUT(l->scale_updates, c);
        }
    }
#undef PUT
    *n = k;
    return s;
}

static void stats_ok(msp_net *net, const msp_dataset *d, msp_stat_kind kind, msp_net_stats *s)
{
    msp_err err = {{0}};
    cr_assert_eq(msp_net_channel_stats(net, d, 0, kind, s, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(s->n_images, 8);
    cr_assert_eq(s->n_layers, msp_net_darknet(net)->n);
}

Test(engine_stats, shapes_and_ranges)
{
    msp_net *net = load_text(net_text("leaky", 0));
    msp_dataset d;
    make_data(&d);
    const int expect_c[5] = {6, 0, 5, 4, 0};
    for (int kind = 0; kind < 3; kind++) {
        msp_net_stats s;
        stats_ok(net, &d, (msp_stat_kind)kind, &s);
        cr_assert_eq(s.n_layers, 5);
        for (int i = 0; i < 5; i++) {
            cr_assert_eq(s.n_channels[i], expect_c[i], "layer %d", i);
            cr_assert_eq(s.layer[i] == NULL, expect_c[i] == 0);
            for (int k = 0; k < s.n_channels[i]; k++) {
                float v = s.layer[i][k];
                cr_assert(isfinite(v));
                if (kind == MSP_STAT_APOZ) cr_assert(v >= 0 && v <= 1, "apoz %g", v);
                if (kind == MSP_STAT_TAYLOR) cr_assert(v >= 0, "taylor %g", v);
            }
        }
        msp_net_stats_free(&s);
        msp_net_stats_free(&s); /* safe twice */
    }
    msp_dataset_free(&d);
    msp_net_free(net);
}

Test(engine_stats, mean_and_apoz_match_a_forward_pass)
{
    msp_net *net = load_text(net_text("leaky", 0));
    network *dn = msp_net_darknet(net);
    msp_dataset d;
    make_data(&d);
    msp_net_stats mean, apoz;
    stats_ok(net, &d, MSP_STAT_MEAN_ACT, &mean);
    stats_ok(net, &d, MSP_STAT_APOZ, &apoz);
    /* Independent: two predictions, then per channel sums over images and positions. */
    double sm[5][8] = {{0}}, sz[5][8] = {{0}};
    for (int b = 0; b < 2; b++) {
        network_predict(dn, d.x + (size_t)b * BATCH * 128);
        for (int i = 0; i < dn->n; i++) {
            layer *l = &dn->layers[i];
            if (l->type != CONVOLUTIONAL && l->type != CONNECTED) continue;
            int hw = l->out_w * l->out_h;
            for (int j = 0; j < BATCH; j++)
                for (int k = 0; k < l->out_c; k++)
                    for (int p = 0; p < hw; p++) {
                        float v = l->output[j * l->outputs + k * hw + p];
                        sm[i][k] += v / hw;
                        sz[i][k] += (v <= 0) / (double)hw;
                    }
        }
    }
    int checked = 0;
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < mean.n_channels[i]; k++) {
            cr_assert(fabs(mean.layer[i][k] - sm[i][k] / 8) <= 1e-5 * (1 + fabs(sm[i][k] / 8)),
                      "mean layer %d ch %d: %g vs %g", i, k, mean.layer[i][k], sm[i][k] / 8);
            cr_assert(fabs(apoz.layer[i][k] - sz[i][k] / 8) <= 1e-6, "apoz layer %d ch %d", i, k);
            checked++;
        }
    cr_assert_eq(checked, 15);
    /* leaky outputs count as "zero" when negative: the first layer is about half. */
    double a0 = 0;
    for (int k = 0; k < 6; k++) a0 += apoz.layer[0][k] / 6;
    cr_assert(a0 > 0.05 && a0 < 0.95, "mean apoz of layer 0 = %g", a0);
    msp_net_stats_free(&mean);
    msp_net_stats_free(&apoz);
    msp_dataset_free(&d);
    msp_net_free(net);
}

/* Darknet's backward_network, each layer's backward wrapped. */
static void (*orig_backward[16])(struct layer, struct network);
static double ref_acc[16][8];

static void recording_backward(struct layer l, struct network net)
{
    int i = net.index;
    int hw = l.out_w * l.out_h;
    if (l.type == CONVOLUTIONAL || l.type == CONNECTED)
        for (int b = 0; b < l.batch; b++)
            for (int k = 0; k < l.out_c; k++) {
                double s = 0;
                for (int p = 0; p < hw; p++) {
                    int o = b * l.outputs + k * hw + p;
                    s += (double)l.output[o] * l.delta[o];
                }
                ref_acc[i][k] += fabs(s / hw);
            }
    orig_backward[i](l, net);
}

static void taylor_reference(msp_engine_kind engine)
{
    msp_net *net = load_text_engine(net_text("leaky", 0), engine);
    network *dn = msp_net_darknet(net);
    msp_dataset d;
    make_data(&d);
    size_t n0, n1;
    float *before = snapshot(dn, &n0);
    msp_net_stats t;
    stats_ok(net, &d, MSP_STAT_TAYLOR, &t);
    float *after = snapshot(dn, &n1);
    cr_assert_eq(n0, n1);
    cr_assert_gt(n0, 1000u);
    cr_assert_eq(memcmp(before, after, n0 * sizeof(float)), 0,
                 "weights, BN statistics or momentum changed");
    cr_assert_eq(dn->train, 0);

    /* Reference with Darknet's own backward_network (this one may change
     * the rolling statistics: it is the last thing done with the net). */
    memset(ref_acc, 0, sizeof ref_acc);
    for (int i = 0; i < dn->n; i++) {
        orig_backward[i] = dn->layers[i].backward;
        dn->layers[i].backward = recording_backward;
    }
    float *input = dn->input, *truth = dn->truth;
    for (int b = 0; b < 2; b++) {
        memcpy(dn->input, d.x + (size_t)b * BATCH * 128, sizeof(float) * BATCH * 128);
        memset(dn->truth, 0, sizeof(float) * BATCH * 4);
        for (int j = 0; j < BATCH; j++) dn->truth[j * 4 + d.y[b * BATCH + j]] = 1;
        dn->train = 1;
        forward_network(dn);
        backward_network(dn);
        dn->input = input;
        dn->truth = truth;
    }
    dn->train = 0;
    for (int i = 0; i < dn->n; i++) dn->layers[i].backward = orig_backward[i];
    int nonzero = 0;
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < t.n_channels[i]; k++) {
            double ref = ref_acc[i][k] / 8;
            cr_assert(fabs(t.layer[i][k] - ref) <= 1e-6 * (1 + ref), "layer %d ch %d: %g vs %g",
                      i, k, t.layer[i][k], ref);
            nonzero += t.layer[i][k] > 0;
        }
    cr_assert_eq(nonzero, 15);
    free(before);
    free(after);
    msp_net_stats_free(&t);
    msp_dataset_free(&d);
    msp_net_free(net);
}

Test(engine_stats, taylor_matches_darknet_backward_fast_engine) { taylor_reference(MSP_ENGINE_FAST); }
Test(engine_stats, taylor_matches_darknet_backward_stock_engine) { taylor_reference(MSP_ENGINE_STOCK); }

Test(engine_stats, dead_channel_scores_zero_under_every_statistic)
{
    msp_net *net = load_text(net_text("relu", 0));
    network *dn = msp_net_darknet(net);
    layer *l = &dn->layers[0];
    const int dead = 2;
    int per = l->nweights / l->n;
    memset(l->weights + dead * per, 0, sizeof(float) * per);
    l->biases[dead] = 0;
    l->scales[dead] = 0;
    msp_dataset d;
    make_data(&d);
    msp_net_stats a, m, t;
    stats_ok(net, &d, MSP_STAT_APOZ, &a);
    stats_ok(net, &d, MSP_STAT_MEAN_ACT, &m);
    stats_ok(net, &d, MSP_STAT_TAYLOR, &t);
    for (int k = 0; k < 6; k++) {
        if (k == dead) {
            cr_assert_eq(a.layer[0][k], 1.0f);
            cr_assert_eq(m.layer[0][k], 0.0f);
            cr_assert_eq(t.layer[0][k], 0.0f);
        } else {
            cr_assert_lt(a.layer[0][k], 1.0f, "channel %d", k);
            cr_assert_gt(m.layer[0][k], 0.0f, "channel %d", k); /* relu: >= 0, not all 0 */
            cr_assert_gt(t.layer[0][k], 0.0f, "channel %d", k);
        }
    }
    msp_net_stats_free(&a);
    msp_net_stats_free(&m);
    msp_net_stats_free(&t);
    msp_dataset_free(&d);
    msp_net_free(net);
}

Test(engine_stats, dropout_is_bypassed_deterministically_without_drawing_rand)
{
    msp_net *net = load_text(net_text("leaky", 1));
    msp_dataset d;
    make_data(&d);
    srand(42);
    int expect = rand();
    msp_net_stats t1, t2;
    srand(42);
    stats_ok(net, &d, MSP_STAT_TAYLOR, &t1);
    cr_assert_eq(rand(), expect, "the taylor pass drew from rand()");
    stats_ok(net, &d, MSP_STAT_TAYLOR, &t2);
    cr_assert_eq(t1.n_layers, 6);
    for (int i = 0; i < 6; i++)
        for (int k = 0; k < t1.n_channels[i]; k++)
            cr_assert_eq(t1.layer[i][k], t2.layer[i][k]);
    /* the dropout layer's forward is restored: inference still works */
    network *dn = msp_net_darknet(net);
    cr_assert_eq(dn->layers[3].type, DROPOUT);
    cr_assert_neq((void *)dn->layers[3].forward, NULL);
    msp_net_stats_free(&t1);
    msp_net_stats_free(&t2);
    msp_dataset_free(&d);
    msp_net_free(net);
}

Test(engine_stats, bad_inputs)
{
    msp_net *net = load_text(net_text("leaky", 0));
    msp_dataset d;
    make_data(&d);
    msp_net_stats s;
    msp_err err = {{0}};
    /* fewer images than a batch */
    cr_assert_eq(msp_net_channel_stats(net, &d, 3, MSP_STAT_APOZ, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "3 image(s) do not fill one batch of 4: statistics use full "
                              "batches only; give more images or load the network with a "
                              "smaller batch");
    cr_assert_null(s.layer);
    /* label out of range (taylor only) */
    d.y[5] = 4;
    cr_assert_eq(msp_net_channel_stats(net, &d, 0, MSP_STAT_TAYLOR, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "image 5 has label 4 but the network has 4 classes");
    cr_assert_eq(msp_net_channel_stats(net, &d, 0, MSP_STAT_APOZ, &s, &err), MSP_OK);
    msp_net_stats_free(&s);
    /* wrong image size */
    d.w = 7;
    cr_assert_eq(msp_net_channel_stats(net, &d, 0, MSP_STAT_MEAN_ACT, &s, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "network takes 128 values") != NULL, "%s", err.msg);
    d.w = 8;
    cr_assert_eq(msp_net_channel_stats(net, &d, 0, (msp_stat_kind)9, &s, &err), MSP_BAD_INPUT);
    msp_dataset empty = {0};
    cr_assert_eq(msp_net_channel_stats(net, &empty, 0, MSP_STAT_APOZ, &s, &err), MSP_BAD_INPUT);
    msp_dataset_free(&d);
    msp_net_free(net);
}

Test(engine_stats, data_scores_for_pruning)
{
    const char *text = net_text("relu", 0);
    msp_net *net = load_text(text);
    network *dn = msp_net_darknet(net);
    layer *l = &dn->layers[2]; /* the second conv: prunable (the first is protected) */
    const int dead = 3;
    int per = l->nweights / l->n;
    memset(l->weights + dead * per, 0, sizeof(float) * per);
    l->biases[dead] = 0;
    msp_dataset d;
    make_data(&d);
    msp_err err = {{0}};
    msp_dn_cfg cfg;
    msp_dn_net info;
    cr_assert_eq(msp_dncfg_parse_string(text, "t.cfg", &cfg, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_dncfg_check(&cfg, &info, &err), MSP_OK, "%s", err.msg);
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    msp_prune_groups g;
    cr_assert_eq(msp_prune_groups_build(&cfg, &info, &o, &g, &err), MSP_OK, "%s", err.msg);
    const msp_prune_criterion crit[3] = {MSP_CRIT_APOZ, MSP_CRIT_MEAN_ACT, MSP_CRIT_TAYLOR};
    for (int c = 0; c < 3; c++) {
        msp_prune_scores s;
        cr_assert_eq(msp_prune_score_data(net, &d, 0, &info, &g, crit[c], &s, &err), MSP_OK,
                     "%s", err.msg);
        /* the dead channel scores 0 (apoz 1 -> 1 - 1), every other one more */
        for (int k = 0; k < 5; k++)
            if (k == dead) cr_assert_eq(s.layer[2][k], 0.0f, "crit %d", c);
            else cr_assert_gt(s.layer[2][k], 0.0f, "crit %d ch %d", c, k);
        int u = g.chan_unit[g.chan_base[2] + dead];
        cr_assert_geq(u, 0);
        cr_assert_eq(s.unit[u], 0.0f);
        msp_prune_scores_free(&s);
    }
    msp_prune_scores s;
    cr_assert_eq(msp_prune_score_data(net, &d, 0, &info, &g, MSP_CRIT_L1, &s, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "criterion 'l1' is not computed from data: use apoz, "
                              "mean-activation or taylor here");
    const float v[1] = {2};
    const float *vals[5] = {v, NULL, v, v, NULL};
    const int nch[5] = {1, 0, 1, 1, 0};
    cr_assert_eq(msp_prune_scores_from_stats(&info, &g, MSP_CRIT_APOZ, 5, nch, vals, &s, &err),
                 MSP_BAD_INPUT);
    cr_assert_null(s.layer);
    cr_assert_eq(msp_prune_scores_from_stats(&info, &g, MSP_CRIT_APOZ, 4, nch, vals, &s, &err),
                 MSP_BAD_INPUT);
    msp_prune_groups_free(&g);
    msp_dnnet_free(&info);
    msp_dncfg_free(&cfg);
    msp_dataset_free(&d);
    msp_net_free(net);
}
