/* step.c: one pruning step of files on disk (score, plan to a budget,
 * surgery, write PREFIX.*), shared by `msprune prune` and the specialist
 * jobs of specialise/. */
#include <math.h>
#include <stdio.h>

#include "prune.h"

/* Images used to compute data-driven scores: enough for stable channel
 * statistics, few enough to take seconds. */
#define SCORE_IMAGES 2048

static const char *budget_name(msp_prune_budget b)
{
    return b == MSP_BUDGET_RATIO ? "ratio" : b == MSP_BUDGET_FLOPS ? "target FLOPs" : "target ms";
}

double msp_prune_schedule_flops(double flops0, double target, int k, int n)
{
    return flops0 * pow(target / flops0, (double)k / n);
}

double msp_prune_schedule_ratio(double ratio, int n)
{
    return 1 - pow(1 - ratio, 1.0 / n);
}

msp_status msp_prune_step_files(const msp_prune_step *a, double *flops_before, double *flops_after,
                                msp_err *err)
{
    msp_prune_net in = {0}, out = {0};
    msp_prune_groups g = {0};
    msp_prune_scores s = {0};
    msp_prune_masks m = {0};
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    o.protect_first = a->protect_first;
    msp_status st;
    if ((st = msp_prune_net_open(a->in_cfg, a->in_weights, a->seed, &in, err)) ||
        (st = msp_prune_groups_build(&in.cfg, &in.net, &o, &g, err)))
        goto done;
    if (msp_prune_criterion_is_weight_based(a->criterion)) {
        st = msp_prune_score_weights(&in.net, &in.w, &g, a->criterion, a->seed, &s, err);
    } else {
        msp_net *dn = NULL;
        msp_net_opts no = {.batch = a->batch, .engine = a->engine};
        st = msp_net_load(a->in_cfg, a->in_weights, &no, &dn, err);
        /* Training-mode passes draw dropout masks from rand(): seeded here so
         * the scores do not depend on what ran before in this process. */
        msp_engine_seed(a->seed);
        if (st == MSP_OK)
            st = msp_prune_score_data(dn, a->train, SCORE_IMAGES, &in.net, &g, a->criterion, &s, err);
        msp_net_free(dn);
    }
    if (st) goto done;
    msp_prune_target_result res;
    if (a->budget_kind == MSP_BUDGET_RATIO)
        st = msp_prune_plan_ratio(&in.net, &g, &s, a->budget, a->alloc, a->min_channels, &m, err);
    else if (a->budget_kind == MSP_BUDGET_FLOPS)
        st = msp_prune_target_flops(&in.net, &g, &s, a->alloc, a->min_channels, a->budget, 0, &m,
                                    &res, err);
    else
        st = msp_prune_target_latency(&in.cfg, &in.net, &g, &in.w, &s, a->alloc, a->min_channels,
                                      a->budget, a->seed, &m, &res, err);
    if (st || (st = msp_prune_apply(&in.cfg, &in.net, &g, &in.w, &m, &out.cfg, &out.net, &out.w,
                                    err)))
        goto done;
    char note[200];
    snprintf(note, sizeof note, "criterion %s, %s %g, %s allocation, min_channels %d",
             msp_prune_criterion_name(a->criterion), budget_name(a->budget_kind), a->budget,
             a->alloc == MSP_ALLOC_GLOBAL ? "global" : "uniform", a->min_channels);
    st = msp_prune_write(a->out_prefix, &out.cfg, &in.net, &out.net, &out.w, note, err);
    if (flops_before) *flops_before = in.net.flops;
    if (flops_after) *flops_after = out.net.flops;
done:
    msp_prune_masks_free(&m);
    msp_prune_scores_free(&s);
    msp_prune_groups_free(&g);
    msp_prune_net_free(&out);
    msp_prune_net_free(&in);
    return st;
}
