/* premodel_bayes.c: Gaussian naive Bayes over standardised features:
 * per class the prior (count / n), and per feature the mean and population
 * variance, floored at params.var_floor so a feature constant within a
 * class does not give an infinite density. A class without training inputs
 * has prior 0 and is never predicted. */
#include <math.h>
#include <stdlib.h>

#include "premodel_internal.h"

void msp_bayes_train(msp_premodel *pm, const msp_premodel_train_set *t)
{
    int m = t->m, d = t->d;
    double *cnt = msp_calloc((size_t)m, sizeof(double));
    double *s = msp_calloc((size_t)m * (size_t)d, sizeof(double));
    double *s2 = msp_calloc((size_t)m * (size_t)d, sizeof(double));
    for (int i = 0; i < t->n; i++) {
        int c = t->y[i];
        cnt[c] += 1;
        for (int j = 0; j < d; j++) s[(size_t)c * d + j] += t->z[(size_t)i * d + j];
    }
    for (size_t q = 0; q < (size_t)m * d; q++)
        if (cnt[q / d] > 0) s[q] /= cnt[q / d];
    for (int i = 0; i < t->n; i++) { /* second pass: squared deviations */
        int c = t->y[i];
        for (int j = 0; j < d; j++) {
            double v = t->z[(size_t)i * d + j] - s[(size_t)c * d + j];
            s2[(size_t)c * d + j] += v * v;
        }
    }
    pm->log_prior = msp_malloc(sizeof(double) * (size_t)m);
    pm->nb_mean = msp_malloc(sizeof(float) * (size_t)m * d);
    pm->nb_var = msp_malloc(sizeof(float) * (size_t)m * d);
    for (int c = 0; c < m; c++) {
        pm->log_prior[c] = cnt[c] > 0 ? log(cnt[c] / t->n) : -INFINITY;
        for (int j = 0; j < d; j++) {
            size_t q = (size_t)c * d + j;
            double var = cnt[c] > 0 ? s2[q] / cnt[c] : 1;
            if (var < pm->p.var_floor) var = pm->p.var_floor;
            pm->nb_mean[q] = (float)s[q];
            pm->nb_var[q] = (float)var;
        }
    }
    free(cnt);
    free(s);
    free(s2);
    msp_bayes_prepare(pm);
}

void msp_bayes_prepare(msp_premodel *pm)
{
    free(pm->nb_lognorm);
    pm->nb_lognorm = msp_malloc(sizeof(double) * (size_t)pm->m);
    for (int c = 0; c < pm->m; c++) {
        double s = 0;
        for (int j = 0; j < pm->d; j++) s += log(2 * M_PI * pm->nb_var[(size_t)c * pm->d + j]);
        pm->nb_lognorm[c] = s;
    }
}

int msp_bayes_predict(const msp_premodel *pm, const float *z, double *conf)
{
    int m = pm->m, d = pm->d, best = -1;
    double lp[MSP_PREMODEL_MAX_NETS];
    for (int c = 0; c < m; c++) {
        lp[c] = pm->log_prior[c];
        if (lp[c] == -INFINITY) continue;
        double q2 = 0;
        for (int j = 0; j < d; j++) {
            size_t q = (size_t)c * d + j;
            double v = z[j] - pm->nb_mean[q];
            q2 += v * v / pm->nb_var[q];
        }
        lp[c] -= 0.5 * (pm->nb_lognorm[c] + q2);
        if (best < 0 || lp[c] > lp[best]) best = c;
    }
    if (best < 0) best = 0; /* cannot happen with n >= 1; keeps NaN input safe */
    double tot = 0;
    for (int c = 0; c < m; c++)
        if (lp[c] != -INFINITY) tot += exp(lp[c] - lp[best]);
    *conf = 1.0 / tot;
    return best;
}
