/* features_cost.c: measured cost of feature groups, in nanoseconds per image:
 * the median of repeated timed passes (CLOCK_MONOTONIC) over a sample of
 * images, timed in short chunks, and a printable table. Timing depends on the machine and its
 * load; nothing here asserts a time. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "features.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median ns per image over `repeats` passes computing `set` over n images,
 * each pass timed in chunks of CHUNK images: on a shared machine a short
 * chunk usually runs within one scheduler slice, so the median over chunks
 * is the cost without preemption, where one long pass would absorb it.
 * runs holds repeats * ceil(n / CHUNK) samples. */
#define CHUNK 16
static double time_set(msp_fset set, const msp_dataset *d, int n, int repeats, float *out,
                       void *scratch, size_t ss, double *runs)
{
    size_t es = msp_dataset_example_size(d), m = 0;
    for (int r = -1; r < repeats; r++) /* r = -1: untimed warm-up */
        for (int i0 = 0; i0 < n; i0 += CHUNK) {
            int i1 = i0 + CHUNK < n ? i0 + CHUNK : n;
            double t0 = now_ns();
            for (int i = i0; i < i1; i++) {
                msp_status st = msp_features_compute(set, d->x + (size_t)i * es, d->c, d->h,
                                                     d->w, out, scratch, ss, NULL);
                MSP_ASSERT(st == MSP_OK);
            }
            double t1 = now_ns();
            if (r >= 0) runs[m++] = (t1 - t0) / (i1 - i0);
        }
    qsort(runs, m, sizeof *runs, cmp_double);
    return m % 2 ? runs[m / 2] : (runs[m / 2 - 1] + runs[m / 2]) / 2;
}

msp_status msp_features_cost(msp_fset set, const msp_dataset *d, int max_images, int repeats,
                             msp_features_costs *costs, msp_err *err)
{
    if (costs) memset(costs, 0, sizeof *costs);
    set &= MSP_FSET_EVERY;
    if (!d || !costs || !d->x)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "feature cost: no dataset or output");
    if (!set)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "feature cost: no feature group selected");
    if (max_images < 1 || repeats < 1 || repeats > 1000 || d->n < 1)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "feature cost: %d images (need >= 1, dataset has %d) and %d repeats "
                           "(need 1 to 1000)",
                           max_images, d->n, repeats);
    msp_status st = msp_features_check_shape(d->c, d->h, d->w, err);
    if (st != MSP_OK) return st;
    int n = d->n < max_images ? d->n : max_images;
    if (n > MSP_FEATURES_COST_MAX_IMAGES) n = MSP_FEATURES_COST_MAX_IMAGES;
    size_t ss = msp_features_scratch_size(set, d->c, d->h, d->w);
    void *scratch = msp_malloc(ss);
    float *out = msp_malloc(sizeof(float) * (size_t)msp_features_dim(set));
    double *runs = msp_malloc(sizeof(double) * (size_t)repeats * (size_t)((n + CHUNK - 1) / CHUNK));
    for (int g = 0; g < MSP_FGROUP_COUNT; g++)
        if (set & MSP_FSET(g))
            costs->group_ns[g] = time_set(MSP_FSET(g), d, n, repeats, out, scratch, ss, runs);
    costs->set_ns = time_set(set, d, n, repeats, out, scratch, ss, runs);
    costs->images = n;
    costs->repeats = repeats;
    free(runs);
    free(out);
    free(scratch);
    return MSP_OK;
}

void msp_features_cost_print(FILE *f, msp_fset set, const msp_features_costs *costs,
                             double reference_ns)
{
    set &= MSP_FSET_EVERY;
    fprintf(f, "%-16s %7s %12s%s\n", "feature group", "columns", "ns/image",
            reference_ns > 0 ? "  % of reference" : "");
    for (int g = 0; g < MSP_FGROUP_COUNT; g++) {
        if (!(set & MSP_FSET(g))) continue;
        fprintf(f, "%-16s %7d %12.1f", msp_fgroup_name((msp_fgroup)g), msp_fgroup_dim(g),
                costs->group_ns[g]);
        if (reference_ns > 0) fprintf(f, "  %15.2f%%", 100.0 * costs->group_ns[g] / reference_ns);
        fputc('\n', f);
    }
    fprintf(f, "%-16s %7d %12.1f", "all together", msp_features_dim(set), costs->set_ns);
    if (reference_ns > 0) fprintf(f, "  %15.2f%%", 100.0 * costs->set_ns / reference_ns);
    fprintf(f, "\n(median of %d passes over %d images)\n", costs->repeats, costs->images);
}
