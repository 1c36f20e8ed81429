/* classes.c: class pruning: keep a subset of a classifier's output classes.
 *
 * The output layer is the last [convolutional] or [connected] layer whose
 * filters are the classes: it may be followed only by layers that keep
 * channel k as class k ([avgpool], [maxpool], [dropout], [activation],
 * [softmax] with groups=1, [cost]), and its filter count must equal the
 * network's class count (so a conv output must reach softmax as 1x1 maps,
 * e.g. 1x1 conv -> global [avgpool] -> [softmax] as in cfg/fashion-base.cfg,
 * or [connected] -> [softmax] as in tests/data/tiny-fashion.cfg). Grouped
 * output convolutions are refused.
 *
 * The output layer keeps the filters / rows (bias, batch-norm arrays,
 * weights) of the kept classes in the order given; every other layer is
 * copied unchanged, so the kept logits are exactly the original ones.
 *
 * The optional `other` output is appended last and initialised as
 *   weights = mean of the dropped classes' effective rows,
 *   bias    = mean of the dropped classes' effective biases + log(m)
 * (m dropped classes; for a batch-normalised output layer the batch-norm is
 * folded into the effective rows and the new channel gets scale 1, mean 0,
 * variance 1). Its logit is then mean(z_dropped) + log(m), a lower bound on
 * log(sum exp(z_dropped)) (Jensen), equal to it when the dropped logits
 * agree: "other" starts with about the probability mass of the classes it
 * gathers, before fine-tuning. (Exact for a linear output activation; with a
 * non-linear one the average is taken before the activation.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prune.h"

static int is_producer(const msp_dn_layer *l)
{
    return l->type == MSP_L_CONV || l->type == MSP_L_CONNECTED;
}

msp_status msp_prune_output_layer(const msp_dn_cfg *cfg, const msp_dn_net *net, int *layer,
                                  msp_err *err)
{
    *layer = -1;
    const char *path = cfg ? cfg->path : NULL;
    int i = net->n_layers - 1;
    for (; i >= 0; i--) {
        const msp_dn_layer *l = &net->layers[i];
        if (is_producer(l)) break;
        int ok = l->type == MSP_L_AVGPOOL || l->type == MSP_L_MAXPOOL ||
                 l->type == MSP_L_DROPOUT || l->type == MSP_L_ACTIVE || l->type == MSP_L_COST ||
                 (l->type == MSP_L_SOFTMAX && l->groups <= 1);
        if (!ok)
            return msp_err_set(err, MSP_BAD_INPUT, path, l->line,
                               "class pruning: layer %d ([%s]%s) stands between the last "
                               "convolutional/connected layer and the output; only avgpool, "
                               "maxpool, dropout, activation, softmax (groups=1) and cost may",
                               i, msp_dn_layer_type_name(l->type),
                               l->type == MSP_L_SOFTMAX ? " with groups > 1" : "");
    }
    if (i < 0)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                           "class pruning: the network has no convolutional or connected layer");
    const msp_dn_layer *o = &net->layers[i];
    if (o->filters != net->classes)
        return msp_err_set(err, MSP_BAD_INPUT, path, o->line,
                           "class pruning: layer %d has %d filters but the network outputs %d "
                           "values; the output layer's filters must be the classes (reduce its "
                           "maps to 1x1, e.g. with a global [avgpool])",
                           i, o->filters, net->classes);
    if (o->type == MSP_L_CONV && o->groups > 1)
        return msp_err_set(err, MSP_BAD_INPUT, path, o->line,
                           "class pruning: the output layer %d is a grouped convolution "
                           "(groups=%d), which is not supported", i, o->groups);
    *layer = i;
    return MSP_OK;
}

static void copy_arr(float *dst, const float *src, size_t n)
{
    if (n) memcpy(dst, src, n * sizeof(float));
}

static msp_status check_classes(const char *path, int line, int n_classes, const int *classes,
                                int n_keep, int other, msp_err *err)
{
    if (n_keep < 1 || !classes)
        return msp_err_set(err, MSP_BAD_INPUT, path, line,
                           "class pruning: no classes to keep; give at least one class id");
    if (n_keep > n_classes)
        return msp_err_set(err, MSP_BAD_INPUT, path, line,
                           "class pruning: %d classes asked for but the network has %d",
                           n_keep, n_classes);
    unsigned char *seen = msp_calloc((size_t)n_classes, 1);
    msp_status st = MSP_OK;
    for (int j = 0; j < n_keep && st == MSP_OK; j++) {
        int c = classes[j];
        if (c < 0 || c >= n_classes)
            st = msp_err_set(err, MSP_BAD_INPUT, path, line,
                             "class pruning: class id %d is out of range: the network has "
                             "classes 0..%d", c, n_classes - 1);
        else if (seen[c]++)
            st = msp_err_set(err, MSP_BAD_INPUT, path, line,
                             "class pruning: class %d is listed twice", c);
    }
    free(seen);
    if (st != MSP_OK) return st;
    if (other && n_keep == n_classes)
        return msp_err_set(err, MSP_BAD_INPUT, path, line,
                           "class pruning: every class is kept, so 'other' would gather "
                           "nothing; drop some classes or leave 'other' out");
    if (n_keep + (other != 0) < 2)
        return msp_err_set(err, MSP_BAD_INPUT, path, line,
                           "class pruning: a single output class is always predicted; keep "
                           "at least 2 classes or add 'other'");
    return MSP_OK;
}

msp_status msp_prune_classes(const msp_dn_cfg *cfg, const msp_dn_net *net,
                             const msp_prune_weights *w, const int *classes, int n_keep,
                             int other, msp_dn_cfg *out_cfg, msp_dn_net *out_net,
                             msp_prune_weights *out_w, msp_err *err)
{
    msp_status st = msp_prune_surgery_start(cfg, net, w, out_cfg, out_net, out_w, err);
    if (st != MSP_OK) return st;
    int o;
    st = msp_prune_output_layer(cfg, net, &o, err);
    if (st != MSP_OK) return st;
    const msp_dn_layer *ol = &net->layers[o];
    st = check_classes(cfg->path, ol->line, ol->filters, classes, n_keep, other, err);
    if (st != MSP_OK) return st;

    int n_out = n_keep + (other != 0);
    msp_dncfg_copy(cfg, out_cfg);
    msp_dncfg_set_int(&out_cfg->sec[ol->section], ol->type == MSP_L_CONV ? "filters" : "output",
                      n_out);
    if ((st = msp_prune_surgery_rebuild(net, w, out_cfg, out_net, out_w, err)) != MSP_OK) return st;

    for (int i = 0; i < net->n_layers; i++) {
        const msp_prune_layer_w *a = &w->layers[i];
        const msp_prune_layer_w *b = &out_w->layers[i];
        if (i == o) continue;
        MSP_ASSERT(a->n_biases == b->n_biases && a->n_bn == b->n_bn &&
                   a->n_weights == b->n_weights);
        copy_arr(b->biases, a->biases, a->n_biases);
        copy_arr(b->scales, a->scales, a->n_bn);
        copy_arr(b->rolling_mean, a->rolling_mean, a->n_bn);
        copy_arr(b->rolling_variance, a->rolling_variance, a->n_bn);
        copy_arr(b->weights, a->weights, a->n_weights);
    }

    const msp_prune_layer_w *a = &w->layers[o];
    const msp_prune_layer_w *b = &out_w->layers[o];
    size_t per = a->n_weights / (size_t)ol->filters;
    MSP_ASSERT(b->n_weights == per * (size_t)n_out && b->n_biases == (size_t)n_out);
    for (int j = 0; j < n_keep; j++) {
        int c = classes[j];
        b->biases[j] = a->biases[c];
        if (a->n_bn) {
            b->scales[j] = a->scales[c];
            b->rolling_mean[j] = a->rolling_mean[c];
            b->rolling_variance[j] = a->rolling_variance[c];
        }
        copy_arr(b->weights + (size_t)j * per, a->weights + (size_t)c * per, per);
    }
    if (other) {
        /* Mean of the dropped classes' effective (batch-norm folded) rows. */
        unsigned char *kept = msp_calloc((size_t)ol->filters, 1);
        for (int j = 0; j < n_keep; j++) kept[classes[j]] = 1;
        double *row = msp_calloc(per ? per : 1, sizeof(double));
        double bias = 0;
        int m = 0;
        for (int c = 0; c < ol->filters; c++) {
            if (kept[c]) continue;
            double g = 1, shift = 0;
            if (a->n_bn) {
                /* Darknet's inference normalisation: (x - mean) / (sqrt(var) + 1e-6). */
                g = a->scales[c] / (sqrt(a->rolling_variance[c]) + .000001);
                shift = -g * a->rolling_mean[c];
            }
            for (size_t k = 0; k < per; k++) row[k] += g * a->weights[(size_t)c * per + k];
            bias += a->biases[c] + shift;
            m++;
        }
        MSP_ASSERT(m > 0);
        float *dst = b->weights + (size_t)n_keep * per;
        for (size_t k = 0; k < per; k++) dst[k] = (float)(row[k] / m);
        b->biases[n_keep] = (float)(bias / m + log((double)m));
        if (a->n_bn) {
            b->scales[n_keep] = 1;
            b->rolling_mean[n_keep] = 0;
            b->rolling_variance[n_keep] = 1;
        }
        free(row);
        free(kept);
    }
    return MSP_OK;
}
