/* cluster_kmeans.c: k-means for `features` and `embedding` clustering:
 * k-means++ seeding from an explicit seed, Lloyd iterations, empty-cluster
 * repair, a Euclidean silhouette (sampled for large n, since it is
 * quadratic) and the automatic choice of k. Sums are kept in double so
 * results do not depend on summation luck; ties go to the lowest index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "specialise.h"

static double dist2(const float *a, const float *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++) {
        double t = (double)a[j] - (double)b[j];
        s += t * t;
    }
    return s;
}

static msp_status check_points(const float *x, int n, int d, const char *what, msp_err *err)
{
    if (!x)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "%s: no data", what);
    if (n < 1 || n > MSP_CLUSTER_MAX_POINTS)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "%s: %d points, need 1 to %d", what, n,
                           MSP_CLUSTER_MAX_POINTS);
    if (d < 1 || d > MSP_CLUSTER_MAX_DIM)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "%s: dimension %d, need 1 to %d", what, d, MSP_CLUSTER_MAX_DIM);
    if ((uint64_t)n * (uint64_t)d > MSP_CLUSTER_MAX_VALUES)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "%s: %d x %d values exceed %llu: use fewer points", what, n, d,
                           (unsigned long long)MSP_CLUSTER_MAX_VALUES);
    size_t nd = (size_t)n * (size_t)d;
    for (size_t i = 0; i < nd; i++)
        if (!isfinite(x[i]))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "%s: non-finite value in point %zu, dimension %zu", what,
                               i / (size_t)d, i % (size_t)d);
    return MSP_OK;
}

static msp_status check_k(int n, int k, const char *what, msp_err *err)
{
    if (k < 1 || k > n || k > MSP_CLUSTER_MAX_K)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "%s: k = %d, need 1 <= k <= min(points = %d, %d)", what, k, n,
                           MSP_CLUSTER_MAX_K);
    return MSP_OK;
}

/* k-means++: the first centre uniformly, each next one with probability
 * proportional to the squared distance to the nearest centre so far. */
static void seed_plusplus(const float *x, int n, int d, int k, msp_rng *r, float *cent)
{
    size_t sd = (size_t)d;
    double *near = msp_malloc((size_t)n * sizeof *near);
    int first = (int)msp_rng_below(r, (uint64_t)n);
    memcpy(cent, x + (size_t)first * sd, sd * sizeof *cent);
    for (int i = 0; i < n; i++)
        near[i] = dist2(x + (size_t)i * sd, cent, d);
    for (int c = 1; c < k; c++) {
        double total = 0;
        for (int i = 0; i < n; i++)
            total += near[i];
        int pick;
        if (total <= 0) {
            pick = (int)msp_rng_below(r, (uint64_t)n); /* all points coincide with centres */
        } else {
            double u = msp_rng_uniform(r) * total, acc = 0;
            pick = -1;
            for (int i = 0; i < n; i++) {
                if (near[i] <= 0)
                    continue;
                pick = i; /* rounding: fall back to the last candidate */
                acc += near[i];
                if (acc > u)
                    break;
            }
        }
        float *cc = cent + (size_t)c * sd;
        memcpy(cc, x + (size_t)pick * sd, sd * sizeof *cc);
        for (int i = 0; i < n; i++) {
            double t = dist2(x + (size_t)i * sd, cc, d);
            if (t < near[i])
                near[i] = t;
        }
    }
    free(near);
}

static int nearest(const float *p, const float *cent, int k, int d, double *best_d)
{
    int best = 0;
    double bd = dist2(p, cent, d);
    for (int c = 1; c < k; c++) {
        double t = dist2(p, cent + (size_t)c * (size_t)d, d);
        if (t < bd) {
            bd = t;
            best = c;
        }
    }
    *best_d = bd;
    return best;
}

/* Give every empty cluster the point farthest from its centroid, taken from
 * a cluster that keeps at least one member; that point becomes the centroid. */
static void repair_empty(const float *x, int n, int d, int k, int *assign, int *cnt,
                         float *cent)
{
    size_t sd = (size_t)d;
    for (int c = 0; c < k; c++) {
        if (cnt[c] > 0)
            continue;
        int far = -1;
        double fd = -1;
        for (int i = 0; i < n; i++) {
            int ci = assign[i];
            if (cnt[ci] < 2)
                continue;
            double t = dist2(x + (size_t)i * sd, cent + (size_t)ci * sd, d);
            if (t > fd) {
                fd = t;
                far = i;
            }
        }
        if (far < 0)
            return; /* cannot happen with k <= n */
        cnt[assign[far]]--;
        assign[far] = c;
        cnt[c] = 1;
        memcpy(cent + (size_t)c * sd, x + (size_t)far * sd, sd * sizeof *cent);
    }
}

static void update_centroids(const float *x, int n, int d, int k, const int *assign,
                             const int *cnt, float *cent, double *acc)
{
    size_t sd = (size_t)d;
    memset(acc, 0, (size_t)k * sd * sizeof *acc);
    for (int i = 0; i < n; i++) {
        const float *p = x + (size_t)i * sd;
        double *a = acc + (size_t)assign[i] * sd;
        for (int j = 0; j < d; j++)
            a[j] += p[j];
    }
    for (int c = 0; c < k; c++)
        if (cnt[c] > 0)
            for (int j = 0; j < d; j++)
                cent[(size_t)c * sd + j] = (float)(acc[(size_t)c * sd + j] / cnt[c]);
}

msp_status msp_kmeans(const float *x, int n, int d, int k, uint64_t seed, int max_iter,
                      int *assign, float *centroids, double *inertia, msp_err *err)
{
    msp_status st = check_points(x, n, d, "k-means", err);
    if (st == MSP_OK)
        st = check_k(n, k, "k-means", err);
    if (st == MSP_OK && !assign)
        st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "k-means: no output given");
    if (st == MSP_OK && (max_iter < 1 || max_iter > MSP_CLUSTER_MAX_ITER))
        st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                         "k-means: max_iter = %d, need 1 to %d", max_iter,
                         MSP_CLUSTER_MAX_ITER);
    if (st != MSP_OK) {
        if (assign && n >= 1 && n <= MSP_CLUSTER_MAX_POINTS)
            memset(assign, 0, (size_t)n * sizeof *assign);
        return st;
    }
    size_t sd = (size_t)d, sk = (size_t)k, sn = (size_t)n;
    float *cent = msp_malloc(sk * sd * sizeof *cent);
    double *acc = msp_malloc(sk * sd * sizeof *acc);
    int *cnt = msp_malloc(sk * sizeof *cnt);
    int *prev = msp_malloc(sn * sizeof *prev);
    msp_rng r;
    msp_rng_seed(&r, seed);
    seed_plusplus(x, n, d, k, &r, cent);
    for (int iter = 0; iter < max_iter; iter++) {
        memset(cnt, 0, sk * sizeof *cnt);
        for (int i = 0; i < n; i++) {
            double bd;
            assign[i] = nearest(x + (size_t)i * sd, cent, k, d, &bd);
            cnt[assign[i]]++;
        }
        repair_empty(x, n, d, k, assign, cnt, cent);
        /* Compared after repair, so a repair that keeps recurring (k above
         * the number of distinct points) still converges. */
        if (iter > 0 && memcmp(prev, assign, sn * sizeof *prev) == 0)
            break;
        memcpy(prev, assign, sn * sizeof *prev);
        update_centroids(x, n, d, k, assign, cnt, cent, acc);
    }
    /* Final centroids match the final assignment. */
    update_centroids(x, n, d, k, assign, cnt, cent, acc);

    /* Renumber clusters by first member. */
    int *map = msp_malloc(sk * sizeof *map);
    for (int c = 0; c < k; c++)
        map[c] = -1;
    int next = 0;
    for (int i = 0; i < n; i++)
        if (map[assign[i]] < 0)
            map[assign[i]] = next++;
    for (int c = 0; c < k; c++)
        if (map[c] < 0)
            map[c] = next++; /* empty cluster: impossible after repair, kept safe */
    double in = 0;
    for (int i = 0; i < n; i++) {
        in += dist2(x + (size_t)i * sd, cent + (size_t)assign[i] * sd, d);
        assign[i] = map[assign[i]];
    }
    if (centroids)
        for (int c = 0; c < k; c++)
            memcpy(centroids + (size_t)map[c] * sd, cent + (size_t)c * sd, sd * sizeof *cent);
    if (inertia)
        *inertia = in;
    free(map);
    free(cent);
    free(acc);
    free(cnt);
    free(prev);
    return MSP_OK;
}

msp_status msp_silhouette(const float *x, int n, int d, const int *assign, int k,
                          int max_points, uint64_t seed, double *score, msp_err *err)
{
    msp_status st = check_points(x, n, d, "silhouette", err);
    if (st == MSP_OK)
        st = check_k(n, k, "silhouette", err);
    if (st == MSP_OK && (!assign || !score))
        st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "silhouette: no assignments given");
    for (int i = 0; st == MSP_OK && i < n; i++)
        if (assign[i] < 0 || assign[i] >= k)
            st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                             "silhouette: point %d has cluster %d, outside [0, %d)", i,
                             assign[i], k);
    if (st != MSP_OK)
        return st;
    *score = 0;
    if (k == 1)
        return MSP_OK;
    int m = n;
    int *idx = msp_malloc((size_t)n * sizeof *idx);
    for (int i = 0; i < n; i++)
        idx[i] = i;
    if (max_points > 0 && n > max_points) {
        msp_rng r;
        msp_rng_seed(&r, seed);
        msp_rng_shuffle(&r, idx, n);
        m = max_points;
    }
    size_t sd = (size_t)d, sk = (size_t)k;
    int *cnt = msp_calloc(sk, sizeof *cnt);
    double *sum = msp_malloc(sk * sizeof *sum);
    for (int s = 0; s < m; s++)
        cnt[assign[idx[s]]]++;
    double total = 0;
    for (int s = 0; s < m; s++) {
        int i = idx[s], ci = assign[i];
        if (cnt[ci] < 2)
            continue; /* a singleton's silhouette is 0 */
        memset(sum, 0, sk * sizeof *sum);
        for (int t = 0; t < m; t++)
            if (t != s)
                sum[assign[idx[t]]] += sqrt(dist2(x + (size_t)i * sd, x + (size_t)idx[t] * sd, d));
        total += msp_silhouette_item(sum, cnt, k, ci);
    }
    *score = total / m;
    free(idx);
    free(cnt);
    free(sum);
    return MSP_OK;
}

/* k-means with k clusters, scored by the (sampled) silhouette. */
typedef struct {
    const float *x;
    int n, d;
    uint64_t seed;
    int max_iter, max_points;
} kmeans_try;

static msp_status try_kmeans(void *ctx, int k, int *assign, double *score, msp_err *err)
{
    const kmeans_try *t = ctx;
    msp_status st =
        msp_kmeans(t->x, t->n, t->d, k, t->seed, t->max_iter, assign, NULL, NULL, err);
    if (st != MSP_OK)
        return st;
    return msp_silhouette(t->x, t->n, t->d, assign, k, t->max_points, t->seed, score, err);
}

msp_status msp_cluster_choose_k_kmeans(const float *x, int n, int d, int k_min, int k_max,
                                       uint64_t seed, int max_iter, int max_points, int *best_k,
                                       int *assign, double *scores, msp_err *err)
{
    msp_status st = check_points(x, n, d, "choose k", err);
    if (st == MSP_OK && (!best_k || !assign))
        st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "choose k: no output given");
    if (st == MSP_OK && (k_min < 1 || k_max < k_min || k_max > n || k_max > MSP_CLUSTER_MAX_K))
        st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                         "choose k: k range [%d, %d] invalid, need 1 <= k_min <= k_max <= "
                         "min(points = %d, %d)",
                         k_min, k_max, n, MSP_CLUSTER_MAX_K);
    if (st != MSP_OK)
        return st;
    kmeans_try t = {x, n, d, seed, max_iter, max_points};
    return msp_cluster_best_k(n, k_min, k_max, try_kmeans, &t, best_k, assign, scores, err);
}
