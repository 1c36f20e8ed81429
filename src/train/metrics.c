/* metrics.c: confusion matrix, top-k, precision/recall/F1, median. */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "base/base.h"

void msp_metrics_init(msp_metrics *m, int n_classes)
{
    MSP_ASSERT(n_classes > 0);
    memset(m, 0, sizeof *m);
    m->n_classes = n_classes;
    m->confusion = msp_calloc((size_t)n_classes * (size_t)n_classes, sizeof *m->confusion);
}

void msp_metrics_free(msp_metrics *m)
{
    free(m->confusion);
    memset(m, 0, sizeof *m);
}

int msp_argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static void count(msp_metrics *m, int predicted, int label, int in_top5)
{
    MSP_ASSERT(label >= 0 && label < m->n_classes && predicted >= 0 && predicted < m->n_classes);
    m->confusion[(size_t)label * m->n_classes + predicted]++;
    m->n++;
    m->top1 += predicted == label;
    m->top5 += in_top5;
}

void msp_metrics_add_prediction(msp_metrics *m, int predicted, int label)
{
    count(m, predicted, label, predicted == label);
}

void msp_metrics_add(msp_metrics *m, const float *scores, int label)
{
    /* The label is in the top 5 when fewer than 5 classes beat it (ties
     * count against it, so equal scores never inflate the figure), or when
     * it is the top-1 answer itself (top-1 hits are always top-5 hits). */
    int predicted = msp_argmax(scores, m->n_classes), better = 0;
    for (int i = 0; i < m->n_classes; i++)
        if (i != label && scores[i] >= scores[label]) better++;
    count(m, predicted, label, better < 5 || predicted == label);
}

double msp_metrics_top1(const msp_metrics *m) { return m->n ? (double)m->top1 / m->n : 0; }
double msp_metrics_top5(const msp_metrics *m) { return m->n ? (double)m->top5 / m->n : 0; }

msp_class_stats msp_metrics_class(const msp_metrics *m, int k)
{
    int n = m->n_classes;
    int64_t tp = m->confusion[(size_t)k * n + k], predicted = 0, actual = 0;
    for (int i = 0; i < n; i++) {
        predicted += m->confusion[(size_t)i * n + k];
        actual += m->confusion[(size_t)k * n + i];
    }
    msp_class_stats s = {0};
    s.support = actual;
    s.precision = predicted ? (double)tp / predicted : 0;
    s.recall = actual ? (double)tp / actual : 0;
    s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
    return s;
}

double msp_metrics_macro_f1(const msp_metrics *m)
{
    double sum = 0;
    for (int k = 0; k < m->n_classes; k++) sum += msp_metrics_class(m, k).f1;
    return sum / m->n_classes;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double msp_median(const double *x, int n)
{
    if (n <= 0) return 0;
    double *c = msp_malloc(sizeof *c * (size_t)n);
    memcpy(c, x, sizeof *c * (size_t)n);
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    double med = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return med;
}
