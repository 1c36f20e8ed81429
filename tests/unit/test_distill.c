/* test_distill.c: the teacher's softened targets and training on them. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "base/rng.h"
#include "specialise/specialise.h"

#define TINY "tests/data/tiny-fashion.cfg"

Test(distill, soften_folds_other_classes_onto_other)
{
    const float p[4] = {0.7f, 0.2f, 0.1f, 0.0f};
    const int outputs[2] = {1, -1};
    float soft[2];
    msp_spec_soften(p, 4, 1.0, outputs, 2, soft);
    cr_assert_float_eq(soft[0], 0.2f, 1e-6);
    cr_assert_float_eq(soft[1], 0.8f, 1e-6);
}

Test(distill, soften_temperature_is_the_root_of_the_probabilities)
{
    const float p[4] = {0.7f, 0.2f, 0.1f, 0.0f};
    const int outputs[2] = {1, -1};
    float soft[2];
    msp_spec_soften(p, 4, 2.0, outputs, 2, soft);
    double s = sqrt(0.7) + sqrt(0.2) + sqrt(0.1) + sqrt(1e-30);
    cr_assert_float_eq(soft[0], sqrt(0.2) / s, 1e-6);
    cr_assert_float_eq(soft[1], 1 - sqrt(0.2) / s, 1e-6);
}

Test(distill, soften_without_other_renormalises_the_kept_classes)
{
    const float p[4] = {0.7f, 0.2f, 0.1f, 0.0f};
    const int outputs[2] = {2, 0}; /* order follows outputs, not classes */
    float soft[2];
    msp_spec_soften(p, 4, 1.0, outputs, 2, soft);
    cr_assert_float_eq(soft[0], 0.125f, 1e-6);
    cr_assert_float_eq(soft[1], 0.875f, 1e-6);
}

/* One-hot truth rows train exactly like integer labels. */
Test(distill, train_batch_truth_with_one_hot_equals_train_batch)
{
    msp_err err = {{0}};
    msp_net_opts o = {.batch = 4, .engine = MSP_ENGINE_FAST};
    msp_net *a = NULL, *b = NULL;
    msp_engine_seed(9);
    cr_assert_eq(msp_net_load(TINY, NULL, &o, &a, &err), MSP_OK, "%s", err.msg);
    msp_engine_seed(9);
    cr_assert_eq(msp_net_load(TINY, NULL, &o, &b, &err), MSP_OK, "%s", err.msg);
    int in = msp_net_inputs(a), nc = msp_net_classes(a);
    float *x = malloc(sizeof(float) * 4 * in), *truth = calloc(4 * (size_t)nc, sizeof(float));
    int y[4] = {3, 0, 9, 3};
    msp_rng r;
    msp_rng_seed(&r, 2);
    for (int i = 0; i < 4 * in; i++) x[i] = (float)msp_rng_uniform(&r);
    for (int i = 0; i < 4; i++) truth[i * nc + y[i]] = 1;
    for (int step = 0; step < 3; step++) {
        msp_engine_seed(100 + step);
        float la = msp_net_train_batch(a, x, y);
        msp_engine_seed(100 + step);
        float lb = msp_net_train_batch_truth(b, x, truth);
        cr_assert_eq(la, lb, "step %d loss %.9g vs %.9g", step, la, lb);
    }
    float *pa = malloc(sizeof(float) * 4 * nc);
    memcpy(pa, msp_net_predict(a, x), sizeof(float) * 4 * nc);
    cr_assert_eq(memcmp(pa, msp_net_predict(b, x), sizeof(float) * 4 * nc), 0);
    free(pa);
    free(x);
    free(truth);
    msp_net_free(a);
    msp_net_free(b);
}

/* Soft targets reach the network: the loss reported is the cross-entropy
 * -sum t log p of the forward pass. (A net without batch norm or dropout,
 * so the training forward equals the inference one.) */
Test(distill, soft_truth_reports_cross_entropy)
{
    char cfg[] = "/tmp/msprune-distill-XXXXXX";
    int fd = mkstemp(cfg);
    cr_assert(fd >= 0);
    const char text[] = "[net]\nbatch=2\nwidth=28\nheight=28\nchannels=1\nlearning_rate=0.1\n"
                        "[connected]\noutput=10\nactivation=linear\n[softmax]\n";
    cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    msp_err err = {{0}};
    msp_net_opts o = {.batch = 2, .engine = MSP_ENGINE_FAST};
    msp_net *a = NULL;
    msp_engine_seed(4);
    cr_assert_eq(msp_net_load(cfg, NULL, &o, &a, &err), MSP_OK, "%s", err.msg);
    int in = msp_net_inputs(a), nc = msp_net_classes(a);
    float *x = calloc(2 * (size_t)in, sizeof(float)), *truth = calloc(2 * (size_t)nc, sizeof(float));
    for (int i = 0; i < in; i++) x[i] = (float)(i % 7) / 7, x[in + i] = (float)(i % 5) / 5;
    truth[1] = 0.75f, truth[4] = 0.25f, truth[nc + 0] = 1;
    float p[20];
    memcpy(p, msp_net_predict(a, x), sizeof(float) * 2 * nc);
    double want = -(0.75 * log(p[1]) + 0.25 * log(p[4]) + log(p[nc])) / 2;
    float loss = msp_net_train_batch_truth(a, x, truth);
    cr_assert(fabs(loss - want) < 1e-5 * fabs(want), "%.7g vs %.7g", loss, want);
    /* and the step moved the outputs toward the targets */
    const float *q = msp_net_predict(a, x);
    cr_assert_gt(q[1], p[1]);
    cr_assert_gt(q[nc], p[nc]);
    free(x);
    free(truth);
    msp_net_free(a);
    unlink(cfg);
}
