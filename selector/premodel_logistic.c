/* premodel_logistic.c: multinomial softmax regression over standardised
 * features, trained by gradient descent on mean cross-entropy plus
 * (l2/2)|W|^2 (the bias is not penalised). Weights start at zero; full batch
 * when params.batch is 0 or >= n, otherwise mini-batches in an order shuffled
 * every epoch by an msp_rng seeded from params.seed. Double precision during
 * training, stored as float. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "premodel_internal.h"
#include "base/base.h"

double msp_logistic_loss_grad(const double *w, const double *b, const float *z, const int *y,
                              int n, int d, int m, double l2, double *gw, double *gb)
{
    double p[MSP_PREMODEL_MAX_NETS], loss = 0;
    if (gw) memset(gw, 0, sizeof(double) * (size_t)m * d);
    if (gb) memset(gb, 0, sizeof(double) * (size_t)m);
    for (int i = 0; i < n; i++) {
        const float *zi = z + (size_t)i * d;
        double mx = -INFINITY;
        for (int c = 0; c < m; c++) {
            double s = b[c];
            for (int j = 0; j < d; j++) s += w[(size_t)c * d + j] * zi[j];
            p[c] = s;
            if (s > mx) mx = s;
        }
        double tot = 0;
        for (int c = 0; c < m; c++) tot += exp(p[c] - mx);
        loss += log(tot) + mx - p[y[i]];
        for (int c = 0; c < m; c++) {
            double g = exp(p[c] - mx) / tot - (c == y[i]);
            if (gb) gb[c] += g / n;
            if (gw)
                for (int j = 0; j < d; j++) gw[(size_t)c * d + j] += g * zi[j] / n;
        }
    }
    loss /= n;
    double r = 0;
    for (size_t q = 0; q < (size_t)m * d; q++) {
        r += w[q] * w[q];
        if (gw) gw[q] += l2 * w[q];
    }
    return loss + 0.5 * l2 * r;
}

void msp_logistic_train(msp_premodel *pm, const msp_premodel_train_set *t)
{
    int n = t->n, d = t->d, m = t->m;
    size_t nw = (size_t)m * d;
    double *w = msp_calloc(nw, sizeof(double)), *b = msp_calloc((size_t)m, sizeof(double));
    double *gw = msp_malloc(sizeof(double) * nw), *gb = msp_malloc(sizeof(double) * (size_t)m);
    double lr = pm->p.lr, l2 = pm->p.l2;
    int bs = pm->p.batch <= 0 || pm->p.batch >= n ? n : pm->p.batch;
    int *order = NULL, *yb = NULL;
    float *zb = NULL;
    msp_rng rng;
    if (bs < n) {
        msp_rng_seed(&rng, pm->p.seed);
        order = msp_malloc(sizeof(int) * (size_t)n);
        for (int i = 0; i < n; i++) order[i] = i;
        yb = msp_malloc(sizeof(int) * (size_t)bs);
        zb = msp_malloc(sizeof(float) * (size_t)bs * d);
    }
    for (int e = 0; e < pm->p.epochs; e++) {
        if (bs < n) msp_rng_shuffle(&rng, order, n);
        for (int start = 0; start < n; start += bs) {
            int cnt = n - start < bs ? n - start : bs;
            const float *zz = t->z;
            const int *yy = t->y;
            if (bs < n) {
                for (int r = 0; r < cnt; r++) {
                    memcpy(zb + (size_t)r * d, t->z + (size_t)order[start + r] * d,
                           sizeof(float) * (size_t)d);
                    yb[r] = t->y[order[start + r]];
                }
                zz = zb;
                yy = yb;
            }
            msp_logistic_loss_grad(w, b, zz, yy, cnt, d, m, l2, gw, gb);
            for (size_t q = 0; q < nw; q++) w[q] -= lr * gw[q];
            for (int c = 0; c < m; c++) b[c] -= lr * gb[c];
        }
    }
    pm->w = msp_malloc(sizeof(float) * nw);
    pm->b = msp_malloc(sizeof(float) * (size_t)m);
    for (size_t q = 0; q < nw; q++) pm->w[q] = (float)w[q];
    for (int c = 0; c < m; c++) pm->b[c] = (float)b[c];
    free(w);
    free(b);
    free(gw);
    free(gb);
    free(order);
    free(yb);
    free(zb);
}

int msp_logistic_predict(const msp_premodel *pm, const float *z, double *conf)
{
    int m = pm->m, d = pm->d, best = 0;
    double s[MSP_PREMODEL_MAX_NETS];
    for (int c = 0; c < m; c++) {
        double v = pm->b[c];
        for (int j = 0; j < d; j++) v += (double)pm->w[(size_t)c * d + j] * z[j];
        s[c] = v;
        if (v > s[best]) best = c;
    }
    double tot = 0;
    for (int c = 0; c < m; c++) tot += exp(s[c] - s[best]);
    *conf = 1.0 / tot;
    return best;
}
