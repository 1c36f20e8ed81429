/* test_prune.c: pruning against zero-masking, through stock Darknet.
 *
 * Exactness: the filters to be pruned are made to output exactly zero (zero
 * weights and bias, BN scale 0 and shift 0, activations with f(0) = 0), so
 * removing them must not change the network's output. Both networks run in
 * Darknet (msp_net_load + msp_net_predict). Also: ratio 0 gives the same
 * files, groups on residual and grouped topologies, and bad inputs.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "prune/prune.h"
#include "base/rng.h"

static char dir[64];

static void mkdir_tmp(void)
{
    strcpy(dir, "/tmp/msprune-prune-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static char *path_in(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* A parsed, checked cfg from text. */
typedef struct net_t {
    msp_dn_cfg cfg;
    msp_dn_net net;
    msp_prune_weights w;
} net_t;

static void net_from_text(net_t *n, const char *text, uint64_t seed)
{
    msp_err err = {{0}};
    memset(n, 0, sizeof *n);
    cr_assert_eq(msp_dncfg_parse_string(text, "test.cfg", &n->cfg, &err), MSP_OK, "%s", err.msg);
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

/* Make output channel f of producer layer i exactly zero. */
static void zero_filter(net_t *n, int i, int f)
{
    const msp_dn_layer *l = &n->net.layers[i];
    msp_prune_layer_w *lw = &n->w.layers[i];
    size_t per = lw->n_weights / (size_t)l->filters;
    memset(lw->weights + (size_t)f * per, 0, per * sizeof(float));
    lw->biases[f] = 0;
    if (lw->n_bn) lw->scales[f] = 0;
}

/* Write cfg + weights, run batch inputs through Darknet; returns the
 * outputs (malloc'd) and their count per image. */
static float *run_darknet(const msp_dn_cfg *cfg, const msp_prune_weights *w, const char *name,
                          const float *x, int batch, int *classes)
{
    msp_err err = {{0}};
    char cp[256], wp[256];
    snprintf(cp, sizeof cp, "%s/%s.cfg", dir, name);
    snprintf(wp, sizeof wp, "%s/%s.weights", dir, name);
    cr_assert_eq(msp_dncfg_write(cfg, cp, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_prune_weights_save(w, wp, &err), MSP_OK, "%s", err.msg);
    msp_net *dn = NULL;
    msp_net_opts o = {.batch = batch};
    cr_assert_eq(msp_net_load(cp, wp, &o, &dn, &err), MSP_OK, "%s", err.msg);
    *classes = msp_net_classes(dn);
    const float *y = msp_net_predict(dn, x);
    float *out = malloc(sizeof(float) * (size_t)batch * (size_t)*classes);
    memcpy(out, y, sizeof(float) * (size_t)batch * (size_t)*classes);
    msp_net_free(dn);
    return out;
}

/* Prune n with masks (after zeroing the same filters), run both nets in
 * Darknet on random inputs, compare. Returns the pruned FLOPs. */
static double check_exact(net_t *n, msp_prune_masks *m, const msp_prune_opts *opts)
{
    msp_err err = {{0}};
    msp_prune_groups g;
    cr_assert_eq(msp_prune_groups_build(&n->cfg, &n->net, opts, &g, &err), MSP_OK, "%s",
                 err.msg);
    msp_dn_cfg ocfg;
    msp_dn_net onet;
    msp_prune_weights ow;
    cr_assert_eq(msp_prune_apply(&n->cfg, &n->net, &g, &n->w, m, &ocfg, &onet, &ow, &err), MSP_OK,
                 "%s", err.msg);
    const int batch = 3;
    int in = n->net.w * n->net.h * n->net.c;
    float *x = malloc(sizeof(float) * (size_t)(batch * in));
    msp_rng r;
    msp_rng_seed(&r, 99);
    for (int i = 0; i < batch * in; i++) x[i] = (float)(2 * msp_rng_uniform(&r) - 1);
    int c1, c2;
    float *a = run_darknet(&n->cfg, &n->w, "orig", x, batch, &c1);
    float *b = run_darknet(&ocfg, &ow, "pruned", x, batch, &c2);
    cr_assert_eq(c1, c2);
    double maxabs = 0;
    for (int i = 0; i < batch * c1; i++) {
        cr_assert(isfinite(a[i]));
        cr_assert(fabsf(a[i] - b[i]) <= 1e-5f * (1 + fabsf(a[i])), "output %d: %.9g vs %.9g", i,
                  a[i], b[i]);
        if (fabs(a[i]) > maxabs) maxabs = fabs(a[i]);
    }
    cr_assert(maxabs > 1e-3, "outputs are all ~0: the test would prove nothing");
    cr_assert(onet.flops < n->net.flops, "FLOPs %g -> %g", n->net.flops, onet.flops);
    double f = onet.flops;
    free(a);
    free(b);
    free(x);
    msp_prune_weights_free(&ow);
    msp_dnnet_free(&onet);
    msp_dncfg_free(&ocfg);
    msp_prune_groups_free(&g);
    return f;
}

static void cut(net_t *n, msp_prune_masks *m, int layer, int f)
{
    zero_filter(n, layer, f);
    m->keep[layer][f] = 0;
}

/* ---- exactness ---------------------------------------------------------- */

Test(prune, exact_conv_conv, .init = mkdir_tmp, .fini = rm_tmp)
{
    net_t n;
    net_from_text(&n,
                  "[net]\nwidth=9\nheight=9\nchannels=3\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[convolutional]\nfilters=6\nsize=3\nstride=2\npad=1\nactivation=relu\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=5\nsize=1\nstride=1\n"
                  "activation=linear\n"
                  "[avgpool]\n"
                  "[connected]\noutput=4\nactivation=linear\n",
                  1);
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    o.protect_first = 0;
    msp_prune_masks m;
    msp_prune_masks_init(&n.net, &m);
    cut(&n, &m, 0, 1);
    cut(&n, &m, 0, 4);
    cut(&n, &m, 0, 7);
    cut(&n, &m, 1, 0);
    cut(&n, &m, 1, 3);
    cut(&n, &m, 2, 2); /* through avgpool into the connected layer */
    check_exact(&n, &m, &o);
    msp_prune_masks_free(&m);
    net_free(&n);
}

Test(prune, exact_conv_maxpool_connected_flattened, .init = mkdir_tmp, .fini = rm_tmp)
{
    net_t n;
    net_from_text(&n,
                  "[net]\nwidth=8\nheight=8\nchannels=2\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[maxpool]\nsize=2\nstride=2\n"
                  "[connected]\nbatch_normalize=1\noutput=10\nactivation=leaky\n"
                  "[dropout]\nprobability=.5\n"
                  "[connected]\noutput=7\nactivation=relu\n"
                  "[connected]\noutput=3\nactivation=linear\n",
                  2);
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    o.protect_first = 0;
    msp_prune_masks m;
    msp_prune_masks_init(&n.net, &m);
    cut(&n, &m, 0, 2); /* its 4x4 = 16 columns of layer 2 go */
    cut(&n, &m, 0, 5);
    cut(&n, &m, 2, 3); /* connected -> dropout -> connected */
    cut(&n, &m, 2, 7);
    cut(&n, &m, 4, 0);
    check_exact(&n, &m, &o);

    /* The cut columns are exactly the channel's h*w block (c x h x w order). */
    msp_err err = {{0}};
    msp_prune_groups g;
    cr_assert_eq(msp_prune_groups_build(&n.cfg, &n.net, &o, &g, &err), MSP_OK);
    msp_dn_cfg oc;
    msp_dn_net on;
    msp_prune_weights ow;
    cr_assert_eq(msp_prune_apply(&n.cfg, &n.net, &g, &n.w, &m, &oc, &on, &ow, &err), MSP_OK);
    cr_assert_eq(on.layers[2].inputs, 4 * 4 * 4);
    cr_assert_eq(on.layers[2].filters, 8);
    /* new row 0 = old row 0 without columns 32..47 (channel 2) and 80..95 (5) */
    const float *a = n.w.layers[2].weights, *b = ow.layers[2].weights;
    cr_assert_eq(b[0], a[0]);
    cr_assert_eq(b[32], a[48]);
    cr_assert_eq(b[63], a[79]);
    cr_assert_eq(b[64 + 0], a[96 + 0]); /* row 1 starts at old column 0 of row 1 */
    msp_prune_weights_free(&ow);
    msp_dnnet_free(&on);
    msp_dncfg_free(&oc);
    msp_prune_groups_free(&g);
    msp_prune_masks_free(&m);
    net_free(&n);
}

Test(prune, exact_route_concatenation, .init = mkdir_tmp, .fini = rm_tmp)
{
    net_t n;
    /* densenet-like: 0 conv4, 1 conv3, 2 route [1,0], 3 conv5, 4 route [3,2],
     * 5 maxpool, 6 conv2, 7 avgpool, 8 connected */
    net_from_text(&n,
                  "[net]\nwidth=8\nheight=8\nchannels=3\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=3\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[route]\nlayers=-1,-2\n"
                  "[convolutional]\nfilters=5\nsize=1\nstride=1\nactivation=leaky\n"
                  "[route]\nlayers=-1,-2\n"
                  "[maxpool]\nsize=2\nstride=2\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=2\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[avgpool]\n"
                  "[connected]\noutput=3\nactivation=linear\n",
                  3);
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    o.protect_first = 0;
    msp_prune_masks m;
    msp_prune_masks_init(&n.net, &m);
    cut(&n, &m, 0, 1);
    cut(&n, &m, 0, 3);
    cut(&n, &m, 1, 2);
    cut(&n, &m, 3, 0);
    cut(&n, &m, 3, 4);
    check_exact(&n, &m, &o);
    msp_prune_masks_free(&m);
    net_free(&n);
}

static const char *resnet_text =
    "[net]\nwidth=8\nheight=8\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\nstride=1\npad=1\nactivation=leaky\n"
    "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\nstride=1\npad=1\nactivation=linear\n"
    "[shortcut]\nfrom=-2\nactivation=leaky\n"
    "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=1\nstride=1\nactivation=leaky\n"
    "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\nstride=1\npad=1\nactivation=linear\n"
    "[shortcut]\nfrom=-3\nactivation=leaky\n"
    "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=2\npad=1\nactivation=leaky\n"
    "[avgpool]\n"
    "[connected]\noutput=3\nactivation=linear\n";

Test(prune, groups_couple_shortcut_chains)
{
    net_t n;
    net_from_text(&n, resnet_text, 4);
    msp_err err = {{0}};
    msp_prune_groups g;
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    o.protect_first = 0;
    cr_assert_eq(msp_prune_groups_build(&n.cfg, &n.net, &o, &g, &err), MSP_OK, "%s", err.msg);
    /* groups: {0,1,4} (residual stream, 6 units of 3 channels), {3}, {6} */
    cr_assert_eq(g.n_groups, 3);
    cr_assert_eq(g.groups[0].n_layers, 3);
    cr_assert_eq(g.groups[0].layers[0], 0);
    cr_assert_eq(g.groups[0].layers[1], 1);
    cr_assert_eq(g.groups[0].layers[2], 4);
    cr_assert_eq(g.groups[0].n_units, 6);
    for (int u = 0; u < 6; u++) {
        cr_assert_eq(g.unit_base[u + 1] - g.unit_base[u], 3);
        cr_assert_eq(g.chan_unit[g.chan_base[4] + u], g.chan_unit[g.chan_base[0] + u]);
    }
    cr_assert_eq(g.groups[1].n_units, 4);
    cr_assert_eq(g.groups[2].n_units, 4);
    /* The connected layer's outputs are the classes. */
    cr_assert_eq(g.chan_unit[g.chan_base[8]], -1);
    cr_assert_str_eq(g.why[8], "its outputs are the network's outputs (the classes)");
    msp_prune_groups_free(&g);

    /* protect_first locks the whole residual stream it is coupled with. */
    o.protect_first = 1;
    cr_assert_eq(msp_prune_groups_build(&n.cfg, &n.net, &o, &g, &err), MSP_OK);
    cr_assert_eq(g.n_groups, 2);
    cr_assert_str_eq(g.why[4], "first layer (protect_first)");
    cr_assert_eq(g.chan_unit[g.chan_base[1] + 2], -1);
    msp_prune_groups_free(&g);
    net_free(&n);
}

Test(prune, exact_shortcut_coupled_channels, .init = mkdir_tmp, .fini = rm_tmp)
{
    net_t n;
    net_from_text(&n, resnet_text, 5);
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    o.protect_first = 0;
    msp_prune_masks m;
    msp_prune_masks_init(&n.net, &m);
    int coupled[] = {0, 1, 4};
    for (int j = 0; j < 3; j++) {
        cut(&n, &m, coupled[j], 1);
        cut(&n, &m, coupled[j], 4);
    }
    cut(&n, &m, 3, 2);
    cut(&n, &m, 6, 0);
    check_exact(&n, &m, &o);

    /* Removing a residual channel from one member only is refused. */
    msp_err err = {{0}};
    msp_prune_groups g;
    cr_assert_eq(msp_prune_groups_build(&n.cfg, &n.net, &o, &g, &err), MSP_OK);
    m.keep[4][1] = 1;
    msp_dn_cfg oc;
    msp_dn_net on;
    msp_prune_weights ow;
    cr_assert_eq(msp_prune_apply(&n.cfg, &n.net, &g, &n.w, &m, &oc, &on, &ow, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "test.cfg:28: layer 0 channel 1 and layer 4 channel 1 are added "
                              "together by a [shortcut]: remove both or neither");
    cr_assert_null(oc.sec);
    cr_assert_null(ow.data);
    /* A class output cannot be removed. */
    m.keep[4][1] = 0;
    m.keep[8][0] = 0;
    cr_assert_eq(msp_prune_apply(&n.cfg, &n.net, &g, &n.w, &m, &oc, &on, &ow, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "test.cfg:46: layer 8 channel 0 cannot be removed: its outputs "
                              "are the network's outputs (the classes)");
    msp_prune_groups_free(&g);
    msp_prune_masks_free(&m);
    net_free(&n);
}

Test(prune, grouped_convolutions_stay_whole)
{
    net_t n;
    net_from_text(&n,
                  "[net]\nwidth=8\nheight=8\nchannels=4\n"
                  "[convolutional]\nfilters=8\nsize=1\nstride=1\nactivation=leaky\n"
                  "[convolutional]\nfilters=8\ngroups=4\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[convolutional]\nfilters=6\nsize=1\nstride=1\nactivation=leaky\n"
                  "[convolutional]\nfilters=5\nsize=1\nstride=1\nactivation=leaky\n"
                  "[avgpool]\n[softmax]\n",
                  6);
    msp_err err = {{0}};
    msp_prune_groups g;
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    o.protect_first = 0;
    cr_assert_eq(msp_prune_groups_build(&n.cfg, &n.net, &o, &g, &err), MSP_OK, "%s", err.msg);
    cr_assert_str_eq(g.why[0], "feeds a grouped convolution (groups > 1)");
    cr_assert_str_eq(g.why[1], "grouped convolution (groups > 1)");
    cr_assert_null(g.why[2]);
    cr_assert_str_eq(g.why[3], "feeds the network's output ([softmax]/[cost])");
    cr_assert_eq(g.n_units, 6);
    cr_assert_eq(g.n_groups, 1);
    msp_prune_groups_free(&g);
    net_free(&n);
}

/* Darknet's stock ResNets add a narrower map to a wider one (the first
 * min(c1, c2) channels): the paired prefix is coupled, the tail is free. */
Test(prune, exact_shortcut_unequal_channels, .init = mkdir_tmp, .fini = rm_tmp)
{
    net_t n;
    net_from_text(&n,
                  "[net]\nwidth=8\nheight=8\nchannels=3\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\npad=1\n"
                  "activation=leaky\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=6\nsize=3\nstride=1\npad=1\n"
                  "activation=linear\n"
                  "[shortcut]\nfrom=-2\nactivation=leaky\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=3\nsize=1\nstride=1\n"
                  "activation=linear\n"
                  "[shortcut]\nfrom=-2\nactivation=leaky\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=2\npad=1\n"
                  "activation=leaky\n"
                  "[avgpool]\n"
                  "[connected]\noutput=3\nactivation=linear\n",
                  12);
    msp_err err = {{0}};
    msp_prune_opts o = {.protect_first = 0};
    msp_prune_groups g;
    cr_assert_eq(msp_prune_groups_build(&n.cfg, &n.net, &o, &g, &err), MSP_OK, "%s", err.msg);
    /* {0:k, 1:k, 3:k} k < 3; {0:3, 1:3}; {1:4}; {1:5}; layer 5's four */
    int u1 = g.chan_unit[g.chan_base[1] + 1];
    cr_assert_eq(g.unit_base[u1 + 1] - g.unit_base[u1], 3);
    cr_assert_eq(g.chan_unit[g.chan_base[3] + 1], u1);
    int u3 = g.chan_unit[g.chan_base[1] + 3];
    cr_assert_eq(g.unit_base[u3 + 1] - g.unit_base[u3], 2);
    int u4 = g.chan_unit[g.chan_base[1] + 4];
    cr_assert_eq(g.unit_base[u4 + 1] - g.unit_base[u4], 1);
    cr_assert_eq(g.n_units, 6 + 4);
    msp_prune_groups_free(&g);

    msp_prune_masks m;
    msp_prune_masks_init(&n.net, &m);
    cut(&n, &m, 0, 1);
    cut(&n, &m, 1, 1);
    cut(&n, &m, 3, 1);
    cut(&n, &m, 0, 3);
    cut(&n, &m, 1, 3);
    cut(&n, &m, 1, 4);
    cut(&n, &m, 5, 2);
    check_exact(&n, &m, &o);
    msp_prune_masks_free(&m);
    net_free(&n);
}

/* ---- plans -------------------------------------------------------------- */

Test(prune, plan_uniform_and_global_follow_scores)
{
    net_t n;
    net_from_text(&n, resnet_text, 7);
    msp_err err = {{0}};
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    o.protect_first = 0;
    msp_prune_groups g;
    cr_assert_eq(msp_prune_groups_build(&n.cfg, &n.net, &o, &g, &err), MSP_OK);
    msp_prune_scores s;
    msp_prune_scores_init(&n.net, &s);
    /* residual: layer 0 scores c, layers 1 and 4 score 1: unit c = mean */
    for (int c = 0; c < 6; c++) {
        s.layer[0][c] = (float)c;
        s.layer[1][c] = s.layer[4][c] = 1;
    }
    float l3[] = {4, 1, 3, 2}, l6[] = {0.5f, 2, 0.25f, 1};
    memcpy(s.layer[3], l3, sizeof l3);
    memcpy(s.layer[6], l6, sizeof l6);
    for (int c = 0; c < 3; c++) s.layer[8][c] = 1;
    cr_assert_eq(msp_prune_scores_finish(&n.net, &g, &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_float_eq(s.unit[g.chan_unit[g.chan_base[0] + 0]], 2.0f / 3, 1e-6);
    cr_assert_float_eq(s.unit[g.chan_unit[g.chan_base[0] + 5]], 1.0f, 1e-6);
    cr_assert_float_eq(s.unit[g.chan_unit[g.chan_base[6] + 2]], 0.125f, 1e-6);

    msp_prune_masks m;
    cr_assert_eq(msp_prune_plan_ratio(&n.net, &g, &s, 0.5, MSP_ALLOC_UNIFORM, 1, &m, &err),
                 MSP_OK);
    /* residual: 3 lowest (channels 0,1,2); layer 3: 1 and 3; layer 6: 2 and 0 */
    unsigned char k0[] = {0, 0, 0, 1, 1, 1}, k3[] = {1, 0, 1, 0}, k6[] = {0, 1, 0, 1};
    cr_assert_arr_eq(m.keep[0], k0, 6);
    cr_assert_arr_eq(m.keep[1], k0, 6);
    cr_assert_arr_eq(m.keep[4], k0, 6);
    cr_assert_arr_eq(m.keep[3], k3, 4);
    cr_assert_arr_eq(m.keep[6], k6, 4);
    msp_prune_masks_free(&m);

    /* min_channels 3 stops layer 3 and 6 at 3 channels (1 removed each). */
    cr_assert_eq(msp_prune_plan_ratio(&n.net, &g, &s, 0.75, MSP_ALLOC_UNIFORM, 3, &m, &err),
                 MSP_OK);
    unsigned char k3b[] = {1, 0, 1, 1};
    cr_assert_arr_eq(m.keep[3], k3b, 4);
    cr_assert_arr_eq(m.keep[0], k0, 6);
    msp_prune_masks_free(&m);

    /* global: 26 prunable channels (18 residual + 4 + 4); 0.25 -> 6 channels:
     * lowest units 0.125 (l6 c2), 0.25 (l3 c1, l6 c0), 0.5 (l3 c3, l6 c3),
     * then the residual unit 0 at 0.667 (3 channels: 8 >= 6) */
    cr_assert_eq(msp_prune_plan_ratio(&n.net, &g, &s, 0.25, MSP_ALLOC_GLOBAL, 1, &m, &err),
                 MSP_OK);
    unsigned char g0[] = {0, 1, 1, 1, 1, 1}, g3[] = {1, 0, 1, 0}, g6[] = {0, 1, 0, 0};
    cr_assert_arr_eq(m.keep[0], g0, 6);
    cr_assert_arr_eq(m.keep[3], g3, 4);
    cr_assert_arr_eq(m.keep[6], g6, 4);
    msp_prune_masks_free(&m);

    msp_prune_scores_free(&s);
    msp_prune_groups_free(&g);
    net_free(&n);
}

Test(prune, criteria_score_filters)
{
    net_t n;
    net_from_text(&n,
                  "[net]\nwidth=4\nheight=4\nchannels=1\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=3\nsize=1\nstride=1\n"
                  "activation=leaky\n"
                  "[convolutional]\nbatch_normalize=1\nfilters=2\nsize=1\nstride=1\n"
                  "activation=leaky\n"
                  "[avgpool]\n[softmax]\n",
                  8);
    float *wt = n.w.layers[0].weights;
    wt[0] = -3;
    wt[1] = 1;
    wt[2] = 2;
    n.w.layers[0].scales[0] = -0.5f;
    n.w.layers[0].scales[1] = 2;
    n.w.layers[0].scales[2] = 1;
    msp_err err = {{0}};
    msp_prune_opts o = {.protect_first = 0};
    msp_prune_groups g;
    cr_assert_eq(msp_prune_groups_build(&n.cfg, &n.net, &o, &g, &err), MSP_OK);
    struct {
        const char *name;
        float raw[3];
    } cases[] = {{"l1", {3, 1, 2}}, {"l2", {3, 1, 2}}, {"linf", {3, 1, 2}},
                 {"bn-gamma", {0.5f, 2, 1}}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        msp_prune_criterion c;
        cr_assert_eq(msp_prune_criterion_parse(cases[k].name, &c, &err), MSP_OK);
        cr_assert_str_eq(msp_prune_criterion_name(c), cases[k].name);
        msp_prune_scores s;
        cr_assert_eq(msp_prune_score_weights(&n.net, &n.w, &g, c, 1, &s, &err), MSP_OK, "%s",
                     err.msg);
        float mx = 0;
        for (int f = 0; f < 3; f++) mx = fmaxf(mx, cases[k].raw[f]);
        for (int f = 0; f < 3; f++) {
            cr_assert_float_eq(s.layer[0][f], cases[k].raw[f], 1e-6, "%s", cases[k].name);
            cr_assert_float_eq(s.unit[g.chan_unit[f]], cases[k].raw[f] / mx, 1e-6);
        }
        msp_prune_scores_free(&s);
    }
    /* random: seeded, in [0,1], differs by seed */
    msp_prune_scores a, b, c2;
    cr_assert_eq(msp_prune_score_weights(&n.net, &n.w, &g, MSP_CRIT_RANDOM, 1, &a, &err), MSP_OK);
    cr_assert_eq(msp_prune_score_weights(&n.net, &n.w, &g, MSP_CRIT_RANDOM, 1, &b, &err), MSP_OK);
    cr_assert_eq(msp_prune_score_weights(&n.net, &n.w, &g, MSP_CRIT_RANDOM, 2, &c2, &err), MSP_OK);
    cr_assert_arr_eq(a.layer[0], b.layer[0], 3 * sizeof(float));
    cr_assert(memcmp(a.layer[0], c2.layer[0], 3 * sizeof(float)) != 0);
    msp_prune_scores_free(&a);
    msp_prune_scores_free(&b);
    msp_prune_scores_free(&c2);
    /* data-driven criteria are refused here */
    cr_assert_eq(msp_prune_score_weights(&n.net, &n.w, &g, MSP_CRIT_TAYLOR, 1, &a, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "criterion taylor needs activations from a dataset, not weights "
                              "alone");
    cr_assert_null(a.layer);
    msp_prune_groups_free(&g);
    net_free(&n);
}

/* ---- ratio 0 and bad input --------------------------------------------- */

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    buf[len] = 0;
    *n = (size_t)len;
    return buf;
}

static void assert_same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    cr_assert_eq(na, nb, "%s: %zu bytes, %s: %zu", a, na, b, nb);
    cr_assert_eq(memcmp(x, y, na), 0, "%s and %s differ", a, b);
    free(x);
    free(y);
}

Test(prune, ratio_zero_reproduces_the_files, .init = mkdir_tmp, .fini = rm_tmp)
{
    for (int wide = 0; wide < 2; wide++) {
        net_t n;
        net_from_text(&n, resnet_text, 9);
        msp_err err = {{0}};
        if (!wide) { /* a 16-byte header (version 0.1) stays 16 bytes */
            n.w.hdr.minor = 1;
            n.w.hdr.header_bytes = 16;
        }
        n.w.hdr.revision = 7;
        n.w.hdr.seen = 12345;
        cr_assert_eq(msp_dncfg_write(&n.cfg, path_in("in.cfg"), &err), MSP_OK);
        cr_assert_eq(msp_prune_weights_save(&n.w, path_in("in.weights"), &err), MSP_OK);
        msp_prune_opts o = {.protect_first = 0};
        double fb, fa;
        cr_assert_eq(msp_prune_ratio_files(path_in("in.cfg"), path_in("in.weights"),
                                           path_in("out"), MSP_CRIT_L1, 0.0, MSP_ALLOC_GLOBAL, 1,
                                           &o, 1, &fb, &fa, &err),
                     MSP_OK, "%s", err.msg);
        assert_same_file(path_in("in.cfg"), path_in("out.cfg"));
        assert_same_file(path_in("in.weights"), path_in("out.weights"));
        cr_assert_eq(fb, fa);
        size_t nj;
        char *j = slurp(path_in("out.json"), &nj);
        cr_assert(strstr(j, "\"flops_ratio\": 1}") != NULL, "%s", j);
        cr_assert(strstr(j, "{\"index\": 0, \"type\": \"convolutional\", \"channels_before\": 6, "
                            "\"channels_after\": 6, \"params_before\": 186, \"params_after\": "
                            "186, \"flops_before\": 20736, \"flops_after\": 20736}") != NULL,
                  "%s", j);
        free(j);
        net_free(&n);
    }
}

Test(prune, bad_inputs_are_refused, .init = mkdir_tmp, .fini = rm_tmp)
{
    net_t n;
    net_from_text(&n,
                  "[net]\nwidth=4\nheight=4\nchannels=1\n"
                  "[convolutional]\nfilters=3\nsize=1\nstride=1\nactivation=leaky\n"
                  "[convolutional]\nfilters=2\nsize=1\nstride=1\nactivation=leaky\n"
                  "[avgpool]\n[softmax]\n",
                  10);
    msp_err err = {{0}};
    /* weights of the wrong size */
    cr_assert_eq(msp_prune_weights_save(&n.w, path_in("w"), &err), MSP_OK);
    cr_assert_eq(truncate(path_in("w"), 20 + 4 * 10), 0);
    msp_prune_weights w;
    cr_assert_eq(msp_prune_weights_load(path_in("w"), &n.cfg, &n.net, &w, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "truncated: the file is 60 bytes but the network needs 76") != NULL,
              "%s", err.msg);
    cr_assert_null(w.data);
    cr_assert_eq(msp_prune_weights_load(path_in("missing"), &n.cfg, &n.net, &w, &err),
                 MSP_BAD_INPUT);

    msp_prune_opts o = {.protect_first = 0};
    msp_prune_groups g;
    cr_assert_eq(msp_prune_groups_build(&n.cfg, &n.net, &o, &g, &err), MSP_OK);
    msp_prune_scores s;
    /* bn-gamma without batch norm */
    cr_assert_eq(msp_prune_score_weights(&n.net, &n.w, &g, MSP_CRIT_BN_GAMMA, 1, &s, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "criterion bn-gamma needs batch_normalize=1 on every layer it "
                              "prunes, but layer 0 (line 5) has no batch norm: use l1, l2 or "
                              "linf");
    cr_assert_eq(msp_prune_score_weights(&n.net, &n.w, &g, MSP_CRIT_L1, 1, &s, &err), MSP_OK);
    /* ratios outside [0, 1) */
    msp_prune_masks m;
    double bad[] = {-0.1, 1.0, 1.5, NAN};
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(msp_prune_plan_ratio(&n.net, &g, &s, bad[k], MSP_ALLOC_UNIFORM, 1, &m, &err),
                     MSP_BAD_INPUT);
        cr_assert(strstr(err.msg, "is outside [0, 1)") != NULL, "%s", err.msg);
        cr_assert_null(m.keep);
    }
    cr_assert_eq(msp_prune_plan_ratio(&n.net, &g, &s, 0.5, MSP_ALLOC_UNIFORM, 0, &m, &err),
                 MSP_BAD_INPUT);
    /* unknown criterion */
    msp_prune_criterion c;
    cr_assert_eq(msp_prune_criterion_parse("l3", &c, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "unknown pruning criterion 'l3': use l1, l2, linf, random, "
                              "bn-gamma, apoz, mean-activation or taylor");
    /* bad external scores */
    msp_prune_scores_free(&s);
    msp_prune_scores_init(&n.net, &s);
    s.layer[1][1] = -1;
    cr_assert_eq(msp_prune_scores_finish(&n.net, &g, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "layer 1 (line 10) channel 1: score -1 is not a finite number >= 0");
    cr_assert_null(s.unit);
    /* all channels of a layer */
    msp_prune_masks_init(&n.net, &m);
    memset(m.keep[0], 0, 3);
    msp_dn_cfg oc;
    msp_dn_net on;
    msp_prune_weights ow;
    cr_assert_eq(msp_prune_apply(&n.cfg, &n.net, &g, &n.w, &m, &oc, &on, &ow, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "test.cfg:5: layer 0 would lose all its 3 channels; keep at least "
                              "one");
    msp_prune_masks_free(&m);
    msp_prune_scores_free(&s);
    msp_prune_groups_free(&g);
    net_free(&n);

    /* switches that leave weights out of the file */
    msp_dn_cfg cfg;
    msp_dn_net net;
    cr_assert_eq(msp_dncfg_parse_string("[net]\nwidth=4\nheight=4\nchannels=1\n"
                                        "[convolutional]\nfilters=3\nsize=1\ndontload=1\n",
                                        "dl.cfg", &cfg, &err),
                 MSP_OK);
    cr_assert_eq(msp_dncfg_check(&cfg, &net, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_prune_weights_random(&cfg, &net, 1, &w, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "dl.cfg:5: layer 0: dontload=, dontloadscales= and numload= leave "
                              "weights out of the file, which pruning needs in full; remove "
                              "them");
    cr_assert_null(w.data);
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
}

/* The two ends every surgery shares: weights that belong elsewhere are
 * refused with zeroed outputs; an edited cfg gets its network and weights of
 * the new shapes. */
Test(prune, surgery_start_and_rebuild)
{
    static const char *text = "[net]\nwidth=4\nheight=4\nchannels=1\n"
                              "[convolutional]\nfilters=3\nsize=3\nstride=1\npad=1\n"
                              "activation=relu\n"
                              "[connected]\noutput=2\nactivation=linear\n";
    net_t n;
    net_from_text(&n, text, 1);
    msp_dn_cfg oc;
    msp_dn_net on;
    msp_prune_weights ow;
    msp_err err = {{0}};
    cr_assert_eq(msp_prune_surgery_start(&n.cfg, &n.net, &n.w, &oc, &on, &ow, &err), MSP_OK);
    cr_assert_eq(ow.n_floats, 0u);
    msp_prune_weights other = n.w;
    other.n_floats--;
    cr_assert_eq(msp_prune_surgery_start(&n.cfg, &n.net, &other, &oc, &on, &ow, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "test.cfg: the weights (127 floats) do not belong to this network "
                              "(128)");

    msp_dncfg_copy(&n.cfg, &oc);
    msp_dncfg_set_int(&oc.sec[n.net.layers[0].section], "filters", 2);
    cr_assert_eq(msp_prune_surgery_rebuild(&n.net, &n.w, &oc, &on, &ow, &err), MSP_OK, "%s",
                 err.msg);
    /* conv 2 x (1*3*3) + 2 biases, connected 2 x (2*4*4) + 2 biases */
    cr_assert_eq(on.layers[0].filters, 2);
    cr_assert_eq(ow.n_floats, 2u * 9 + 2 + 2u * 32 + 2);
    msp_prune_weights_free(&ow);
    msp_dnnet_free(&on);
    msp_dncfg_free(&oc);
    net_free(&n);
}
