/* metrics.h: classification metrics from scores and labels.
 * A confusion matrix (rows = true class, columns = predicted) plus top-k
 * counts; everything else (precision, recall, F1) derives from it. */
#ifndef MSP_METRICS_H
#define MSP_METRICS_H

#include <stdint.h>

typedef struct msp_metrics {
    int n_classes;
    int64_t *confusion; /* n_classes x n_classes, [true * n + predicted] */
    int64_t n;          /* examples seen */
    int64_t top1, top5; /* correct within the best 1 / 5 scores */
} msp_metrics;

typedef struct msp_class_stats {
    double precision, recall, f1;
    int64_t support; /* examples whose true class this is */
} msp_class_stats;

void msp_metrics_init(msp_metrics *m, int n_classes);
void msp_metrics_free(msp_metrics *m);
/* One example: scores has n_classes entries; ties go to the lower index. */
void msp_metrics_add(msp_metrics *m, const float *scores, int label);
/* Directly from a predicted class (no top-5 information: counts top5 as top1). */
void msp_metrics_add_prediction(msp_metrics *m, int predicted, int label);

double msp_metrics_top1(const msp_metrics *m);
double msp_metrics_top5(const msp_metrics *m);
/* Per class; precision of a never-predicted class and recall of an absent
 * class are 0, and F1 is 0 when both are 0. */
msp_class_stats msp_metrics_class(const msp_metrics *m, int k);
/* Unweighted mean of per-class F1. */
double msp_metrics_macro_f1(const msp_metrics *m);

/* Index of the largest score (lowest index on ties). */
int msp_argmax(const float *x, int n);
/* Median of n doubles (sorts a copy). */
double msp_median(const double *x, int n);

#endif
