/* test_prune_classes.c: class pruning through stock Darknet.
 *
 * Without `other`, softmax over the kept logits must equal the original
 * probabilities renormalised over the kept classes, in the given order
 * (both nets run in Darknet via msp_net_load + msp_net_predict). With
 * `other` and dropped classes whose rows agree, "other" must carry exactly
 * their summed probability (the log(m) bias). Bad class lists are refused.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "prune/prune.h"
#include "base/rng.h"

static char dir[64];

static void mk(void)
{
    strcpy(dir, "/tmp/msprune-classes-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void rm(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(prune_classes, .init = mk, .fini = rm);

typedef struct net_t {
    msp_dn_cfg cfg;
    msp_dn_net net;
    msp_prune_weights w;
} net_t;

static void net_load(net_t *n, const char *path, const char *text, uint64_t seed)
{
    msp_err err = {{0}};
    memset(n, 0, sizeof *n);
    if (path)
        cr_assert_eq(msp_dncfg_read(path, &n->cfg, &err), MSP_OK, "%s", err.msg);
    else
        cr_assert_eq(msp_dncfg_parse_string(text, "t.cfg", &n->cfg, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_dncfg_check(&n->cfg, &n->net, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_prune_weights_random(&n->cfg, &n->net, seed, &n->w, &err), MSP_OK, "%s",
                 err.msg);
}

static void net_free(net_t *n)
{
    msp_prune_weights_free(&n->w);
    msp_dnnet_free(&n->net);
    msp_dncfg_free(&n->cfg);
}

#define BATCH 3

/* Outputs (malloc'd, BATCH x classes) of cfg + w in Darknet. */
static float *run(const msp_dn_cfg *cfg, const msp_prune_weights *w, const char *name,
                  const float *x, int *classes)
{
    msp_err err = {{0}};
    char cp[128], wp[128];
    snprintf(cp, sizeof cp, "%s/%s.cfg", dir, name);
    snprintf(wp, sizeof wp, "%s/%s.weights", dir, name);
    cr_assert_eq(msp_dncfg_write(cfg, cp, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_prune_weights_save(w, wp, &err), MSP_OK, "%s", err.msg);
    msp_net *dn = NULL;
    msp_net_opts o = {.batch = BATCH};
    cr_assert_eq(msp_net_load(cp, wp, &o, &dn, &err), MSP_OK, "%s", err.msg);
    *classes = msp_net_classes(dn);
    const float *y = msp_net_predict(dn, x);
    float *out = malloc(sizeof(float) * BATCH * (size_t)*classes);
    memcpy(out, y, sizeof(float) * BATCH * (size_t)*classes);
    msp_net_free(dn);
    return out;
}

static float *inputs(const msp_dn_net *net)
{
    size_t in = (size_t)net->w * net->h * net->c;
    float *x = malloc(sizeof(float) * BATCH * in);
    msp_rng r;
    msp_rng_seed(&r, 21);
    for (size_t i = 0; i < BATCH * in; i++) x[i] = (float)msp_rng_uniform(&r);
    return x;
}

/* Prune n to keep[0..k) (+ other) and compare in Darknet. When other, the
 * last output must hold the summed probability of the dropped classes. */
static void check(net_t *n, const int *keep, int k, int other)
{
    msp_err err = {{0}};
    msp_dn_cfg ocfg;
    msp_dn_net onet;
    msp_prune_weights ow;
    cr_assert_eq(msp_prune_classes(&n->cfg, &n->net, &n->w, keep, k, other, &ocfg, &onet, &ow,
                                   &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(onet.classes, k + other);
    float *x = inputs(&n->net);
    int c0, c1;
    float *p0 = run(&n->cfg, &n->w, "orig", x, &c0);
    float *p1 = run(&ocfg, &ow, "pruned", x, &c1);
    cr_assert_eq(c0, n->net.classes);
    cr_assert_eq(c1, k + other);
    for (int b = 0; b < BATCH; b++) {
        const float *a = p0 + b * c0, *q = p1 + b * c1;
        double kept = 0;
        for (int j = 0; j < k; j++) kept += a[keep[j]];
        for (int j = 0; j < k; j++) {
            double expect = other ? a[keep[j]] : a[keep[j]] / kept;
            cr_assert(fabs(q[j] - expect) <= 1e-5, "image %d output %d (class %d): %g vs %g", b,
                      j, keep[j], q[j], expect);
        }
        if (other)
            cr_assert(fabs(q[k] - (1 - kept)) <= 1e-5, "image %d other: %g vs %g", b, q[k],
                      1 - kept);
    }
    free(x);
    free(p0);
    free(p1);
    msp_prune_weights_free(&ow);
    msp_dnnet_free(&onet);
    msp_dncfg_free(&ocfg);
}

Test(prune_classes, connected_output_keeps_subset_in_order)
{
    net_t n;
    net_load(&n, "tests/data/tiny-fashion.cfg", NULL, 3);
    int out;
    msp_err err = {{0}};
    cr_assert_eq(msp_prune_output_layer(&n.cfg, &n.net, &out, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(out, 4);
    const int keep[] = {7, 2, 5};
    check(&n, keep, 3, 0);
    const int all[] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}; /* a permutation of every class */
    check(&n, all, 10, 0);
    net_free(&n);
}

Test(prune_classes, conv_avgpool_output_keeps_subset_in_order)
{
    net_t n;
    net_load(&n, "cfg/fashion-base.cfg", NULL, 4);
    int out;
    msp_err err = {{0}};
    cr_assert_eq(msp_prune_output_layer(&n.cfg, &n.net, &out, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(out, 6);
    const int keep[] = {0, 9, 3, 4};
    check(&n, keep, 4, 0);
    net_free(&n);
}

/* Make the rows of the dropped classes identical (the "other" logit is then
 * exactly logsumexp of theirs). */
static void same_rows(net_t *n, int layer, const int *dropped, int m)
{
    msp_prune_layer_w *lw = &n->w.layers[layer];
    size_t per = lw->n_weights / lw->n_biases;
    for (int j = 1; j < m; j++) {
        memcpy(lw->weights + dropped[j] * per, lw->weights + dropped[0] * per,
               per * sizeof(float));
        lw->biases[dropped[j]] = lw->biases[dropped[0]];
        if (lw->n_bn) {
            lw->scales[dropped[j]] = lw->scales[dropped[0]];
            lw->rolling_mean[dropped[j]] = lw->rolling_mean[dropped[0]];
            lw->rolling_variance[dropped[j]] = lw->rolling_variance[dropped[0]];
        }
    }
}

Test(prune_classes, other_gathers_the_dropped_mass)
{
    net_t n;
    net_load(&n, "tests/data/tiny-fashion.cfg", NULL, 5);
    const int keep[] = {1, 6}, dropped[] = {0, 2, 3, 4, 5, 7, 8, 9};
    same_rows(&n, 4, dropped, 8);
    check(&n, keep, 2, 1);
    net_free(&n);

    net_load(&n, "cfg/fashion-base.cfg", NULL, 6);
    const int keep2[] = {3}, dropped2[] = {0, 1, 2, 4, 5, 6, 7, 8, 9};
    same_rows(&n, 6, dropped2, 9);
    check(&n, keep2, 1, 1);
    net_free(&n);
}

Test(prune_classes, other_folds_batch_norm_of_the_output_layer)
{
    const char *text = "[net]\nbatch=1\nwidth=6\nheight=6\nchannels=1\n"
                       "[convolutional]\nfilters=4\nsize=3\npad=1\nactivation=relu\n"
                       "[connected]\noutput=5\nbatch_normalize=1\nactivation=linear\n"
                       "[softmax]\n";
    net_t n;
    net_load(&n, NULL, text, 9);
    const int keep[] = {4, 0}, dropped[] = {1, 2, 3};
    same_rows(&n, 1, dropped, 3);
    check(&n, keep, 2, 1);
    net_free(&n);
}

Test(prune_classes, bad_class_lists)
{
    net_t n;
    net_load(&n, "tests/data/tiny-fashion.cfg", NULL, 3);
    msp_err err = {{0}};
    msp_dn_cfg ocfg;
    msp_dn_net onet;
    msp_prune_weights ow;
    struct {
        int ids[10], k, other;
        const char *msg;
    } cases[] = {
        {{3, 10}, 2, 0, "class id 10 is out of range: the network has classes 0..9"},
        {{-1, 2}, 2, 0, "class id -1 is out of range: the network has classes 0..9"},
        {{3, 5, 3}, 3, 0, "class 3 is listed twice"},
        {{0}, 0, 1, "no classes to keep; give at least one class id"},
        {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10, 1,
         "every class is kept, so 'other' would gather nothing; drop some classes or leave "
         "'other' out"},
        {{4}, 1, 0, "a single output class is always predicted; keep at least 2 classes or add "
                    "'other'"},
        {{0}, 11, 0, "11 classes asked for but the network has 10"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(msp_prune_classes(&n.cfg, &n.net, &n.w, cases[i].ids, cases[i].k,
                                       cases[i].other, &ocfg, &onet, &ow, &err),
                     MSP_BAD_INPUT, "case %zu", i);
        char expect[512];
        snprintf(expect, sizeof expect, "tests/data/tiny-fashion.cfg:%d: class pruning: %s",
                 n.net.layers[4].line, cases[i].msg);
        cr_assert_str_eq(err.msg, expect);
        cr_assert_null(ocfg.sec);
        cr_assert_null(onet.layers);
        cr_assert_null(ow.data);
    }
    net_free(&n);
}

Test(prune_classes, output_layer_must_produce_the_classes)
{
    /* conv maps reach softmax as 2x2: 12 outputs from 3 filters */
    const char *text = "[net]\nbatch=1\nwidth=4\nheight=4\nchannels=1\n"
                       "[convolutional]\nfilters=3\nsize=3\nstride=2\npad=1\nactivation=linear\n"
                       "[softmax]\n";
    net_t n;
    net_load(&n, NULL, text, 1);
    msp_err err = {{0}};
    int out;
    cr_assert_eq(msp_prune_output_layer(&n.cfg, &n.net, &out, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "t.cfg:6: class pruning: layer 0 has 3 filters but the network "
                              "outputs 12 values; the output layer's filters must be the "
                              "classes (reduce its maps to 1x1, e.g. with a global [avgpool])");
    cr_assert_eq(out, -1);
    net_free(&n);

    const char *route = "[net]\nbatch=1\nwidth=4\nheight=4\nchannels=1\n"
                        "[convolutional]\nfilters=3\nsize=1\nactivation=linear\n"
                        "[avgpool]\n[route]\nlayers=-1\n[softmax]\n";
    net_load(&n, NULL, route, 1);
    cr_assert_eq(msp_prune_output_layer(&n.cfg, &n.net, &out, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "t.cfg:11: class pruning: layer 2 ([route])") == err.msg, "%s",
              err.msg);
    net_free(&n);
}
