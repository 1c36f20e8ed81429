/* cluster_features.c: cheap per-image features for `features` clustering:
 * brightness, contrast, gradient magnitude, edge and bright
 * pixel fractions and a 4x4 grid of mean intensities, all over the gray
 * image (channel mean). One pass per feature over h*w pixels; no Darknet.
 * Also z-score standardisation whose statistics can be reapplied. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "specialise.h"

void msp_cluster_features_image(const float *img, int c, int h, int w, float *out)
{
    size_t hw = (size_t)h * (size_t)w;
    float *g = msp_malloc(hw * sizeof *g);
    for (size_t p = 0; p < hw; p++) {
        double s = 0;
        for (int ch = 0; ch < c; ch++)
            s += img[(size_t)ch * hw + p];
        g[p] = (float)(s / c);
    }
    double sum = 0, bright = 0;
    for (size_t p = 0; p < hw; p++) {
        sum += g[p];
        bright += g[p] > MSP_FEAT_BRIGHT_THRESHOLD;
    }
    double mean = sum / (double)hw, var = 0;
    for (size_t p = 0; p < hw; p++)
        var += ((double)g[p] - mean) * ((double)g[p] - mean);
    double grad = 0, edges = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v = g[(size_t)y * w + x];
            double gx = x + 1 < w ? g[(size_t)y * w + x + 1] - v : 0.0;
            double gy = y + 1 < h ? g[(size_t)(y + 1) * w + x] - v : 0.0;
            double mag = sqrt(gx * gx + gy * gy);
            grad += mag;
            edges += mag > MSP_FEAT_EDGE_THRESHOLD;
        }
    out[MSP_FEAT_BRIGHTNESS] = (float)mean;
    out[MSP_FEAT_CONTRAST] = (float)sqrt(var / (double)hw);
    out[MSP_FEAT_GRADIENT] = (float)(grad / (double)hw);
    out[MSP_FEAT_EDGES] = (float)(edges / (double)hw);
    out[MSP_FEAT_BRIGHT] = (float)(bright / (double)hw);
    for (int r = 0; r < 4; r++) {
        int y0 = r * h / 4, y1 = (r + 1) * h / 4;
        if (y1 <= y0)
            y1 = y0 + 1;
        for (int q = 0; q < 4; q++) {
            int x0 = q * w / 4, x1 = (q + 1) * w / 4;
            if (x1 <= x0)
                x1 = x0 + 1;
            double s = 0;
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                    s += g[(size_t)y * w + x];
            out[MSP_FEAT_GRID + r * 4 + q] = (float)(s / ((double)(y1 - y0) * (x1 - x0)));
        }
    }
    free(g);
}

msp_status msp_cluster_features_extract(const msp_dataset *ds, float **out, int *d, msp_err *err)
{
    if (out)
        *out = NULL;
    if (d)
        *d = 0;
    if (!ds || !out || !d)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "features: no dataset or output");
    if (ds->n < 1 || ds->n > MSP_CLUSTER_MAX_POINTS || !ds->x)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "features: dataset has %d examples, need 1 to %d", ds->n,
                           MSP_CLUSTER_MAX_POINTS);
    if (ds->c < 1 || ds->h < 1 || ds->w < 1 || ds->h > MSP_DATASET_MAX_SIDE ||
        ds->w > MSP_DATASET_MAX_SIDE || ds->c > 4096)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "features: bad image shape %d x %d x %d (c x h x w)", ds->c, ds->h,
                           ds->w);
    size_t es = msp_dataset_example_size(ds);
    float *f = msp_malloc((size_t)ds->n * MSP_FEAT_DIM * sizeof *f);
    for (int i = 0; i < ds->n; i++)
        msp_cluster_features_image(ds->x + (size_t)i * es, ds->c, ds->h, ds->w,
                           f + (size_t)i * MSP_FEAT_DIM);
    *out = f;
    *d = MSP_FEAT_DIM;
    return MSP_OK;
}

msp_status msp_cluster_features_fit(const float *x, int n, int d, msp_feature_stats *st, msp_err *err)
{
    if (st)
        memset(st, 0, sizeof *st);
    if (!x || !st)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "standardise: no data");
    if (n < 1 || n > MSP_CLUSTER_MAX_POINTS || d < 1 || d > MSP_CLUSTER_MAX_DIM ||
        (uint64_t)n * (uint64_t)d > MSP_CLUSTER_MAX_VALUES)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "standardise: %d points of dimension %d, need 1 to %d points and "
                           "dimension 1 to %d",
                           n, d, MSP_CLUSTER_MAX_POINTS, MSP_CLUSTER_MAX_DIM);
    size_t sd = (size_t)d;
    for (size_t i = 0; i < (size_t)n * sd; i++)
        if (!isfinite(x[i]))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "standardise: non-finite value in point %zu, dimension %zu",
                               i / sd, i % sd);
    double *m = msp_calloc(sd, sizeof *m), *v = msp_calloc(sd, sizeof *v);
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < sd; j++)
            m[j] += x[(size_t)i * sd + j];
    for (size_t j = 0; j < sd; j++)
        m[j] /= n;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < sd; j++) {
            double t = x[(size_t)i * sd + j] - m[j];
            v[j] += t * t;
        }
    st->d = d;
    st->mean = msp_malloc(sd * sizeof *st->mean);
    st->std = msp_malloc(sd * sizeof *st->std);
    for (size_t j = 0; j < sd; j++) {
        double s = sqrt(v[j] / n);
        st->mean[j] = (float)m[j];
        st->std[j] = s > 1e-12 ? (float)s : 1.0f;
    }
    free(m);
    free(v);
    return MSP_OK;
}

void msp_cluster_features_apply(const msp_feature_stats *st, float *x, int n)
{
    size_t sd = (size_t)st->d;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < sd; j++)
            x[(size_t)i * sd + j] = (x[(size_t)i * sd + j] - st->mean[j]) / st->std[j];
}

void msp_feature_stats_free(msp_feature_stats *st)
{
    if (!st)
        return;
    free(st->mean);
    free(st->std);
    memset(st, 0, sizeof *st);
}
