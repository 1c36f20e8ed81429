/* plan.c: the specialisation plan: which inputs form each cluster, and the
 * settings every specialist job uses. It is recomputed (deterministically)
 * by the parent and by every job, and identified by the CRC-32 of its text,
 * so a job's result made from another plan is never mistaken for current. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "engine/engine.h"
#include "train/train.h"
#include "specialise.h"

/* k-means settings: iterations, and points used for the silhouette. */
#define KMEANS_ITER 100
#define SILHOUETTE_POINTS 2000

void msp_spec_plan_free(msp_spec_plan *p)
{
    if (!p) return;
    free(p->k_scores);
    free(p->class_cluster);
    for (int s = 0; s < 3; s++) free(p->assign[s]);
    memset(p, 0, sizeof *p);
}

/* Classes grouped by the base network's confusions on the validation split. */
static msp_status plan_confusion(const msp_expconf *conf, msp_net *base, const msp_dataset *val,
                                 msp_spec_plan *p, msp_err *err)
{
    int n = val->n_classes;
    if (val->n == 0)
        return msp_err_set(err, MSP_BAD_INPUT, conf->path, 0,
                           "clustering = \"confusion\" needs a validation split (data.validation > 0)");
    if (n < 2)
        return msp_err_set(err, MSP_BAD_INPUT, conf->path, 0, "confusion clustering needs 2 or more classes");
    msp_metrics m;
    msp_metrics_init(&m, n);
    msp_eval_dataset(base, val, &m);
    p->class_cluster = msp_malloc(sizeof(int) * (size_t)n);
    p->n_classes = n;
    msp_status st;
    if (p->k_min == p->k_max) {
        st = msp_cluster_classes_confusion(m.confusion, n, p->k, p->class_cluster, err);
        if (st == MSP_OK) {
            double *sim = msp_malloc(sizeof(double) * (size_t)n * (size_t)n);
            st = msp_cluster_similarity(m.confusion, n, sim, err);
            for (size_t i = 0; i < (size_t)n * (size_t)n; i++) sim[i] = 1 - sim[i];
            if (st == MSP_OK)
                st = msp_silhouette_dist(sim, n, p->class_cluster, p->k, &p->silhouette, err);
            free(sim);
        }
    } else {
        p->k_scores = msp_malloc(sizeof(double) * (size_t)(p->k_max - p->k_min + 1));
        st = msp_cluster_choose_k_confusion(m.confusion, n, p->k_min, p->k_max, &p->k,
                                            p->class_cluster, p->k_scores, err);
        if (st == MSP_OK) p->silhouette = p->k_scores[p->k - p->k_min];
    }
    msp_metrics_free(&m);
    return st;
}

/* Per-example vectors for k-means: cheap image features or the base
 * network's penultimate activations. */
static msp_status vectors(const msp_expconf *conf, msp_net *base, const msp_dataset *d, float **x,
                          int *dim, msp_err *err)
{
    if (conf->specialise.clustering == MSP_CLUSTER_FEATURES)
        return msp_cluster_features_extract(d, x, dim, err);
    return msp_net_embedding(base, d, -1, x, dim, err);
}

static int nearest(const float *v, const float *centroids, int k, int d)
{
    int best = 0;
    double best_d = INFINITY;
    for (int c = 0; c < k; c++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            double t = (double)v[j] - centroids[(size_t)c * d + j];
            s += t * t;
        }
        if (s < best_d) best_d = s, best = c;
    }
    return best;
}

static msp_status plan_kmeans(const msp_expconf *conf, msp_net *base, const msp_dataset *split[3],
                              msp_spec_plan *p, msp_err *err)
{
    float *x = NULL, *centroids = NULL;
    int d = 0;
    msp_feature_stats fs = {0};
    const msp_dataset *tr = split[MSP_SPLIT_IDX_TRAIN];
    msp_status st = vectors(conf, base, tr, &x, &d, err);
    if (st == MSP_OK) st = msp_cluster_features_fit(x, tr->n, d, &fs, err);
    if (st != MSP_OK) goto out;
    msp_cluster_features_apply(&fs, x, tr->n);
    int *assign = msp_malloc(sizeof(int) * (size_t)tr->n);
    p->assign[MSP_SPLIT_IDX_TRAIN] = assign;
    if (p->k_min != p->k_max) {
        p->k_scores = msp_malloc(sizeof(double) * (size_t)(p->k_max - p->k_min + 1));
        st = msp_cluster_choose_k_kmeans(x, tr->n, d, p->k_min, p->k_max, conf->seed, KMEANS_ITER,
                                         SILHOUETTE_POINTS, &p->k, assign, p->k_scores, err);
        if (st != MSP_OK) goto out;
        p->silhouette = p->k_scores[p->k - p->k_min];
    }
    centroids = msp_malloc(sizeof(float) * (size_t)p->k * (size_t)d);
    st = msp_kmeans(x, tr->n, d, p->k, conf->seed, KMEANS_ITER, assign, centroids, NULL, err);
    if (st == MSP_OK && p->k_min == p->k_max)
        st = msp_silhouette(x, tr->n, d, assign, p->k, SILHOUETTE_POINTS, conf->seed,
                            &p->silhouette, err);
    for (int s = 1; s < 3 && st == MSP_OK; s++) {
        free(x);
        x = NULL;
        if (split[s]->n == 0) continue;
        int dd = 0;
        if ((st = vectors(conf, base, split[s], &x, &dd, err)) != MSP_OK) break;
        msp_cluster_features_apply(&fs, x, split[s]->n);
        for (int i = 0; i < split[s]->n; i++)
            p->assign[s][i] = nearest(x + (size_t)i * d, centroids, p->k, d);
    }
out:
    free(x);
    free(centroids);
    msp_feature_stats_free(&fs);
    return st;
}

msp_status msp_spec_plan_make(const msp_expconf *conf, msp_net *base, const msp_dataset *train,
                              const msp_dataset *val, const msp_dataset *test,
                              msp_spec_plan *p, msp_err *err)
{
    memset(p, 0, sizeof *p);
    const msp_dataset *split[3] = {train, val, test};
    const msp_dataset *ref = train;
    p->method = (msp_cluster_method)conf->specialise.clustering;
    p->n_classes = ref->n_classes;
    int limit = p->method == MSP_CLUSTER_CONFUSION ? ref->n_classes : train->n;
    p->k = conf->specialise.k;
    p->k_min = p->k ? p->k : conf->specialise.k_min;
    p->k_max = p->k ? p->k : conf->specialise.k_max;
    if (p->k_max > limit) p->k_max = limit;
    if (p->k_min > p->k_max) {
        msp_status st = msp_err_set(err, MSP_BAD_INPUT, conf->path, 0,
                                    "specialise: %d clusters asked for, but only %d %s to cluster",
                                    p->k_min, limit,
                                    p->method == MSP_CLUSTER_CONFUSION ? "classes" : "images");
        msp_spec_plan_free(p);
        return st;
    }
    if (!p->k) p->k = p->k_min;
    for (int s = 0; s < 3; s++) {
        p->n_split[s] = split[s]->n;
        p->assign[s] = msp_calloc((size_t)split[s]->n + 1, sizeof(int));
    }
    msp_status st;
    if (p->method == MSP_CLUSTER_CONFUSION) {
        st = plan_confusion(conf, base, val, p, err);
        for (int s = 0; s < 3 && st == MSP_OK; s++)
            for (int i = 0; i < split[s]->n; i++)
                p->assign[s][i] = p->class_cluster[split[s]->y[i]];
    } else {
        st = plan_kmeans(conf, base, split, p, err);
    }
    if (st != MSP_OK) {
        msp_spec_plan_free(p);
        return st;
    }
    char *text = msp_spec_plan_text(conf, p);
    p->crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)text, (uInt)strlen(text));
    free(text);
    return MSP_OK;
}

/* A growing string. */
typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    MSP_ASSERT(n >= 0);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->s = msp_realloc(b->s, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void put_ints(sbuf *b, const char *name, const int *v, int n)
{
    put(b, "%s = [", name);
    for (int i = 0; i < n; i++) put(b, "%s%d", i ? (i % 40 ? ", " : ",\n  ") : "", v[i]);
    put(b, "];\n");
}

/* Everything that decides a specialist: a change here means a new family.
 * Floats with %.17g and a forced decimal point so libconfig reads floats. */
char *msp_spec_plan_text(const msp_expconf *conf, const msp_spec_plan *p)
{
    sbuf b = {0};
    const __typeof__(conf->specialise) *s = &conf->specialise;
    put(&b, "# msprune specialisation plan (written by `msprune specialise`; informational)\n");
    /* The other strings are names from msprune's own lists: nothing to escape. */
    char *name = msp_conf_quote(conf->name), *cfg = msp_conf_quote(conf->base.cfg),
         *weights = msp_conf_quote(conf->base.weights);
    put(&b, "version = 1;\nexperiment = %s;\nseed = %" PRIu64 "L;\n", name, conf->seed);
    put(&b, "base_cfg = %s;\nbase_weights = %s;\n", cfg, weights);
    free(name);
    free(cfg);
    free(weights);
    put(&b, "clustering = \"%s\";\nk = %d;\nk_range = [%d, %d];\n", msp_cluster_method_name(p->method),
        p->k, p->k_min, p->k_max);
    put(&b, "silhouette = %.6f;\n", isfinite(p->silhouette) ? p->silhouette : 0.0);
    put(&b, "criterion = \"%s\";\ntarget_flops = %.6f;\nallocation = \"%s\";\n",
        s->criterion ? s->criterion : "taylor", s->target_flops, s->allocation ? "global" : "uniform");
    put(&b, "min_channels = %d;\nsteps = %d;\nfinetune_epochs = %d;\nfinetune_lr = %.6f;\n",
        s->min_channels, s->steps, s->finetune_epochs, s->finetune_lr);
    put(&b, "other = %s;\nother_share = %.6f;\nbatch = %d;\n", s->other ? "true" : "false",
        s->other_share, conf->base.batch);
    /* Only when not the default, so families made before these keys keep
     * their CRC. */
    if (!s->protect_first) put(&b, "protect_first = false;\n");
    if (!s->specialists) put(&b, "specialists = false;\n");
    if (s->n_generalists) {
        put(&b, "generalists = [");
        for (int i = 0; i < s->n_generalists; i++)
            put(&b, "%s%.6f", i ? ", " : "", s->generalists[i]);
        put(&b, "];\n");
    }
    if (s->distill > 0)
        put(&b, "distill = %.6f;\ndistill_temperature = %.6f;\n", s->distill,
            s->distill_temperature);
    put(&b, "splits = [%d, %d, %d];\n", p->n_split[0], p->n_split[1], p->n_split[2]);
    if (p->class_cluster) put_ints(&b, "class_cluster", p->class_cluster, p->n_classes);
    static const char *const names[3] = {"assign_train", "assign_val", "assign_test"};
    if (!p->class_cluster)
        for (int k = 0; k < 3; k++) put_ints(&b, names[k], p->assign[k], p->n_split[k]);
    return b.s;
}
