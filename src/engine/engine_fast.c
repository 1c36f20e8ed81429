/* engine_fast.c: faster replacements for Darknet's CPU layer functions.
 *
 * Same structs, buffers and arithmetic as Darknet's own code (see
 * engine_fast.h for the few deliberate differences); the speed comes from
 *  - convolutions: several images per sgemm (their im2col columns side by
 *    side), an im2col/col2im that copies row segments (whole shifted
 *    planes for stride-1 "same" convolutions) instead of calling a
 *    bounds-checked function per pixel, and no im2col for 1x1 convolutions;
 *  - fused per-row passes for bias, batch norm and activation, forward and
 *    backward, written as plain loops the compiler vectorises;
 *  - pooling, dropout, route and shortcut without per-element calls;
 *  - every product through msp_gemm (engine_gemm.h): msprune's own AVX-512
 *    kernel where the CPU has it, cblas_sgemm elsewhere.
 * Layers or variants not handled here keep Darknet's functions.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math", "no-tree-loop-distribute-patterns")
#endif

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine_fast.h"
#include "engine_gemm.h"
#include "base/base.h"

/* Baseline SIMD only: AVX2 clones (target_clones) of the hot loops were
 * measured 40% slower at batch-1 inference (short rows) and no faster in
 * training, so there are none. */
#define INLINE static inline

/* Darknet internals exported by libdarknet.so (prototypes from its source). */
void forward_convolutional_layer(layer l, network net);
void backward_convolutional_layer(layer l, network net);
void update_convolutional_layer(layer l, update_args a);
void forward_connected_layer(layer l, network net);
void backward_connected_layer(layer l, network net);
void update_connected_layer(layer l, update_args a);
void forward_maxpool_layer(layer l, network net);
void backward_maxpool_layer(layer l, network net);
void forward_avgpool_layer(layer l, network net);
void backward_avgpool_layer(layer l, network net);
void forward_softmax_layer(layer l, network net);
void backward_softmax_layer(layer l, network net);
void forward_dropout_layer(layer l, network net);
void backward_dropout_layer(layer l, network net);
void forward_route_layer(layer l, network net);
void backward_route_layer(layer l, network net);
void forward_shortcut_layer(layer l, network net);
void backward_shortcut_layer(layer l, network net);
void activate_array(float *x, const int n, const ACTIVATION a);
void gradient_array(const float *x, const int n, const ACTIVATION a, float *delta);
void shortcut_cpu(int batch, int w1, int h1, int c1, float *add, int w2, int h2, int c2, float s1,
                  float s2, float *out);

/* ---- scratch ------------------------------------------------------------ */

enum { SCR_COL, SCR_ROWS, SCR_DCOL, SCR_N };
static _Thread_local struct {
    float *p;
    size_t n;
} scratch_buf[SCR_N];

static float *scratch(int k, size_t n)
{
    if (scratch_buf[k].n < n) {
        free(scratch_buf[k].p);
        scratch_buf[k].p = msp_malloc(n * sizeof(float));
        scratch_buf[k].n = n;
    }
    return scratch_buf[k].p;
}

/* Columns per conv sgemm: below a few hundred, OpenBLAS spends its time in
 * packing and edge kernels (measured by scripts/bench). */
#define GEMM_COLS_DEFAULT 1024
/* Bound on one im2col block (floats), so the scratch stays cache-sized. */
#define COL_BLOCK_MAX ((size_t)4 << 20)
static int gemm_cols = GEMM_COLS_DEFAULT;

void msp_engine_fast_set_gemm_cols(int cols) { gemm_cols = cols > 0 ? cols : GEMM_COLS_DEFAULT; }

#define sgemm msp_gemm

/* ---- element-wise kernels ----------------------------------------------- */

/* Sums with 8 independent accumulators: vectorisable without -ffast-math
 * and more accurate than Darknet's sequential float sums. */
INLINE float row_sum(const float *x, int n)
{
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += x[i + j];
    float s = 0;
    for (; i < n; i++) s += x[i];
    for (int j = 0; j < 8; j++) s += acc[j];
    return s;
}

INLINE float row_sqdev(const float *x, int n, float mean)
{
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) {
            float d = x[i + j] - mean;
            acc[j] += d * d;
        }
    float s = 0;
    for (; i < n; i++) s += (x[i] - mean) * (x[i] - mean);
    for (int j = 0; j < 8; j++) s += acc[j];
    return s;
}

INLINE float row_dot(const float *x, const float *y, int n)
{
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += x[i + j] * y[i + j];
    float s = 0;
    for (; i < n; i++) s += x[i] * y[i];
    for (int j = 0; j < 8; j++) s += acc[j];
    return s;
}

/* sum d[i] * (x[i] - mu) */
INLINE float row_dot_dev(const float *d, const float *x, float mu, int n)
{
    float acc[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) acc[j] += d[i + j] * (x[i + j] - mu);
    float s = 0;
    for (; i < n; i++) s += d[i] * (x[i] - mu);
    for (int j = 0; j < 8; j++) s += acc[j];
    return s;
}

/* Darknet's activate_array for the common activations. */
INLINE void act_row(float *x, int n, ACTIVATION a)
{
    switch (a) {
    case LINEAR:
        return;
    /* Multiplying by a selected constant (exact for 1) lets the compiler
     * vectorise without speculating a multiply under -ftrapping-math. */
    case LEAKY:
        for (int i = 0; i < n; i++) x[i] *= x[i] > 0 ? 1.0f : .1f;
        return;
    case RELU:
        for (int i = 0; i < n; i++) x[i] *= x[i] > 0 ? 1.0f : 0.0f;
        return;
    case LOGISTIC:
        for (int i = 0; i < n; i++) x[i] = 1.0f / (1.0f + expf(-x[i]));
        return;
    default:
        activate_array(x, n, a);
    }
}

/* Darknet's gradient_array: d *= f'(y) where y is the activated output. */
INLINE void grad_row(const float *y, int n, ACTIVATION a, float *d)
{
    switch (a) {
    case LINEAR:
        return;
    case LEAKY:
        for (int i = 0; i < n; i++) d[i] *= y[i] > 0 ? 1.0f : .1f;
        return;
    case RELU:
        for (int i = 0; i < n; i++) d[i] *= y[i] > 0 ? 1.0f : 0.0f;
        return;
    case LOGISTIC:
        for (int i = 0; i < n; i++) d[i] *= (1 - y[i]) * y[i];
        return;
    default:
        gradient_array(y, n, a, d);
    }
}

/* ---- bias / batch norm / activation over Darknet's [batch][ch][hw] ------ */

/* Forward tail shared by conv and connected layers. y holds the sgemm
 * result: l->x when training with batch norm, else l->output. */
static void finish_forward(const layer *l, int train, int B, int M, int HW)
{
    ACTIVATION a = l->activation;
    if (!l->batch_normalize) {
        for (int b = 0; b < B; b++)
            for (int m = 0; m < M; m++) {
                float *o = l->output + ((size_t)b * M + m) * HW, bias = l->biases[m];
                for (int i = 0; i < HW; i++) o[i] += bias;
                act_row(o, HW, a);
            }
        return;
    }
    if (!train) {
        for (int b = 0; b < B; b++)
            for (int m = 0; m < M; m++) {
                float *o = l->output + ((size_t)b * M + m) * HW;
                float mu = l->rolling_mean[m];
                float inv = 1.0f / (sqrtf(l->rolling_variance[m]) + .000001f);
                float s = l->scales[m], bias = l->biases[m];
                for (int i = 0; i < HW; i++) o[i] = (o[i] - mu) * inv * s + bias;
                act_row(o, HW, a);
            }
        return;
    }
    const float *x = l->x;
    float *mean = l->mean, *var = l->variance;
    for (int m = 0; m < M; m++) mean[m] = var[m] = 0;
    for (int b = 0; b < B; b++)
        for (int m = 0; m < M; m++) mean[m] += row_sum(x + ((size_t)b * M + m) * HW, HW);
    float inv_n = 1. / ((double)B * HW), inv_n1 = 1. / ((double)B * HW - 1);
    for (int m = 0; m < M; m++) mean[m] *= inv_n;
    for (int b = 0; b < B; b++)
        for (int m = 0; m < M; m++)
            var[m] += row_sqdev(x + ((size_t)b * M + m) * HW, HW, mean[m]);
    for (int m = 0; m < M; m++) {
        var[m] *= inv_n1;
        l->rolling_mean[m] *= .99f;
        l->rolling_mean[m] += .01f * mean[m];
        l->rolling_variance[m] *= .99f;
        l->rolling_variance[m] += .01f * var[m];
    }
    for (int b = 0; b < B; b++)
        for (int m = 0; m < M; m++) {
            size_t off = ((size_t)b * M + m) * HW;
            const float *xr = x + off;
            float *xn = l->x_norm + off, *o = l->output + off;
            float mu = mean[m], inv = 1.0f / (sqrtf(var[m]) + .000001f);
            float s = l->scales[m], bias = l->biases[m];
            for (int i = 0; i < HW; i++) {
                float v = (xr[i] - mu) * inv;
                xn[i] = v;
                o[i] = v * s + bias;
            }
            act_row(o, HW, a);
        }
}

/* Backward head shared by conv and connected: activation gradient into
 * l->delta, bias/scale gradients, and batch norm's input delta. */
static void start_backward(const layer *l, int train, int B, int M, int HW)
{
    /* The activation gradient is applied row by row just before the row's
     * sums, while the row is in L1. */
    ACTIVATION a = l->activation;
    float *delta = l->delta;
    if (!l->batch_normalize) {
        for (int b = 0; b < B; b++)
            for (int m = 0; m < M; m++) {
                size_t off = ((size_t)b * M + m) * HW;
                grad_row(l->output + off, HW, a, delta + off);
                l->bias_updates[m] += row_sum(delta + off, HW);
            }
        return;
    }
    const float *mean = train ? l->mean : l->rolling_mean;
    const float *var = train ? l->variance : l->rolling_variance;
    float *sd = l->mean_delta, *sdx = l->variance_delta; /* reused as sums */
    float *sdn = scratch(SCR_ROWS, (size_t)M);
    for (int m = 0; m < M; m++) sd[m] = sdx[m] = sdn[m] = 0;
    for (int b = 0; b < B; b++)
        for (int m = 0; m < M; m++) {
            size_t off = ((size_t)b * M + m) * HW;
            const float *d = delta + off, *x = l->x + off;
            grad_row(l->output + off, HW, a, delta + off);
            sd[m] += row_sum(d, HW);
            sdn[m] += row_dot(d, l->x_norm + off, HW);
            sdx[m] += row_dot_dev(d, x, mean[m], HW);
        }
    float n = (float)B * HW;
    for (int m = 0; m < M; m++) {
        l->bias_updates[m] += sd[m];
        l->scale_updates[m] += sdn[m];
        float s = l->scales[m];
        /* Darknet: delta *= scale, then mean_delta_cpu / variance_delta_cpu. */
        sd[m] = s * sd[m] * (-1. / sqrt(var[m] + .00001f));
        sdx[m] = s * sdx[m] * (-.5 * pow(var[m] + .00001f, (float)(-3. / 2.)));
    }
    for (int b = 0; b < B; b++)
        for (int m = 0; m < M; m++) {
            size_t off = ((size_t)b * M + m) * HW;
            float *d = delta + off;
            const float *x = l->x + off;
            float mu = mean[m];
            float k1 = l->scales[m] * (float)(1. / sqrt(var[m] + .00001f));
            float k2 = sdx[m] * 2.0f / n, k3 = sd[m] / n;
            for (int i = 0; i < HW; i++) d[i] = d[i] * k1 + k2 * (x[i] - mu) + k3;
        }
}

/* ---- update (Darknet's axpy/scal sequence, one pass per array) ---------- */

static void sgd(float *w, float *u, size_t n, float lr, float decay, float momentum)
{
    for (size_t i = 0; i < n; i++) {
        u[i] += decay * w[i];
        w[i] += lr * u[i];
        u[i] *= momentum;
    }
}

static void sgd_nodecay(float *w, float *u, size_t n, float lr, float momentum)
{
    for (size_t i = 0; i < n; i++) {
        w[i] += lr * u[i];
        u[i] *= momentum;
    }
}

static void fast_update_conv(layer l, update_args a)
{
    float lr = a.learning_rate * l.learning_rate_scale;
    float lrb = lr / a.batch, decay = -a.decay * a.batch;
    sgd_nodecay(l.biases, l.bias_updates, (size_t)l.n, lrb, a.momentum);
    if (l.scales) sgd_nodecay(l.scales, l.scale_updates, (size_t)l.n, lrb, a.momentum);
    sgd(l.weights, l.weight_updates, (size_t)l.nweights, lrb, decay, a.momentum);
}

static void fast_update_connected(layer l, update_args a)
{
    float lr = a.learning_rate * l.learning_rate_scale;
    float lrb = lr / a.batch, decay = -a.decay * a.batch;
    sgd_nodecay(l.biases, l.bias_updates, (size_t)l.outputs, lrb, a.momentum);
    if (l.batch_normalize)
        sgd_nodecay(l.scales, l.scale_updates, (size_t)l.outputs, lrb, a.momentum);
    sgd(l.weights, l.weight_updates, (size_t)l.inputs * l.outputs, lrb, decay, a.momentum);
}

/* ---- im2col / col2im ---------------------------------------------------- */

typedef struct {
    int c, h, w, size, stride, pad, oh, ow;
} geom;

/* Output columns [lo, hi) whose input column ow*stride + kj - pad is inside. */
INLINE void valid_cols(const geom *g, int kj, int *lo, int *hi)
{
    int a = g->pad - kj;
    *lo = a <= 0 ? 0 : (a + g->stride - 1) / g->stride;
    int b = g->w - 1 + g->pad - kj;
    *hi = b < 0 ? 0 : b / g->stride + 1;
    if (*hi > g->ow) *hi = g->ow;
    if (*lo > g->ow) *lo = g->ow;
    if (*hi < *lo) *hi = *lo;
}

/* Stride 1 with "same" padding: every im2col row is the whole input plane
 * shifted by (dy, dx), with the rows and columns that fall outside zeroed.
 * Copying the plane as one run (and zeroing the |dx| wrapped columns of each
 * line afterwards) replaces one short copy per output line. */
INLINE int same_stride1(const geom *g)
{
    return g->stride == 1 && g->oh == g->h && g->ow == g->w && 2 * g->pad == g->size - 1;
}

/* Output lines [*r0, *r1) read input lines inside the plane; the run
 * [*a, *b) of the plane can be copied from plane index + shift without
 * reading outside it. */
INLINE void shifted_run(const geom *g, int dy, int dx, int *r0, int *r1, int *a, int *b)
{
    int H = g->h, W = g->w;
    *r0 = dy < 0 ? -dy : 0;
    *r1 = dy > 0 ? H - dy : H;
    if (*r1 < *r0) *r1 = *r0;
    *a = *r0 * W + (dx < 0 ? -dx : 0);
    *b = *r1 * W - (dx > 0 ? dx : 0);
    if (*b < *a) *b = *a;
}

/* Zero the |dx| columns of lines [r0, r1) of a shifted run that wrapped
 * into the neighbouring line. */
INLINE void zero_wrapped(float *row, int W, int dx, int r0, int r1)
{
    if (dx == 0) return;
    int lo = dx > 0 ? W - dx : 0, hi = dx > 0 ? W : -dx;
    for (int r = r0; r < r1; r++)
        for (int j = lo; j < hi; j++) row[r * W + j] = 0;
}

static void im2col_same(const float *im, const geom *g, float *col, size_t ld)
{
    int k = g->size, W = g->w, HW = g->h * g->w;
    for (int c = 0; c < g->c; c++) {
        const float *plane = im + (size_t)c * HW;
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                float *d = col + (size_t)((c * k + ki) * k + kj) * ld;
                int dy = ki - g->pad, dx = kj - g->pad, r0, r1, a, b;
                shifted_run(g, dy, dx, &r0, &r1, &a, &b);
                int shift = dy * W + dx;
                for (int i = 0; i < a; i++) d[i] = 0;
                for (int i = a; i < b; i++) d[i] = plane[i + shift];
                for (int i = b; i < HW; i++) d[i] = 0;
                zero_wrapped(d, W, dx, r0, r1);
            }
    }
}

/* col2im for the same geometry: the wrapped columns of the column row are
 * cleared (col is scratch owned by the caller), then the run is added. */
static void col2im_same(float *col, size_t ld, const geom *g, float *im)
{
    int k = g->size, W = g->w, HW = g->h * g->w;
    for (int c = 0; c < g->c; c++) {
        float *plane = im + (size_t)c * HW;
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                float *s = col + (size_t)((c * k + ki) * k + kj) * ld;
                int dy = ki - g->pad, dx = kj - g->pad, r0, r1, a, b;
                shifted_run(g, dy, dx, &r0, &r1, &a, &b);
                zero_wrapped(s, W, dx, r0, r1);
                int shift = dy * W + dx;
                for (int i = a; i < b; i++) plane[i + shift] += s[i];
            }
    }
}

/* Darknet's im2col_cpu layout: row (c, ki, kj), column oh*ow + ow; rows are
 * ld floats apart so several images can sit side by side. */
static void im2col(const float *im, const geom *g, float *col, size_t ld)
{
    if (same_stride1(g)) {
        im2col_same(im, g, col, ld);
        return;
    }
    int k = g->size, OW = g->ow;
    for (int c = 0; c < g->c; c++)
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                float *dst = col + (size_t)((c * k + ki) * k + kj) * ld;
                int lo, hi;
                valid_cols(g, kj, &lo, &hi);
                for (int oh = 0; oh < g->oh; oh++) {
                    float *d = dst + (size_t)oh * OW;
                    int ih = oh * g->stride + ki - g->pad;
                    if (ih < 0 || ih >= g->h) {
                        for (int j = 0; j < OW; j++) d[j] = 0;
                        continue;
                    }
                    /* plain loops: rows are short (7..100 floats), where a
                     * memcpy/memset call costs more than the copy */
                    const float *s = im + ((size_t)c * g->h + ih) * g->w;
                    for (int j = 0; j < lo; j++) d[j] = 0;
                    if (g->stride == 1) {
                        const float *ss = s + kj - g->pad;
                        for (int j = lo; j < hi; j++) d[j] = ss[j];
                    } else {
                        for (int j = lo; j < hi; j++) d[j] = s[j * g->stride + kj - g->pad];
                    }
                    for (int j = hi; j < OW; j++) d[j] = 0;
                }
            }
}

/* Darknet's col2im_cpu: adds the columns back into the image (and may
 * clear col's entries that map outside it). */
static void col2im(float *col, size_t ld, const geom *g, float *im)
{
    if (same_stride1(g)) {
        col2im_same(col, ld, g, im);
        return;
    }
    int k = g->size, OW = g->ow;
    for (int c = 0; c < g->c; c++)
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                const float *src = col + (size_t)((c * k + ki) * k + kj) * ld;
                int lo, hi;
                valid_cols(g, kj, &lo, &hi);
                for (int oh = 0; oh < g->oh; oh++) {
                    int ih = oh * g->stride + ki - g->pad;
                    if (ih < 0 || ih >= g->h) continue;
                    const float *s = src + (size_t)oh * OW;
                    float *d = im + ((size_t)c * g->h + ih) * g->w;
                    if (g->stride == 1) {
                        float *dd = d + kj - g->pad;
                        for (int j = lo; j < hi; j++) dd[j] += s[j];
                    } else {
                        for (int j = lo; j < hi; j++) d[j * g->stride + kj - g->pad] += s[j];
                    }
                }
            }
}

/* ---- convolutional ------------------------------------------------------ */

static geom conv_geom(const layer *l)
{
    return (geom){l->c, l->h, l->w, l->size, l->stride, l->pad, l->out_h, l->out_w};
}

/* Images per sgemm: enough for gemm_cols columns, at most COL_BLOCK_MAX
 * floats of im2col, at most the batch. */
static int conv_group(const layer *l, size_t K, size_t HW)
{
    size_t g = ((size_t)gemm_cols + HW - 1) / HW;
    size_t cap = COL_BLOCK_MAX / (K * HW);
    if (g > cap) g = cap;
    if (g < 1) g = 1;
    if (g > (size_t)l->batch) g = (size_t)l->batch;
    return (int)g;
}

/* The K x gn*HW input columns of images b0..b0+gn-1. */
static const float *conv_columns(const layer *l, const float *input, int b0, int gn, size_t K,
                                 size_t HW)
{
    size_t in_size = (size_t)l->c * l->h * l->w, N = (size_t)gn * HW;
    if (l->size == 1 && gn == 1) return input + (size_t)b0 * in_size;
    float *col = scratch(SCR_COL, K * N);
    geom g = conv_geom(l);
    for (int i = 0; i < gn; i++) {
        const float *im = input + (size_t)(b0 + i) * in_size;
        if (l->size == 1) {
            for (int c = 0; c < l->c; c++)
                memcpy(col + c * N + i * HW, im + c * HW, sizeof(float) * HW);
        } else {
            im2col(im, &g, col + i * HW, N);
        }
    }
    return col;
}

static void fast_forward_conv(layer l, network net)
{
    int M = l.n, B = l.batch;
    size_t K = (size_t)l.size * l.size * l.c, HW = (size_t)l.out_h * l.out_w;
    int train = net.train != 0;
    float *Y = (train && l.batch_normalize) ? l.x : l.output;
    int G = conv_group(&l, K, HW);
    for (int b0 = 0; b0 < B; b0 += G) {
        int gn = B - b0 < G ? B - b0 : G;
        size_t N = (size_t)gn * HW;
        const float *X = conv_columns(&l, net.input, b0, gn, K, HW);
        float *y = Y + (size_t)b0 * M * HW;
        if (gn == 1) {
            sgemm(0, 0, M, (int)HW, (int)K, l.weights, (int)K, X, (int)HW, 0, y, (int)HW);
            continue;
        }
        float *S = scratch(SCR_ROWS, (size_t)M * N);
        sgemm(0, 0, M, (int)N, (int)K, l.weights, (int)K, X, (int)N, 0, S, (int)N);
        for (int i = 0; i < gn; i++)
            for (int m = 0; m < M; m++)
                memcpy(y + ((size_t)i * M + m) * HW, S + m * N + i * HW, sizeof(float) * HW);
    }
    finish_forward(&l, train, B, M, (int)HW);
}

static void fast_backward_conv(layer l, network net)
{
    int M = l.n, B = l.batch;
    size_t K = (size_t)l.size * l.size * l.c, HW = (size_t)l.out_h * l.out_w;
    size_t in_size = (size_t)l.c * l.h * l.w;
    start_backward(&l, net.train != 0, B, M, (int)HW);
    geom g = conv_geom(&l);
    int G = conv_group(&l, K, HW);
    for (int b0 = 0; b0 < B; b0 += G) {
        int gn = B - b0 < G ? B - b0 : G;
        size_t N = (size_t)gn * HW;
        const float *X = conv_columns(&l, net.input, b0, gn, K, HW);
        const float *dY = l.delta + (size_t)b0 * M * HW;
        if (gn > 1) {
            float *D = scratch(SCR_ROWS, (size_t)M * N);
            for (int i = 0; i < gn; i++)
                for (int m = 0; m < M; m++)
                    memcpy(D + m * N + i * HW, dY + ((size_t)i * M + m) * HW,
                           sizeof(float) * HW);
            dY = D;
        }
        sgemm(0, 1, M, (int)K, (int)N, dY, (int)N, X, (int)N, 1, l.weight_updates, (int)K);
        if (!net.delta) continue;
        float *imd = net.delta + (size_t)b0 * in_size;
        if (l.size == 1 && gn == 1) {
            /* Darknet writes a 1x1 layer's input delta with beta = 0. */
            sgemm(1, 0, (int)K, (int)HW, M, l.weights, (int)K, dY, (int)HW, 0, imd, (int)HW);
            continue;
        }
        float *dX = scratch(SCR_DCOL, K * N);
        sgemm(1, 0, (int)K, (int)N, M, l.weights, (int)K, dY, (int)N, 0, dX, (int)N);
        for (int i = 0; i < gn; i++) {
            float *im = imd + (size_t)i * in_size;
            if (l.size == 1) {
                for (int c = 0; c < l.c; c++)
                    memcpy(im + c * HW, dX + c * N + i * HW, sizeof(float) * HW);
            } else {
                col2im(dX + i * HW, N, &g, im);
            }
        }
    }
}

/* ---- connected ---------------------------------------------------------- */

static void fast_forward_connected(layer l, network net)
{
    int train = net.train != 0;
    float *Y = (train && l.batch_normalize) ? l.x : l.output;
    sgemm(0, 1, l.batch, l.outputs, l.inputs, net.input, l.inputs, l.weights, l.inputs, 0, Y,
          l.outputs);
    finish_forward(&l, train, l.batch, l.outputs, 1);
}

static void fast_backward_connected(layer l, network net)
{
    start_backward(&l, net.train != 0, l.batch, l.outputs, 1);
    sgemm(1, 0, l.outputs, l.inputs, l.batch, l.delta, l.outputs, net.input, l.inputs, 1,
          l.weight_updates, l.inputs);
    if (net.delta)
        sgemm(0, 0, l.batch, l.inputs, l.outputs, l.delta, l.outputs, l.weights, l.inputs, 1,
              net.delta, l.inputs);
}

/* ---- pooling ------------------------------------------------------------ */

/* 2x2 stride-2 windows that all lie inside the input: no clipping; the
 * comparisons run in Darknet's order so ties pick the same index. */
static void maxpool_2x2(const layer *l, const float *input)
{
    size_t plane = (size_t)l->h * l->w, oplane = (size_t)l->out_h * l->out_w;
    for (int bc = 0; bc < l->batch * l->c; bc++) {
        const float *in = input + bc * plane;
        float *out = l->output + bc * oplane;
        int *idx = l->indexes + bc * oplane, base = (int)(bc * plane);
        for (int i = 0; i < l->out_h; i++) {
            const float *r0 = in + (size_t)2 * i * l->w, *r1 = r0 + l->w;
            int k0 = base + 2 * i * l->w;
            for (int j = 0; j < l->out_w; j++) {
                float max = -FLT_MAX;
                int max_i = -1, k = k0 + 2 * j;
                if (r0[2 * j] > max) max = r0[2 * j], max_i = k;
                if (r0[2 * j + 1] > max) max = r0[2 * j + 1], max_i = k + 1;
                if (r1[2 * j] > max) max = r1[2 * j], max_i = k + l->w;
                if (r1[2 * j + 1] > max) max = r1[2 * j + 1], max_i = k + l->w + 1;
                out[i * l->out_w + j] = max;
                idx[i * l->out_w + j] = max_i;
            }
        }
    }
}

static void fast_forward_maxpool(layer l, network net)
{
    int off = -l.pad / 2, S = l.size, st = l.stride;
    if (S == 2 && st == 2 && off == 0 && 2 * l.out_h <= l.h && 2 * l.out_w <= l.w) {
        maxpool_2x2(&l, net.input);
        return;
    }
    size_t plane = (size_t)l.h * l.w, oplane = (size_t)l.out_h * l.out_w;
    for (int bc = 0; bc < l.batch * l.c; bc++) {
        const float *in = net.input + bc * plane;
        float *out = l.output + bc * oplane;
        int *idx = l.indexes + bc * oplane;
        int base = (int)(bc * plane);
        for (int i = 0; i < l.out_h; i++) {
            int h0 = off + i * st;
            int n_lo = h0 < 0 ? -h0 : 0, n_hi = l.h - h0 < S ? l.h - h0 : S;
            for (int j = 0; j < l.out_w; j++) {
                int w0 = off + j * st;
                int m_lo = w0 < 0 ? -w0 : 0, m_hi = l.w - w0 < S ? l.w - w0 : S;
                float max = -FLT_MAX;
                int max_i = -1;
                for (int n = n_lo; n < n_hi; n++)
                    for (int m = m_lo; m < m_hi; m++) {
                        int k = (h0 + n) * l.w + w0 + m;
                        if (in[k] > max) {
                            max = in[k];
                            max_i = base + k;
                        }
                    }
                out[i * l.out_w + j] = max;
                idx[i * l.out_w + j] = max_i;
            }
        }
    }
}

static void fast_backward_maxpool(layer l, network net)
{
    size_t n = (size_t)l.out_h * l.out_w * l.c * l.batch;
    for (size_t i = 0; i < n; i++) net.delta[l.indexes[i]] += l.delta[i];
}

static void fast_forward_avgpool(layer l, network net)
{
    int hw = l.h * l.w;
    for (int bc = 0; bc < l.batch * l.c; bc++) {
        float s = row_sum(net.input + (size_t)bc * hw, hw);
        l.output[bc] = s / hw;
    }
}

static void fast_backward_avgpool(layer l, network net)
{
    int hw = l.h * l.w;
    for (int bc = 0; bc < l.batch * l.c; bc++) {
        float d = l.delta[bc] / hw, *o = net.delta + (size_t)bc * hw;
        for (int i = 0; i < hw; i++) o[i] += d;
    }
}

/* ---- softmax ------------------------------------------------------------ */

static void softmax_row(const float *in, int n, float temp, float *out)
{
    float largest = -FLT_MAX, sum = 0;
    for (int i = 0; i < n; i++)
        if (in[i] > largest) largest = in[i];
    for (int i = 0; i < n; i++) {
        float e = expf(in[i] / temp - largest / temp);
        sum += e;
        out[i] = e;
    }
    for (int i = 0; i < n; i++) out[i] /= sum;
}

static void fast_forward_softmax(layer l, network net)
{
    int n = l.inputs / l.groups;
    for (int b = 0; b < l.batch; b++)
        for (int g = 0; g < l.groups; g++) {
            size_t off = (size_t)b * l.inputs + (size_t)g * n;
            softmax_row(net.input + off, n, l.temperature, l.output + off);
        }
    if (net.truth && !l.noloss) {
        size_t total = (size_t)l.batch * l.inputs;
        float cost = 0;
        for (size_t i = 0; i < total; i++) {
            float t = net.truth[i], p = l.output[i];
            /* Cross-entropy; for one-hot targets exactly Darknet's -log p
             * (which ignores t, so soft targets would report sum -log p). */
            l.loss[i] = t ? -t * logf(p) : 0;
            l.delta[i] = t - p;
            cost += l.loss[i];
        }
        l.cost[0] = cost;
    }
}

static void fast_backward_softmax(layer l, network net)
{
    size_t total = (size_t)l.batch * l.inputs;
    for (size_t i = 0; i < total; i++) net.delta[i] += l.delta[i];
}

/* ---- dropout ------------------------------------------------------------ */

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static void fast_forward_dropout(layer l, network net)
{
    if (!net.train) return;
    /* One rand() per pass keeps masks reproducible from srand(). */
    msp_rng r;
    msp_rng_seed(&r, (uint64_t)rand());
    uint64_t s0 = r.s[0], s1 = r.s[1], s2 = r.s[2], s3 = r.s[3];
    size_t total = (size_t)l.batch * l.inputs;
    float p = l.probability, scale = l.scale;
    for (size_t i = 0; i < total; i += 2) {
        uint64_t v = s0 + s3, t = s1 << 17; /* xoshiro256+, two floats per draw */
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 45);
        l.rand[i] = (float)(v >> 40) * 0x1p-24f;
        if (i + 1 < total) l.rand[i + 1] = (float)((v >> 8) & 0xffffff) * 0x1p-24f;
    }
    float *x = net.input;
    for (size_t i = 0; i < total; i++) x[i] = l.rand[i] < p ? 0 : x[i] * scale;
}

static void fast_backward_dropout(layer l, network net)
{
    if (!net.delta) return;
    size_t total = (size_t)l.batch * l.inputs;
    float p = l.probability, scale = l.scale;
    for (size_t i = 0; i < total; i++)
        net.delta[i] = l.rand[i] < p ? 0 : net.delta[i] * scale;
}

/* ---- route and shortcut ------------------------------------------------- */

static void fast_forward_route(layer l, network net)
{
    int offset = 0;
    for (int i = 0; i < l.n; i++) {
        const float *in = net.layers[l.input_layers[i]].output;
        int sz = l.input_sizes[i];
        for (int b = 0; b < l.batch; b++)
            memcpy(l.output + offset + (size_t)b * l.outputs, in + (size_t)b * sz,
                   sizeof(float) * (size_t)sz);
        offset += sz;
    }
}

static void fast_backward_route(layer l, network net)
{
    int offset = 0;
    for (int i = 0; i < l.n; i++) {
        float *d = net.layers[l.input_layers[i]].delta;
        int sz = l.input_sizes[i];
        for (int b = 0; b < l.batch; b++) {
            const float *s = l.delta + offset + (size_t)b * l.outputs;
            float *o = d + (size_t)b * sz;
            for (int j = 0; j < sz; j++) o[j] += s[j];
        }
        offset += sz;
    }
}

static int shortcut_same(const layer *l)
{
    return l->w == l->out_w && l->h == l->out_h && l->c == l->out_c;
}

static void fast_forward_shortcut(layer l, network net)
{
    size_t total = (size_t)l.outputs * l.batch;
    const float *add = net.layers[l.index].output;
    if (shortcut_same(&l)) {
        for (size_t i = 0; i < total; i++) l.output[i] = l.alpha * net.input[i] + l.beta * add[i];
    } else {
        memcpy(l.output, net.input, sizeof(float) * total);
        shortcut_cpu(l.batch, l.w, l.h, l.c, (float *)add, l.out_w, l.out_h, l.out_c, l.alpha,
                     l.beta, l.output);
    }
    for (int b = 0; b < l.batch; b++) act_row(l.output + (size_t)b * l.outputs, l.outputs, l.activation);
}

static void fast_backward_shortcut(layer l, network net)
{
    size_t total = (size_t)l.outputs * l.batch;
    for (int b = 0; b < l.batch; b++)
        grad_row(l.output + (size_t)b * l.outputs, l.outputs, l.activation,
                 l.delta + (size_t)b * l.outputs);
    for (size_t i = 0; i < total; i++) net.delta[i] += l.alpha * l.delta[i];
    float *d = net.layers[l.index].delta;
    if (shortcut_same(&l)) {
        for (size_t i = 0; i < total; i++) d[i] = d[i] + l.beta * l.delta[i];
    } else {
        shortcut_cpu(l.batch, l.out_w, l.out_h, l.out_c, l.delta, l.w, l.h, l.c, 1, l.beta, d);
    }
}

/* ---- install ------------------------------------------------------------ */

typedef struct {
    LAYER_TYPE type;
    void (*stock_f)(layer, network), (*stock_b)(layer, network);
    void (*stock_u)(layer, update_args);
    void (*fast_f)(layer, network), (*fast_b)(layer, network);
    void (*fast_u)(layer, update_args);
} swap;

static const swap swaps[] = {
    {CONVOLUTIONAL, forward_convolutional_layer, backward_convolutional_layer,
     update_convolutional_layer, fast_forward_conv, fast_backward_conv, fast_update_conv},
    {CONNECTED, forward_connected_layer, backward_connected_layer, update_connected_layer,
     fast_forward_connected, fast_backward_connected, fast_update_connected},
    {MAXPOOL, forward_maxpool_layer, backward_maxpool_layer, NULL, fast_forward_maxpool,
     fast_backward_maxpool, NULL},
    {AVGPOOL, forward_avgpool_layer, backward_avgpool_layer, NULL, fast_forward_avgpool,
     fast_backward_avgpool, NULL},
    {SOFTMAX, forward_softmax_layer, backward_softmax_layer, NULL, fast_forward_softmax,
     fast_backward_softmax, NULL},
    {DROPOUT, forward_dropout_layer, backward_dropout_layer, NULL, fast_forward_dropout,
     fast_backward_dropout, NULL},
    {ROUTE, forward_route_layer, backward_route_layer, NULL, fast_forward_route,
     fast_backward_route, NULL},
    {SHORTCUT, forward_shortcut_layer, backward_shortcut_layer, NULL, fast_forward_shortcut,
     fast_backward_shortcut, NULL},
};

/* Variants the fast code reproduces exactly; the rest stay stock. */
static int supported(const network *net, const layer *l)
{
    switch (l->type) {
    case CONVOLUTIONAL:
        if (l->binary || l->xnor || l->groups != 1) return 0;
        /* Darknet feeds a 1x1 layer its input as columns even when strided. */
        if (l->size == 1 && (l->stride != 1 || l->pad != 0)) return 0;
        return 1;
    case SOFTMAX:
        return l->softmax_tree == NULL && l->groups > 0;
    case MAXPOOL:
        return l->indexes != NULL;
    case SHORTCUT:
        return l->index >= 0 && l->index < net->n;
    default:
        return 1;
    }
}

int msp_engine_fast_install(network *net)
{
    int count = 0;
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->layers[i];
        for (size_t k = 0; k < sizeof swaps / sizeof swaps[0]; k++) {
            const swap *s = &swaps[k];
            if (l->type != s->type || !supported(net, l)) continue;
            /* Only replace what is still Darknet's own (idempotent). */
            if (l->forward == s->stock_f) l->forward = s->fast_f;
            if (l->backward == s->stock_b) l->backward = s->fast_b;
            if (s->fast_u && !net->adam && l->update == s->stock_u) l->update = s->fast_u;
            if (l->forward == s->fast_f) count++;
        }
    }
    return count;
}

void msp_engine_fast_release(network *net)
{
    if (net) {
        for (int i = 0; i < net->n; i++) {
            layer *l = &net->layers[i];
            for (size_t k = 0; k < sizeof swaps / sizeof swaps[0]; k++) {
                const swap *s = &swaps[k];
                if (l->forward == s->fast_f) l->forward = s->stock_f;
                if (l->backward == s->fast_b) l->backward = s->stock_b;
                if (s->fast_u && l->update == s->fast_u) l->update = s->stock_u;
            }
        }
    }
    for (int k = 0; k < SCR_N; k++) {
        free(scratch_buf[k].p);
        scratch_buf[k].p = NULL;
        scratch_buf[k].n = 0;
    }
    msp_gemm_release();
}
