/* premodel_select.c: feature selection for a premodel kind: a correlation
 * filter, permutation importance on a stratified validation split (chosen
 * over CART gini importance because it measures what the chosen kind itself
 * loses, for every kind), then the shortest importance-ranked prefix that
 * holds validation accuracy. Costs about (2 * features + 1) trainings. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "premodel_internal.h"
#include "base/base.h"

void msp_premodel_fsel_default(msp_premodel_fsel *f)
{
    f->max_corr = 0.95;
    f->tolerance = 0.005;
    f->val_folds = 4;
    f->seed = 1;
}

/* Accuracy of pm on rows x (cnt x d) with labels y. */
static double accuracy(const msp_premodel *pm, const float *x, const int *y, int cnt, int d)
{
    int hits = 0;
    for (int i = 0; i < cnt; i++) hits += msp_premodel_predict(pm, x + (size_t)i * d, NULL) == y[i];
    return cnt ? (double)hits / cnt : 0;
}

/* Columns surviving the correlation filter, in column order; returns count. */
static int corr_filter(const msp_premodel_data *t, double max_corr, int *keep)
{
    int n = t->n, d = t->d, nk = 0;
    double *mu = msp_calloc((size_t)d, sizeof(double)), *sd = msp_calloc((size_t)d, sizeof(double));
    for (int j = 0; j < d; j++) {
        for (int i = 0; i < n; i++) mu[j] += t->x[(size_t)i * d + j];
        mu[j] /= n;
        for (int i = 0; i < n; i++) {
            double v = t->x[(size_t)i * d + j] - mu[j];
            sd[j] += v * v;
        }
        sd[j] = sqrt(sd[j] / n);
    }
    for (int j = 0; j < d; j++) {
        if (!(sd[j] > 1e-12 * (fabs(mu[j]) + 1))) continue; /* constant: no information */
        int drop = 0;
        for (int q = 0; q < nk && !drop; q++) {
            int i = keep[q];
            double c = 0;
            for (int r = 0; r < n; r++)
                c += (t->x[(size_t)r * d + i] - mu[i]) * (t->x[(size_t)r * d + j] - mu[j]);
            drop = fabs(c / n / (sd[i] * sd[j])) > max_corr;
        }
        if (!drop) keep[nk++] = j;
    }
    free(mu);
    free(sd);
    return nk;
}

msp_status msp_premodel_select_features(msp_premodel_kind kind, const msp_premodel_params *p,
                                        const msp_premodel_data *data,
                                        const msp_premodel_fsel *fs, int *kept, int *nkept,
                                        double *acc_all, double *acc_kept, double *importance,
                                        msp_err *err)
{
    *nkept = 0;
    if (acc_all) *acc_all = 0;
    if (acc_kept) *acc_kept = 0;
    msp_status st = msp_premodel_params_check(kind, p, err);
    if (st != MSP_OK) return st;
    if (!(fs->max_corr > 0 && fs->max_corr <= 1))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "feature selection: correlation limit %g is out of range (0, 1]",
                           fs->max_corr);
    if (!(fs->tolerance >= 0 && fs->tolerance <= 1))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "feature selection: tolerance %g is out of range [0, 1] (a fraction: "
                           "0.005 is half a point)", fs->tolerance);
    st = msp_premodel_check_data(kind, data, NULL, 0, err);
    if (st != MSP_OK) return st;
    msp_premodel *pm = NULL;
    int n = data->n, d = data->d;
    int *fold = msp_malloc(sizeof(int) * (size_t)n);
    st = msp_premodel_folds(data->label, n, data->m, fs->val_folds, fs->seed, fold, err);
    if (st != MSP_OK) {
        free(fold);
        return st;
    }
    if (importance)
        for (int j = 0; j < d; j++) importance[j] = 0;

    int *surv = msp_malloc(sizeof(int) * (size_t)d);
    int ns = corr_filter(data, fs->max_corr, surv);
    int *tr = msp_malloc(sizeof(int) * (size_t)n), *va = msp_malloc(sizeof(int) * (size_t)n);
    int nt = 0, nv = 0;
    for (int i = 0; i < n; i++)
        if (fold[i] == 0) va[nv++] = i;
        else tr[nt++] = i;
    msp_premodel_subset strain, sval;
    msp_premodel_subset_make(data, tr, nt, &strain);
    msp_premodel_subset_make(data, va, nv, &sval);
    double *imp = msp_calloc((size_t)d, sizeof(double));
    float *xp = msp_malloc(sizeof(float) * (size_t)nv * d);
    int *perm = msp_malloc(sizeof(int) * (size_t)nv);
    double a_all = 0, a_kept = 0;
    int nk = 0;
    if (ns == 0) {
        st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                         "feature selection: every feature is constant; the premodel has nothing "
                         "to learn from");
        goto out;
    }
    st = msp_premodel_train(kind, p, &strain.data, surv, ns, &pm, err);
    if (st != MSP_OK) goto out;
    a_all = accuracy(pm, sval.x, sval.label, nv, d);
    msp_rng rng;
    msp_rng_seed(&rng, fs->seed ^ 0x5eed5e1ec7ULL);
    for (int q = 0; q < ns; q++) {
        int j = surv[q];
        memcpy(xp, sval.x, sizeof(float) * (size_t)nv * d);
        for (int i = 0; i < nv; i++) perm[i] = i;
        msp_rng_shuffle(&rng, perm, nv);
        for (int i = 0; i < nv; i++) xp[(size_t)i * d + j] = sval.x[(size_t)perm[i] * d + j];
        imp[j] = a_all - accuracy(pm, xp, sval.label, nv, d);
    }
    msp_premodel_free(pm);
    pm = NULL;
    /* Rank survivors: importance descending, ties to the lower column. */
    for (int a = 1; a < ns; a++)
        for (int b = a; b > 0 && imp[surv[b]] > imp[surv[b - 1]]; b--) {
            int t = surv[b];
            surv[b] = surv[b - 1];
            surv[b - 1] = t;
        }
    for (nk = 1; nk <= ns; nk++) {
        st = msp_premodel_train(kind, p, &strain.data, surv, nk, &pm, err);
        if (st != MSP_OK) goto out;
        a_kept = accuracy(pm, sval.x, sval.label, nv, d);
        msp_premodel_free(pm);
        pm = NULL;
        if (a_kept >= a_all - fs->tolerance - 1e-12 || nk == ns) break;
    }
    memcpy(kept, surv, sizeof(int) * (size_t)nk);
    *nkept = nk;
    if (acc_all) *acc_all = a_all;
    if (acc_kept) *acc_kept = a_kept;
    if (importance) memcpy(importance, imp, sizeof(double) * (size_t)d);
out:
    msp_premodel_free(pm);
    msp_premodel_subset_free(&strain);
    msp_premodel_subset_free(&sval);
    free(fold);
    free(surv);
    free(tr);
    free(va);
    free(imp);
    free(xp);
    free(perm);
    return st;
}
