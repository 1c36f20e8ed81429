/* premodel_train.c: msp_premodel_train: checks, z-score standardisation of
 * the used columns, and dispatch to the kinds' trainers. Kept apart from
 * premodel.c (prediction, file-independent helpers) because gate-cnn's
 * trainer needs Darknet, and what only loads and predicts (the premodel
 * file's fuzz harness) must link without it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "premodel_internal.h"

/* The most frequent label (ties: the lowest network). */
static int majority(const msp_premodel_data *data)
{
    int64_t count[MSP_PREMODEL_MAX_NETS] = {0};
    for (int i = 0; i < data->n; i++) count[data->label[i]]++;
    int best = 0;
    for (int j = 1; j < data->m; j++)
        if (count[j] > count[best]) best = j;
    return best;
}

msp_status msp_premodel_train(msp_premodel_kind kind, const msp_premodel_params *p,
                              const msp_premodel_data *data, const int *feat, int nfeat,
                              msp_premodel **out, msp_err *err)
{
    *out = NULL;
    msp_status st = msp_premodel_params_check(kind, p, err);
    if (st == MSP_OK) st = msp_premodel_check_data(kind, data, feat, nfeat, err);
    if (st == MSP_OK && kind == MSP_PREMODEL_CASCADE && p->start >= data->m)
        st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                         "cascade: start network %d is not one of the %d networks", p->start,
                         data->m);
    if (st != MSP_OK) return st;

    msp_premodel *pm = msp_premodel_alloc();
    pm->kind = kind;
    pm->p = *p;
    pm->d_in = data->d;
    pm->m = data->m;
    pm->d = kind == MSP_PREMODEL_CASCADE ? 0 : feat ? nfeat : data->d;
    int n = data->n, d = pm->d;
    pm->feat = msp_malloc(sizeof(int) * (size_t)d);
    for (int j = 0; j < d; j++) pm->feat[j] = feat ? feat[j] : j;

    /* Standardise in double: mean, then population sd (two passes). */
    pm->mean = msp_malloc(sizeof(float) * (size_t)d);
    pm->sd = msp_malloc(sizeof(float) * (size_t)d);
    for (int j = 0; j < d; j++) {
        int c = pm->feat[j];
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) s += data->x[(size_t)i * data->d + c];
        double mu = s / n;
        for (int i = 0; i < n; i++) {
            double v = data->x[(size_t)i * data->d + c] - mu;
            s2 += v * v;
        }
        double sd = sqrt(s2 / n);
        pm->mean[j] = (float)mu;
        pm->sd[j] = sd > 1e-12 * (fabs(mu) + 1) && isfinite(sd) ? (float)sd : 1.0f;
    }
    float *z = msp_malloc(sizeof(float) * (size_t)n * (size_t)d);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            z[(size_t)i * d + j] = (data->x[(size_t)i * data->d + pm->feat[j]] - pm->mean[j]) / pm->sd[j];

    msp_premodel_train_set t = {n, d, pm->m, z, data->label, data->ok};
    switch (kind) {
    case MSP_PREMODEL_KNN: msp_knn_train(z, data->label, n, d, p->condense, &pm->knn); break;
    case MSP_PREMODEL_KNN_CHAIN: msp_chain_train(pm, &t, data->cost); break;
    case MSP_PREMODEL_DTREE: msp_dtree_train(pm, &t); break;
    case MSP_PREMODEL_BAYES: msp_bayes_train(pm, &t); break;
    case MSP_PREMODEL_LOGISTIC: msp_logistic_train(pm, &t); break;
    case MSP_PREMODEL_GATE_CNN: st = msp_gate_train(pm, &t, err); break;
    case MSP_PREMODEL_CASCADE: pm->start = p->start >= 0 ? p->start : majority(data); break;
    default: MSP_ASSERT(!"kind checked above");
    }
    free(z);
    if (st != MSP_OK) {
        msp_premodel_free(pm);
        return st;
    }
    *out = pm;
    return MSP_OK;
}
