/* target.c: prune until a FLOPs or latency target is met.
 *
 * FLOPs: plans from msp_prune_plan_ratio are nested (a larger ratio removes
 * a superset of the channels, in the same score order), so the pruned FLOPs
 * fall monotonically with the ratio and a bisection on the ratio finds the
 * smallest ratio whose plan meets the target, i.e. the plan with the most
 * FLOPs not above it. The ratio takes only finitely many distinct plans, so
 * the bisection stops once the bracket is narrower than any plan step
 * (1e-12) and also reports the FLOPs of the plan just below (the "next
 * step", above the target). FLOPs are computed from the masks with the
 * checker's own formulas (msp_prune_masks_flops; the tests check it equals
 * msp_dncfg_check of the msp_prune_apply result), so no surgery runs inside
 * the search. The largest ratio tried is the largest double below 1.
 *
 * Latency: measured, so noisy. The search brackets in FLOPs and measures
 * only a handful of candidates: the original net (done if already fast
 * enough), the most pruned plan (error if even that is too slow), then up to
 * MAX_PROBES FLOPs targets, the first from a proportional model
 * (fraction = target / original latency), the rest bisecting the FLOPs
 * fraction between the best plan that met the target and the least pruned
 * one that missed it. The result is the least pruned measured plan that met
 * the target. Latency: median batch-1 latency over random inputs
 * (msp_eval_latency, WARMUP + RUNS passes) of the pruned net loaded from
 * temporary files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "engine/engine.h"
#include "prune.h"
#include "train/train.h"

#define MAX_PROBES 5
#define WARMUP 3
#define RUNS 15

static int kept_chan(const msp_prune_groups *g, const msp_prune_masks *m, int ch)
{
    if (ch < 0) return 1;
    int l = g->chan_layer[ch];
    return !m->keep[l] || m->keep[l][ch - g->chan_base[l]];
}

double msp_prune_masks_flops(const msp_dn_net *net, const msp_prune_groups *g,
                             const msp_prune_masks *m)
{
    MSP_ASSERT(g->n_layers == net->n_layers && m->n_layers == net->n_layers);
    double total = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const msp_dn_layer *l = &net->layers[i];
        if (l->type != MSP_L_CONV && l->type != MSP_L_CONNECTED) {
            total += l->flops; /* no weights, or inputs locked (local) */
            continue;
        }
        int n = 0;
        for (int k = 0; k < l->filters; k++) n += !m->keep[i] || m->keep[i][k];
        int c = l->in_c;
        if (i > 0) {
            c = 0;
            for (int k = g->out_base[i - 1]; k < g->out_base[i]; k++)
                c += kept_chan(g, m, g->out_map[k]);
        }
        /* The same expressions as msp_dncfg_check. */
        if (l->type == MSP_L_CONV)
            total += 2.0 * n * l->size * l->size * (double)(c / l->groups) * l->out_h * l->out_w;
        else
            total += 2.0 * ((long long)c * l->in_h * l->in_w) * (double)n;
    }
    return total;
}

static msp_status plan_flops(const msp_dn_net *net, const msp_prune_groups *g,
                             const msp_prune_scores *s, double ratio, msp_prune_alloc mode,
                             int min_channels, msp_prune_masks *m, double *flops, msp_err *err)
{
    msp_status st = msp_prune_plan_ratio(net, g, s, ratio, mode, min_channels, m, err);
    if (st == MSP_OK) *flops = msp_prune_masks_flops(net, g, m);
    return st;
}

static const char *mode_name(msp_prune_alloc mode)
{
    return mode == MSP_ALLOC_GLOBAL ? "global" : "uniform";
}

msp_status msp_prune_target_flops(const msp_dn_net *net, const msp_prune_groups *g,
                                  const msp_prune_scores *s, msp_prune_alloc mode,
                                  int min_channels, double target, int is_fraction,
                                  msp_prune_masks *m, msp_prune_target_result *res, msp_err *err)
{
    memset(m, 0, sizeof *m);
    memset(res, 0, sizeof *res);
    if (!isfinite(target) || target <= 0 || (is_fraction && target > 1))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           is_fraction ? "FLOPs target %g: give a fraction of the network's "
                                         "FLOPs in (0, 1], e.g. 0.5"
                                       : "FLOPs target %g: give a positive number of FLOPs",
                           target);
    double full = net->flops;
    double goal = is_fraction ? target * full : target;
    res->flops_before = full;
    msp_status st;
    double f;
    if (full <= goal) {
        st = plan_flops(net, g, s, 0, mode, min_channels, m, &f, err);
        if (st != MSP_OK) return st;
        res->flops_after = res->flops_next = f;
        return MSP_OK;
    }
    double hi = nextafter(1.0, 0.0), lo = 0;
    msp_prune_masks tmp;
    if ((st = plan_flops(net, g, s, hi, mode, min_channels, &tmp, &f, err)) != MSP_OK) return st;
    msp_prune_masks_free(&tmp);
    if (f > goal)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "FLOPs target %.6g (%.2f%% of the network's %.6g) cannot be reached: "
                           "removing every removable channel (%s allocation, min_channels %d) "
                           "still leaves %.6g FLOPs (%.2f%%); ask for at least that, lower "
                           "min_channels or unprotect the first layer",
                           goal, 100 * goal / full, full, mode_name(mode), min_channels, f,
                           100 * f / full);
    double f_hi = f, f_lo = full;
    /* Invariant: plan(lo) > goal >= plan(hi). */
    while (hi - lo > 1e-12) {
        double mid = 0.5 * (lo + hi);
        if ((st = plan_flops(net, g, s, mid, mode, min_channels, &tmp, &f, err)) != MSP_OK)
            return st;
        msp_prune_masks_free(&tmp);
        if (f <= goal) {
            hi = mid;
            f_hi = f;
        } else {
            lo = mid;
            f_lo = f;
        }
    }
    if ((st = plan_flops(net, g, s, hi, mode, min_channels, m, &f, err)) != MSP_OK) return st;
    MSP_ASSERT(f == f_hi);
    res->ratio = hi;
    res->flops_after = f;
    res->flops_next = f_lo;
    return MSP_OK;
}

/* ---- latency -------------------------------------------------------- */

typedef struct lat_ctx {
    const msp_dn_cfg *cfg;
    const msp_dn_net *net;
    const msp_prune_groups *g;
    const msp_prune_weights *w;
    char dir[4096];
    uint64_t seed; /* of the random input images */
} lat_ctx;

/* Median batch-1 latency of the net pruned by m. */
static msp_status measure(lat_ctx *c, const msp_prune_masks *m, double *ms, msp_err *err)
{
    msp_dn_cfg ocfg;
    msp_dn_net onet;
    msp_prune_weights ow;
    msp_status st = msp_prune_apply(c->cfg, c->net, c->g, c->w, m, &ocfg, &onet, &ow, err);
    if (st != MSP_OK) return st;
    char *cp = msp_strcat3(c->dir, "/", "cand.cfg"), *wp = msp_strcat3(c->dir, "/", "cand.weights");
    msp_net *dn = NULL;
    msp_net_opts o = {.batch = 1};
    if ((st = msp_dncfg_write(&ocfg, cp, err)) == MSP_OK &&
        (st = msp_prune_weights_save(&ow, wp, err)) == MSP_OK &&
        (st = msp_net_load(cp, wp, &o, &dn, err)) == MSP_OK) {
        msp_latency lat;
        msp_eval_latency_random(dn, c->seed, WARMUP, RUNS, &lat);
        *ms = lat.median_ms;
        msp_net_free(dn);
    }
    unlink(cp);
    unlink(wp);
    free(cp);
    free(wp);
    msp_prune_weights_free(&ow);
    msp_dnnet_free(&onet);
    msp_dncfg_free(&ocfg);
    return st;
}

static void masks_move(msp_prune_masks *dst, msp_prune_masks *src)
{
    msp_prune_masks_free(dst);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

msp_status msp_prune_target_latency(const msp_dn_cfg *cfg, const msp_dn_net *net,
                                    const msp_prune_groups *g, const msp_prune_weights *w,
                                    const msp_prune_scores *s, msp_prune_alloc mode,
                                    int min_channels, double target_ms, uint64_t seed,
                                    msp_prune_masks *m, msp_prune_target_result *res,
                                    msp_err *err)
{
    memset(m, 0, sizeof *m);
    memset(res, 0, sizeof *res);
    if (!isfinite(target_ms) || target_ms <= 0)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "latency target %g ms: give a positive number of milliseconds",
                           target_ms);
    lat_ctx c = {.cfg = cfg, .net = net, .g = g, .w = w, .seed = seed};
    msp_status st = msp_temp_make("latency", 1, c.dir, sizeof c.dir, err);
    if (st != MSP_OK) return st;

    msp_prune_masks best = {0}, cand = {0};
    msp_prune_target_result tr;
    double ms = 0, full = net->flops;
    res->flops_before = full;
    st = msp_prune_plan_ratio(net, g, s, 0, mode, min_channels, &cand, err);
    if (st == MSP_OK) st = measure(&c, &cand, &ms, err);
    if (st != MSP_OK) goto done;
    res->measured = 1;
    res->latency_before_ms = ms;
    if (ms <= target_ms) {
        res->flops_after = res->flops_next = full;
        res->latency_after_ms = ms;
        masks_move(&best, &cand);
        goto done;
    }
    double l0 = ms;
    /* The most pruned plan. */
    msp_prune_masks_free(&cand);
    memset(&tr, 0, sizeof tr);
    tr.ratio = nextafter(1.0, 0.0);
    st = plan_flops(net, g, s, tr.ratio, mode, min_channels, &cand, &tr.flops_after, err);
    if (st == MSP_OK) st = measure(&c, &cand, &ms, err);
    if (st != MSP_OK) goto done;
    res->measured++;
    if (ms > target_ms) {
        st = msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                         "latency target %.4g ms cannot be reached: the original network takes "
                         "%.4g ms and the most pruned one (%s allocation, min_channels %d, "
                         "%.2f%% of the FLOPs) still takes %.4g ms (median of %d batch-1 runs)",
                         target_ms, l0, mode_name(mode), min_channels,
                         100 * tr.flops_after / full, ms, RUNS);
        goto done;
    }
    masks_move(&best, &cand);
    res->ratio = tr.ratio;
    res->flops_after = tr.flops_after;
    res->flops_next = full;
    res->latency_after_ms = ms;
    /* Bisect the FLOPs fraction between a met (lo) and a missed (hi) plan. */
    double f_met = tr.flops_after / full, f_miss = 1;
    double probe = target_ms / l0;
    for (int p = 0; p < MAX_PROBES; p++) {
        if (!(probe > f_met && probe < f_miss)) probe = 0.5 * (f_met + f_miss);
        st = msp_prune_target_flops(net, g, s, mode, min_channels, probe, 1, &cand, &tr, err);
        if (st != MSP_OK) goto done;
        double fa = tr.flops_after / full;
        if (fa <= f_met || fa >= f_miss) break; /* no plan strictly between: done */
        if ((st = measure(&c, &cand, &ms, err)) != MSP_OK) goto done;
        res->measured++;
        if (ms <= target_ms) {
            f_met = fa;
            masks_move(&best, &cand);
            res->ratio = tr.ratio;
            res->flops_after = tr.flops_after;
            res->latency_after_ms = ms;
        } else {
            f_miss = fa;
            res->flops_next = tr.flops_after;
            msp_prune_masks_free(&cand);
        }
        probe = 0.5 * (f_met + f_miss);
    }
done:
    msp_prune_masks_free(&cand);
    if (st == MSP_OK) {
        *m = best;
    } else {
        msp_prune_masks_free(&best);
        memset(res, 0, sizeof *res);
    }
    rmdir(c.dir);
    return st;
}
