/* premodel.c: premodel kinds and params, training-data checks, and dispatch
 * of prediction to the kinds (training: premodel_train.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "premodel_internal.h"
#include "base/base.h"

static const char *const KIND_NAMES[] = {"knn",         "knn-chain", "dtree",
                                         "naive-bayes", "logistic",  "gate-cnn",
                                         "cascade",     NULL};

const char *msp_premodel_kind_name(msp_premodel_kind kind)
{
    return (unsigned)kind < MSP_PREMODEL_KIND_COUNT ? KIND_NAMES[kind] : "unknown";
}

msp_status msp_premodel_kind_parse(const char *s, msp_premodel_kind *kind, msp_err *err)
{
    for (int i = 0; KIND_NAMES[i]; i++)
        if (strcmp(s, KIND_NAMES[i]) == 0) {
            *kind = (msp_premodel_kind)i;
            return MSP_OK;
        }
    const char *near = msp_nearest(s, KIND_NAMES);
    if (near)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "unknown premodel '%s' (did you mean '%s'?); choose knn, knn-chain, "
                           "dtree, naive-bayes, logistic, gate-cnn or cascade", s, near);
    return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                       "unknown premodel '%s'; choose knn, knn-chain, dtree, naive-bayes, "
                       "logistic, gate-cnn or cascade", s);
}

void msp_premodel_params_default(msp_premodel_params *p)
{
    memset(p, 0, sizeof *p);
    p->k = 5;
    p->weighting = MSP_KNN_DISTANCE;
    p->condense = 2;
    p->max_depth = 8;
    p->min_leaf = 2;
    p->epochs = 200;
    p->batch = 0;
    p->var_floor = 1e-3;
    p->l2 = 1e-3;
    p->lr = 0.5;
    p->gate_epochs = 30;
    p->gate_batch = 32;
    p->gate_lr = 0.05;
    p->seed = 1;
    p->start = -1;
}

msp_status msp_premodel_params_check(msp_premodel_kind kind, const msp_premodel_params *p,
                                     msp_err *err)
{
    const char *kn = msp_premodel_kind_name(kind);
    switch (kind) {
    case MSP_PREMODEL_KNN:
    case MSP_PREMODEL_KNN_CHAIN:
        if (p->k < 1 || p->k > MSP_PREMODEL_MAX_K)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "%s: k = %d is out of range; use 1 to %d neighbours", kn, p->k,
                               MSP_PREMODEL_MAX_K);
        if (p->weighting != MSP_KNN_UNIFORM && p->weighting != MSP_KNN_DISTANCE)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "%s: weighting %d is unknown; use 0 (uniform) or 1 (distance)",
                               kn, p->weighting);
        if (p->condense < 0 || p->condense > 2)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "%s: condense must be 0 (none), 1 (Hart) or 2 (Wilson + Hart), "
                               "not %d", kn, p->condense);
        return MSP_OK;
    case MSP_PREMODEL_DTREE:
        if (p->max_depth < 1 || p->max_depth > MSP_PREMODEL_MAX_DEPTH)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "dtree: max depth %d is out of range; use 1 to %d", p->max_depth,
                               MSP_PREMODEL_MAX_DEPTH);
        if (p->min_leaf < 1 || p->min_leaf > MSP_PREMODEL_MAX_N)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "dtree: min leaf %d is out of range; use at least 1", p->min_leaf);
        return MSP_OK;
    case MSP_PREMODEL_BAYES:
        if (!(p->var_floor > 0 && p->var_floor <= 1e6))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "naive-bayes: variance floor %g is out of range; use a value in "
                               "(0, 1e6], e.g. 1e-3", p->var_floor);
        return MSP_OK;
    case MSP_PREMODEL_LOGISTIC:
        if (p->epochs < 1 || p->epochs > MSP_PREMODEL_MAX_EPOCHS)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "logistic: epochs %d is out of range; use 1 to %d", p->epochs,
                               MSP_PREMODEL_MAX_EPOCHS);
        if (p->batch < 0 || p->batch > MSP_PREMODEL_MAX_N)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "logistic: batch %d is out of range; use 0 (full batch) or a "
                               "positive size", p->batch);
        if (!(p->l2 >= 0 && p->l2 <= 1e6))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "logistic: L2 %g is out of range; use a value in [0, 1e6]", p->l2);
        if (!(p->lr > 0 && p->lr <= 1e6))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "logistic: learning rate %g is out of range; use a value in "
                               "(0, 1e6]", p->lr);
        return MSP_OK;
    case MSP_PREMODEL_CASCADE:
        if (p->start < -1 || p->start >= MSP_PREMODEL_MAX_NETS)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "cascade: start network %d is out of range; use -1 (the most "
                               "frequent label) or 0 to %d", p->start, MSP_PREMODEL_MAX_NETS - 1);
        return MSP_OK;
    case MSP_PREMODEL_GATE_CNN:
        if (p->gate_epochs < 1 || p->gate_epochs > MSP_PREMODEL_MAX_GATE_EPOCHS)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "gate-cnn: epochs %d is out of range; use 1 to %d", p->gate_epochs,
                               MSP_PREMODEL_MAX_GATE_EPOCHS);
        if (p->gate_batch < 1 || p->gate_batch > MSP_PREMODEL_MAX_GATE_BATCH)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "gate-cnn: batch %d is out of range; use 1 to %d", p->gate_batch,
                               MSP_PREMODEL_MAX_GATE_BATCH);
        if (!(p->gate_lr > 0 && p->gate_lr <= 10))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "gate-cnn: learning rate %g is out of range; use a value in (0, 10]",
                               p->gate_lr);
        return MSP_OK;
    default:
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "unknown premodel kind %d", (int)kind);
    }
}

msp_status msp_premodel_check_data(msp_premodel_kind kind, const msp_premodel_data *t,
                                   const int *feat, int nfeat, msp_err *err)
{
    if (t->n < 1 || t->n > MSP_PREMODEL_MAX_N)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "premodel data: %d inputs is out of range; need 1 to %d", t->n,
                           MSP_PREMODEL_MAX_N);
    int min_d = kind == MSP_PREMODEL_CASCADE ? 0 : 1; /* a cascade reads no features */
    if (t->d < min_d || t->d > MSP_PREMODEL_MAX_DIM)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "premodel data: %d features is out of range; need %d to %d", t->d,
                           min_d, MSP_PREMODEL_MAX_DIM);
    if (t->m < 1 || t->m > MSP_PREMODEL_MAX_NETS)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "premodel data: %d networks is out of range; need 1 to %d", t->m,
                           MSP_PREMODEL_MAX_NETS);
    if ((uint64_t)t->n * (uint64_t)t->d > MSP_PREMODEL_MAX_VALUES)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "premodel data: %d x %d features is too large", t->n, t->d);
    if (!t->x || !t->label)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "premodel data: features or labels missing");
    if (kind == MSP_PREMODEL_KNN_CHAIN && !t->ok)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "knn-chain needs to know which networks are correct on each input "
                           "(data.ok)");
    for (int i = 0; i < t->n; i++)
        if (t->label[i] < 0 || t->label[i] >= t->m)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "premodel data: input %d has label %d; labels are networks 0 to %d",
                               i, t->label[i], t->m - 1);
    for (size_t i = 0; i < (size_t)t->n * (size_t)t->d; i++)
        if (!isfinite(t->x[i]))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "premodel data: feature %zu of input %zu is not finite",
                               i % (size_t)t->d, i / (size_t)t->d);
    if (t->cost)
        for (int j = 0; j < t->m; j++)
            if (!(t->cost[j] >= 0) || !isfinite(t->cost[j]))
                return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                   "premodel data: network %d has cost %g; costs are finite "
                                   "milliseconds >= 0", j, t->cost[j]);
    if (kind == MSP_PREMODEL_GATE_CNN && (feat ? nfeat : t->d) != MSP_PREMODEL_GATE_INPUTS)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "gate-cnn reads the %d columns of the pixels feature group (a %dx%d "
                           "grid), not %d columns", MSP_PREMODEL_GATE_INPUTS,
                           MSP_FEATURES_PIXELS_GRID, MSP_FEATURES_PIXELS_GRID,
                           feat ? nfeat : t->d);
    if (feat) {
        if (nfeat < min_d || nfeat > t->d)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "premodel: %d selected features; need %d to %d", nfeat, min_d,
                               t->d);
        for (int i = 0; i < nfeat; i++) {
            if (feat[i] < 0 || feat[i] >= t->d)
                return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                   "premodel: selected feature %d is not a column (0 to %d)",
                                   feat[i], t->d - 1);
            for (int j = 0; j < i; j++)
                if (feat[j] == feat[i])
                    return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                       "premodel: feature %d is selected twice", feat[i]);
        }
    }
    return MSP_OK;
}

msp_premodel *msp_premodel_alloc(void) { return msp_calloc(1, sizeof(msp_premodel)); }

int msp_premodel_predict(const msp_premodel *pm, const float *x, double *confidence)
{
    float z[MSP_PREMODEL_MAX_DIM];
    for (int j = 0; j < pm->d; j++) z[j] = (x[pm->feat[j]] - pm->mean[j]) / pm->sd[j];
    double conf = 0, votes[MSP_PREMODEL_MAX_NETS];
    int c = 0;
    switch (pm->kind) {
    case MSP_PREMODEL_KNN:
        c = msp_knn_vote(&pm->knn, pm->d, pm->m, pm->p.k, pm->p.weighting, z, votes);
        {
            double tot = 0;
            for (int j = 0; j < pm->m; j++) tot += votes[j];
            conf = tot > 0 ? votes[c] / tot : 0;
        }
        break;
    case MSP_PREMODEL_KNN_CHAIN: c = msp_chain_predict(pm, z, &conf); break;
    case MSP_PREMODEL_DTREE: c = msp_dtree_predict(pm, z, &conf); break;
    case MSP_PREMODEL_BAYES: c = msp_bayes_predict(pm, z, &conf); break;
    case MSP_PREMODEL_LOGISTIC: c = msp_logistic_predict(pm, z, &conf); break;
    case MSP_PREMODEL_CASCADE: c = pm->start, conf = 1; break;
    case MSP_PREMODEL_GATE_CNN: c = msp_gate_net_predict(pm->gate, z, &conf); break;
    default: MSP_ASSERT(!"trained or loaded models have a valid kind");
    }
    if (c < 0 || c >= pm->m) c = 0;
    if (!(conf >= 0)) conf = 0;
    if (conf > 1) conf = 1;
    if (confidence) *confidence = conf;
    return c;
}

void msp_knn_set_free(msp_knn_set *s)
{
    free(s->x);
    free(s->y);
    memset(s, 0, sizeof *s);
}

void msp_premodel_free(msp_premodel *pm)
{
    if (!pm) return;
    free(pm->feat);
    free(pm->mean);
    free(pm->sd);
    msp_knn_set_free(&pm->knn);
    if (pm->chain)
        for (int j = 0; j + 1 < pm->m; j++) msp_knn_set_free(&pm->chain[j]);
    free(pm->chain);
    free(pm->order);
    free(pm->nodes);
    free(pm->node_prob);
    free(pm->log_prior);
    free(pm->nb_mean);
    free(pm->nb_var);
    free(pm->nb_lognorm);
    free(pm->w);
    free(pm->b);
    msp_gate_net_free(pm->gate);
    free(pm);
}

msp_premodel_kind msp_premodel_get_kind(const msp_premodel *pm) { return pm->kind; }

void msp_premodel_dims(const msp_premodel *pm, int *d_in, int *d, int *m)
{
    if (d_in) *d_in = pm->d_in;
    if (d) *d = pm->d;
    if (m) *m = pm->m;
}

msp_fset msp_premodel_groups(const msp_premodel *pm, msp_fset all)
{
    msp_fset used = 0;
    for (int k = 0; k < pm->d; k++) used |= MSP_FSET(msp_features_column_group(all, pm->feat[k]));
    return used & MSP_FSET_EVERY;
}

msp_fset msp_premodel_input_set(msp_premodel_kind kind, msp_fset configured)
{
    return kind == MSP_PREMODEL_GATE_CNN ? MSP_FSET(MSP_FGROUP_PIXELS) : configured;
}

long msp_premodel_ref_count(const msp_premodel *pm)
{
    if (pm->kind == MSP_PREMODEL_KNN) return pm->knn.n;
    long s = 0;
    if (pm->kind == MSP_PREMODEL_KNN_CHAIN)
        for (int j = 0; j + 1 < pm->m; j++) s += pm->chain[j].n;
    return s;
}
