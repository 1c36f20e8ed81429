/* stage_timing.c: every test input's own path timed at batch 1, as a
 * deployed selector would run it: the premodel's features and prediction,
 * the chosen network, and the networks the evaluation handed the input on
 * to (msp_route: the chain's next ones, the fallback). The reference network alone and every strategy are
 * timed input after input, in an order that rotates from one input to the
 * next, so that load on a shared machine falls on all of them alike. */
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "base/base.h"
#include "selector/stage.h"

typedef struct {
    void *scratch;
    size_t scratch_n;
    float *part, *full;
} pm_buffers;

/* Run (and time) one strategy's path for image x. */
static msp_status run_path(const msp_sel_timed *t, pm_buffers *b, msp_net **nets, int i, const msp_dataset *d, const float *x, double *ms, msp_err *err)
{
    double t0 = msp_now();
    if (t->pm) {
        msp_status st = msp_features_compute(t->used, x, d->c, d->h, d->w, b->part, b->scratch,
                                             b->scratch_n, err);
        if (st != MSP_OK) return st;
        msp_features_scatter(t->all, t->used, b->part, b->full);
        double conf;
        (void)msp_premodel_predict(t->pm, b->full, &conf);
    }
    int route = t->route ? t->route[i] : MSP_ROUTE_CHOSEN;
    int j = route == MSP_ROUTE_FALLBACK_ONLY ? t->safety->fallback : t->chosen[i];
    int hops = route == MSP_ROUTE_HANDED_ON ? t->hops[i] : 0;
    volatile int sink = 0;
    for (int h = 0;; h++) {
        sink += msp_argmax(msp_net_predict(nets[j], x), msp_net_classes(nets[j]));
        if (h == hops) break;
        j = msp_safety_next(t->safety, j);
    }
    *ms = (msp_now() - t0) * 1e3;
    (void)sink;
    return MSP_OK;
}

msp_status msp_sel_time_paths(const msp_family *fam, const char *dir, msp_engine_kind engine,
                              const msp_dataset *d, int reference, const msp_sel_timed *t, int n_t, int warmup, double *ref_ms,
                              double *ms, msp_err *err)
{
    msp_net **nets = msp_calloc((size_t)fam->n_nets, sizeof *nets);
    pm_buffers *b = msp_calloc((size_t)(n_t > 0 ? n_t : 1), sizeof *b);
    msp_net_opts no = {.batch = 1, .engine = engine};
    msp_status st = MSP_OK;
    for (int j = 0; j < fam->n_nets && st == MSP_OK; j++) {
        char *cfg = msp_strcat3(dir, "/", fam->nets[j].cfg);
        char *w = msp_strcat3(dir, "/", fam->nets[j].weights);
        st = msp_net_load(cfg, w, &no, &nets[j], err);
        free(cfg);
        free(w);
    }
    for (int k = 0; k < n_t; k++) {
        if (!t[k].pm) continue;
        b[k].scratch_n = msp_features_scratch_size(t[k].used, d->c, d->h, d->w);
        b[k].scratch = msp_malloc(b[k].scratch_n + 1);
        b[k].part = msp_malloc(sizeof(float) * ((size_t)msp_features_dim(t[k].used) + 1));
        b[k].full = msp_calloc((size_t)msp_features_dim(t[k].all) + 1, sizeof(float));
    }
    size_t in = msp_dataset_example_size(d);
    /* Warm-up: every network and every path a few times, untimed. */
    for (int r = 0; r < warmup && st == MSP_OK && d->n > 0; r++) {
        int i = r % d->n;
        double ignore;
        for (int j = 0; j < fam->n_nets; j++) (void)msp_net_predict(nets[j], d->x + (size_t)i * in);
        for (int k = 0; k < n_t && st == MSP_OK; k++)
            st = run_path(&t[k], &b[k], nets, i, d, d->x + (size_t)i * in, &ignore, err);
    }
    msp_progress p;
    msp_progress_start(&p, "timing every input's path", d->n);
    for (int i = 0; i < d->n && st == MSP_OK; i++) {
        const float *x = d->x + (size_t)i * in;
        /* Strategy n_t is the reference network alone. */
        for (int r = 0; r <= n_t && st == MSP_OK; r++) {
            int k = (i + r) % (n_t + 1);
            if (k < n_t) {
                st = run_path(&t[k], &b[k], nets, i, d, x, &ms[(size_t)k * d->n + i], err);
            } else {
                double t0 = msp_now();
                volatile int sink = msp_argmax(msp_net_predict(nets[reference], x),
                                               msp_net_classes(nets[reference]));
                ref_ms[i] = (msp_now() - t0) * 1e3;
                (void)sink;
            }
        }
        if (msp_progress_due(&p)) msp_progress_update(&p, i + 1, NULL);
    }
    msp_progress_finish(&p, d->n, NULL);
    for (int k = 0; k < n_t; k++) {
        free(b[k].scratch);
        free(b[k].part);
        free(b[k].full);
    }
    free(b);
    for (int j = 0; j < fam->n_nets; j++) msp_net_free(nets[j]);
    free(nets);
    return st;
}
