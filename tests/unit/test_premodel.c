/* test_premodel.c: the selector/ room's premodels: every kind on separable
 * data, knn against a brute-force reference, Hart condensing, CART on XOR,
 * naive-Bayes statistics, the softmax gradient by finite differences,
 * knn-chain order, stratified folds and cross-validation, feature selection,
 * parameter and data checks. File round trips and corrupt files are in
 * test_premodel_io.c. All data come from seeded generators. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "selector/premodel.h"
#include "selector/premodel_internal.h"

static const msp_premodel_kind KINDS[] = {MSP_PREMODEL_KNN, MSP_PREMODEL_KNN_CHAIN,
                                          MSP_PREMODEL_DTREE, MSP_PREMODEL_BAYES,
                                          MSP_PREMODEL_LOGISTIC};
#define NKINDS 5

/* Standard normal by Box-Muller. */
static double gauss(msp_rng *r)
{
    double u = msp_rng_uniform(r), v = msp_rng_uniform(r);
    return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

/* n inputs of d features in m well-separated blobs (centre of class c:
 * 10 * c on every feature, spread 0.5, plus an offset per feature so the
 * scales differ); ok[i][j] = j >= label (a nested family). */
typedef struct {
    msp_premodel_data data;
    float *x;
    int *label;
    uint8_t *ok;
} blobs;

static void make_blobs(blobs *b, int n, int d, int m, uint64_t seed)
{
    msp_rng r;
    msp_rng_seed(&r, seed);
    b->x = malloc(sizeof(float) * (size_t)n * d);
    b->label = malloc(sizeof(int) * (size_t)n);
    b->ok = malloc((size_t)n * m);
    for (int i = 0; i < n; i++) {
        int c = i % m;
        b->label[i] = c;
        for (int j = 0; j < d; j++) b->x[i * d + j] = (float)(10.0 * c * (j + 1) + 100 * j + 0.5 * gauss(&r));
        for (int k = 0; k < m; k++) b->ok[i * m + k] = k >= c;
    }
    b->data = (msp_premodel_data){n, d, m, b->x, b->label, b->ok, NULL};
}

static void free_blobs(blobs *b)
{
    free(b->x);
    free(b->label);
    free(b->ok);
}

static double train_acc(const msp_premodel *pm, const msp_premodel_data *t)
{
    int hits = 0;
    for (int i = 0; i < t->n; i++) hits += msp_premodel_predict(pm, t->x + i * t->d, NULL) == t->label[i];
    return (double)hits / t->n;
}

Test(premodel, every_kind_learns_separable_data)
{
    blobs tr, te;
    make_blobs(&tr, 150, 4, 3, 1);
    make_blobs(&te, 90, 4, 3, 2);
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_err err = {{0}};
    for (int q = 0; q < NKINDS; q++) {
        msp_premodel *pm = NULL;
        cr_assert_eq(msp_premodel_train(KINDS[q], &p, &tr.data, NULL, 0, &pm, &err), MSP_OK,
                     "%s: %s", msp_premodel_kind_name(KINDS[q]), err.msg);
        cr_assert_eq(train_acc(pm, &tr.data), 1.0, "%s train", msp_premodel_kind_name(KINDS[q]));
        cr_assert_eq(train_acc(pm, &te.data), 1.0, "%s test", msp_premodel_kind_name(KINDS[q]));
        double conf = -1;
        msp_premodel_predict(pm, te.x, &conf);
        cr_assert(conf > 0.5 && conf <= 1, "%s confidence %g", msp_premodel_kind_name(KINDS[q]), conf);
        int d_in, d, m;
        msp_premodel_dims(pm, &d_in, &d, &m);
        cr_assert(d_in == 4 && d == 4 && m == 3);
        cr_assert_eq(msp_premodel_get_kind(pm), KINDS[q]);
        msp_premodel_free(pm);
    }
    free_blobs(&tr);
    free_blobs(&te);
}

Test(premodel, feature_subset_uses_its_columns)
{
    /* Column 2 alone separates the classes; columns 0-1 are a decoy. */
    int n = 60;
    float x[60 * 3];
    int y[60];
    for (int i = 0; i < n; i++) {
        y[i] = i % 2;
        x[i * 3 + 0] = (float)(i % 7);
        x[i * 3 + 1] = (float)((i * 5) % 11);
        x[i * 3 + 2] = (float)(y[i] * 10 + (i % 3));
    }
    msp_premodel_data t = {n, 3, 2, x, y, NULL, NULL};
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    p.k = 1;
    msp_err err;
    msp_premodel *pm;
    int feat[1] = {2};
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &t, feat, 1, &pm, &err), MSP_OK, "%s", err.msg);
    int d_in, d;
    msp_premodel_dims(pm, &d_in, &d, NULL);
    cr_assert(d_in == 3 && d == 1);
    float q0[3] = {100, -50, 1}, q1[3] = {0, 0, 11};
    cr_assert_eq(msp_premodel_predict(pm, q0, NULL), 0);
    cr_assert_eq(msp_premodel_predict(pm, q1, NULL), 1);
    /* Only one point per distinct column-2 value-and-class is needed. */
    cr_assert_leq(msp_premodel_ref_count(pm), 6);
    msp_premodel_free(pm);
}

/* Brute-force knn over the full set: z-scores in double, exact sort. */
static int brute_knn(const float *x, const int *y, int n, int d, int m, int k, int weighting,
                     const float *q)
{
    double mu[8], sd[8];
    for (int j = 0; j < d; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) s += x[i * d + j];
        mu[j] = s / n;
        for (int i = 0; i < n; i++) s2 += (x[i * d + j] - mu[j]) * (x[i * d + j] - mu[j]);
        sd[j] = sqrt(s2 / n);
    }
    double *dist = malloc(sizeof(double) * n);
    int *used = calloc(n, sizeof(int));
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            double v = (x[i * d + j] - mu[j]) / sd[j] - (q[j] - mu[j]) / sd[j];
            s += v * v;
        }
        dist[i] = sqrt(s);
    }
    double votes[8] = {0};
    for (int r = 0; r < k; r++) {
        int b = -1;
        for (int i = 0; i < n; i++)
            if (!used[i] && (b < 0 || dist[i] < dist[b])) b = i;
        used[b] = 1;
        votes[y[b]] += weighting == MSP_KNN_DISTANCE ? 1 / (dist[b] + 1e-6) : 1;
    }
    int best = 0;
    for (int c = 1; c < m; c++)
        if (votes[c] > votes[best]) best = c;
    free(dist);
    free(used);
    return best;
}

Test(premodel, knn_equals_brute_force_without_condensing)
{
    int n = 300, d = 5, m = 4;
    msp_rng r;
    msp_rng_seed(&r, 7);
    float *x = malloc(sizeof(float) * n * d);
    int *y = malloc(sizeof(int) * n);
    for (int i = 0; i < n * d; i++) x[i] = (float)(gauss(&r) * (1 + i % d));
    for (int i = 0; i < n; i++) y[i] = (int)msp_rng_below(&r, m);
    msp_premodel_data t = {n, d, m, x, y, NULL, NULL};
    msp_err err;
    for (int w = 0; w < 2; w++)
        for (int k = 1; k <= 9; k += 4) {
            msp_premodel_params p;
            msp_premodel_params_default(&p);
            p.k = k;
            p.weighting = w;
            p.condense = 0;
            msp_premodel *pm;
            cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &t, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
            cr_assert_eq(msp_premodel_ref_count(pm), n);
            for (int s = 0; s < 200; s++) {
                float q[5];
                for (int j = 0; j < d; j++) q[j] = (float)(gauss(&r) * (1 + j));
                int want = brute_knn(x, y, n, d, m, k, w, q);
                cr_assert_eq(msp_premodel_predict(pm, q, NULL), want, "k %d w %d query %d", k, w, s);
            }
            msp_premodel_free(pm);
        }
    free(x);
    free(y);
}

static void overlapping(float *x, int *y, int n, int d, uint64_t seed)
{
    msp_rng r;
    msp_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        y[i] = i % 2;
        for (int j = 0; j < d; j++) x[i * d + j] = (float)(gauss(&r) + 2.0 * y[i]);
    }
}

Test(premodel, condensed_knn_classifies_its_training_set)
{
    /* Two overlapping classes: condensing keeps the boundary, not everything. */
    int n = 400, d = 3, m = 2;
    float *x = malloc(sizeof(float) * n * d);
    int *y = malloc(sizeof(int) * n);
    overlapping(x, y, n, d, 11);
    msp_premodel_data t = {n, d, m, x, y, NULL, NULL};
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    p.k = 1;
    p.condense = 1;
    msp_err err;
    msp_premodel *pm, *pm2;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &t, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
    long kept = msp_premodel_ref_count(pm);
    cr_assert(kept > 1 && kept < n / 2, "kept %ld of %d", kept, n);
    cr_assert_eq(train_acc(pm, &t), 1.0);
    /* Deterministic: the same set again. */
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &t, NULL, 0, &pm2, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_premodel_ref_count(pm2), kept);
    cr_assert_eq(memcmp(pm->knn.x, pm2->knn.x, sizeof(float) * kept * d), 0);
    msp_premodel_free(pm);
    msp_premodel_free(pm2);
    free(x);
    free(y);
}

Test(premodel, wilson_editing_shrinks_the_set_further)
{
    int n = 600, d = 3, m = 2;
    float *x = malloc(sizeof(float) * n * d), *xt = malloc(sizeof(float) * n * d);
    int *y = malloc(sizeof(int) * n), *yt = malloc(sizeof(int) * n);
    overlapping(x, y, n, d, 12);
    overlapping(xt, yt, n, d, 13);
    msp_premodel_data t = {n, d, m, x, y, NULL, NULL}, te = {n, d, m, xt, yt, NULL, NULL};
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    p.k = 1;
    msp_err err;
    double acc[3];
    long kept[3];
    for (int c = 0; c < 3; c++) {
        msp_premodel *pm;
        p.condense = c;
        cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &t, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
        kept[c] = msp_premodel_ref_count(pm);
        acc[c] = train_acc(pm, &te);
        msp_premodel_free(pm);
    }
    cr_assert_eq(kept[0], n);
    cr_assert(kept[2] < kept[1] / 2, "edited %ld, Hart alone %ld", kept[2], kept[1]);
    /* The classes overlap (Bayes error ~8%): editing removes the noise that
     * 1-NN otherwise copies, so held-out accuracy does not get worse. */
    cr_assert(acc[2] >= acc[1] && acc[2] >= acc[0], "accuracy all %g, Hart %g, edited %g", acc[0], acc[1], acc[2]);
    free(x);
    free(y);
    free(xt);
    free(yt);
}

/* XOR on a lattice: class = (a > 0) != (b > 0); the (-,-) quadrant is
 * larger so that the centre split is the best first split. */
static int xor_data(float *x, int *y)
{
    int n = 0;
    for (int a = -5; a <= 5; a++)
        for (int b = -5; b <= 5; b++) {
            if (a == 0 || b == 0) continue;
            if ((a > 0 || b > 0) && (a + b) % 3 == 0) continue; /* thin the other quadrants */
            x[2 * n] = (float)a;
            x[2 * n + 1] = (float)b;
            y[n++] = (a > 0) != (b > 0);
        }
    return n;
}

Test(premodel, dtree_xor)
{
    float x[2 * 121];
    int y[121];
    int n = xor_data(x, y);
    msp_premodel_data t = {n, 2, 2, x, y, NULL, NULL};
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    p.min_leaf = 1;
    msp_err err;
    msp_premodel *pm;
    p.max_depth = 1;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_DTREE, &p, &t, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
    cr_assert(train_acc(pm, &t) < 0.8, "one split cannot solve XOR: %g", train_acc(pm, &t));
    cr_assert_eq(pm->nnodes, 3);
    msp_premodel_free(pm);
    p.max_depth = 2;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_DTREE, &p, &t, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(train_acc(pm, &t), 1.0);
    cr_assert_eq(pm->nnodes, 7);
    /* The quadrant centres of fresh points, with confidence 1 (pure leaves). */
    float q[4][2] = {{-3, -3}, {3, -3}, {-3, 3}, {4, 4}};
    int want[4] = {0, 1, 1, 0};
    for (int i = 0; i < 4; i++) {
        double conf;
        cr_assert_eq(msp_premodel_predict(pm, q[i], &conf), want[i]);
        cr_assert_eq(conf, 1.0);
    }
    msp_premodel_free(pm);
    /* min_leaf larger than half the data: no split is allowed at all. */
    p.min_leaf = n;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_DTREE, &p, &t, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(pm->nnodes, 1);
    msp_premodel_free(pm);
}

Test(premodel, naive_bayes_exact_statistics)
{
    /* 2 features, 3 classes (class 2 has no inputs); feature 1 is constant
     * within class 1, so its variance is the floor. */
    float x[] = {1, 5, 2, 7, 4, 9, 10, 3, 12, 3, 11, 3, 13, 3};
    int y[] = {0, 0, 0, 1, 1, 1, 1};
    msp_premodel_data t = {7, 2, 3, x, y, NULL, NULL};
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    p.var_floor = 0.01;
    msp_err err;
    msp_premodel *pm;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_BAYES, &p, &t, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
    /* The model's own standardisation: mean and population sd. */
    double mu0 = 53.0 / 7, mu1 = 33.0 / 7, v0 = 0, v1 = 0;
    for (int i = 0; i < 7; i++) {
        v0 += (x[2 * i] - mu0) * (x[2 * i] - mu0);
        v1 += (x[2 * i + 1] - mu1) * (x[2 * i + 1] - mu1);
    }
    double sd0 = sqrt(v0 / 7), sd1 = sqrt(v1 / 7);
    cr_assert_float_eq(pm->mean[0], mu0, 1e-5);
    cr_assert_float_eq(pm->sd[1], sd1, 1e-5);
    /* Class 0, feature 0: raw values 1, 2, 4: mean 7/3, variance 14/9. */
    cr_assert_float_eq(pm->nb_mean[0], (7.0 / 3 - mu0) / sd0, 1e-5);
    cr_assert_float_eq(pm->nb_var[0], 14.0 / 9 / (sd0 * sd0), 1e-5);
    /* Class 0, feature 1: 5, 7, 9: mean 7, variance 8/3. */
    cr_assert_float_eq(pm->nb_mean[1], (7 - mu1) / sd1, 1e-5);
    cr_assert_float_eq(pm->nb_var[1], 8.0 / 3 / (sd1 * sd1), 1e-5);
    /* Class 1, feature 0: 10, 12, 11, 13: mean 11.5, variance 1.25. */
    cr_assert_float_eq(pm->nb_mean[2], (11.5 - mu0) / sd0, 1e-5);
    cr_assert_float_eq(pm->nb_var[2], 1.25 / (sd0 * sd0), 1e-5);
    cr_assert_float_eq(pm->nb_var[3], 0.01, 1e-7);
    cr_assert_float_eq(pm->log_prior[0], log(3.0 / 7), 1e-12);
    cr_assert_float_eq(pm->log_prior[1], log(4.0 / 7), 1e-12);
    cr_assert(isinf(pm->log_prior[2]) && pm->log_prior[2] < 0);
    float q[2] = {2, 6};
    double conf;
    cr_assert_eq(msp_premodel_predict(pm, q, &conf), 0);
    cr_assert(conf > 0.99 && conf <= 1);
    msp_premodel_free(pm);
}

Test(premodel, logistic_gradient_matches_finite_differences)
{
    int n = 25, d = 4, m = 3;
    msp_rng r;
    msp_rng_seed(&r, 3);
    float z[100];
    int y[25];
    double w[12], b[3], gw[12], gb[3];
    for (int i = 0; i < n * d; i++) z[i] = (float)gauss(&r);
    for (int i = 0; i < n; i++) y[i] = (int)msp_rng_below(&r, m);
    for (int i = 0; i < m * d; i++) w[i] = gauss(&r);
    for (int c = 0; c < m; c++) b[c] = gauss(&r);
    double l2 = 0.3;
    msp_logistic_loss_grad(w, b, z, y, n, d, m, l2, gw, gb);
    const double h = 1e-6;
    for (int i = 0; i < m * d + m; i++) {
        double *p = i < m * d ? &w[i] : &b[i - m * d];
        double g = i < m * d ? gw[i] : gb[i - m * d], keep = *p;
        *p = keep + h;
        double up = msp_logistic_loss_grad(w, b, z, y, n, d, m, l2, NULL, NULL);
        *p = keep - h;
        double down = msp_logistic_loss_grad(w, b, z, y, n, d, m, l2, NULL, NULL);
        *p = keep;
        double num = (up - down) / (2 * h);
        cr_assert(fabs(num - g) <= 1e-7 * (1 + fabs(g)), "parameter %d: analytic %g numeric %g", i, g, num);
    }
    /* At zero weights the loss is log(m) exactly. */
    double w0[12] = {0}, b0[3] = {0};
    cr_assert_float_eq(msp_logistic_loss_grad(w0, b0, z, y, n, d, m, l2, NULL, NULL), log(3.0), 1e-12);
}

Test(premodel, logistic_minibatch_is_deterministic)
{
    blobs tr;
    make_blobs(&tr, 120, 3, 3, 5);
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    p.batch = 16;
    p.epochs = 30;
    msp_err err;
    msp_premodel *a, *b, *c;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_LOGISTIC, &p, &tr.data, NULL, 0, &a, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_LOGISTIC, &p, &tr.data, NULL, 0, &b, &err), MSP_OK, "%s", err.msg);
    p.seed = 2;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_LOGISTIC, &p, &tr.data, NULL, 0, &c, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(memcmp(a->w, b->w, sizeof(float) * 9), 0);
    cr_assert_neq(memcmp(a->w, c->w, sizeof(float) * 9), 0, "another seed, another order");
    cr_assert_eq(train_acc(a, &tr.data), 1.0);
    msp_premodel_free(a);
    msp_premodel_free(b);
    msp_premodel_free(c);
    free_blobs(&tr);
}

Test(premodel, chain_picks_first_ok_network_in_cost_order)
{
    /* 4 regions on a line; networks 0, 1, 2 with costs 3, 1, 2 (chain order
     * 1, 2, 0). ok per region:
     *   A: all ok            -> 1 (cheapest)
     *   B: 2 and 0 ok        -> 2
     *   C: only 0 ok         -> 0 (fallback, the last in the chain)
     *   D: none ok           -> 0 (fallback)                        */
    const uint8_t okr[4][3] = {{1, 1, 1}, {1, 0, 1}, {1, 0, 0}, {0, 0, 0}};
    const int want[4] = {1, 2, 0, 0};
    int n = 80;
    float x[80];
    int y[80];
    uint8_t ok[240];
    for (int i = 0; i < n; i++) {
        int reg = i % 4;
        x[i] = (float)(reg * 10 + (i / 4) % 5);
        memcpy(ok + 3 * i, okr[reg], 3);
        y[i] = want[reg];
    }
    double cost[3] = {3, 1, 2};
    msp_premodel_data t = {n, 1, 3, x, y, ok, cost};
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    p.k = 3;
    msp_err err;
    msp_premodel *pm;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN_CHAIN, &p, &t, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
    cr_assert(pm->order[0] == 1 && pm->order[1] == 2 && pm->order[2] == 0);
    for (int reg = 0; reg < 4; reg++) {
        float q = (float)(reg * 10 + 2);
        cr_assert_eq(msp_premodel_predict(pm, &q, NULL), want[reg], "region %d", reg);
    }
    /* Condensing: each binary classifier needs only a few points. */
    cr_assert_leq(msp_premodel_ref_count(pm), 8);
    msp_premodel_free(pm);
    /* Without costs the chain runs in index order: region A -> network 0. */
    t.cost = NULL;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN_CHAIN, &p, &t, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
    float qa = 2;
    cr_assert_eq(msp_premodel_predict(pm, &qa, NULL), 0);
    float qd = 32; /* none ok: the last network */
    cr_assert_eq(msp_premodel_predict(pm, &qd, NULL), 2);
    msp_premodel_free(pm);
}

Test(premodel, folds_are_stratified_and_deterministic)
{
    int n = 103, m = 3;
    int y[103], f1[103], f2[103], f3[103];
    for (int i = 0; i < n; i++) y[i] = i < 50 ? 0 : i < 80 ? 1 : 2;
    msp_err err;
    cr_assert_eq(msp_premodel_folds(y, n, m, 10, 42, f1, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_premodel_folds(y, n, m, 10, 42, f2, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_premodel_folds(y, n, m, 10, 43, f3, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(memcmp(f1, f2, sizeof f1), 0);
    cr_assert_neq(memcmp(f1, f3, sizeof f1), 0);
    int size[10] = {0}, per[3][10] = {{0}};
    for (int i = 0; i < n; i++) {
        cr_assert(f1[i] >= 0 && f1[i] < 10);
        size[f1[i]]++;
        per[y[i]][f1[i]]++;
    }
    for (int f = 0; f < 10; f++) {
        cr_assert(size[f] == 10 || size[f] == 11, "fold %d has %d", f, size[f]);
        cr_assert_eq(per[0][f], 5);
        cr_assert_eq(per[1][f], 3);
        cr_assert(per[2][f] == 2 || per[2][f] == 3);
    }
    cr_assert_eq(msp_premodel_folds(y, n, m, 1, 42, f1, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "1 folds is out of range; use 2 to 100 for 103 inputs");
}

Test(premodel, cv_on_separable_data)
{
    blobs b;
    make_blobs(&b, 100, 3, 4, 9);
    double cost[4] = {1, 2, 4, 8};
    b.data.cost = cost;
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_err err;
    for (int q = 0; q < NKINDS; q++) {
        msp_premodel_cv_result res;
        cr_assert_eq(msp_premodel_cv(KINDS[q], &p, &b.data, 10, 1, &res, NULL, &err), MSP_OK, "%s", err.msg);
        cr_assert_eq(res.folds, 10);
        cr_assert_eq(res.acc_mean, 1.0, "%s", msp_premodel_kind_name(KINDS[q]));
        cr_assert_eq(res.acc_std, 0.0);
        cr_assert_eq(res.ok_rate, 1.0);
        cr_assert_float_eq(res.mean_cost, (1 + 2 + 4 + 8) / 4.0, 1e-12);
    }
    /* Half the labels flipped to class 0 in a region: accuracy drops below 1
     * and the per-fold spread is reported. */
    for (int i = 0; i < 100; i += 8) b.label[i] = (b.label[i] + 1) % 4;
    msp_premodel_cv_result res;
    int *oof = malloc(sizeof(int) * (size_t)b.data.n);
    cr_assert_eq(msp_premodel_cv(MSP_PREMODEL_LOGISTIC, &p, &b.data, 10, 1, &res, oof, &err), MSP_OK, "%s", err.msg);
    cr_assert(res.acc_mean < 1 && res.acc_mean > 0.8, "%g", res.acc_mean);
    /* equal folds (n = 100): the out-of-fold hits are the mean accuracy */
    int hits = 0;
    for (int i = 0; i < b.data.n; i++) hits += oof[i] == b.label[i];
    cr_assert_eq(b.data.n, 100);
    cr_assert_float_eq((double)hits / b.data.n, res.acc_mean, 1e-12);
    free(oof);
    double s = 0;
    for (int f = 0; f < 10; f++) s += res.acc[f];
    cr_assert_float_eq(res.acc_mean, s / 10, 1e-12);
    cr_assert(res.acc_std > 0);
    free_blobs(&b);
}

Test(premodel, feature_selection_drops_duplicate_constant_and_noise)
{
    /* Columns: 0 noise, 1 informative, 2 exact duplicate of 1, 3 constant,
     * 4 noise, 5 weakly informative copy of 1 plus much noise (r < 0.95). */
    int n = 400, d = 6, m = 2;
    msp_rng r;
    msp_rng_seed(&r, 21);
    float *x = malloc(sizeof(float) * n * d);
    int *y = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        y[i] = i % 2;
        float inf = (float)(y[i] * 4 + gauss(&r));
        x[i * d + 0] = (float)gauss(&r);
        x[i * d + 1] = inf;
        x[i * d + 2] = inf;
        x[i * d + 3] = 7;
        x[i * d + 4] = (float)gauss(&r);
        x[i * d + 5] = (float)(inf + 3 * gauss(&r));
    }
    msp_premodel_data t = {n, d, m, x, y, NULL, NULL};
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_premodel_fsel fs;
    msp_premodel_fsel_default(&fs);
    fs.tolerance = 0.02;
    msp_err err;
    const msp_premodel_kind kinds[] = {MSP_PREMODEL_DTREE, MSP_PREMODEL_KNN, MSP_PREMODEL_LOGISTIC};
    for (int q = 0; q < 3; q++) {
        int kept[6], nk;
        double aa, ak, imp[6];
        cr_assert_eq(msp_premodel_select_features(kinds[q], &p, &t, &fs, kept, &nk, &aa, &ak, imp, &err),
                     MSP_OK, "%s", err.msg);
        cr_assert(nk >= 1 && kept[0] == 1, "%s: first kept %d", msp_premodel_kind_name(kinds[q]), kept[0]);
        for (int i = 0; i < nk; i++)
            cr_assert(kept[i] != 0 && kept[i] != 2 && kept[i] != 3 && kept[i] != 4,
                      "%s kept column %d", msp_premodel_kind_name(kinds[q]), kept[i]);
        cr_assert_eq(imp[2], 0.0);
        cr_assert_eq(imp[3], 0.0);
        cr_assert(imp[1] > 0.3, "importance of the informative column %g", imp[1]);
        cr_assert(ak >= aa - fs.tolerance - 1e-12);
        cr_assert(aa > 0.9);
    }
    free(x);
    free(y);
}

Test(premodel, bad_params_and_data_rejected)
{
    blobs b;
    make_blobs(&b, 20, 2, 2, 1);
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_err err;
    msp_premodel *pm = (msp_premodel *)&err; /* must come back NULL */
    p.k = 0;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &b.data, NULL, 0, &pm, &err), MSP_BAD_INPUT);
    cr_assert_null(pm);
    cr_assert_str_eq(err.msg, "knn: k = 0 is out of range; use 1 to 1024 neighbours");
    msp_premodel_params_default(&p);
    p.max_depth = 0;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_DTREE, &p, &b.data, NULL, 0, &pm, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "dtree: max depth 0 is out of range; use 1 to 64");
    msp_premodel_params_default(&p);
    p.lr = 0;
    cr_assert_eq(msp_premodel_params_check(MSP_PREMODEL_LOGISTIC, &p, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "logistic: learning rate 0 is out of range; use a value in (0, 1e6]");
    p.lr = 0.1;
    p.var_floor = 0;
    cr_assert_eq(msp_premodel_params_check(MSP_PREMODEL_BAYES, &p, &err), MSP_BAD_INPUT);
    msp_premodel_params_default(&p);
    p.gate_batch = 0;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_GATE_CNN, &p, &b.data, NULL, 0, &pm, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "gate-cnn: batch 0 is out of range; use 1 to 4096");
    msp_premodel_params_default(&p);

    b.label[3] = 2;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &b.data, NULL, 0, &pm, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "premodel data: input 3 has label 2; labels are networks 0 to 1");
    b.label[3] = 1;
    b.x[5] = NAN;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &b.data, NULL, 0, &pm, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "premodel data: feature 1 of input 2 is not finite");
    b.x[5] = 0;
    b.data.ok = NULL;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN_CHAIN, &p, &b.data, NULL, 0, &pm, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "knn-chain needs to know which networks are correct on each input (data.ok)");
    int feat[2] = {1, 1};
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &b.data, feat, 2, &pm, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "premodel: feature 1 is selected twice");
    b.data.n = 0;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &b.data, NULL, 0, &pm, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "premodel data: 0 inputs is out of range; need 1 to 10000000");
    b.data.n = 20;
    b.data.d = 1 << 20;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_KNN, &p, &b.data, NULL, 0, &pm, &err), MSP_BAD_INPUT);
    cr_assert_null(pm);
    free_blobs(&b);
}

/* A cascade reads nothing: the majority label (or the given start) for
 * every input, confidence 1, no feature group. */
Test(premodel, cascade_picks_one_network)
{
    blobs b;
    make_blobs(&b, 30, 2, 3, 7);
    b.label[0] = b.label[1] = 2; /* 2 is now the most frequent label (12 of 30) */
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_err err;
    msp_premodel *pm = NULL;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_CASCADE, &p, &b.data, NULL, 0, &pm, &err), MSP_OK,
                 "%s", err.msg);
    int d;
    msp_premodel_dims(pm, NULL, &d, NULL);
    cr_assert_eq(d, 0);
    cr_assert_eq(msp_premodel_groups(pm, MSP_FSET_ALL), 0);
    for (int i = 0; i < b.data.n; i++) {
        double conf = 0;
        cr_assert_eq(msp_premodel_predict(pm, b.x + i * 2, &conf), 2);
        cr_assert_eq(conf, 1.0);
    }
    msp_premodel_free(pm);
    p.start = 1;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_CASCADE, &p, &b.data, NULL, 0, &pm, &err), MSP_OK);
    cr_assert_eq(msp_premodel_predict(pm, b.x, NULL), 1);
    msp_premodel_free(pm);
    p.start = 3;
    cr_assert_eq(msp_premodel_train(MSP_PREMODEL_CASCADE, &p, &b.data, NULL, 0, &pm, &err),
                 MSP_BAD_INPUT);
    cr_assert_null(pm);
    cr_assert_str_eq(err.msg, "cascade: start network 3 is not one of the 3 networks");
    p.start = -2;
    cr_assert_eq(msp_premodel_params_check(MSP_PREMODEL_CASCADE, &p, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "cascade: start network -2 is out of range; use -1 (the most "
                              "frequent label) or 0 to 255");
    free_blobs(&b);
}

Test(premodel, kind_names)
{
    msp_premodel_kind k;
    msp_err err;
    for (int i = 0; i < MSP_PREMODEL_KIND_COUNT; i++) {
        cr_assert_eq(msp_premodel_kind_parse(msp_premodel_kind_name((msp_premodel_kind)i), &k, &err), MSP_OK);
        cr_assert_eq((int)k, i);
    }
    cr_assert_eq(msp_premodel_kind_parse("naive-bays", &k, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "unknown premodel 'naive-bays' (did you mean 'naive-bayes'?); choose "
                              "knn, knn-chain, dtree, naive-bayes, logistic, gate-cnn or cascade");
    cr_assert_eq(msp_premodel_kind_parse("svm-rbf-kernel", &k, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "unknown premodel 'svm-rbf-kernel'; choose knn, knn-chain, dtree, "
                              "naive-bayes, logistic, gate-cnn or cascade");
}

Test(premodel, non_finite_input_never_crashes)
{
    blobs b;
    make_blobs(&b, 60, 3, 3, 4);
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    msp_err err;
    float q[3] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < NKINDS; i++) {
        msp_premodel *pm;
        cr_assert_eq(msp_premodel_train(KINDS[i], &p, &b.data, NULL, 0, &pm, &err), MSP_OK, "%s", err.msg);
        double conf = -1;
        int c = msp_premodel_predict(pm, q, &conf);
        cr_assert(c >= 0 && c < 3);
        cr_assert(conf >= 0 && conf <= 1);
        msp_premodel_free(pm);
    }
    free_blobs(&b);
}
