/* premodel_cv.c: stratified k-fold cross-validation of a premodel kind, and
 * the row-subset helper it shares with feature selection. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "premodel_internal.h"
#include "base/base.h"

void msp_premodel_subset_make(const msp_premodel_data *src, const int *idx, int cnt,
                              msp_premodel_subset *out)
{
    int d = src->d, m = src->m;
    memset(out, 0, sizeof *out);
    out->x = msp_malloc(sizeof(float) * (size_t)cnt * d);
    out->label = msp_malloc(sizeof(int) * (size_t)cnt);
    if (src->ok) out->ok = msp_malloc((size_t)cnt * m);
    for (int r = 0; r < cnt; r++) {
        memcpy(out->x + (size_t)r * d, src->x + (size_t)idx[r] * d, sizeof(float) * (size_t)d);
        out->label[r] = src->label[idx[r]];
        if (src->ok) memcpy(out->ok + (size_t)r * m, src->ok + (size_t)idx[r] * m, (size_t)m);
    }
    out->data = (msp_premodel_data){cnt, d, m, out->x, out->label, out->ok, src->cost};
}

void msp_premodel_subset_free(msp_premodel_subset *s)
{
    free(s->x);
    free(s->label);
    free(s->ok);
    memset(s, 0, sizeof *s);
}

msp_status msp_premodel_folds(const int *label, int n, int m, int folds, uint64_t seed,
                              int *fold, msp_err *err)
{
    if (n < 2 || n > MSP_PREMODEL_MAX_N)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "cross-validation needs 2 to %d inputs, not %d", MSP_PREMODEL_MAX_N, n);
    if (m < 1 || m > MSP_PREMODEL_MAX_NETS)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "%d networks is out of range (1 to %d)",
                           m, MSP_PREMODEL_MAX_NETS);
    int maxf = n < MSP_PREMODEL_MAX_FOLDS ? n : MSP_PREMODEL_MAX_FOLDS;
    if (folds < 2 || folds > maxf)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "%d folds is out of range; use 2 to %d for %d inputs", folds, maxf, n);
    for (int i = 0; i < n; i++)
        if (label[i] < 0 || label[i] >= m)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "input %d has label %d; labels are networks 0 to %d", i, label[i],
                               m - 1);
    msp_rng rng;
    msp_rng_seed(&rng, seed);
    int *idx = msp_malloc(sizeof(int) * (size_t)n);
    int next = 0;
    for (int c = 0; c < m; c++) {
        int cnt = 0;
        for (int i = 0; i < n; i++)
            if (label[i] == c) idx[cnt++] = i;
        msp_rng_shuffle(&rng, idx, cnt);
        for (int r = 0; r < cnt; r++) fold[idx[r]] = next++ % folds;
    }
    free(idx);
    return MSP_OK;
}

msp_status msp_premodel_cv(msp_premodel_kind kind, const msp_premodel_params *p,
                           const msp_premodel_data *data, int folds, uint64_t seed,
                           msp_premodel_cv_result *res, int *oof, msp_err *err)
{
    memset(res, 0, sizeof *res);
    msp_status st = msp_premodel_params_check(kind, p, err);
    if (st == MSP_OK) st = msp_premodel_check_data(kind, data, NULL, 0, err);
    if (st != MSP_OK) return st;
    int n = data->n;
    int *fold = msp_malloc(sizeof(int) * (size_t)n);
    st = msp_premodel_folds(data->label, n, data->m, folds, seed, fold, err);
    if (st != MSP_OK) {
        free(fold);
        return st;
    }
    int *tr = msp_malloc(sizeof(int) * (size_t)n);
    long ok_hits = 0;
    double cost_sum = 0, sum = 0;
    for (int f = 0; f < folds && st == MSP_OK; f++) {
        int nt = 0;
        for (int i = 0; i < n; i++)
            if (fold[i] != f) tr[nt++] = i;
        msp_premodel_subset sub;
        msp_premodel_subset_make(data, tr, nt, &sub);
        msp_premodel *pm = NULL;
        st = msp_premodel_train(kind, p, &sub.data, NULL, 0, &pm, err);
        msp_premodel_subset_free(&sub);
        if (st != MSP_OK) break;
        int hits = 0, cnt = 0;
        for (int i = 0; i < n; i++) {
            if (fold[i] != f) continue;
            int c = msp_premodel_predict(pm, data->x + (size_t)i * data->d, NULL);
            if (oof) oof[i] = c;
            cnt++;
            hits += c == data->label[i];
            if (data->ok) ok_hits += data->ok[(size_t)i * data->m + c] != 0;
            if (data->cost) cost_sum += data->cost[c];
        }
        msp_premodel_free(pm);
        res->acc[f] = (double)hits / cnt;
        sum += res->acc[f];
    }
    free(fold);
    free(tr);
    if (st != MSP_OK) {
        memset(res, 0, sizeof *res);
        return st;
    }
    res->folds = folds;
    res->acc_mean = sum / folds;
    double v = 0;
    for (int f = 0; f < folds; f++) v += (res->acc[f] - res->acc_mean) * (res->acc[f] - res->acc_mean);
    res->acc_std = sqrt(v / folds);
    res->ok_rate = data->ok ? (double)ok_hits / n : -1;
    res->mean_cost = data->cost ? cost_sum / n : -1;
    return MSP_OK;
}
