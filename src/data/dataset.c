/* dataset.c: the msp_dataset struct and operations on loaded sets (split,
 * subset, class filter, sample). Loaders live in idx.c and imagelist.c.
 * Indices are int: loaders cap n at MSP_DATASET_MAX_EXAMPLES. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "base/base.h"

void msp_dataset_free(msp_dataset *d)
{
    if (!d) return;
    msp_free_strings(d->class_names, d->n_classes);
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

/* Shape and classes of d, no examples yet; x and y sized for n. */
static void dataset_alloc_like(const msp_dataset *d, int n, msp_dataset *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    out->w = d->w;
    out->h = d->h;
    out->c = d->c;
    out->n_classes = d->n_classes;
    out->x = msp_malloc((size_t)n * msp_dataset_example_size(d) * sizeof(float));
    out->y = msp_malloc((size_t)n * sizeof(int));
    if (d->class_names) {
        out->class_names = msp_calloc((size_t)d->n_classes, sizeof(char *));
        for (int i = 0; i < d->n_classes; i++)
            out->class_names[i] = d->class_names[i] ? msp_strdup(d->class_names[i]) : NULL;
    }
}

void msp_dataset_subset(const msp_dataset *d, const int *idx, int n, msp_dataset *out)
{
    MSP_ASSERT(n >= 0);
    dataset_alloc_like(d, n, out);
    size_t sz = msp_dataset_example_size(d);
    for (int i = 0; i < n; i++) {
        MSP_ASSERT(idx[i] >= 0 && idx[i] < d->n);
        memcpy(out->x + (size_t)i * sz, d->x + (size_t)idx[i] * sz, sz * sizeof(float));
        out->y[i] = d->y[idx[i]];
    }
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

msp_status msp_dataset_split(const msp_dataset *d, double val_fraction, uint64_t seed,
                             int **train_idx, int *n_train, int **val_idx, int *n_val,
                             msp_err *err)
{
    *train_idx = *val_idx = NULL;
    *n_train = *n_val = 0;
    if (!(val_fraction >= 0.0 && val_fraction <= 1.0)) /* also rejects NaN */
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "validation fraction %g is not in [0, 1]", val_fraction);
    MSP_ASSERT(d->n >= 0 && d->n_classes >= 0);
    int n = d->n, k = d->n_classes;

    /* Group indices by class (counting sort keeps each group ascending). */
    int *start = msp_calloc((size_t)k + 1, sizeof(int));
    for (int i = 0; i < n; i++) {
        MSP_ASSERT(d->y[i] >= 0 && d->y[i] < k);
        start[d->y[i] + 1]++;
    }
    for (int c = 0; c < k; c++) start[c + 1] += start[c];
    int *fill = msp_malloc((size_t)k * sizeof(int));
    memcpy(fill, start, (size_t)k * sizeof(int));
    int *by_class = msp_malloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) by_class[fill[d->y[i]]++] = i;
    free(fill);

    int *val = msp_malloc((size_t)n * sizeof(int));
    int *train = msp_malloc((size_t)n * sizeof(int));
    int nv = 0, nt = 0;
    msp_rng rng;
    msp_rng_seed(&rng, seed);
    for (int c = 0; c < k; c++) {
        int *g = by_class + start[c];
        int gn = start[c + 1] - start[c];
        /* Cumulative rounding: totals round(n*f), each class within 1 of n_c*f. */
        long take = lround(start[c + 1] * val_fraction) - lround(start[c] * val_fraction);
        MSP_ASSERT(take >= 0 && take <= gn);
        msp_rng_shuffle(&rng, g, gn);
        for (int i = 0; i < gn; i++) {
            if (i < take) val[nv++] = g[i];
            else train[nt++] = g[i];
        }
    }
    free(start);
    free(by_class);
    qsort(val, (size_t)nv, sizeof(int), cmp_int);
    qsort(train, (size_t)nt, sizeof(int), cmp_int);
    *train_idx = train;
    *n_train = nt;
    *val_idx = val;
    *n_val = nv;
    return MSP_OK;
}

msp_status msp_dataset_filter_classes(const msp_dataset *d, const int *classes, int k,
                                      msp_class_mode mode, msp_dataset *out, msp_err *err)
{
    memset(out, 0, sizeof *out);
    if (k < 1)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "class filter lists no classes");
    if (k > d->n_classes)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "class filter lists %d classes but the dataset has only %d", k,
                           d->n_classes);
    /* pos[c] = position of class c in `classes`, or -1 if not kept. */
    int *pos = msp_malloc((size_t)d->n_classes * sizeof(int));
    for (int c = 0; c < d->n_classes; c++) pos[c] = -1;
    for (int i = 0; i < k; i++) {
        int c = classes[i];
        if (c < 0 || c >= d->n_classes) {
            free(pos);
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "class id %d is out of range [0, %d)", c, d->n_classes);
        }
        if (pos[c] >= 0) {
            int first = pos[c];
            free(pos);
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "class id %d is listed twice (positions %d and %d)", c, first, i);
        }
        pos[c] = i;
    }
    /* The other classes become class k, or are dropped. */
    int rest = mode == MSP_CLASSES_REMAP_OTHER ? k : -1;
    for (int c = 0; c < d->n_classes; c++)
        if (pos[c] < 0) pos[c] = rest;
    int m = 0;
    for (int i = 0; i < d->n; i++) m += pos[d->y[i]] >= 0;
    int *idx = msp_malloc((size_t)m * sizeof(int));
    m = 0;
    for (int i = 0; i < d->n; i++)
        if (pos[d->y[i]] >= 0) idx[m++] = i;
    msp_dataset_subset(d, idx, m, out);
    free(idx);
    if (mode != MSP_CLASSES_KEEP) {
        int n_new = k + (rest >= 0);
        for (int i = 0; i < m; i++) out->y[i] = pos[out->y[i]];
        if (out->class_names) {
            char **names = msp_calloc((size_t)n_new, sizeof(char *));
            for (int i = 0; i < k; i++) {
                names[i] = out->class_names[classes[i]];
                out->class_names[classes[i]] = NULL;
            }
            if (rest >= 0) names[k] = msp_strdup("other");
            for (int c = 0; c < out->n_classes; c++) free(out->class_names[c]);
            free(out->class_names);
            out->class_names = names;
        }
        out->n_classes = n_new;
    }
    free(pos);
    return MSP_OK;
}

int *msp_stratified_draw(const int *y, int n, int k, int m, uint64_t seed, int *n_out)
{
    MSP_ASSERT(n >= 0 && k >= 0);
    if (m < 0) m = 0;
    if (m > n) m = n;
    /* One seeded shuffle of every index; each class then takes its quota in
     * shuffled order, so a class-sorted list gives every class its share. */
    int *order = msp_malloc((size_t)n * sizeof(int) + 1);
    for (int i = 0; i < n; i++) order[i] = i;
    msp_rng rng;
    msp_rng_seed(&rng, seed);
    msp_rng_shuffle(&rng, order, n);
    long *count = msp_calloc((size_t)k + 1, sizeof(long));
    for (int i = 0; i < n; i++) {
        MSP_ASSERT(y[i] >= 0 && y[i] < k);
        count[y[i]]++;
    }
    /* Quotas by cumulative rounding, as msp_dataset_split: they total m and
     * each is within 1 of the class's share n_c * m / n. */
    long before = 0;
    for (int c = 0; c < k; c++) {
        long upto = before + count[c];
        long q = n ? lround((double)upto * m / n) - lround((double)before * m / n) : 0;
        before = upto;
        count[c] = q;
    }
    int *idx = msp_malloc((size_t)m * sizeof(int) + 1);
    int got = 0;
    for (int i = 0; i < n; i++)
        if (count[y[order[i]]] > 0) {
            count[y[order[i]]]--;
            idx[got++] = order[i];
        }
    MSP_ASSERT(got == m);
    free(count);
    free(order);
    qsort(idx, (size_t)m, sizeof(int), cmp_int);
    *n_out = m;
    return idx;
}

void msp_dataset_sample(const msp_dataset *d, int m, uint64_t seed, msp_dataset *out)
{
    int got;
    int *idx = msp_stratified_draw(d->y, d->n, d->n_classes, m, seed, &got);
    msp_dataset_subset(d, idx, got, out);
    free(idx);
}
