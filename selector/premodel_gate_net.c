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
#pragma GCC optimize("O3")

#include "dncfg.h"
#include "premodel_internal.h"

struct msp_gate_net {
    char *cfg;        /* NUL-terminated copy */
    size_t cfg_len;
    float *w;
    size_t nw;
    msp_dn_net net;
    size_t *off;      /* per layer: first weight */
    int *act;         /* per layer: 0 linear, 1 relu, 2 leaky */
    size_t col_n;     /* floats of the largest conv layer's im2col buffer */
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
            size_t cn = (size_t)l->in_c * l->size * l->size * l->out_h * l->out_w;
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

/* im2col (zero padding) into col[c*k*k][OH*OW], then each filter's
 * output row is a sum of col rows: long contiguous loops that vectorise,
 * where a direct convolution over 7- or 14-pixel rows does not. */
static void conv(const msp_dn_layer *l, const float *w, int act, const float *in, float *out,
                 float *col)
{
    int nf = l->filters, c = l->in_c, k = l->size, s = l->stride, p = l->pad;
    int H = l->in_h, W = l->in_w, OH = l->out_h, OW = l->out_w, N = OH * OW, K = c * k * k;
    const float *bias = w, *scale = NULL, *mean = NULL, *var = NULL, *wt = w + nf;
    if (l->batch_normalize) {
        scale = w + nf;
        mean = w + 2 * nf;
        var = w + 3 * nf;
        wt = w + 4 * nf;
    }
    for (int ch = 0; ch < c; ch++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(ch * k + ky) * k + kx) * N;
                for (int oy = 0; oy < OH; oy++) {
                    int iy = oy * s - p + ky;
                    for (int ox = 0; ox < OW; ox++) {
                        int ix = ox * s - p + kx;
                        row[oy * OW + ox] = iy >= 0 && iy < H && ix >= 0 && ix < W
                                                ? in[((size_t)ch * H + iy) * W + ix]
                                                : 0;
                    }
                }
            }
    for (int f = 0; f < nf; f++) {
        float *o = out + (size_t)f * N;
        const float *wf = wt + (size_t)f * K;
        memset(o, 0, sizeof(float) * (size_t)N);
        for (int q = 0; q < K; q++) {
            float wv = wf[q];
            const float *r = col + (size_t)q * N;
            for (int j = 0; j < N; j++) o[j] += wv * r[j];
        }
        /* Darknet's inference batch norm: (x - mean) / (sqrt(var) + .000001) * scale */
        float a = 1, b = bias[f];
        if (scale) {
            a = scale[f] / (sqrtf(var[f]) + .000001f);
            b = bias[f] - mean[f] * a;
        }
        for (int j = 0; j < N; j++) o[j] = activate(o[j] * a + b, act);
    }
}

static void maxpool(const msp_dn_layer *l, const float *in, float *out)
{
    int off = -l->pad / 2, k = l->size, s = l->stride;
    for (int ch = 0; ch < l->out_c; ch++)
        for (int oy = 0; oy < l->out_h; oy++)
            for (int ox = 0; ox < l->out_w; ox++) {
                float mx = -FLT_MAX;
                for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++) {
                        int y = off + oy * s + ky, x = off + ox * s + kx;
                        if (y >= 0 && y < l->in_h && x >= 0 && x < l->in_w) {
                            float v = in[((size_t)ch * l->in_h + y) * l->in_w + x];
                            if (v > mx) mx = v;
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
        float s = 0;
        for (int j = 0; j < l->inputs; j++) s += wi[j] * in[j];
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
