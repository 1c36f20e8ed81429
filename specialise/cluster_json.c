/* cluster_json.c: clusters.json, the record of a clustering (method, k,
 * sizes, members or per-class counts, quality figures), written atomically
 * so an interrupted run never leaves a half-written file. Input is checked
 * fully before the file is opened. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/base.h"
#include "specialise.h"

msp_status msp_clusters_write_json(const char *path, const msp_clusters *c, const int *labels,
                                   int n_classes, msp_err *err)
{
    if (!path || !c || !c->assign)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "clusters.json: nothing to write");
    if (c->method != MSP_CLUSTER_CONFUSION && c->method != MSP_CLUSTER_FEATURES &&
        c->method != MSP_CLUSTER_EMBEDDING)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "unknown clustering method %d",
                           (int)c->method);
    if (c->n_items < 1 || c->n_items > MSP_CLUSTER_MAX_POINTS || c->k < 1 ||
        c->k > c->n_items)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                           "clusters: k = %d for %d items, need 1 <= k <= items <= %d", c->k,
                           c->n_items, MSP_CLUSTER_MAX_POINTS);
    int with_counts = c->method != MSP_CLUSTER_CONFUSION && labels;
    if (with_counts && (n_classes < 1 || n_classes > MSP_DATASET_MAX_CLASSES))
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "clusters: %d classes, need 1 to %d",
                           n_classes, MSP_DATASET_MAX_CLASSES);
    size_t n = (size_t)c->n_items, k = (size_t)c->k;
    for (size_t i = 0; i < n; i++) {
        if (c->assign[i] < 0 || c->assign[i] >= c->k)
            return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                               "clusters: item %zu has cluster %d, outside [0, %d)", i,
                               c->assign[i], c->k);
        if (with_counts && (labels[i] < 0 || labels[i] >= n_classes))
            return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                               "clusters: item %zu has label %d, outside [0, %d)", i, labels[i],
                               n_classes);
    }
    int64_t *size = msp_calloc(k, sizeof *size);
    int64_t *counts = with_counts ? msp_calloc(k * (size_t)n_classes, sizeof *counts) : NULL;
    for (size_t i = 0; i < n; i++) {
        size[c->assign[i]]++;
        if (counts)
            counts[(size_t)c->assign[i] * (size_t)n_classes + (size_t)labels[i]]++;
    }

    msp_atomic a = {0};
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK)
        goto done;
    FILE *f = a.f;
    int is_kmeans = c->method != MSP_CLUSTER_CONFUSION;
    fprintf(f, "{\n  \"method\": \"%s\",\n  \"k\": %d,\n  \"n_items\": %d,\n",
            msp_cluster_method_name(c->method), c->k, c->n_items);
    if (is_kmeans)
        fprintf(f, "  \"seed\": %" PRIu64 ",\n", c->seed);
    fprintf(f, "  \"silhouette\": ");
    msp_json_number(f, c->silhouette);
    fprintf(f, ",\n  \"inertia\": ");
    msp_json_number(f, is_kmeans ? c->inertia : NAN);
    fprintf(f, ",\n  \"sizes\": [");
    for (size_t j = 0; j < k; j++)
        fprintf(f, "%s%" PRId64, j ? ", " : "", size[j]);
    fprintf(f, "],\n  \"clusters\": [");
    for (size_t j = 0; j < k; j++) {
        fprintf(f, "%s\n    {\"id\": %zu, \"size\": %" PRId64, j ? "," : "", j, size[j]);
        if (!is_kmeans) {
            fprintf(f, ", \"classes\": [");
            int first = 1;
            for (size_t i = 0; i < n; i++)
                if ((size_t)c->assign[i] == j) {
                    fprintf(f, "%s%zu", first ? "" : ", ", i);
                    first = 0;
                }
            fprintf(f, "]");
        } else if (counts) {
            fprintf(f, ", \"class_counts\": [");
            for (int q = 0; q < n_classes; q++)
                fprintf(f, "%s%" PRId64, q ? ", " : "", counts[j * (size_t)n_classes + (size_t)q]);
            fprintf(f, "]");
        }
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]\n}\n");
    if (ferror(f)) {
        msp_atomic_abort(&a);
        st = msp_err_set(err, MSP_FAIL, path, 0, "write failed (disk full?)");
        goto done;
    }
    st = msp_atomic_commit(&a, err);
done:
    free(size);
    free(counts);
    return st;
}
