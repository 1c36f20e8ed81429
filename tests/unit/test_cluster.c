/* test_cluster.c: the specialise/ room's clustering: confusion clustering of
 * classes, k-means, cheap image features, silhouette and automatic k,
 * clusters.json. Synthetic data is built from seeded generators; one test
 * clusters real Fashion-MNIST images. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "base/rng.h"
#include "specialise/specialise.h"

/* 6 classes: {0,2,4} confuse each other, {1,3,5} too, almost nothing across. */
static void interleaved_blocks(int64_t *c)
{
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            int64_t v;
            if (i == j)
                v = 80;
            else if (i % 2 == j % 2)
                v = 5 + i + j;
            else
                v = (i + j) % 3 == 0 ? 1 : 0;
            c[i * 6 + j] = v;
        }
}

Test(cluster, similarity_by_hand)
{
    int64_t c[4] = {8, 2, 1, 9};
    double s[4];
    msp_err err = {{0}};
    cr_assert_eq(msp_cluster_similarity(c, 2, s, &err), MSP_OK, "%s", err.msg);
    cr_assert_float_eq(s[1], 0.15, 1e-15);
    cr_assert_float_eq(s[2], 0.15, 1e-15);
    cr_assert_eq(s[0], 1.0);
    cr_assert_eq(s[3], 1.0);
    /* An empty row contributes 0, not NaN. */
    int64_t z[4] = {0, 0, 3, 1};
    cr_assert_eq(msp_cluster_similarity(z, 2, s, &err), MSP_OK, "%s", err.msg);
    cr_assert_float_eq(s[1], 0.375, 1e-15);
}

Test(cluster, confusion_two_blocks)
{
    int64_t c[36];
    interleaved_blocks(c);
    int a[6];
    msp_err err = {{0}};
    cr_assert_eq(msp_cluster_classes_confusion(c, 6, 2, a, &err), MSP_OK, "%s", err.msg);
    int want[6] = {0, 1, 0, 1, 0, 1};
    for (int i = 0; i < 6; i++)
        cr_assert_eq(a[i], want[i], "class %d in cluster %d, want %d", i, a[i], want[i]);
    int m[6];
    cr_assert_eq(msp_cluster_members(a, 6, 1, m), 3);
    cr_assert(m[0] == 1 && m[1] == 3 && m[2] == 5);
}

Test(cluster, confusion_k1_and_kn)
{
    int64_t c[36];
    interleaved_blocks(c);
    int a[6];
    msp_err err = {{0}};
    cr_assert_eq(msp_cluster_classes_confusion(c, 6, 1, a, &err), MSP_OK, "%s", err.msg);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(a[i], 0);
    cr_assert_eq(msp_cluster_classes_confusion(c, 6, 6, a, &err), MSP_OK, "%s", err.msg);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(a[i], i);
    int64_t one = 7;
    cr_assert_eq(msp_cluster_classes_confusion(&one, 1, 1, a, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(a[0], 0);
}

Test(cluster, confusion_ties_go_to_lowest_index)
{
    /* A perfect classifier: every similarity is 0, so each merge is a tie:
     * (0,1), then ({0,1},2), leaving {3}. */
    int64_t c[16] = {5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 5};
    int a[4];
    msp_err err = {{0}};
    cr_assert_eq(msp_cluster_classes_confusion(c, 4, 2, a, &err), MSP_OK, "%s", err.msg);
    cr_assert(a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 1, "%d %d %d %d", a[0], a[1], a[2],
              a[3]);
}

Test(cluster, confusion_average_linkage_by_hand)
{
    /* sim(0,1) = .5 merges first; then avg link {0,1}-2 = (.4 + .1)/2 = .25
     * loses to sim(2,3) = .3, so k = 2 gives {0,1} {2,3}. Single linkage
     * would have joined 2 with {0,1} (.4 > .3). */
    double s[16] = {1, .5, .4, 0, .5, 1, .1, 0, .4, .1, 1, .3, 0, 0, .3, 1};
    int a[4];
    msp_err err = {{0}};
    cr_assert_eq(msp_cluster_agglomerative(s, 4, 2, a, &err), MSP_OK, "%s", err.msg);
    cr_assert(a[0] == 0 && a[1] == 0 && a[2] == 1 && a[3] == 1, "%d %d %d %d", a[0], a[1], a[2],
              a[3]);
}

Test(cluster, confusion_bad_input)
{
    int64_t c[36];
    interleaved_blocks(c);
    int a[6];
    msp_err err = {{0}};
    cr_assert_eq(msp_cluster_classes_confusion(c, 6, 0, a, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg,
                     "class clustering: k = 0, need 1 <= k <= 6 (the number of classes)");
    cr_assert_eq(msp_cluster_classes_confusion(c, 6, 7, a, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_cluster_classes_confusion(c, 0, 1, a, &err), MSP_BAD_INPUT);
    c[7] = -1;
    cr_assert_eq(msp_cluster_classes_confusion(c, 6, 2, a, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "confusion matrix: negative count -1 at true class 1, predicted 1");
    double s[4] = {1, NAN, NAN, 1};
    cr_assert_eq(msp_cluster_agglomerative(s, 2, 1, a, &err), MSP_BAD_INPUT);
}

/* n points in 2-D around 3 centres, in a shuffled order; truth[i] = blob. */
static const float centres[3][2] = {{0, 0}, {10, 0}, {0, 10}};

static void blobs(int n, uint64_t seed, float *x, int *truth)
{
    msp_rng r;
    msp_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        int b = (int)msp_rng_below(&r, 3);
        if (i < 3)
            b = (i + 1) % 3; /* every blob present; first point in blob 1 */
        truth[i] = b;
        x[2 * i] = centres[b][0] + (float)(msp_rng_uniform(&r) - 0.5);
        x[2 * i + 1] = centres[b][1] + (float)(msp_rng_uniform(&r) - 0.5);
    }
}

/* Truth renumbered by first appearance, as msp_kmeans numbers clusters. */
static void renumber(const int *t, int n, int k, int *out)
{
    int map[16];
    for (int c = 0; c < k; c++)
        map[c] = -1;
    int next = 0;
    for (int i = 0; i < n; i++) {
        if (map[t[i]] < 0)
            map[t[i]] = next++;
        out[i] = map[t[i]];
    }
}

Test(cluster, kmeans_recovers_blobs_deterministically)
{
    enum { N = 90 };
    float x[2 * N], cent[6], cent2[6];
    int truth[N], want[N], a[N], a2[N];
    blobs(N, 7, x, truth);
    renumber(truth, N, 3, want);
    msp_err err = {{0}};
    double in = -1, in2 = -1;
    cr_assert_eq(msp_kmeans(x, N, 2, 3, 42, 100, a, cent, &in, &err), MSP_OK, "%s", err.msg);
    for (int i = 0; i < N; i++)
        cr_assert_eq(a[i], want[i], "point %d: %d, want %d", i, a[i], want[i]);
    /* Cluster 0 is blob 1 (the first point's). */
    cr_assert_float_eq(cent[0], 10.0f, 0.2f);
    cr_assert_float_eq(cent[1], 0.0f, 0.2f);
    double check = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 2; j++) {
            double t = (double)x[2 * i + j] - cent[2 * a[i] + j];
            check += t * t;
        }
    cr_assert_float_eq(in, check, 1e-9 * check);
    cr_assert(in < N * 0.5, "inertia %g", in);
    cr_assert_eq(msp_kmeans(x, N, 2, 3, 42, 100, a2, cent2, &in2, &err), MSP_OK);
    cr_assert_eq(memcmp(a, a2, sizeof a), 0);
    cr_assert_eq(memcmp(cent, cent2, sizeof cent), 0);
    cr_assert_eq(in, in2);
    /* Another seed finds the same partition here. */
    cr_assert_eq(msp_kmeans(x, N, 2, 3, 1234, 100, a2, NULL, NULL, &err), MSP_OK);
    cr_assert_eq(memcmp(want, a2, sizeof a2), 0);
}

static void check_all_used(const int *a, int n, int k)
{
    int cnt[16] = {0};
    for (int i = 0; i < n; i++) {
        cr_assert(a[i] >= 0 && a[i] < k, "point %d has cluster %d", i, a[i]);
        cnt[a[i]]++;
    }
    for (int c = 0; c < k; c++)
        cr_assert_gt(cnt[c], 0, "cluster %d is empty", c);
}

Test(cluster, kmeans_repairs_empty_clusters)
{
    /* 6 points with 2 distinct values, k = 4. */
    float x[6] = {1, 1, 1, 5, 5, 5};
    int a[6];
    float cent[4];
    double in = -1;
    msp_err err = {{0}};
    for (uint64_t seed = 0; seed < 20; seed++) {
        cr_assert_eq(msp_kmeans(x, 6, 1, 4, seed, 50, a, cent, &in, &err), MSP_OK, "%s",
                     err.msg);
        check_all_used(a, 6, 4);
        cr_assert_eq(in, 0.0);
        for (int i = 0; i < 6; i++)
            cr_assert_eq(cent[a[i]], x[i]);
    }
    /* All points identical, k = n. */
    float y[6] = {2, 3, 2, 3, 2, 3};
    int b[3];
    cr_assert_eq(msp_kmeans(y, 3, 2, 3, 9, 10, b, NULL, &in, &err), MSP_OK, "%s", err.msg);
    check_all_used(b, 3, 3);
    cr_assert(b[0] == 0 && b[1] == 1 && b[2] == 2);
}

Test(cluster, kmeans_bad_input)
{
    float x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int a[4];
    msp_err err = {{0}};
    cr_assert_eq(msp_kmeans(x, 4, 2, 0, 1, 10, a, NULL, NULL, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "k-means: k = 0, need 1 <= k <= min(points = 4, 4096)");
    cr_assert_eq(msp_kmeans(x, 4, 2, 5, 1, 10, a, NULL, NULL, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_kmeans(x, 4, 0, 2, 1, 10, a, NULL, NULL, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "k-means: dimension 0, need 1 to 65536");
    cr_assert_eq(msp_kmeans(x, 0, 2, 1, 1, 10, a, NULL, NULL, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_kmeans(x, 4, 2, 2, 1, 0, a, NULL, NULL, &err), MSP_BAD_INPUT);
    x[5] = NAN;
    cr_assert_eq(msp_kmeans(x, 4, 2, 2, 1, 10, a, NULL, NULL, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "k-means: non-finite value in point 2, dimension 1");
}

Test(cluster, features_constant_image)
{
    float img[3 * 8 * 8];
    for (int i = 0; i < 3 * 64; i++)
        img[i] = 0.7f;
    float f[MSP_FEAT_DIM];
    msp_cluster_features_image(img, 3, 8, 8, f);
    cr_assert_float_eq(f[MSP_FEAT_BRIGHTNESS], 0.7f, 1e-6);
    cr_assert_eq(f[MSP_FEAT_CONTRAST], 0.0f);
    cr_assert_eq(f[MSP_FEAT_GRADIENT], 0.0f);
    cr_assert_eq(f[MSP_FEAT_EDGES], 0.0f);
    cr_assert_eq(f[MSP_FEAT_BRIGHT], 1.0f);
    for (int g = 0; g < 16; g++)
        cr_assert_float_eq(f[MSP_FEAT_GRID + g], 0.7f, 1e-6);
}

Test(cluster, features_half_black_half_white)
{
    /* 8x8, columns 0-3 black, 4-7 white: one step per row at column 3. */
    msp_dataset d = {0};
    d.n = 2;
    d.c = 1;
    d.h = 8;
    d.w = 8;
    d.n_classes = 1;
    float x[2 * 64];
    int y[2] = {0, 0};
    for (int i = 0; i < 64; i++) {
        x[i] = (i % 8) >= 4 ? 1.0f : 0.0f;
        x[64 + i] = 0.25f;
    }
    d.x = x;
    d.y = y;
    float *f = NULL;
    int dim = 0;
    msp_err err = {{0}};
    cr_assert_eq(msp_cluster_features_extract(&d, &f, &dim, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(dim, MSP_FEAT_DIM);
    cr_assert_eq(f[MSP_FEAT_BRIGHTNESS], 0.5f);
    cr_assert_eq(f[MSP_FEAT_CONTRAST], 0.5f);
    cr_assert_eq(f[MSP_FEAT_GRADIENT], 0.125f);
    cr_assert_eq(f[MSP_FEAT_EDGES], 0.125f);
    cr_assert_eq(f[MSP_FEAT_BRIGHT], 0.5f);
    for (int g = 0; g < 16; g++)
        cr_assert_eq(f[MSP_FEAT_GRID + g], (g % 4) >= 2 ? 1.0f : 0.0f, "cell %d", g);
    cr_assert_eq(f[MSP_FEAT_DIM + MSP_FEAT_BRIGHTNESS], 0.25f);
    cr_assert_eq(f[MSP_FEAT_DIM + MSP_FEAT_BRIGHT], 0.0f);
    free(f);

    d.n = 0;
    cr_assert_eq(msp_cluster_features_extract(&d, &f, &dim, &err), MSP_BAD_INPUT);
    cr_assert_null(f);
    cr_assert_eq(dim, 0);
}

Test(cluster, features_tiny_image)
{
    /* 1x2: grid cells repeat pixels instead of dividing by zero. */
    float img[2] = {0.0f, 1.0f};
    float f[MSP_FEAT_DIM];
    msp_cluster_features_image(img, 1, 1, 2, f);
    cr_assert_eq(f[MSP_FEAT_GRADIENT], 0.5f);
    cr_assert_eq(f[MSP_FEAT_GRID + 0], 0.0f);
    cr_assert_eq(f[MSP_FEAT_GRID + 3], 1.0f);
    cr_assert_eq(f[MSP_FEAT_GRID + 15], 1.0f);
}

Test(cluster, standardise_and_reapply)
{
    float x[6] = {1, 5, 3, 5, 5, 5};
    msp_feature_stats st = {0};
    msp_err err = {{0}};
    cr_assert_eq(msp_cluster_features_fit(x, 3, 2, &st, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(st.d, 2);
    cr_assert_eq(st.mean[0], 3.0f);
    cr_assert_float_eq(st.std[0], sqrtf(8.0f / 3.0f), 1e-6);
    cr_assert_eq(st.std[1], 1.0f); /* constant dimension */
    msp_cluster_features_apply(&st, x, 3);
    cr_assert_float_eq(x[0], -2.0f / sqrtf(8.0f / 3.0f), 1e-6);
    cr_assert_eq(x[1], 0.0f);
    cr_assert_eq(x[2], 0.0f);
    float z[2] = {3, 7};
    msp_cluster_features_apply(&st, z, 1);
    cr_assert_eq(z[0], 0.0f);
    cr_assert_eq(z[1], 2.0f);
    msp_feature_stats_free(&st);
    cr_assert_null(st.mean);
    msp_feature_stats_free(&st);
    cr_assert_eq(msp_cluster_features_fit(x, 3, 0, &st, &err), MSP_BAD_INPUT);
}

Test(cluster, silhouette_by_hand)
{
    /* 1-D: {0, 1} and {10}: (0.9 + 8/9 + 0) / 3. */
    float x[3] = {0, 1, 10};
    int a[3] = {0, 0, 1};
    double s = -5;
    msp_err err = {{0}};
    cr_assert_eq(msp_silhouette(x, 3, 1, a, 2, 0, 0, &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_float_eq(s, (0.9 + 8.0 / 9.0) / 3.0, 1e-12);
    double dist[9] = {0, 1, 10, 1, 0, 9, 10, 9, 0};
    cr_assert_eq(msp_silhouette_dist(dist, 3, a, 2, &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_float_eq(s, (0.9 + 8.0 / 9.0) / 3.0, 1e-12);
    int one[3] = {0, 0, 0};
    cr_assert_eq(msp_silhouette(x, 3, 1, one, 1, 0, 0, &s, &err), MSP_OK);
    cr_assert_eq(s, 0.0);
    int bad[3] = {0, 2, 1};
    cr_assert_eq(msp_silhouette(x, 3, 1, bad, 2, 0, 0, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "silhouette: point 1 has cluster 2, outside [0, 2)");
}

Test(cluster, silhouette_item_by_hand)
{
    /* Own cluster 0 of 3 members: a = 4 / 2 = 2; cluster 1: 6 / 2 = 3, cluster 2: 5 / 1 = 5,
     * so b = 3 and s = (3 - 2) / 3; an empty cluster 3 is ignored. */
    double sum[4] = {4, 6, 5, 0};
    int cnt[4] = {3, 2, 1, 0};
    cr_assert_eq(msp_silhouette_item(sum, cnt, 4, 0), 1.0 / 3.0);
    /* b < a: negative; a = b = 0: 0; no other non-empty cluster: 0. */
    double far[2] = {8, 2};
    int two[2] = {3, 1};
    cr_assert_eq(msp_silhouette_item(far, two, 2, 0), (2.0 - 4.0) / 4.0);
    double zero[2] = {0, 0};
    cr_assert_eq(msp_silhouette_item(zero, two, 2, 0), 0.0);
    int alone[2] = {3, 0};
    cr_assert_eq(msp_silhouette_item(sum, alone, 2, 0), 0.0);
}

/* A made-up clustering: item i goes to cluster i % k; the score peaks at k = 3
 * and ties with k = 5 (the smaller k wins); k = 6 fails. */
static msp_status fake_try(void *ctx, int k, int *assign, double *score, msp_err *err)
{
    int *calls = ctx;
    (*calls)++;
    if (k == 6)
        return msp_err_set(err, MSP_FAIL, NULL, 0, "fake failure at k = 6");
    for (int i = 0; i < 7; i++)
        assign[i] = i % k;
    static const double by_k[] = {0, 0.1, 0.2, 0.9, 0.4, 0.9};
    *score = by_k[k];
    return MSP_OK;
}

Test(cluster, best_k_keeps_first_best_and_resets_on_error)
{
    int calls = 0, best = -1, assign[7];
    double scores[5];
    msp_err err = {0};
    cr_assert_eq(msp_cluster_best_k(7, 1, 5, fake_try, &calls, &best, assign, scores, &err),
                 MSP_OK);
    cr_assert_eq(calls, 5);
    cr_assert_eq(best, 3);
    int want[7] = {0, 1, 2, 0, 1, 2, 0};
    cr_assert_arr_eq(assign, want, sizeof want);
    double want_scores[5] = {0.1, 0.2, 0.9, 0.4, 0.9};
    cr_assert_arr_eq(scores, want_scores, sizeof want_scores);
    calls = 0;
    cr_assert_eq(msp_cluster_best_k(7, 2, 6, fake_try, &calls, &best, assign, NULL, &err),
                 MSP_FAIL);
    cr_assert_eq(calls, 5);
    cr_assert_eq(best, 0);
    int zeros[7] = {0};
    cr_assert_arr_eq(assign, zeros, sizeof zeros);
    cr_assert_str_eq(err.msg, "fake failure at k = 6");
}

Test(cluster, silhouette_and_auto_k_on_blobs)
{
    enum { N = 120 };
    float x[2 * N];
    int truth[N], want[N], a[N];
    blobs(N, 11, x, truth);
    renumber(truth, N, 3, want);
    msp_err err = {{0}};
    double s = 0;
    cr_assert_eq(msp_silhouette(x, N, 2, want, 3, 0, 0, &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_gt(s, 0.9);
    /* Sampled: still close to 1. */
    double s2 = 0;
    cr_assert_eq(msp_silhouette(x, N, 2, want, 3, 40, 5, &s2, &err), MSP_OK, "%s", err.msg);
    cr_assert_gt(s2, 0.9);
    cr_assert_neq(s, s2);

    int k = 0;
    double scores[5];
    cr_assert_eq(msp_cluster_choose_k_kmeans(x, N, 2, 2, 6, 3, 100, 0, &k, a, scores, &err),
                 MSP_OK, "%s", err.msg);
    cr_assert_eq(k, 3, "scores %g %g %g %g %g", scores[0], scores[1], scores[2], scores[3],
                 scores[4]);
    cr_assert_eq(memcmp(a, want, sizeof a), 0);
    for (int i = 0; i < 5; i++)
        cr_assert(i == 1 || scores[i] < scores[1]);
    cr_assert_eq(msp_cluster_choose_k_kmeans(x, N, 2, 3, 2, 3, 100, 0, &k, a, NULL, &err),
                 MSP_BAD_INPUT);
}

Test(cluster, auto_k_confusion)
{
    int64_t c[36];
    interleaved_blocks(c);
    int a[6], k = 0;
    double scores[5];
    msp_err err = {{0}};
    cr_assert_eq(msp_cluster_choose_k_confusion(c, 6, 1, 5, &k, a, scores, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(k, 2, "scores %g %g %g %g %g", scores[0], scores[1], scores[2], scores[3],
                 scores[4]);
    cr_assert_eq(scores[0], 0.0);
    cr_assert(a[0] == 0 && a[1] == 1 && a[2] == 0 && a[3] == 1 && a[4] == 0 && a[5] == 1);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

Test(cluster, json_confusion_and_features)
{
    char dir[] = "/tmp/msp_cluster_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/clusters.json", dir);
    int a[4] = {0, 1, 0, 0};
    msp_clusters c = {.method = MSP_CLUSTER_CONFUSION, .k = 2, .n_items = 4, .assign = a,
                      .silhouette = 0.25, .inertia = NAN};
    msp_err err = {{0}};
    cr_assert_eq(msp_clusters_write_json(path, &c, NULL, 0, &err), MSP_OK, "%s", err.msg);
    cr_assert_str_eq(slurp(path), "{\n  \"method\": \"confusion\",\n  \"k\": 2,\n"
                                  "  \"n_items\": 4,\n  \"silhouette\": 0.25,\n"
                                  "  \"inertia\": null,\n  \"sizes\": [3, 1],\n"
                                  "  \"clusters\": [\n"
                                  "    {\"id\": 0, \"size\": 3, \"classes\": [0, 2, 3]},\n"
                                  "    {\"id\": 1, \"size\": 1, \"classes\": [1]}\n  ]\n}\n");

    int labels[4] = {2, 0, 2, 1};
    msp_clusters f = {.method = MSP_CLUSTER_FEATURES, .k = 2, .n_items = 4, .assign = a,
                      .silhouette = NAN, .inertia = 1.5, .seed = 77};
    cr_assert_eq(msp_clusters_write_json(path, &f, labels, 3, &err), MSP_OK, "%s", err.msg);
    cr_assert_str_eq(slurp(path), "{\n  \"method\": \"features\",\n  \"k\": 2,\n"
                                  "  \"n_items\": 4,\n  \"seed\": 77,\n"
                                  "  \"silhouette\": null,\n"
                                  "  \"inertia\": 1.5,\n  \"sizes\": [3, 1],\n"
                                  "  \"clusters\": [\n"
                                  "    {\"id\": 0, \"size\": 3, \"class_counts\": [0, 1, 2]},\n"
                                  "    {\"id\": 1, \"size\": 1, \"class_counts\": [1, 0, 0]}\n"
                                  "  ]\n}\n");

    /* Bad input leaves the previous file untouched. */
    labels[2] = 3;
    cr_assert_eq(msp_clusters_write_json(path, &f, labels, 3, &err), MSP_BAD_INPUT);
    char want_err[256];
    snprintf(want_err, sizeof want_err, "%s: clusters: item 2 has label 3, outside [0, 3)", path);
    cr_assert_str_eq(err.msg, want_err);
    cr_assert_not_null(strstr(slurp(path), "\"class_counts\": [0, 1, 2]"));
    a[1] = 2;
    cr_assert_eq(msp_clusters_write_json(path, &c, NULL, 0, &err), MSP_BAD_INPUT);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(rmdir(dir), 0); /* no temporary files left behind */
}

#define FM_IMG "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
#define FM_LAB "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"

Test(cluster, fashion_mnist_features_kmeans)
{
    msp_dataset d = {0};
    msp_err err = {{0}};
    cr_assert_eq(msp_idx_load(FM_IMG, FM_LAB, 10, 1000, &d, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(d.n, 1000);
    float *f = NULL;
    int dim = 0;
    cr_assert_eq(msp_cluster_features_extract(&d, &f, &dim, &err), MSP_OK, "%s", err.msg);
    msp_feature_stats st = {0};
    cr_assert_eq(msp_cluster_features_fit(f, d.n, dim, &st, &err), MSP_OK, "%s", err.msg);
    msp_cluster_features_apply(&st, f, d.n);
    int *a = malloc((size_t)d.n * sizeof *a);
    double in = 0, s = 0;
    cr_assert_eq(msp_kmeans(f, d.n, dim, 4, 1, 300, a, NULL, &in, &err), MSP_OK, "%s", err.msg);
    int cnt[4] = {0};
    for (int i = 0; i < d.n; i++)
        cnt[a[i]]++;
    for (int c = 0; c < 4; c++)
        cr_assert_gt(cnt[c], 0, "cluster %d empty", c);
    /* Standardised data: total variance is 1 per dimension, k-means must do better. */
    cr_assert_lt(in, (double)d.n * dim);
    cr_assert_eq(msp_silhouette(f, d.n, dim, a, 4, 0, 0, &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_gt(s, 0.0);
    /* Clusters carry class information: some class is over a third of a cluster
     * (uniform would be a tenth). */
    int counts[4][10] = {{0}};
    for (int i = 0; i < d.n; i++)
        counts[a[i]][d.y[i]]++;
    int skewed = 0;
    for (int c = 0; c < 4; c++)
        for (int y = 0; y < 10; y++)
            skewed += counts[c][y] > cnt[c] / 3;
    cr_assert_gt(skewed, 0);
    free(a);
    free(f);
    msp_feature_stats_free(&st);
    msp_dataset_free(&d);
}
