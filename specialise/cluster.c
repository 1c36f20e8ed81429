/* cluster.c: `confusion` clustering of classes. A similarity between
 * classes from the base network's confusions, average-linkage agglomerative
 * clustering (O(n^3) time, O(n^2) memory: fine for up to
 * MSP_CLUSTER_MAX_CLASSES classes), silhouette over a distance matrix and
 * the automatic choice of k. Deterministic: ties go to the lowest index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "specialise.h"

const char *msp_cluster_method_name(msp_cluster_method m)
{
    switch (m) {
    case MSP_CLUSTER_CONFUSION: return "confusion";
    case MSP_CLUSTER_FEATURES: return "features";
    case MSP_CLUSTER_EMBEDDING: return "embedding";
    }
    return "unknown";
}

msp_status msp_cluster_method_parse(const char *s, msp_cluster_method *m, msp_err *err)
{
    static const msp_cluster_method all[] = {MSP_CLUSTER_CONFUSION, MSP_CLUSTER_FEATURES,
                                             MSP_CLUSTER_EMBEDDING};
    for (size_t i = 0; s && i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, msp_cluster_method_name(all[i])) == 0) {
            *m = all[i];
            return MSP_OK;
        }
    return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                       "unknown clustering method '%s': use confusion, features or embedding",
                       s ? s : "(null)");
}

static msp_status check_n_k(int n, int k, msp_err *err)
{
    if (n < 1 || n > MSP_CLUSTER_MAX_CLASSES)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "class clustering: %d classes, need 1 to %d", n,
                           MSP_CLUSTER_MAX_CLASSES);
    if (k < 1 || k > n)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "class clustering: k = %d, need 1 <= k <= %d (the number of classes)",
                           k, n);
    return MSP_OK;
}

msp_status msp_cluster_similarity(const int64_t *conf, int n, double *sim, msp_err *err)
{
    if (!conf || !sim)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "class similarity: no matrix given");
    msp_status st = check_n_k(n, 1, err);
    if (st != MSP_OK)
        return st;
    size_t nn = (size_t)n;
    for (size_t i = 0; i < nn * nn; i++)
        if (conf[i] < 0)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "confusion matrix: negative count %lld at true class %zu, "
                               "predicted %zu",
                               (long long)conf[i], i / nn, i % nn);
    double *row = msp_malloc(nn * sizeof *row);
    for (size_t i = 0; i < nn; i++) {
        double s = 0;
        for (size_t j = 0; j < nn; j++)
            s += (double)conf[i * nn + j];
        row[i] = s;
    }
    for (size_t i = 0; i < nn; i++)
        for (size_t j = 0; j < nn; j++) {
            if (i == j) {
                sim[i * nn + j] = 1.0;
                continue;
            }
            double a = row[i] > 0 ? (double)conf[i * nn + j] / row[i] : 0.0;
            double b = row[j] > 0 ? (double)conf[j * nn + i] / row[j] : 0.0;
            sim[i * nn + j] = (a + b) / 2;
        }
    free(row);
    return MSP_OK;
}

/* Ids numbered by smallest member: rep[i] is the smallest member of i's
 * cluster; walking i upwards meets each cluster first at its representative. */
static void number_by_rep(const int *rep, int n, int *assign)
{
    int next = 0;
    for (int i = 0; i < n; i++)
        assign[i] = rep[i] == i ? next++ : assign[rep[i]];
}

msp_status msp_cluster_agglomerative(const double *sim, int n, int k, int *assign, msp_err *err)
{
    if (!sim || !assign)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "agglomerative clustering: no data");
    msp_status st = check_n_k(n, k, err);
    if (st != MSP_OK)
        return st;
    size_t nn = (size_t)n;
    for (size_t i = 0; i < nn * nn; i++)
        if (!isfinite(sim[i]))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "similarity matrix: non-finite value at (%zu, %zu)", i / nn,
                               i % nn);
    /* Cluster a is identified by its smallest member a; link[a][b] is the
     * mean pairwise similarity between clusters a and b (Lance-Williams). */
    double *link = msp_malloc(nn * nn * sizeof *link);
    memcpy(link, sim, nn * nn * sizeof *link);
    int *size = msp_malloc(nn * sizeof *size);
    int *rep = msp_malloc(nn * sizeof *rep);
    for (int i = 0; i < n; i++) {
        size[i] = 1;
        rep[i] = i;
    }
    for (int left = n; left > k; left--) {
        int ba = -1, bb = -1;
        double best = 0;
        for (int a = 0; a < n; a++) {
            if (rep[a] != a)
                continue;
            for (int b = a + 1; b < n; b++) {
                if (rep[b] != b)
                    continue;
                /* Symmetrise against rounding so (a,b) and (b,a) agree. */
                double s = (link[(size_t)a * nn + b] + link[(size_t)b * nn + a]) / 2;
                if (ba < 0 || s > best) {
                    best = s;
                    ba = a;
                    bb = b;
                }
            }
        }
        MSP_ASSERT(ba >= 0 && bb > ba);
        double wa = size[ba], wb = size[bb];
        for (int c = 0; c < n; c++) {
            if (rep[c] != c || c == ba || c == bb)
                continue;
            double v = (wa * link[(size_t)ba * nn + c] + wb * link[(size_t)bb * nn + c]) /
                       (wa + wb);
            link[(size_t)ba * nn + c] = v;
            link[(size_t)c * nn + ba] = v;
        }
        size[ba] += size[bb];
        for (int i = 0; i < n; i++)
            if (rep[i] == bb)
                rep[i] = ba;
    }
    number_by_rep(rep, n, assign);
    free(link);
    free(size);
    free(rep);
    return MSP_OK;
}

msp_status msp_cluster_classes_confusion(const int64_t *conf, int n, int k, int *assign,
                                         msp_err *err)
{
    msp_status st = check_n_k(n, k, err);
    if (st != MSP_OK)
        return st;
    double *sim = msp_malloc((size_t)n * (size_t)n * sizeof *sim);
    st = msp_cluster_similarity(conf, n, sim, err);
    if (st == MSP_OK)
        st = msp_cluster_agglomerative(sim, n, k, assign, err);
    if (st != MSP_OK && assign)
        memset(assign, 0, (size_t)n * sizeof *assign);
    free(sim);
    return st;
}

double msp_silhouette_item(const double *sum, const int *cnt, int k, int ci)
{
    double a = sum[ci] / (cnt[ci] - 1), b = INFINITY;
    for (int c = 0; c < k; c++)
        if (c != ci && cnt[c] > 0 && sum[c] / cnt[c] < b)
            b = sum[c] / cnt[c];
    if (!isfinite(b))
        return 0.0; /* only one non-empty cluster */
    double m = a > b ? a : b;
    return m > 0 ? (b - a) / m : 0.0;
}

msp_status msp_silhouette_dist(const double *dist, int n, const int *assign, int k,
                               double *score, msp_err *err)
{
    if (!dist || !assign || !score)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "silhouette: no data");
    if (n < 1 || n > MSP_CLUSTER_MAX_CLASSES || k < 1 || k > n)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "silhouette: n = %d, k = %d, need 1 <= k <= n <= %d", n, k,
                           MSP_CLUSTER_MAX_CLASSES);
    for (int i = 0; i < n; i++)
        if (assign[i] < 0 || assign[i] >= k)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "silhouette: item %d has cluster %d, outside [0, %d)", i,
                               assign[i], k);
    *score = 0;
    if (k == 1)
        return MSP_OK;
    size_t nn = (size_t)n;
    double *sum = msp_malloc((size_t)k * sizeof *sum);
    int *cnt = msp_calloc((size_t)k, sizeof *cnt);
    for (int i = 0; i < n; i++)
        cnt[assign[i]]++;
    double total = 0;
    for (int i = 0; i < n; i++) {
        int ci = assign[i];
        if (cnt[ci] < 2)
            continue; /* a singleton's silhouette is 0 */
        memset(sum, 0, (size_t)k * sizeof *sum);
        for (int j = 0; j < n; j++)
            if (j != i)
                sum[assign[j]] += dist[(size_t)i * nn + j];
        total += msp_silhouette_item(sum, cnt, k, ci);
    }
    *score = total / n;
    free(sum);
    free(cnt);
    return MSP_OK;
}

msp_status msp_cluster_best_k(int n, int k_min, int k_max, msp_cluster_try_k try_k, void *ctx,
                              int *best_k, int *assign, double *scores, msp_err *err)
{
    size_t nn = (size_t)n;
    int *cur = msp_malloc(nn * sizeof *cur);
    double best = -INFINITY;
    msp_status st = MSP_OK;
    *best_k = 0;
    for (int k = k_min; k <= k_max; k++) {
        double s = 0;
        st = try_k(ctx, k, cur, &s, err);
        if (st != MSP_OK)
            break;
        if (scores)
            scores[k - k_min] = s;
        if (s > best) {
            best = s;
            *best_k = k;
            memcpy(assign, cur, nn * sizeof *cur);
        }
    }
    if (st != MSP_OK) {
        *best_k = 0;
        memset(assign, 0, nn * sizeof *assign);
    }
    free(cur);
    return st;
}

/* Confusion clustering of k groups, scored by the silhouette over 1 - similarity. */
typedef struct {
    const double *sim, *dist;
    int n;
} confusion_try;

static msp_status try_confusion(void *ctx, int k, int *assign, double *score, msp_err *err)
{
    const confusion_try *c = ctx;
    msp_status st = msp_cluster_agglomerative(c->sim, c->n, k, assign, err);
    return st == MSP_OK ? msp_silhouette_dist(c->dist, c->n, assign, k, score, err) : st;
}

msp_status msp_cluster_choose_k_confusion(const int64_t *conf, int n, int k_min, int k_max,
                                          int *best_k, int *assign, double *scores, msp_err *err)
{
    if (!best_k || !assign)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "choose k: no output given");
    msp_status st = check_n_k(n, k_min, err);
    if (st == MSP_OK && (k_max < k_min || k_max > n))
        st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                         "choose k: k range [%d, %d] invalid, need 1 <= k_min <= k_max <= %d",
                         k_min, k_max, n);
    if (st != MSP_OK)
        return st;
    size_t nn = (size_t)n;
    double *sim = msp_malloc(nn * nn * sizeof *sim);
    st = msp_cluster_similarity(conf, n, sim, err);
    double *dist = msp_malloc(nn * nn * sizeof *dist);
    for (size_t i = 0; st == MSP_OK && i < nn * nn; i++)
        dist[i] = 1.0 - sim[i];
    if (st == MSP_OK) {
        confusion_try c = {sim, dist, n};
        st = msp_cluster_best_k(n, k_min, k_max, try_confusion, &c, best_k, assign, scores, err);
    } else {
        *best_k = 0;
        memset(assign, 0, nn * sizeof *assign);
    }
    free(sim);
    free(dist);
    return st;
}

int msp_cluster_members(const int *assign, int n, int c, int *members)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (assign[i] == c)
            members[m++] = i;
    return m;
}
