/* premodel_gate_net.c: the gate-cnn network as the premodel file stores it
 * (cfg text + weights in Darknet's .weights order) and its forward pass in
 * plain C. Darknet is only used to train it (premodel_gate.c): prediction
 * and loading never reach Darknet, so a premodel file is checked and run
 * without handing Darknet anything, and the file's fuzz harness links
 * without libdarknet. The forward pass follows Darknet's inference
 * arithmetic (conv with zero padding, batch norm (x - mean) / (sqrt(var) +
 * 1e-6) * scale + bias, leaky 0.1, max-pool with Darknet's offsets,
 * connected, softmax); it agrees with Darknet to float rounding (tested).
 * Limits: only the layers listed in premodel_internal.h. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The forward pass is the premodel's per-input cost: let its loops vectorise. */
#pragma GCC optimize("O3", "fp-contract=fast")

#include "dncfg/dncfg.h"
#include "premodel_internal.h"

/* GCC vector extensions: one AVX register on x86-64 with AVX2 (the
 * convolution's clone below), two SSE2 or NEON registers otherwise. */
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

/* activate() on eight values without branches (the signs of a layer's
 * outputs are a coin toss for the branch predictor): the slope is
 * selected, then multiplied (exact for 1). */
static inline __attribute__((always_inline)) void activate8(v8f *x, int act)
{
    if (act == 0) return;
    const v8f one = {1, 1, 1, 1, 1, 1, 1, 1};
    const v8f low = one * (act == 1 ? 0.0f : 0.1f);
    v8i pos = *x > 0;
    *x *= (v8f)((pos & (v8i)one) | (~pos & (v8i)low));
}

/* Output positions per accumulator block: one 8-float vector. */
#define GATE_BLOCK 8

/* The convolution, the bulk of a prediction, also built for AVX2 + FMA and
 * picked at load time (glibc ifunc) on x86-64 machines that have them. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GATE_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define GATE_CLONES
#endif

static size_t padded(size_t n) { return (n + GATE_BLOCK - 1) / GATE_BLOCK * GATE_BLOCK; }

struct msp_gate_net {
    char *cfg;        /* NUL-terminated copy */
    size_t cfg_len;
    float *w;
    size_t nw;
    msp_dn_net net;
    size_t *off;      /* per layer: first weight */
    int *act;         /* per layer: 0 linear, 1 relu, 2 leaky */
    size_t col_n;     /* floats of the largest conv layer's (padded) im2col buffer */
    int d, m;
};

/* Keys each layer may have beyond the ones Darknet ignores: anything else
 * (xnor, binary, temperature, ...) would change the arithmetic. */
static const char *const conv_ok[] = {"filters", "size", "stride", "pad", "padding",
                                      "activation", "batch_normalize", NULL};
static const char *const pool_ok[] = {"size", "stride", "padding", NULL};
static const char *const conn_ok[] = {"output", "activation", NULL};
static const char *const soft_ok[] = {"groups", NULL};

static int listed(const char *k, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(k, list[i])) return 1;
    return 0;
}

static int act_code(const char *a)
{
    if (!a || !strcmp(a, "linear")) return 0;
    if (!strcmp(a, "relu")) return 1;
    if (!strcmp(a, "leaky")) return 2;
    return -1;
}

/* Check one layer against what forward() implements; *need gets its floats. */
static msp_status check_layer(const msp_dn_cfg *cfg, const msp_dn_layer *l, int i, int *act,
                              size_t *need, const char *name, msp_err *err)
{
    const msp_dn_section *s = &cfg->sec[l->section];
    const char *const *ok = l->type == MSP_L_CONV        ? conv_ok
                            : l->type == MSP_L_MAXPOOL   ? pool_ok
                            : l->type == MSP_L_CONNECTED ? conn_ok
                            : l->type == MSP_L_SOFTMAX   ? soft_ok
                                                         : NULL;
    if (!ok)
        return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                           "gate-cnn: layer %d is [%s]; only convolutional, maxpool, connected "
                           "and softmax are supported; the file is corrupt",
                           i, s->type);
    for (int k = 0; k < s->n_kv; k++)
        if (!listed(s->kv[k].key, ok))
            return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                               "gate-cnn: layer %d [%s] has key '%s', which is not supported; "
                               "the file is corrupt", i, s->type, s->kv[k].key);
    *act = 0;
    *need = 0;
    if (l->type == MSP_L_CONV || l->type == MSP_L_CONNECTED) {
        *act = act_code(l->activation);
        if (*act < 0)
            return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                               "gate-cnn: layer %d has activation '%s'; only linear, relu and "
                               "leaky are supported", i, l->activation);
    }
    if (l->type == MSP_L_CONV) {
        if (l->groups != 1)
            return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                               "gate-cnn: layer %d has %d groups; only 1 is supported", i, l->groups);
        *need = (size_t)l->filters * (l->batch_normalize ? 4 : 1) +
                (size_t)l->filters * l->in_c * l->size * l->size;
    } else if (l->type == MSP_L_CONNECTED) {
        *need = (size_t)l->outputs + (size_t)l->outputs * l->inputs;
    } else if (l->type == MSP_L_SOFTMAX && l->groups != 1) {
        return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                           "gate-cnn: layer %d has %d softmax groups; only 1 is supported", i,
                           l->groups);
    }
    if (l->inputs > MSP_GATE_MAX_ACT || l->outputs > MSP_GATE_MAX_ACT)
        return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                           "gate-cnn: layer %d has %d inputs and %d outputs; at most %d are "
                           "supported", i, l->inputs, l->outputs, MSP_GATE_MAX_ACT);
    if (*need != l->n_weights_floats) /* the checker and this file disagree: refuse */
        return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                           "gate-cnn: layer %d's weights are laid out in a way this forward "
                           "pass does not implement", i);
    return MSP_OK;
}

msp_status msp_gate_net_make(const char *cfg, size_t cfg_len, const float *w, size_t nw, int d,
                             int m, const char *name, msp_gate_net **out, msp_err *err)
{
    *out = NULL;
    if (cfg_len < 1 || cfg_len > MSP_GATE_MAX_CFG)
        return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                           "gate-cnn: cfg text of %zu bytes is out of range (1 to %u); the file "
                           "is corrupt", cfg_len, MSP_GATE_MAX_CFG);
    if (memchr(cfg, '\0', cfg_len))
        return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                           "gate-cnn: cfg text holds a NUL byte; the file is corrupt");
    if (nw > MSP_GATE_MAX_WEIGHTS)
        return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                           "gate-cnn: %zu weights is out of range (at most %u); the file is "
                           "corrupt", nw, MSP_GATE_MAX_WEIGHTS);
    for (size_t i = 0; i < nw; i++)
        if (!isfinite(w[i]))
            return msp_err_set(err, MSP_BAD_INPUT, name, 0,
                               "gate-cnn: weight %zu is not finite; the file is corrupt", i);
    msp_gate_net *g = msp_calloc(1, sizeof *g);
    g->cfg = msp_malloc(cfg_len + 1);
    memcpy(g->cfg, cfg, cfg_len);
    g->cfg[cfg_len] = '\0';
    g->cfg_len = cfg_len;
    g->d = d;
    g->m = m;
    msp_dn_cfg c = {0};
    msp_err e = {{0}};
    msp_status st = msp_dncfg_parse_string(g->cfg, "gate-cnn.cfg", &c, &e);
    if (st == MSP_OK) st = msp_dncfg_check(&c, &g->net, &e);
    if (st != MSP_OK) {
        st = msp_err_set(err, MSP_BAD_INPUT, name, 0, "gate-cnn: bad network cfg: %s", e.msg);
        goto fail;
    }
    const msp_dn_net *n = &g->net;
    if (n->w * n->h * n->c != d || n->n_layers < 1 ||
        n->layers[n->n_layers - 1].type != MSP_L_SOFTMAX || n->classes != m) {
        st = msp_err_set(err, MSP_BAD_INPUT, name, 0,
                         "gate-cnn: the network takes %dx%dx%d inputs and gives %d outputs, but "
                         "the premodel has %d inputs and %d networks (and must end in a "
                         "softmax); the file is corrupt", n->w, n->h, n->c, n->classes, d, m);
        goto fail;
    }
    g->off = msp_malloc(sizeof(size_t) * (size_t)n->n_layers);
    g->act = msp_malloc(sizeof(int) * (size_t)n->n_layers);
    size_t total = 0;
    for (int i = 0; i < n->n_layers; i++) {
        size_t need = 0;
        st = check_layer(&c, &n->layers[i], i, &g->act[i], &need, name, err);
        if (st != MSP_OK) goto fail;
        g->off[i] = total;
        total += need;
        const msp_dn_layer *l = &n->layers[i];
        if (l->type == MSP_L_CONV) {
            size_t cn = (size_t)l->in_c * l->size * l->size *
                        padded((size_t)l->out_h * l->out_w);
            if (cn > MSP_GATE_MAX_WEIGHTS) {
                st = msp_err_set(err, MSP_BAD_INPUT, name, 0,
                                 "gate-cnn: layer %d would unfold to %zu values (at most %u); "
                                 "the file is corrupt", i, cn, MSP_GATE_MAX_WEIGHTS);
                goto fail;
            }
            if (cn > g->col_n) g->col_n = cn;
        }
    }
    if (total != nw) {
        st = msp_err_set(err, MSP_BAD_INPUT, name, 0,
                         "gate-cnn: the network needs %zu weights, the file has %zu; the file "
                         "is corrupt", total, nw);
        goto fail;
    }
    g->w = msp_malloc(sizeof(float) * (nw ? nw : 1));
    if (nw) memcpy(g->w, w, sizeof(float) * nw);
    g->nw = nw;
    msp_dncfg_free(&c);
    *out = g;
    return MSP_OK;
fail:
    msp_dncfg_free(&c);
    msp_gate_net_free(g);
    return st;
}

void msp_gate_net_free(msp_gate_net *g)
{
    if (!g) return;
    free(g->cfg);
    free(g->w);
    free(g->off);
    free(g->act);
    msp_dnnet_free(&g->net);
    free(g);
}

const char *msp_gate_net_cfg(const msp_gate_net *g, size_t *len)
{
    *len = g->cfg_len;
    return g->cfg;
}

const float *msp_gate_net_weights(const msp_gate_net *g, size_t *n)
{
    *n = g->nw;
    return g->w;
}

static float activate(float x, int act)
{
    if (act == 1) return x > 0 ? x : 0;
    if (act == 2) return x > 0 ? x : 0.1f * x;
    return x;
}

/* A conv layer's weights as the file stores them. */
typedef struct {
    const float *bias, *scale, *mean, *var; /* scale..var NULL without batch norm */
    const float *wt;                        /* filters x K */
    int K, act;
} conv_w;

/* Outputs of filters f..f+nb-1 (nb 1, 4 or 8), GATE_BLOCK positions at a
 * time: summed over the K col rows in registers and stored once (rows of N
 * in out, the last block clipped to N), with Darknet's inference batch
 * norm ((x - mean) / (sqrt(var) + .000001) * scale + bias) and the
 * activation applied on the way out. Eight filters give eight independent
 * sums, so the multiply-adds overlap instead of each waiting on the last
 * (summing into memory row by row was store-bound). */
static inline __attribute__((always_inline)) void
sum_filters(const conv_w *cw, const float *col, size_t NP, int N, int f, int nb, float *out)
{
    float a[8], b[8];
    for (int i = 0; i < nb; i++) {
        a[i] = 1;
        b[i] = cw->bias[f + i];
        if (cw->scale) {
            a[i] = cw->scale[f + i] / (sqrtf(cw->var[f + i]) + .000001f);
            b[i] = cw->bias[f + i] - cw->mean[f + i] * a[i];
        }
    }
    for (size_t j0 = 0; j0 < NP; j0 += GATE_BLOCK) {
        v8f s[8] = {{0}};
        const float *r = col + j0, *w = cw->wt + (size_t)f * cw->K;
        for (int q = 0; q < cw->K; q++, r += NP) {
            v8f x;
            memcpy(&x, r, sizeof x);
            for (int i = 0; i < nb; i++) s[i] += w[(size_t)i * cw->K + q] * x;
        }
        size_t n = (size_t)N - j0 < GATE_BLOCK ? (size_t)N - j0 : GATE_BLOCK;
        for (int i = 0; i < nb; i++) {
            v8f y = s[i] * a[i] + b[i];
            activate8(&y, cw->act);
            memcpy(out + (size_t)(f + i) * N + j0, &y, sizeof(float) * n);
        }
    }
}

/* im2col (zero padding) into col[c*k*k][NP] (NP = OH*OW rounded up to
 * GATE_BLOCK, the tail zero), then the filters eight at a time. */
GATE_CLONES static void conv(const msp_dn_layer *l, const float *w, int act, const float *in,
                             float *out, float *col)
{
    int nf = l->filters, c = l->in_c, k = l->size, s = l->stride, p = l->pad;
    int H = l->in_h, W = l->in_w, OH = l->out_h, OW = l->out_w, N = OH * OW;
    size_t NP = padded((size_t)N);
    conv_w cw = {.bias = w, .wt = w + nf, .K = c * k * k, .act = act};
    if (l->batch_normalize) {
        cw.scale = w + nf;
        cw.mean = w + 2 * nf;
        cw.var = w + 3 * nf;
        cw.wt = w + 4 * nf;
    }
    for (int ch = 0; ch < c; ch++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(ch * k + ky) * k + kx) * NP;
                /* output columns [lo, hi) read inside the input line */
                int lo = 0, hi = OW;
                while (lo < OW && lo * s - p + kx < 0) lo++;
                while (hi > lo && (hi - 1) * s - p + kx >= W) hi--;
                memset(row, 0, sizeof(float) * NP);
                for (int oy = 0; oy < OH; oy++) {
                    int iy = oy * s - p + ky;
                    if (iy < 0 || iy >= H) continue;
                    const float *line = in + ((size_t)ch * H + iy) * W - p + kx;
                    for (int ox = lo; ox < hi; ox++) row[oy * OW + ox] = line[ox * s];
                }
            }
    int f = 0;
    for (; f + 8 <= nf; f += 8) sum_filters(&cw, col, NP, N, f, 8, out);
    for (; f + 4 <= nf; f += 4) sum_filters(&cw, col, NP, N, f, 4, out);
    for (; f < nf; f++) sum_filters(&cw, col, NP, N, f, 1, out);
}

static void maxpool(const msp_dn_layer *l, const float *in, float *out)
{
    int off = -l->pad / 2, k = l->size, s = l->stride;
    for (int ch = 0; ch < l->out_c; ch++)
        for (int oy = 0; oy < l->out_h; oy++)
            for (int ox = 0; ox < l->out_w; ox++) {
                /* the window clipped to the input, then a max instruction
                 * per value, no branch (a whole 2x2 window without a loop) */
                int y0 = off + oy * s, x0 = off + ox * s;
                int ky0 = y0 < 0 ? -y0 : 0, ky1 = l->in_h - y0 < k ? l->in_h - y0 : k;
                int kx0 = x0 < 0 ? -x0 : 0, kx1 = l->in_w - x0 < k ? l->in_w - x0 : k;
                float mx = -FLT_MAX;
                if (k == 2 && ky0 == 0 && ky1 == 2 && kx0 == 0 && kx1 == 2) {
                    const float *r = in + ((size_t)ch * l->in_h + y0) * l->in_w + x0;
                    const float *u = r + l->in_w;
                    float a = r[0] > r[1] ? r[0] : r[1], b = u[0] > u[1] ? u[0] : u[1];
                    mx = a > b ? a : b;
                } else {
                    for (int ky = ky0; ky < ky1; ky++) {
                        const float *r = in + ((size_t)ch * l->in_h + y0 + ky) * l->in_w + x0;
                        for (int kx = kx0; kx < kx1; kx++) mx = r[kx] > mx ? r[kx] : mx;
                    }
                }
                out[((size_t)ch * l->out_h + oy) * l->out_w + ox] = mx;
            }
}

static void connected(const msp_dn_layer *l, const float *w, int act, const float *in, float *out)
{
    const float *bias = w, *wt = w + l->outputs;
    for (int i = 0; i < l->outputs; i++) {
        const float *wi = wt + (size_t)i * l->inputs;
        /* eight partial sums: independent additions, vectorised */
        float part[8] = {0};
        int j = 0;
        for (; j + 8 <= l->inputs; j += 8)
            for (int u = 0; u < 8; u++) part[u] += wi[j + u] * in[j + u];
        float s = 0;
        for (; j < l->inputs; j++) s += wi[j] * in[j];
        for (int u = 0; u < 8; u++) s += part[u];
        out[i] = activate(s + bias[i], act);
    }
}

int msp_gate_net_predict(const msp_gate_net *g, const float *z, double *conf)
{
    float a[MSP_GATE_MAX_ACT], b[MSP_GATE_MAX_ACT];
    const msp_dn_net *n = &g->net;
    memcpy(a, z, sizeof(float) * (size_t)g->d);
    float *in = a, *out = b, *col = msp_malloc(sizeof(float) * (g->col_n + 1));
    for (int i = 0; i + 1 < n->n_layers; i++) { /* the last layer is the softmax */
        const msp_dn_layer *l = &n->layers[i];
        const float *w = g->w + g->off[i];
        switch (l->type) {
        case MSP_L_CONV: conv(l, w, g->act[i], in, out, col); break;
        case MSP_L_MAXPOOL: maxpool(l, in, out); break;
        case MSP_L_CONNECTED: connected(l, w, g->act[i], in, out); break;
        case MSP_L_SOFTMAX: /* a softmax inside the network */
        default: {
            double mx = -INFINITY, tot = 0;
            for (int j = 0; j < l->inputs; j++) mx = in[j] > mx ? in[j] : mx;
            for (int j = 0; j < l->inputs; j++) tot += exp(in[j] - mx);
            for (int j = 0; j < l->inputs; j++) out[j] = (float)(exp(in[j] - mx) / tot);
        }
        }
        float *t = in;
        in = out;
        out = t;
    }
    free(col);
    /* Softmax over m scores; non-finite scores (non-finite inputs) give
     * class 0 with confidence 0. */
    int best = 0;
    for (int c = 1; c < g->m; c++)
        if (in[c] > in[best]) best = c;
    double tot = 0;
    for (int c = 0; c < g->m; c++) tot += exp((double)in[c] - in[best]);
    double p = 1.0 / tot;
    *conf = isfinite(p) ? p : 0;
    return isfinite(p) ? best : 0;
}
