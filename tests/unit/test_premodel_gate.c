/* test_premodel_gate.c: the gate-cnn premodel (selector/premodel_gate*.c)
 * and the `pixels` feature group it reads: it learns a synthetic image task
 * (which quadrant holds a bright blob) far beyond a constant predictor; its
 * plain-C forward pass agrees with Darknet's on the same weights; the file
 * round-trips exactly and the same seed gives the same bytes; corrupt,
 * truncated, wrong-length-cfg and wrong-weight-count files are refused
 * with exact messages; pixels values are checked on hand-made images.
 * Files go into a mkdtemp folder. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/engine.h"
#include "base/rng.h"
#include "selector/premodel_internal.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    strcpy(dir, "/tmp/msp-gate-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pm.bin", dir);
}

static void teardown(void)
{
    char p[160];
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    cr_assert_eq(system(p), 0);
}

TestSuite(gate_train, .init = setup, .fini = teardown);
TestSuite(gate_io, .init = setup, .fini = teardown);
TestSuite(gate_pixels);

#define G 14
#define D (G * G)
#define NTR 480
#define NTE 200

/* 14x14 grey noise with a bright 4x4 blob somewhere inside quadrant
 * label (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right). */
static void make_set(float *x, int *y, int n, uint64_t seed)
{
    msp_rng r;
    msp_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int q = (int)msp_rng_below(&r, 4);
        y[i] = q;
        float *im = x + (size_t)i * D;
        for (int p = 0; p < D; p++) im[p] = (float)(0.3 * msp_rng_uniform(&r));
        int oy = (q / 2) * 7 + (int)msp_rng_below(&r, 4), ox = (q % 2) * 7 + (int)msp_rng_below(&r, 4);
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++) im[(oy + a) * G + ox + b] = (float)(0.7 + 0.3 * msp_rng_uniform(&r));
    }
}

static float XTR[NTR * D], XTE[NTE * D];
static int YTR[NTR], YTE[NTE];

static msp_premodel *train(uint64_t seed)
{
    make_set(XTR, YTR, NTR, 11);
    msp_premodel_data t = {NTR, D, 4, XTR, YTR, NULL, NULL};
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    p.gate_epochs = 8;
    p.seed = seed;
    msp_premodel *pm = NULL;
    msp_err err = {{0}};
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_GATE_CNN, &p, &t, NULL, 0, &pm, &err), MSP_OK,
                 "%s", err.msg);
    return pm;
}

Test(gate_train, learns_the_blob_quadrant)
{
    msp_premodel *pm = train(1);
    make_set(XTE, YTE, NTE, 12);
    int hit = 0, count[4] = {0};
    for (int i = 0; i < NTE; i++) {
        double c = -1;
        int k = msp_premodel_predict(pm, XTE + (size_t)i * D, &c);
        cr_assert(c >= 0.25 && c <= 1, "confidence %g", c);
        hit += k == YTE[i];
        count[YTE[i]]++;
    }
    int most = 0;
    for (int k = 0; k < 4; k++) most = count[k] > most ? count[k] : most;
    /* A constant predictor gets the largest class at best (about a quarter). */
    cr_assert_lt(most, NTE * 4 / 10, "largest class %d / %d", most, NTE);
    cr_assert_geq(hit, NTE * 95 / 100, "held-out accuracy %d / %d", hit, NTE);
    cr_assert_eq(msp_premodel_get_kind(pm), MSP_PREMODEL_GATE_CNN);
    cr_assert_eq(msp_premodel_groups(pm, MSP_FSET(MSP_FGROUP_PIXELS)), MSP_FSET(MSP_FGROUP_PIXELS));
    cr_assert_eq(msp_premodel_ref_count(pm), 0);
    msp_premodel_free(pm);
}

/* The plain-C forward pass against Darknet's on the same trained weights. */
/* Darknet's own network from cfg text and weights (stock engine, batch 1). */
static msp_net *darknet_net(const char *cfg, size_t len, const float *w, size_t nw)
{
    char cpath[160], wpath[160];
    snprintf(cpath, sizeof cpath, "%s/g.cfg", dir);
    snprintf(wpath, sizeof wpath, "%s/g.weights", dir);
    FILE *f = fopen(cpath, "w");
    cr_assert_eq(fwrite(cfg, 1, len, f), len);
    fclose(f);
    f = fopen(wpath, "wb");
    int32_t hdr[3] = {0, 2, 0};
    uint64_t seen = 0;
    fwrite(hdr, 4, 3, f);
    fwrite(&seen, 8, 1, f);
    cr_assert_eq(fwrite(w, 4, nw, f), nw);
    fclose(f);
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {.batch = 1, .engine = MSP_ENGINE_STOCK};
    cr_assert_eq(msp_net_load(cpath, wpath, &o, &net, &err), MSP_OK, "%s", err.msg);
    return net;
}

/* Darknet's argmax and its probability for input z (m classes). */
static int darknet_best(msp_net *net, const float *z, int m, double *p)
{
    const float *s = msp_net_predict(net, z);
    int best = 0;
    for (int k = 1; k < m; k++) best = s[k] > s[best] ? k : best;
    *p = s[best];
    return best;
}

Test(gate_train, forward_matches_darknet)
{
    msp_premodel *pm = train(3);
    size_t len, nw;
    const char *cfg = msp_gate_net_cfg(pm->gate, &len);
    const float *w = msp_gate_net_weights(pm->gate, &nw);
    msp_net *net = darknet_net(cfg, len, w, nw);
    make_set(XTE, YTE, 50, 13);
    for (int i = 0; i < 50; i++) {
        float z[D];
        for (int j = 0; j < D; j++) z[j] = (XTE[i * D + j] - pm->mean[j]) / pm->sd[j];
        double p, c;
        int best = darknet_best(net, z, 4, &p);
        int k = msp_premodel_predict(pm, XTE + (size_t)i * D, &c);
        cr_assert_eq(k, best);
        cr_assert_float_eq(c, p, 1e-5, "image %d: %g vs Darknet %g", i, c, p);
    }
    msp_net_free(net);
    msp_premodel_free(pm);
}

/* Shapes the trained gate does not have, with random weights: filter
 * counts that are not multiples of 4 or 8, strides 2, 1x1 and 5x5 kernels,
 * no padding, no batch norm, a 3x3 max-pool of stride 1 (Darknet pads it),
 * every activation. The file may hold any such cfg. */
Test(gate_train, forward_matches_darknet_other_shapes)
{
#define NET "[net]\nwidth=14\nheight=14\nchannels=1\n\n"
#define SOFT "[softmax]\ngroups=1\n"
    static const struct {
        const char *cfg;
        size_t nw;
        int var[2][2]; /* batch-norm variances: {first weight, count}, to make positive */
    } nets[] = {
        {NET "[convolutional]\nbatch_normalize=1\nfilters=5\nsize=3\nstride=1\npad=1\n"
             "activation=leaky\n\n[maxpool]\nsize=2\nstride=2\n\n"
             "[convolutional]\nfilters=3\nsize=5\nstride=2\npad=1\nactivation=relu\n\n"
             "[connected]\noutput=4\nactivation=linear\n\n" SOFT,
         65 + 378 + 196, {{15, 5}}},
        {NET "[convolutional]\nbatch_normalize=1\nfilters=12\nsize=1\nstride=1\npad=0\n"
             "activation=linear\n\n[convolutional]\nbatch_normalize=1\nfilters=9\nsize=3\n"
             "stride=2\npad=0\nactivation=leaky\n\n[maxpool]\nsize=3\nstride=1\n\n"
             "[connected]\noutput=4\nactivation=relu\n\n" SOFT,
         60 + 1008 + 1300, {{36, 12}, {60 + 27, 9}}},
        {NET "[convolutional]\nfilters=13\nsize=3\nstride=1\npad=1\nactivation=relu\n\n"
             "[connected]\noutput=4\nactivation=leaky\n\n" SOFT,
         130 + 10196, {{0, 0}}},
    };
#undef NET
#undef SOFT
    msp_rng r;
    msp_rng_seed(&r, 5);
    for (size_t t = 0; t < sizeof nets / sizeof *nets; t++) {
        float *w = malloc(sizeof(float) * nets[t].nw);
        for (size_t i = 0; i < nets[t].nw; i++) w[i] = (float)(msp_rng_uniform(&r) - 0.5);
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < nets[t].var[b][1]; i++)
                w[nets[t].var[b][0] + i] = (float)(0.5 + msp_rng_uniform(&r));
        size_t len = strlen(nets[t].cfg);
        msp_gate_net *g = NULL;
        msp_err err = {{0}};
        cr_assert_eq(msp_gate_net_make(nets[t].cfg, len, w, nets[t].nw, D, 4, "test", &g, &err),
                     MSP_OK, "net %zu: %s", t, err.msg);
        msp_net *net = darknet_net(nets[t].cfg, len, w, nets[t].nw);
        for (int i = 0; i < 20; i++) {
            float z[D];
            for (int j = 0; j < D; j++) z[j] = (float)(2 * msp_rng_uniform(&r) - 1);
            double p, c;
            int best = darknet_best(net, z, 4, &p);
            cr_assert(isfinite(p), "net %zu input %d: Darknet gives %g", t, i, p);
            cr_assert_eq(msp_gate_net_predict(g, z, &c), best, "net %zu input %d", t, i);
            cr_assert_float_eq(c, p, 1e-5, "net %zu input %d: %g vs Darknet %g", t, i, c, p);
        }
        msp_net_free(net);
        msp_gate_net_free(g);
        free(w);
    }
}

static unsigned char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 64);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const unsigned char *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

static void fix_crc(unsigned char *b, size_t n)
{
    uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    for (int i = 0; i < 4; i++) b[n - 4 + i] = (unsigned char)(c >> (8 * i));
}

static uint32_t get32(const unsigned char *b, size_t off)
{
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
           (uint32_t)b[off + 3] << 24;
}

static void put32(unsigned char *b, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[off + i] = (unsigned char)(v >> (8 * i));
}

/* Load must fail with MSP_BAD_INPUT, no model, and exactly "path: want". */
static void expect_bad(const char *want)
{
    msp_premodel *pm = (msp_premodel *)1;
    msp_err err = {{0}};
    cr_assert_eq(msp_premodel_load(path, &pm, &err), MSP_BAD_INPUT, "accepted; wanted '%s'", want);
    cr_assert_null(pm);
    char full[1200];
    snprintf(full, sizeof full, "%s: %s", path, want);
    cr_assert_str_eq(err.msg, full);
}

Test(gate_io, round_trip_and_same_seed_same_bytes)
{
    msp_premodel *a = train(7), *b = NULL;
    msp_err err = {{0}};
    cr_assert_eq(msp_premodel_save(a, path, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_premodel_load(path, &b, &err), MSP_OK, "%s", err.msg);
    make_set(XTE, YTE, NTE, 14);
    for (int i = 0; i < NTE; i++) {
        double ca, cb;
        int ka = msp_premodel_predict(a, XTE + (size_t)i * D, &ca);
        int kb = msp_premodel_predict(b, XTE + (size_t)i * D, &cb);
        cr_assert_eq(ka, kb);
        cr_assert_eq(ca, cb, "image %d: %.17g vs %.17g", i, ca, cb);
    }
    size_t n1, n2, n3;
    unsigned char *f1 = slurp(path, &n1);
    cr_assert_eq(msp_premodel_save(b, path, &err), MSP_OK, "%s", err.msg);
    unsigned char *f2 = slurp(path, &n2);
    cr_assert_eq(n1, n2);
    cr_assert_eq(memcmp(f1, f2, n1), 0, "save(load(file)) differs from file");
    msp_premodel *c = train(7);
    cr_assert_eq(msp_premodel_save(c, path, &err), MSP_OK, "%s", err.msg);
    unsigned char *f3 = slurp(path, &n3);
    cr_assert_eq(n1, n3);
    cr_assert_eq(memcmp(f1, f3, n1), 0, "the same seed gave a different file");
    msp_premodel *d = train(8);
    cr_assert_eq(msp_premodel_save(d, path, &err), MSP_OK, "%s", err.msg);
    free(f3);
    f3 = slurp(path, &n3);
    cr_assert(n1 != n3 || memcmp(f1, f3, n1) != 0, "another seed gave the same file");
    free(f1);
    free(f2);
    free(f3);
    msp_premodel_free(a);
    msp_premodel_free(b);
    msp_premodel_free(c);
    msp_premodel_free(d);
}

/* Header 88 bytes, feat/mean/sd 3 * 4 * 196, then the gate payload. */
#define PAYLOAD (88 + 3 * 4 * D)
#define CFG_LEN (PAYLOAD + 16)

Test(gate_io, bad_files)
{
    msp_premodel *pm = train(5);
    msp_err err = {{0}};
    cr_assert_eq(msp_premodel_save(pm, path, &err), MSP_OK, "%s", err.msg);
    msp_premodel_free(pm);
    size_t n;
    unsigned char *good = slurp(path, &n), *b = malloc(n + 64);
    uint32_t len = get32(good, CFG_LEN);
    cr_assert(len > 100 && len < 1000, "cfg length %u", len);
    cr_assert_eq(memcmp(good + CFG_LEN + 4, "[net]", 5), 0);
    size_t nw_off = CFG_LEN + 4 + len;
    uint32_t nw = get32(good, nw_off);
    cr_assert_eq(n, nw_off + 4 + 4 * (size_t)nw + 4);

    /* A flipped byte in the weights: the checksum. */
    memcpy(b, good, n);
    b[nw_off + 40] ^= 0x10;
    spit(b, n);
    expect_bad("premodel file is corrupt or truncated (checksum mismatch); write it again with "
               "msprune premodel");
    /* Cut in the cfg text (checksum repaired over what is left). */
    memcpy(b, good, n);
    size_t cut = CFG_LEN + 4 + 20;
    fix_crc(b, cut + 4);
    spit(b, cut + 4);
    char want[512];
    snprintf(want, sizeof want, "truncated premodel file: the gate-cnn cfg text needs %u bytes, "
             "20 left; write it again with msprune premodel", len);
    expect_bad(want);
    /* Wrong cfg lengths. */
    memcpy(b, good, n);
    put32(b, CFG_LEN, 0);
    fix_crc(b, n);
    spit(b, n);
    expect_bad("gate-cnn cfg text of 0 bytes is out of range (1 to 65536); the file is corrupt");
    put32(b, CFG_LEN, (uint32_t)(n - 4 - (CFG_LEN + 4) + 1));
    fix_crc(b, n);
    spit(b, n);
    snprintf(want, sizeof want, "truncated premodel file: the gate-cnn cfg text needs %zu bytes, "
             "%zu left; write it again with msprune premodel", n - 4 - (CFG_LEN + 4) + 1,
             n - 4 - (CFG_LEN + 4));
    expect_bad(want);
    /* A NUL inside the text. */
    memcpy(b, good, n);
    b[CFG_LEN + 4 + 5] = '\0';
    fix_crc(b, n);
    spit(b, n);
    expect_bad("gate-cnn: cfg text holds a NUL byte; the file is corrupt");
    /* A cfg that disagrees with the premodel (5 outputs for 4 networks). */
    memcpy(b, good, n);
    char *o = memmem(b + CFG_LEN + 4, len, "output=4", 8);
    cr_assert_not_null(o);
    o[7] = '5';
    fix_crc(b, n);
    spit(b, n);
    expect_bad("gate-cnn: the network takes 14x14x1 inputs and gives 5 outputs, but the premodel "
               "has 196 inputs and 4 networks (and must end in a softmax); the file is corrupt");
    /* A cfg Darknet would choke on: caught by msprune's checker. */
    memcpy(b, good, n);
    o = memmem(b + CFG_LEN + 4, len, "filters=16", 10);
    cr_assert_not_null(o);
    memcpy(o, "filters=-6", 10);
    fix_crc(b, n);
    spit(b, n);
    msp_premodel *none = NULL;
    cr_assert_eq(msp_premodel_load(path, &none, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, ": gate-cnn: bad network cfg: gate-cnn.cfg:"), "%s", err.msg);
    cr_assert(strstr(err.msg, "filters"), "%s", err.msg);
    /* A supported-looking layer the forward pass does not implement. */
    memcpy(b, good, n);
    o = memmem(b + CFG_LEN + 4, len, "activation=linear", 17);
    cr_assert_not_null(o);
    memcpy(o, "activation=tanh\n\n", 17); /* same length, a valid Darknet activation */
    fix_crc(b, n);
    spit(b, n);
    expect_bad("gate-cnn: layer 4 has activation 'tanh'; only linear, relu and leaky are "
               "supported");
    /* Wrong weight counts (file re-sized to match, checksum repaired). */
    memcpy(b, good, n);
    put32(b, nw_off, nw - 1);
    memmove(b + n - 8, b + n - 4, 4);
    fix_crc(b, n - 4);
    spit(b, n - 4);
    snprintf(want, sizeof want, "gate-cnn: the network needs %u weights, the file has %u; the "
             "file is corrupt", nw, nw - 1);
    expect_bad(want);
    memcpy(b, good, n);
    put32(b, nw_off, nw + 1);
    memset(b + n - 4, 0, 4);
    fix_crc(b, n + 4);
    spit(b, n + 4);
    snprintf(want, sizeof want, "gate-cnn: the network needs %u weights, the file has %u; the "
             "file is corrupt", nw, nw + 1);
    expect_bad(want);
    memcpy(b, good, n);
    put32(b, nw_off, 0x7fffffffu);
    fix_crc(b, n);
    spit(b, n);
    expect_bad("gate-cnn weight count 2147483647 is out of range (at most 4194304); the file is "
               "corrupt");
    /* A non-finite weight. */
    memcpy(b, good, n);
    put32(b, nw_off + 4 + 4 * 10, 0x7fc00000u);
    fix_crc(b, n);
    spit(b, n);
    expect_bad("gate-cnn weights: value 10 is not finite; the file is corrupt");
    /* Bad training params in the payload. */
    memcpy(b, good, n);
    put32(b, PAYLOAD + 4, 0);
    fix_crc(b, n);
    spit(b, n);
    expect_bad("bad parameters: gate-cnn: batch 0 is out of range; use 1 to 4096");
    /* The good file still loads. */
    spit(good, n);
    cr_assert_eq(msp_premodel_load(path, &none, &err), MSP_OK, "%s", err.msg);
    msp_premodel_free(none);
    free(good);
    free(b);
}

Test(gate_train, params_and_data_checks)
{
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_err err = {{0}};
    cr_assert_eq(p.gate_epochs, 30);
    cr_assert_eq(p.gate_batch, 32);
    cr_assert_eq(p.gate_lr, 0.05);
    cr_assert_eq(p.epochs, 200); /* logistic's defaults unchanged */
    cr_assert_eq(p.lr, 0.5);
    cr_assert_eq(msp_premodel_params_check(MSP_PREMODEL_GATE_CNN, &p, &err), MSP_OK, "%s", err.msg);
    p.gate_epochs = 0;
    cr_assert_eq(msp_premodel_params_check(MSP_PREMODEL_GATE_CNN, &p, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "gate-cnn: epochs 0 is out of range; use 1 to 10000");
    p.gate_epochs = 1;
    p.gate_batch = 5000;
    cr_assert_eq(msp_premodel_params_check(MSP_PREMODEL_GATE_CNN, &p, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "gate-cnn: batch 5000 is out of range; use 1 to 4096");
    p.gate_batch = 8;
    p.gate_lr = 0;
    cr_assert_eq(msp_premodel_params_check(MSP_PREMODEL_GATE_CNN, &p, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "gate-cnn: learning rate 0 is out of range; use a value in (0, 10]");
    p.gate_lr = 0.05;
    /* Not the pixels grid. */
    float x[10 * 5] = {0};
    int y[10] = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
    msp_premodel_data t = {10, 5, 2, x, y, NULL, NULL};
    msp_premodel *pm = (msp_premodel *)1;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_GATE_CNN, &p, &t, NULL, 0, &pm, &err), MSP_BAD_INPUT);
    cr_assert_null(pm);
    cr_assert_str_eq(err.msg, "gate-cnn reads the 196 columns of the pixels feature group (a "
                              "14x14 grid), not 5 columns");
    cr_assert_eq(msp_premodel_input_set(MSP_PREMODEL_GATE_CNN, MSP_FSET_ALL),
                 MSP_FSET(MSP_FGROUP_PIXELS));
    cr_assert_eq(msp_premodel_input_set(MSP_PREMODEL_KNN, MSP_FSET_ALL), MSP_FSET_ALL);
}

/* ---- the pixels feature group ---- */

static void pixels_of(const float *img, int c, int h, int w, float *out)
{
    msp_fset s = MSP_FSET(MSP_FGROUP_PIXELS);
    size_t ss = msp_features_scratch_size(s, c, h, w);
    void *scratch = malloc(ss);
    msp_err err = {{0}};
    cr_assert_eq(msp_features_compute(s, img, c, h, w, out, scratch, ss, &err), MSP_OK, "%s", err.msg);
    free(scratch);
}

Test(gate_pixels, table_and_parsing)
{
    cr_assert_str_eq(msp_fgroup_name(MSP_FGROUP_PIXELS), "pixels");
    cr_assert_eq(msp_fgroup_dim(MSP_FGROUP_PIXELS), 196);
    cr_assert_eq(msp_features_dim(MSP_FSET_ALL), 85); /* "all" keeps its meaning */
    cr_assert_eq(msp_features_dim(MSP_FSET_EVERY), 85 + 196);
    msp_fset s = 0;
    msp_err err = {{0}};
    cr_assert_eq(msp_features_parse("all", &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(s, MSP_FSET_ALL);
    cr_assert_eq(msp_features_parse("all, pixels", &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(s, MSP_FSET_EVERY);
    cr_assert_eq(msp_features_parse("pixels", &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(s, MSP_FSET(MSP_FGROUP_PIXELS));
    char buf[256];
    msp_features_format(MSP_FSET_EVERY, buf, sizeof buf);
    cr_assert_str_eq(buf, "brightness,perceived,contrast,edges,edge_angles,histogram,hue,"
                          "corners,shape,downsample,pixels");
    char names[281][MSP_FEATURES_NAME_MAX];
    msp_features_names(MSP_FSET_EVERY, names);
    cr_assert_str_eq(names[85], "pixels.0");
    cr_assert_str_eq(names[280], "pixels.195");
    cr_assert_eq(msp_features_column_group(MSP_FSET_EVERY, 85), MSP_FGROUP_PIXELS);
}

/* 28x28: exact 2x2 pooling; pixel (y, x) = y + x / 32 (exact in float). */
Test(gate_pixels, exact_2x2_on_28x28)
{
    float img[28 * 28], out[D];
    for (int y = 0; y < 28; y++)
        for (int x = 0; x < 28; x++) img[y * 28 + x] = (float)y + (float)x / 32;
    pixels_of(img, 1, 28, 28, out);
    for (int r = 0; r < G; r++)
        for (int q = 0; q < G; q++) /* rows 2r, 2r+1; columns 2q, 2q+1 */
            cr_assert_eq(out[r * G + q], (float)(2 * r) + 0.5f + (float)(2 * q + 0.5) / 32,
                         "cell %d,%d: %.9g", r, q, out[r * G + q]);
    /* RGB: the grey mean, so three equal planes give the same grid. */
    float rgb[3 * 28 * 28], out3[D];
    for (int k = 0; k < 3; k++) memcpy(rgb + k * 784, img, sizeof img);
    pixels_of(rgb, 3, 28, 28, out3);
    cr_assert_eq(memcmp(out, out3, sizeof out), 0);
}

/* 15 rows x 9 columns: cell (r, q) averages rows [r*15/14, (r+1)*15/14) and
 * columns [q*9/14, (q+1)*9/14), at least one each. Pixel (y, x) = 16 y + x. */
Test(gate_pixels, odd_size_15x9)
{
    float img[15 * 9], out[D];
    for (int y = 0; y < 15; y++)
        for (int x = 0; x < 9; x++) img[y * 9 + x] = (float)(16 * y + x);
    pixels_of(img, 1, 15, 9, out);
    /* Row bands: r = 0..12 -> row r alone; r = 13 -> rows 13, 14 (mean 13.5).
     * Column bands for q = 0..13: 0,0,1,1,2,3,3,4,5,5,6,7,7,8 (one each). */
    static const int col[G] = {0, 0, 1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 7, 8};
    for (int r = 0; r < G; r++)
        for (int q = 0; q < G; q++) {
            float want = r < 13 ? (float)(16 * r + col[q]) : (float)(16 * 13.5 + col[q]);
            cr_assert_eq(out[r * G + q], want, "cell %d,%d: %g, want %g", r, q, out[r * G + q], want);
        }
}

/* The cost measurement covers the pixels group like any other. */
Test(gate_pixels, cost_covers_pixels)
{
    enum { N = 8 };
    static float x[N * 28 * 28];
    for (int i = 0; i < N * 784; i++) x[i] = (float)(i % 97) / 97;
    msp_dataset d = {0};
    d.n = N;
    d.c = 1;
    d.h = d.w = 28;
    d.x = x;
    msp_features_costs costs;
    msp_err err = {{0}};
    msp_fset s = MSP_FSET(MSP_FGROUP_BRIGHTNESS) | MSP_FSET(MSP_FGROUP_PIXELS);
    cr_assert_eq(msp_features_cost(s, &d, N, 2, &costs, &err), MSP_OK, "%s", err.msg);
    cr_assert_gt(costs.group_ns[MSP_FGROUP_PIXELS], 0);
    cr_assert_gt(costs.set_ns, 0);
    cr_assert_eq(costs.group_ns[MSP_FGROUP_DOWNSAMPLE], 0);
}
