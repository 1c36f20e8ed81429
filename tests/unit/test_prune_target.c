/* test_prune_target.c: FLOPs and latency targets on cfg/fashion-base.cfg
 * with seeded random weights. FLOPs results are checked against surgery
 * (msp_prune_apply + msp_dncfg_check); latency is only checked for paths
 * that cannot depend on timing.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prune/prune.h"

typedef struct fx {
    msp_dn_cfg cfg;
    msp_dn_net net;
    msp_prune_weights w;
    msp_prune_groups g;
    msp_prune_scores s;
} fx;

static void fx_init(fx *f)
{
    msp_err err = {{0}};
    memset(f, 0, sizeof *f);
    cr_assert_eq(msp_dncfg_read("cfg/fashion-base.cfg", &f->cfg, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_dncfg_check(&f->cfg, &f->net, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_prune_weights_random(&f->cfg, &f->net, 17, &f->w, &err), MSP_OK, "%s",
                 err.msg);
    msp_prune_opts o;
    msp_prune_opts_default(&o);
    cr_assert_eq(msp_prune_groups_build(&f->cfg, &f->net, &o, &f->g, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(msp_prune_score_weights(&f->net, &f->w, &f->g, MSP_CRIT_L1, 0, &f->s, &err),
                 MSP_OK, "%s", err.msg);
}

static void fx_free(fx *f)
{
    msp_prune_scores_free(&f->s);
    msp_prune_groups_free(&f->g);
    msp_prune_weights_free(&f->w);
    msp_dnnet_free(&f->net);
    msp_dncfg_free(&f->cfg);
}

/* FLOPs of the net pruned by m, by surgery. */
static double apply_flops(fx *f, const msp_prune_masks *m)
{
    msp_err err = {{0}};
    msp_dn_cfg oc;
    msp_dn_net on;
    msp_prune_weights ow;
    cr_assert_eq(msp_prune_apply(&f->cfg, &f->net, &f->g, &f->w, m, &oc, &on, &ow, &err), MSP_OK,
                 "%s", err.msg);
    double fl = on.flops;
    msp_prune_weights_free(&ow);
    msp_dnnet_free(&on);
    msp_dncfg_free(&oc);
    return fl;
}

static double plan_apply_flops(fx *f, double ratio, msp_prune_alloc mode)
{
    msp_err err = {{0}};
    msp_prune_masks m;
    cr_assert_eq(msp_prune_plan_ratio(&f->net, &f->g, &f->s, ratio, mode, 1, &m, &err), MSP_OK,
                 "%s", err.msg);
    double fl = apply_flops(f, &m);
    cr_assert_eq(msp_prune_masks_flops(&f->net, &f->g, &m), fl, "ratio %g", ratio);
    msp_prune_masks_free(&m);
    return fl;
}

Test(prune_target, mask_flops_equal_surgery_flops)
{
    fx f;
    fx_init(&f);
    for (int mode = 0; mode < 2; mode++)
        for (double r = 0; r < 1; r += 0.099)
            plan_apply_flops(&f, r, (msp_prune_alloc)mode);
    cr_assert_eq(plan_apply_flops(&f, 0, MSP_ALLOC_GLOBAL), f.net.flops);
    fx_free(&f);
}

Test(prune_target, half_flops_is_the_least_pruned_plan_below)
{
    fx f;
    fx_init(&f);
    msp_err err = {{0}};
    for (int mode = 0; mode < 2; mode++) {
        msp_prune_masks m;
        msp_prune_target_result res;
        cr_assert_eq(msp_prune_target_flops(&f.net, &f.g, &f.s, (msp_prune_alloc)mode, 1, 0.5, 1,
                                            &m, &res, &err), MSP_OK, "%s", err.msg);
        double goal = 0.5 * f.net.flops;
        double got = apply_flops(&f, &m);
        cr_assert_eq(got, res.flops_after);
        cr_assert_eq(res.flops_before, f.net.flops);
        cr_assert_leq(got, goal);
        cr_assert_gt(got, 0.3 * f.net.flops, "mode %d: %g", mode, got / f.net.flops);
        cr_assert_gt(res.flops_next, goal);
        /* Independently: the plan one ratio step less pruned is above the goal. */
        cr_assert_gt(res.ratio, 0.1);
        double below = plan_apply_flops(&f, res.ratio - 1e-9, (msp_prune_alloc)mode);
        cr_assert_gt(below, goal, "mode %d", mode);
        cr_assert_eq(below, res.flops_next, "mode %d", mode);
        cr_assert_eq(plan_apply_flops(&f, res.ratio, (msp_prune_alloc)mode), got);

        /* The same target given in FLOPs picks the same plan. */
        msp_prune_masks m2;
        msp_prune_target_result r2;
        cr_assert_eq(msp_prune_target_flops(&f.net, &f.g, &f.s, (msp_prune_alloc)mode, 1, goal, 0,
                                            &m2, &r2, &err), MSP_OK, "%s", err.msg);
        cr_assert_eq(r2.flops_after, got);
        for (int i = 0; i < f.net.n_layers; i++)
            if (m.keep[i])
                cr_assert_eq(memcmp(m.keep[i], m2.keep[i], (size_t)f.net.layers[i].filters), 0);
        msp_prune_masks_free(&m2);
        msp_prune_masks_free(&m);
    }
    fx_free(&f);
}

Test(prune_target, target_above_the_network_prunes_nothing)
{
    fx f;
    fx_init(&f);
    msp_err err = {{0}};
    msp_prune_masks m;
    msp_prune_target_result res;
    cr_assert_eq(msp_prune_target_flops(&f.net, &f.g, &f.s, MSP_ALLOC_GLOBAL, 1, 1.0, 1, &m, &res,
                                        &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(res.ratio, 0);
    cr_assert_eq(res.flops_after, f.net.flops);
    cr_assert_eq(apply_flops(&f, &m), f.net.flops);
    msp_prune_masks_free(&m);
    fx_free(&f);
}

Test(prune_target, unreachable_and_bad_targets)
{
    fx f;
    fx_init(&f);
    msp_err err = {{0}};
    msp_prune_masks m;
    msp_prune_target_result res;
    /* first and last layers protected: 1% is out of reach */
    double min_flops = plan_apply_flops(&f, nextafter(1.0, 0.0), MSP_ALLOC_GLOBAL);
    cr_assert_gt(min_flops, 0.01 * f.net.flops);
    cr_assert_eq(msp_prune_target_flops(&f.net, &f.g, &f.s, MSP_ALLOC_GLOBAL, 1, 0.01, 1, &m, &res,
                                        &err), MSP_BAD_INPUT);
    char expect[512];
    snprintf(expect, sizeof expect,
             "FLOPs target %.6g (1.00%% of the network's %.6g) cannot be reached: removing every "
             "removable channel (global allocation, min_channels 1) still leaves %.6g FLOPs "
             "(%.2f%%); ask for at least that, lower min_channels or unprotect the first layer",
             0.01 * f.net.flops, f.net.flops, min_flops, 100 * min_flops / f.net.flops);
    cr_assert_str_eq(err.msg, expect);
    cr_assert_null(m.keep);
    cr_assert_eq(res.flops_after, 0);
    /* exactly the minimum is reachable */
    cr_assert_eq(msp_prune_target_flops(&f.net, &f.g, &f.s, MSP_ALLOC_GLOBAL, 1, min_flops, 0, &m,
                                        &res, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(res.flops_after, min_flops);
    msp_prune_masks_free(&m);

    const double bad[] = {0, -0.5, 1.5, NAN, INFINITY};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(msp_prune_target_flops(&f.net, &f.g, &f.s, MSP_ALLOC_UNIFORM, 1, bad[i], 1,
                                            &m, &res, &err), MSP_BAD_INPUT, "%g", bad[i]);
        cr_assert(strstr(err.msg, "give a fraction of the network's FLOPs in (0, 1]"), "%s",
                  err.msg);
    }
    cr_assert_eq(msp_prune_target_flops(&f.net, &f.g, &f.s, MSP_ALLOC_UNIFORM, 1, -3, 0, &m, &res,
                                        &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "FLOPs target -3: give a positive number of FLOPs");
    fx_free(&f);
}

Test(prune_target, latency_paths_return_a_net)
{
    fx f;
    fx_init(&f);
    msp_err err = {{0}};
    msp_prune_masks m;
    msp_prune_target_result res;
    /* no net is slower than a day: nothing pruned, one measurement */
    cr_assert_eq(msp_prune_target_latency(&f.cfg, &f.net, &f.g, &f.w, &f.s, MSP_ALLOC_GLOBAL, 1,
                                          86400e3, 1, &m, &res, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(res.measured, 1);
    cr_assert_eq(res.flops_after, f.net.flops);
    cr_assert_gt(res.latency_before_ms, 0);
    cr_assert_eq(apply_flops(&f, &m), f.net.flops);
    msp_prune_masks_free(&m);
    /* no net is faster than a picosecond */
    cr_assert_eq(msp_prune_target_latency(&f.cfg, &f.net, &f.g, &f.w, &f.s, MSP_ALLOC_GLOBAL, 1,
                                          1e-9, 1, &m, &res, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "latency target 1e-09 ms cannot be reached: the original network "
                              "takes ") == err.msg, "%s", err.msg);
    cr_assert_null(m.keep);
    /* in between: whichever way the timing goes, the result is consistent */
    double half = 0.0;
    cr_assert_eq(msp_prune_target_latency(&f.cfg, &f.net, &f.g, &f.w, &f.s, MSP_ALLOC_GLOBAL, 1,
                                          86400e3, 2, &m, &res, &err), MSP_OK);
    half = 0.6 * res.latency_before_ms;
    msp_prune_masks_free(&m);
    msp_status st = msp_prune_target_latency(&f.cfg, &f.net, &f.g, &f.w, &f.s, MSP_ALLOC_GLOBAL,
                                             1, half, 3, &m, &res, &err);
    cr_assert(st == MSP_OK || st == MSP_BAD_INPUT, "%s", err.msg);
    if (st == MSP_OK) {
        cr_assert_leq(res.latency_after_ms, half);
        cr_assert_eq(apply_flops(&f, &m), res.flops_after);
        cr_assert_leq(res.measured, 7);
    }
    msp_prune_masks_free(&m);
    cr_assert_eq(msp_prune_target_latency(&f.cfg, &f.net, &f.g, &f.w, &f.s, MSP_ALLOC_GLOBAL, 1,
                                          -1, 1, &m, &res, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "latency target -1 ms: give a positive number of milliseconds");
    fx_free(&f);
}
