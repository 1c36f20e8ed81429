/* test_prune_stock.c: every classifier cfg shipped with Darknet, pruned.
 *
 * Each cfg in /usr/share/darknet/cfg that msprune accepts gets a smaller
 * input (the smallest of a few sizes that its topology allows), random
 * weights, and 0.5 l1 pruning; the result must pass the cfg and weights
 * checks, load in Darknet, give finite outputs and cost fewer FLOPs. One cfg
 * per topology runs by default (~20 s); the rest (same topologies at other
 * sizes, and the deepest) only with MSP_TEST_SLOW=1.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "prune/prune.h"
#include "base/rng.h"

#define CFG_DIR "/usr/share/darknet/cfg/"

static int slow_enabled(void)
{
    const char *v = getenv("MSP_TEST_SLOW");
    return v && strcmp(v, "1") == 0;
}

/* Read name, shrink its input to the smallest size the topology allows. */
static int load_small(const char *name, msp_dn_cfg *cfg, msp_dn_net *net)
{
    static const int sizes[] = {16, 32, 64, 96, 128, 160, 192, 224, 227, 256};
    char path[256];
    snprintf(path, sizeof path, CFG_DIR "%s.cfg", name);
    msp_err err = {{0}};
    cr_assert_eq(msp_dncfg_read(path, cfg, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_dncfg_check(cfg, net, &err), MSP_OK, "%s", err.msg);
    int native = net->w;
    msp_dnnet_free(net);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int s = sizes[k] < native ? sizes[k] : native;
        char v[16];
        snprintf(v, sizeof v, "%d", s);
        msp_dncfg_set(&cfg->sec[0], "width", v);
        msp_dncfg_set(&cfg->sec[0], "height", v);
        msp_dncfg_set(&cfg->sec[0], "batch", "1");
        msp_dncfg_set(&cfg->sec[0], "subdivisions", "1");
        for (int i = 1; i < cfg->n_sec; i++)
            if (strcmp(cfg->sec[i].type, "crop") == 0) {
                msp_dncfg_set(&cfg->sec[i], "crop_width", v);
                msp_dncfg_set(&cfg->sec[i], "crop_height", v);
            }
        if (msp_dncfg_check(cfg, net, &err) == MSP_OK) return s;
        if (s == native) break;
    }
    cr_assert_fail("%s: no input size passes the check: %s", name, err.msg);
    return 0;
}

/* Removed by the fini even when an assertion ends the test early. */
static char dir[64];

static void rm_dir(void)
{
    if (!dir[0]) return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
    dir[0] = 0;
}

static void prune_stock(const char *name, double ratio, msp_prune_alloc mode, int slow)
{
    if (slow && !slow_enabled()) cr_skip_test("%s: set MSP_TEST_SLOW=1 to run it", name);
    /* tmpfs when there is one: the fsyncs of ~100 MB of weights dominate on disk */
    strcpy(dir, access("/dev/shm", W_OK) == 0 ? "/dev/shm/msprune-stock-XXXXXX"
                                              : "/tmp/msprune-stock-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    msp_dn_cfg cfg;
    msp_dn_net net;
    int size = load_small(name, &cfg, &net);
    msp_err err = {{0}};
    msp_prune_weights w;
    cr_assert_eq(msp_prune_weights_random(&cfg, &net, 42, &w, &err), MSP_OK, "%s", err.msg);
    char in_cfg[128], in_w[128], prefix[128], out_cfg[160], out_w[160], out_json[160];
    snprintf(in_cfg, sizeof in_cfg, "%s/in.cfg", dir);
    snprintf(in_w, sizeof in_w, "%s/in.weights", dir);
    snprintf(prefix, sizeof prefix, "%s/out", dir);
    snprintf(out_cfg, sizeof out_cfg, "%s.cfg", prefix);
    snprintf(out_w, sizeof out_w, "%s.weights", prefix);
    snprintf(out_json, sizeof out_json, "%s.json", prefix);
    cr_assert_eq(msp_dncfg_write(&cfg, in_cfg, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_prune_weights_save(&w, in_w, &err), MSP_OK, "%s", err.msg);
    msp_prune_weights_free(&w);

    msp_prune_opts o;
    msp_prune_opts_default(&o);
    double fb = 0, fa = 0;
    cr_assert_eq(msp_prune_ratio_files(in_cfg, in_w, prefix, MSP_CRIT_L1, ratio, mode, 1, &o, 1,
                                       &fb, &fa, &err),
                 MSP_OK, "%s: %s", name, err.msg);
    cr_assert_float_eq(fb, net.flops, 1e-6 * net.flops);
    cr_assert(fa < fb, "%s: FLOPs %g -> %g", name, fb, fa);

    /* The written files pass msprune's checks on their own ... */
    msp_dn_cfg pc;
    msp_dn_net pn;
    cr_assert_eq(msp_dncfg_read(out_cfg, &pc, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_dncfg_check(&pc, &pn, &err), MSP_OK, "%s", err.msg);
    cr_assert_float_eq(pn.flops, fa, 1e-6 * fa);
    cr_assert_eq(pn.classes, net.classes);
    cr_assert_eq(msp_dnweights_check(out_w, &pn, NULL, &err), MSP_OK, "%s", err.msg);
    cr_assert(access(out_json, R_OK) == 0);
    /* ... and run in Darknet with finite outputs. */
    msp_net *dn = NULL;
    msp_net_opts no = {.batch = 1};
    cr_assert_eq(msp_net_load(out_cfg, out_w, &no, &dn, &err), MSP_OK, "%s", err.msg);
    int in = msp_net_inputs(dn), classes = msp_net_classes(dn);
    cr_assert_eq(in, size * size * net.c);
    float *x = malloc(sizeof(float) * (size_t)in);
    msp_rng r;
    msp_rng_seed(&r, 5);
    for (int i = 0; i < in; i++) x[i] = (float)msp_rng_uniform(&r);
    const float *y = msp_net_predict(dn, x);
    for (int i = 0; i < classes; i++) cr_assert(isfinite(y[i]), "%s: output %d = %g", name, i, y[i]);
    cr_log_info("%s at %dx%d: FLOPs %.4g -> %.4g (%.2f)", name, size, size, fb, fa, fa / fb);
    free(x);
    msp_net_free(dn);
    msp_dnnet_free(&pn);
    msp_dncfg_free(&pc);
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
}

#define STOCK(id, name)                                                                        \
    Test(prune_stock, id, .fini = rm_dir) { prune_stock(name, 0.5, MSP_ALLOC_UNIFORM, 0); }
/* Duplicates of a topology above (other input size or head) and the biggest. */
#define STOCK_SLOW(id, name)                                                                   \
    Test(prune_stock, id, .fini = rm_dir) { prune_stock(name, 0.5, MSP_ALLOC_UNIFORM, 1); }

STOCK(alexnet, "alexnet")
STOCK(cifar, "cifar")
STOCK(darknet, "darknet")
STOCK_SLOW(darknet19, "darknet19")
STOCK(densenet201, "densenet201")
STOCK(go, "go")
STOCK(resnet18, "resnet18")
STOCK(resnet50, "resnet50")
STOCK(resnext50, "resnext50")
STOCK(strided, "strided")
STOCK(tiny, "tiny")
STOCK_SLOW(cifar_test, "cifar.test")
STOCK_SLOW(darknet19_448, "darknet19_448")
STOCK_SLOW(darknet53, "darknet53")
STOCK_SLOW(darknet53_448, "darknet53_448")
STOCK_SLOW(darknet9000, "darknet9000")
STOCK_SLOW(extraction, "extraction")
STOCK_SLOW(extraction_conv, "extraction.conv")
STOCK_SLOW(extraction22k, "extraction22k")
STOCK_SLOW(go_test, "go.test")
STOCK_SLOW(jnet_conv, "jnet-conv")
STOCK_SLOW(resnet34, "resnet34")
STOCK_SLOW(resnet101, "resnet101")
STOCK_SLOW(resnet152, "resnet152")
STOCK_SLOW(resnext101, "resnext101-32x4d")
STOCK_SLOW(resnext152, "resnext152-32x4d")
STOCK_SLOW(vgg16, "vgg-16")
STOCK_SLOW(vgg_conv, "vgg-conv")

/* Global ranking on the two hardest topologies (shortcut and route). */
Test(prune_stock, resnet18_global, .fini = rm_dir)
{
    prune_stock("resnet18", 0.5, MSP_ALLOC_GLOBAL, 0);
}
Test(prune_stock, densenet201_global, .fini = rm_dir)
{
    prune_stock("densenet201", 0.5, MSP_ALLOC_GLOBAL, 0);
}
