/* test_eval_predictions.c: the per-image CSV of `msprune evaluate
 * --predictions` (what scripts/tx2-check compares between builds).
 *
 * A tiny randomly initialised net runs over 10 images in batches of 4 (the
 * last batch partial). Every row must hold the image's index and label, the
 * argmax of its printed probabilities, and probabilities that read back
 * bit-identical to the network's own outputs for that batch; the metrics must
 * equal msp_eval_dataset's. An unwritable path fails cleanly.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "train/evaluate.h"
#include "base/rng.h"

#define BATCH 4
#define N_IMAGES 10
#define CLASSES 4
#define IN (8 * 8 * 2)

static msp_net *load_net(void)
{
    static const char text[] =
        "[net]\nbatch=4\nsubdivisions=1\nwidth=8\nheight=8\nchannels=2\n"
        "[convolutional]\nfilters=6\nsize=3\nstride=1\npad=1\n"
        "activation=leaky\n"
        "[maxpool]\nsize=2\nstride=2\n"
        "[connected]\noutput=4\nactivation=linear\n"
        "[softmax]\n";
    char path[] = "/tmp/msprune-predcsv-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    msp_engine_seed(11);
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {.batch = BATCH, .engine = MSP_ENGINE_FAST};
    cr_assert_eq(msp_net_load(path, NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    unlink(path);
    return net;
}

static void make_data(msp_dataset *d)
{
    memset(d, 0, sizeof *d);
    d->n = N_IMAGES;
    d->w = d->h = 8;
    d->c = 2;
    d->n_classes = CLASSES;
    d->x = malloc(sizeof(float) * N_IMAGES * IN);
    d->y = malloc(sizeof(int) * N_IMAGES);
    msp_rng r;
    msp_rng_seed(&r, 9);
    for (int i = 0; i < N_IMAGES * IN; i++) d->x[i] = (float)msp_rng_uniform(&r);
    for (int i = 0; i < N_IMAGES; i++) d->y[i] = (int)msp_rng_below(&r, CLASSES);
}

/* The outputs the net gives each image when fed the batches the evaluator
 * builds (the last one padded with the previous batch's tail). */
static void reference(msp_net *net, const msp_dataset *d, float *ref)
{
    float x[BATCH * IN] = {0};
    for (int start = 0; start < d->n; start += BATCH) {
        int k = d->n - start < BATCH ? d->n - start : BATCH;
        memcpy(x, d->x + (size_t)start * IN, sizeof(float) * IN * (size_t)k);
        const float *out = msp_net_predict(net, x);
        memcpy(ref + (size_t)start * CLASSES, out, sizeof(float) * CLASSES * (size_t)k);
    }
}

Test(eval_predictions, rows_match_the_network_outputs_exactly)
{
    msp_net *net = load_net();
    msp_dataset d;
    make_data(&d);
    float ref[N_IMAGES * CLASSES];
    reference(net, &d, ref);

    char dir[] = "/tmp/msprune-predcsv-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/p.csv", dir);
    msp_metrics m, m_ref;
    msp_metrics_init(&m, CLASSES);
    msp_metrics_init(&m_ref, CLASSES);
    msp_err err = {{0}};
    cr_assert_eq(msp_eval_predictions(net, &d, &m, path, &err), MSP_OK, "%s", err.msg);
    msp_eval_dataset(net, &d, &m_ref);
    cr_assert_eq(m.n, N_IMAGES);
    cr_assert_eq(m.top1, m_ref.top1);
    cr_assert_eq(memcmp(m.confusion, m_ref.confusion, sizeof(*m.confusion) * CLASSES * CLASSES), 0);

    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[1024];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, "index,true,predicted,p0,p1,p2,p3\n");
    int rows = 0, distinct_predictions = 0, seen[CLASSES] = {0};
    while (fgets(line, sizeof line, f)) {
        char *s = line, *end;
        long idx = strtol(s, &end, 10);
        cr_assert_eq(*end, ',');
        long label = strtol(end + 1, &end, 10);
        cr_assert_eq(*end, ',');
        long pred = strtol(end + 1, &end, 10);
        cr_assert_eq(idx, rows);
        cr_assert_eq(label, d.y[rows]);
        float p[CLASSES];
        for (int c = 0; c < CLASSES; c++) {
            cr_assert_eq(*end, ',', "row %d", rows);
            p[c] = strtof(end + 1, &end);
            cr_assert_eq(p[c], ref[rows * CLASSES + c], "row %d p%d: %.9g vs %.9g", rows, c,
                         p[c], ref[rows * CLASSES + c]);
        }
        cr_assert_str_eq(end, "\n");
        cr_assert_eq(pred, msp_argmax(p, CLASSES));
        if (!seen[pred]++) distinct_predictions++;
        rows++;
    }
    fclose(f);
    cr_assert_eq(rows, N_IMAGES);
    cr_assert_geq(distinct_predictions, 2, "every image predicted as the same class");
    /* Not a constant network: the rows would match trivially otherwise. */
    cr_assert_gt(ref[0] != ref[CLASSES] || ref[1] != ref[CLASSES + 1], 0);

    unlink(path);
    rmdir(dir);
    msp_metrics_free(&m);
    msp_metrics_free(&m_ref);
    msp_dataset_free(&d);
    msp_net_free(net);
}

Test(eval_predictions, unwritable_path_fails_and_leaves_no_file)
{
    msp_net *net = load_net();
    msp_dataset d;
    make_data(&d);
    char dir[] = "/tmp/msprune-predcsv-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/missing/p.csv", dir);
    msp_metrics m;
    msp_metrics_init(&m, CLASSES);
    msp_err err = {{0}};
    cr_assert_eq(msp_eval_predictions(net, &d, &m, path, &err), MSP_FAIL);
    cr_assert_neq(strstr(err.msg, "No such file"), NULL, "%s", err.msg);
    cr_assert_eq(m.n, N_IMAGES); /* the metrics are there all the same */
    cr_assert_eq(rmdir(dir), 0);  /* nothing left behind */
    msp_metrics_free(&m);
    msp_dataset_free(&d);
    msp_net_free(net);
}
