/* test_dataset.c: split, subset, class filter and sample on a synthetic
 * in-memory dataset whose pixels encode the example index, so every copy
 * can be traced back to its source. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"

enum { W = 2, H = 2, C = 1, SZ = W * H * C };

/* n examples; label of example i from `labels`; x[i*SZ + j] = i + j/10. */
static void make(msp_dataset *d, int n, int n_classes, const int *labels, int named)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->w = W;
    d->h = H;
    d->c = C;
    d->n_classes = n_classes;
    d->x = malloc(sizeof(float) * SZ * (size_t)(n ? n : 1));
    d->y = malloc(sizeof(int) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        d->y[i] = labels[i];
        for (int j = 0; j < SZ; j++) d->x[i * SZ + j] = (float)i + j / 10.f;
    }
    if (named) {
        d->class_names = calloc((size_t)n_classes, sizeof(char *));
        for (int c = 0; c < n_classes; c++) {
            char buf[16];
            snprintf(buf, sizeof buf, "c%d", c);
            d->class_names[c] = strdup(buf);
        }
    }
}

/* 103 examples in 3 uneven classes: 50 of class 0, 33 of class 1, 20 of
 * class 2, interleaved. */
static void make_uneven(msp_dataset *d)
{
    int labels[103];
    int left[3] = {50, 33, 20};
    for (int i = 0, c = 0; i < 103; c = (c + 1) % 3) {
        if (!left[c]) continue;
        left[c]--;
        labels[i++] = c;
    }
    make(d, 103, 3, labels, 1);
}

/* Source index of example i of a copy (the pixel encoding). */
static int src_of(const msp_dataset *d, int i) { return (int)lroundf(d->x[i * SZ]); }

Test(dataset, free_is_safe_on_zeroed_and_twice)
{
    msp_dataset d;
    memset(&d, 0, sizeof d);
    msp_dataset_free(&d);
    msp_dataset_free(NULL);
    make_uneven(&d);
    msp_dataset_free(&d);
    cr_assert_eq(d.n, 0);
    cr_assert_null(d.x);
    msp_dataset_free(&d);
}

Test(dataset, split_is_a_stratified_partition)
{
    msp_dataset d;
    make_uneven(&d);
    int *tr, *va, nt, nv;
    msp_err err = {{0}};
    cr_assert_eq(msp_dataset_split(&d, 0.3, 42, &tr, &nt, &va, &nv, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(nv, 31); /* round(103 * 0.3) = round(30.9) */
    cr_assert_eq(nt + nv, 103);
    int seen[103] = {0};
    int per_class[3] = {0};
    for (int i = 0; i < nv; i++) {
        seen[va[i]]++;
        per_class[d.y[va[i]]]++;
        if (i) cr_assert_lt(va[i - 1], va[i], "validation indices ascending");
    }
    for (int i = 0; i < nt; i++) {
        seen[tr[i]]++;
        if (i) cr_assert_lt(tr[i - 1], tr[i], "training indices ascending");
    }
    for (int i = 0; i < 103; i++) cr_assert_eq(seen[i], 1, "index %d seen %d times", i, seen[i]);
    const int class_n[3] = {50, 33, 20};
    for (int c = 0; c < 3; c++)
        cr_assert_leq(fabs(per_class[c] - class_n[c] * 0.3), 1.0, "class %d: %d of %d in val", c,
                      per_class[c], class_n[c]);
    free(tr);
    free(va);
    msp_dataset_free(&d);
}

Test(dataset, split_is_deterministic_per_seed)
{
    msp_dataset d;
    make_uneven(&d);
    int *t1, *v1, *t2, *v2, *t3, *v3, nt1, nv1, nt2, nv2, nt3, nv3;
    msp_err err;
    cr_assert_eq(msp_dataset_split(&d, 0.25, 7, &t1, &nt1, &v1, &nv1, &err), MSP_OK);
    cr_assert_eq(msp_dataset_split(&d, 0.25, 7, &t2, &nt2, &v2, &nv2, &err), MSP_OK);
    cr_assert_eq(msp_dataset_split(&d, 0.25, 8, &t3, &nt3, &v3, &nv3, &err), MSP_OK);
    cr_assert_eq(nv1, nv2);
    cr_assert_eq(memcmp(v1, v2, sizeof(int) * (size_t)nv1), 0);
    cr_assert_eq(memcmp(t1, t2, sizeof(int) * (size_t)nt1), 0);
    cr_assert_eq(nv1, nv3); /* sizes depend on counts only... */
    cr_assert_neq(memcmp(v1, v3, sizeof(int) * (size_t)nv1), 0); /* ...membership on the seed */
    free(t1), free(v1), free(t2), free(v2), free(t3), free(v3);
    msp_dataset_free(&d);
}

Test(dataset, split_extremes_and_bad_fraction)
{
    msp_dataset d;
    make_uneven(&d);
    int *tr, *va, nt, nv;
    msp_err err = {{0}};
    cr_assert_eq(msp_dataset_split(&d, 0.0, 1, &tr, &nt, &va, &nv, &err), MSP_OK);
    cr_assert_eq(nv, 0);
    cr_assert_eq(nt, 103);
    cr_assert_not_null(va);
    for (int i = 0; i < 103; i++) cr_assert_eq(tr[i], i);
    free(tr), free(va);
    cr_assert_eq(msp_dataset_split(&d, 1.0, 1, &tr, &nt, &va, &nv, &err), MSP_OK);
    cr_assert_eq(nv, 103);
    cr_assert_eq(nt, 0);
    free(tr), free(va);
    const double bad[3] = {-0.1, 1.5, NAN};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(msp_dataset_split(&d, bad[i], 1, &tr, &nt, &va, &nv, &err), MSP_BAD_INPUT);
        cr_assert_not_null(strstr(err.msg, "is not in [0, 1]"), "%s", err.msg);
        cr_assert_null(tr);
        cr_assert_null(va);
        cr_assert_eq(nt + nv, 0);
    }
    msp_dataset_free(&d);
}

Test(dataset, split_small_classes_rounding)
{
    /* 10 classes of 3 at 0.5: 15 to validation, each class 1 or 2. */
    int labels[30];
    for (int i = 0; i < 30; i++) labels[i] = i % 10;
    msp_dataset d;
    make(&d, 30, 10, labels, 0);
    int *tr, *va, nt, nv;
    msp_err err;
    cr_assert_eq(msp_dataset_split(&d, 0.5, 3, &tr, &nt, &va, &nv, &err), MSP_OK);
    cr_assert_eq(nv, 15);
    int pc[10] = {0};
    for (int i = 0; i < nv; i++) pc[d.y[va[i]]]++;
    for (int c = 0; c < 10; c++) cr_assert(pc[c] == 1 || pc[c] == 2, "class %d: %d", c, pc[c]);
    free(tr), free(va);
    msp_dataset_free(&d);
}

Test(dataset, subset_copies)
{
    msp_dataset d, s;
    make_uneven(&d);
    int idx[4] = {5, 0, 102, 5};
    msp_dataset_subset(&d, idx, 4, &s);
    cr_assert_eq(s.n, 4);
    cr_assert_eq(s.w, W);
    cr_assert_eq(s.h, H);
    cr_assert_eq(s.c, C);
    cr_assert_eq(s.n_classes, 3);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(src_of(&s, i), idx[i]);
        cr_assert_eq(s.x[i * SZ + 3], idx[i] + 0.3f);
        cr_assert_eq(s.y[i], d.y[idx[i]]);
    }
    cr_assert_str_eq(s.class_names[2], "c2");
    cr_assert_neq(s.class_names[2], d.class_names[2]); /* owned copy */
    s.x[0] = -1;
    cr_assert_eq(d.x[5 * SZ], 5.0f);
    msp_dataset_free(&s);
    msp_dataset_subset(&d, NULL, 0, &s);
    cr_assert_eq(s.n, 0);
    cr_assert_eq(s.n_classes, 3);
    msp_dataset_free(&s);
    msp_dataset_free(&d);
}

Test(dataset, filter_classes_remap)
{
    msp_dataset d, f;
    make_uneven(&d);
    int keep[2] = {2, 0};
    msp_err err = {{0}};
    cr_assert_eq(msp_dataset_filter_classes(&d, keep, 2, 1, &f, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(f.n, 70);
    cr_assert_eq(f.n_classes, 2);
    cr_assert_str_eq(f.class_names[0], "c2");
    cr_assert_str_eq(f.class_names[1], "c0");
    int counts[2] = {0};
    for (int i = 0; i < f.n; i++) {
        int src = src_of(&f, i);
        if (i) cr_assert_lt(src_of(&f, i - 1), src, "original order kept");
        cr_assert_eq(f.y[i], d.y[src] == 2 ? 0 : 1, "example %d from %d", i, src);
        counts[f.y[i]]++;
    }
    cr_assert_eq(counts[0], 20);
    cr_assert_eq(counts[1], 50);
    msp_dataset_free(&f);

    cr_assert_eq(msp_dataset_filter_classes(&d, keep, 2, 0, &f, &err), MSP_OK);
    cr_assert_eq(f.n, 70);
    cr_assert_eq(f.n_classes, 3);
    cr_assert_str_eq(f.class_names[1], "c1");
    for (int i = 0; i < f.n; i++) {
        cr_assert_eq(f.y[i], d.y[src_of(&f, i)]);
        cr_assert_neq(f.y[i], 1);
    }
    msp_dataset_free(&f);

    /* other: every example stays, class 1 becomes "other" (label 2) */
    cr_assert_eq(msp_dataset_filter_classes(&d, keep, 2, MSP_CLASSES_REMAP_OTHER, &f, &err), MSP_OK);
    cr_assert_eq(f.n, d.n);
    cr_assert_eq(f.n_classes, 3);
    cr_assert_str_eq(f.class_names[2], "other");
    for (int i = 0; i < f.n; i++) {
        int y = d.y[src_of(&f, i)];
        cr_assert_eq(f.y[i], y == 2 ? 0 : y == 0 ? 1 : 2, "example %d", i);
    }
    msp_dataset_free(&f);
    msp_dataset_free(&d);
}

Test(dataset, filter_classes_rejects_bad_ids)
{
    msp_dataset d, f;
    make_uneven(&d);
    msp_err err;
    int out_of_range[2] = {0, 3};
    cr_assert_eq(msp_dataset_filter_classes(&d, out_of_range, 2, 1, &f, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "class id 3 is out of range [0, 3)");
    cr_assert_null(f.x);
    int negative[1] = {-1};
    cr_assert_eq(msp_dataset_filter_classes(&d, negative, 1, 1, &f, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "class id -1 is out of range [0, 3)");
    int dup[3] = {1, 2, 1};
    cr_assert_eq(msp_dataset_filter_classes(&d, dup, 3, 0, &f, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "class id 1 is listed twice (positions 0 and 2)");
    cr_assert_eq(msp_dataset_filter_classes(&d, dup, 0, 0, &f, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "class filter lists no classes");
    int four[4] = {0, 1, 2, 0};
    cr_assert_eq(msp_dataset_filter_classes(&d, four, 4, 0, &f, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "class filter lists 4 classes but the dataset has only 3");
    cr_assert_eq(f.n, 0);
    cr_assert_null(f.class_names);
    msp_dataset_free(&d);
}

Test(dataset, sample_is_seeded_subset_in_order)
{
    msp_dataset d, a, b, c, all;
    make_uneven(&d);
    msp_dataset_sample(&d, 10, 99, &a);
    msp_dataset_sample(&d, 10, 99, &b);
    msp_dataset_sample(&d, 10, 100, &c);
    cr_assert_eq(a.n, 10);
    cr_assert_eq(memcmp(a.x, b.x, sizeof(float) * SZ * 10), 0);
    cr_assert_neq(memcmp(a.x, c.x, sizeof(float) * SZ * 10), 0);
    for (int i = 1; i < 10; i++) cr_assert_lt(src_of(&a, i - 1), src_of(&a, i)); /* distinct, in order */
    for (int i = 0; i < 10; i++) cr_assert_eq(a.y[i], d.y[src_of(&a, i)]);
    msp_dataset_sample(&d, 1000, 1, &all);
    cr_assert_eq(all.n, 103);
    cr_assert_eq(memcmp(all.x, d.x, sizeof(float) * SZ * 103), 0);
    msp_dataset_free(&a);
    msp_dataset_free(&b);
    msp_dataset_free(&c);
    msp_dataset_free(&all);
    msp_dataset_free(&d);
}

Test(dataset, sample_is_stratified_by_class)
{
    msp_dataset d, s;
    make_uneven(&d); /* 50 / 33 / 20 */
    /* 30 of 103: cumulative roundings of 30 * (50, 83, 103) / 103 */
    msp_dataset_sample(&d, 30, 5, &s);
    int count[3] = {0};
    for (int i = 0; i < s.n; i++) count[s.y[i]]++;
    cr_assert_eq(s.n, 30);
    cr_assert_eq(count[0], 15); /* round(14.56) */
    cr_assert_eq(count[1], 9);  /* round(24.17) - 15 */
    cr_assert_eq(count[2], 6);  /* 30 - 24 */
    for (int i = 0; i < 30; i++) cr_assert_eq(s.y[i], d.y[src_of(&s, i)]);
    msp_dataset_free(&s);
    msp_dataset_free(&d);
}

Test(dataset, stratified_draw_of_a_class_sorted_list)
{
    /* 10 classes of 100, sorted by class: the first-N rule took 3 classes. */
    static int y[1000];
    for (int i = 0; i < 1000; i++) y[i] = i / 100;
    int n, n2, n3;
    int *a = msp_stratified_draw(y, 1000, 10, 250, 42, &n);
    int *b = msp_stratified_draw(y, 1000, 10, 250, 42, &n2);
    int *c = msp_stratified_draw(y, 1000, 10, 250, 43, &n3);
    cr_assert_eq(n, 250);
    int count[10] = {0};
    for (int i = 0; i < n; i++) {
        if (i) cr_assert_lt(a[i - 1], a[i], "ascending, distinct");
        count[y[a[i]]]++;
    }
    /* cumulative roundings of 25, 50, 75, ...: 25 each */
    for (int k = 0; k < 10; k++) cr_assert_eq(count[k], 25, "class %d: %d", k, count[k]);
    cr_assert_eq(memcmp(a, b, sizeof(int) * 250), 0, "seeded");
    cr_assert_neq(memcmp(a, c, sizeof(int) * 250), 0, "another seed, another draw");
    free(a);
    free(b);
    free(c);
    int *all = msp_stratified_draw(y, 1000, 10, 5000, 1, &n);
    cr_assert_eq(n, 1000);
    for (int i = 0; i < n; i++) cr_assert_eq(all[i], i);
    free(all);
}
