/* family_run.c: what every network of a family answers on a dataset: the
 * outcomes (selector/outcomes.h) that labelling, the oracle and the
 * selector's evaluation are computed from. A specialist's outputs are mapped
 * to base classes through its class map; its "other" output answers -1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "base/base.h"
#include "selector/selector.h"

/* Is `truth` among the 5 highest scores (ties broken towards lower index,
 * as msp_metrics does)? Outputs that are "other" never match. */
static int in_top5(const float *s, int m, const int *outputs, int truth)
{
    int t = -1;
    for (int j = 0; j < m; j++)
        if (outputs[j] == truth) t = j;
    if (t < 0) return 0;
    int above = 0;
    for (int j = 0; j < m; j++)
        if (s[j] > s[t] || (s[j] == s[t] && j < t)) above++;
    return above < 5;
}

msp_status msp_family_outcomes(const msp_family *f, const char *dir, const msp_dataset *d,
                               msp_engine_kind engine, msp_outcomes *o, msp_err *err)
{
    msp_status st = msp_outcomes_init(o, d->n, f->n_nets, f->n_classes, err);
    if (st != MSP_OK) return st;
    for (int i = 0; i < d->n; i++) o->truth[i] = d->y[i];
    for (int j = 0; j < f->n_nets && st == MSP_OK; j++) {
        const msp_family_net *fn = &f->nets[j];
        o->names[j] = msp_strdup(fn->name);
        o->latency_ms[j] = isfinite(fn->latency_ms) ? fn->latency_ms : 0;
        o->flops[j] = (double)fn->flops;
        char *cfg = msp_strcat3(dir, "/", fn->cfg), *w = msp_strcat3(dir, "/", fn->weights);
        msp_net *net = NULL;
        msp_net_opts no = {.batch = 100, .engine = engine};
        st = msp_net_load(cfg, w, &no, &net, err);
        if (st == MSP_OK && msp_net_classes(net) != fn->n_outputs)
            st = msp_err_set(err, MSP_BAD_INPUT, cfg, 0, "%d outputs, but the manifest maps %d",
                             msp_net_classes(net), fn->n_outputs);
        if (st == MSP_OK) {
            int m = fn->n_outputs;
            float *out = msp_malloc(sizeof(float) * (size_t)d->n * (size_t)m);
            char label[64];
            snprintf(label, sizeof label, "%s (%d/%d)", fn->name, j + 1, f->n_nets);
            msp_eval_outputs_progress(net, d, out, label);
            for (int i = 0; i < d->n; i++) {
                const float *s = out + (size_t)i * m;
                int a = msp_argmax(s, m);
                size_t k = (size_t)i * f->n_nets + j;
                o->pred[k] = fn->outputs[a];
                o->prob[k] = s[a] < 0 ? 0 : s[a] > 1 ? 1 : s[a];
                o->top1[k] = fn->outputs[a] == d->y[i];
                o->top5[k] = o->top1[k] || in_top5(s, m, fn->outputs, d->y[i]);
            }
            free(out);
            msp_log(MSP_LOG_DEBUG, "%s on %d images done", fn->name, d->n);
        }
        msp_net_free(net);
        free(cfg);
        free(w);
    }
    if (st != MSP_OK) msp_outcomes_free(o);
    return st;
}
