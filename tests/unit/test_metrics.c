/* test_metrics.c: metrics against a confusion matrix worked out by hand. */
#include <criterion/criterion.h>

#include "train/metrics.h"

/* 3 classes, true x predicted:
 *        p0 p1 p2
 *   t0 [  5  1  0 ]
 *   t1 [  2  3  1 ]
 *   t2 [  0  0  4 ]  */
static void fill(msp_metrics *m)
{
    static const int counts[3][3] = {{5, 1, 0}, {2, 3, 1}, {0, 0, 4}};
    msp_metrics_init(m, 3);
    for (int t = 0; t < 3; t++)
        for (int p = 0; p < 3; p++)
            for (int i = 0; i < counts[t][p]; i++) msp_metrics_add_prediction(m, p, t);
}

Test(metrics, confusion_matrix_by_hand)
{
    msp_metrics m;
    fill(&m);
    cr_assert_eq(m.n, 16);
    cr_assert_float_eq(msp_metrics_top1(&m), 12.0 / 16, 1e-12);
    msp_class_stats s0 = msp_metrics_class(&m, 0), s1 = msp_metrics_class(&m, 1),
                    s2 = msp_metrics_class(&m, 2);
    cr_assert_float_eq(s0.precision, 5.0 / 7, 1e-12);
    cr_assert_float_eq(s0.recall, 5.0 / 6, 1e-12);
    cr_assert_float_eq(s0.f1, 2 * (5.0 / 7) * (5.0 / 6) / (5.0 / 7 + 5.0 / 6), 1e-12);
    cr_assert_float_eq(s1.precision, 3.0 / 4, 1e-12);
    cr_assert_float_eq(s1.recall, 3.0 / 6, 1e-12);
    cr_assert_float_eq(s2.precision, 4.0 / 5, 1e-12);
    cr_assert_float_eq(s2.recall, 1.0, 1e-12);
    cr_assert_eq(s1.support, 6);
    double f1 = (s0.f1 + s1.f1 + s2.f1) / 3;
    cr_assert_float_eq(msp_metrics_macro_f1(&m), f1, 1e-12);
    msp_metrics_free(&m);
}

Test(metrics, absent_class_has_zero_scores)
{
    msp_metrics m;
    msp_metrics_init(&m, 3);
    msp_metrics_add_prediction(&m, 0, 0);
    msp_class_stats s = msp_metrics_class(&m, 2);
    cr_assert_eq(s.precision, 0);
    cr_assert_eq(s.recall, 0);
    cr_assert_eq(s.f1, 0);
    msp_metrics_free(&m);
}

Test(metrics, top5_counts_rank_and_ties_against_the_label)
{
    msp_metrics m;
    msp_metrics_init(&m, 7);
    /* label 6 ranks 5th (4 better): in top-5, not top-1 */
    float a[7] = {0.9f, 0.8f, 0.7f, 0.6f, 0.1f, 0.0f, 0.5f};
    msp_metrics_add(&m, a, 6);
    /* label 4 ranks 6th (5 better): not in top-5 */
    float b[7] = {0.9f, 0.8f, 0.7f, 0.6f, 0.1f, 0.2f, 0.5f};
    msp_metrics_add(&m, b, 4);
    /* a tie with 5 others keeps label 0 out of top-5 (ties count against it) */
    float c[7] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.1f};
    msp_metrics_add(&m, c, 5);
    /* all equal and the label wins the argmax tie: a top-1 hit is a top-5 hit */
    float d[7] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
    msp_metrics_add(&m, d, 0);
    cr_assert_eq(m.top1, 1);
    cr_assert_eq(m.top5, 2);
    /* argmax breaks ties towards the lower index */
    cr_assert_eq(m.confusion[5 * 7 + 0], 1);
    cr_assert_eq(m.n, 4);
    msp_metrics_free(&m);
}

Test(metrics, median_odd_even)
{
    double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2};
    cr_assert_float_eq(msp_median(odd, 3), 3, 1e-12);
    cr_assert_float_eq(msp_median(even, 4), 2.5, 1e-12);
    cr_assert_eq(odd[0], 5); /* input untouched */
}
