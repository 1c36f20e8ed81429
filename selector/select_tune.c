/* select_tune.c: the safety net's rule-3 thresholds tuned on labelled
 * inputs (label.h): one shared threshold, or one per chosen network found
 * exactly by a knapsack over the count of correct answers. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "selector/label.h"

/* Is (hits a, cost a) better than (hits b, cost b)? Reaching need beats
 * not reaching it; then the cheaper (reached) or the more accurate (not
 * reached; ties: the cheaper). */
static int better(int64_t ha, double ca, int64_t hb, double cb, int64_t need)
{
    if ((ha >= need) != (hb >= need)) return ha >= need;
    if (ha >= need) return ca < cb;
    return ha > hb || (ha == hb && ca < cb);
}

static msp_status check(const msp_choice *c, const int *chosen, const double *grid, int n_grid,
                        double min_score, const msp_safety *sn, msp_err *err)
{
    if (!isfinite(min_score))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning the safety net: the score to keep must be finite");
    if (!c || !c->other || !c->prob || !chosen || c->n < 1 || c->m < 1)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning the safety net needs network outcomes");
    if (c->m > MSP_SAFETY_MAX_NETS || sn->fallback < 0 || sn->fallback >= c->m)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning the safety net: fallback network %d of %d", sn->fallback,
                           c->m);
    if (n_grid < 1 || n_grid > 256)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning the safety net: %d thresholds to try, need 1 to 256", n_grid);
    for (int k = 0; k < n_grid; k++)
        if (!(grid[k] >= 0 && grid[k] <= 1))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "tuning the safety net: threshold %g outside [0, 1]", grid[k]);
    for (int i = 0; i < c->n; i++) {
        if (chosen[i] < 0 || chosen[i] >= c->m)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "tuning the safety net: input %d chose network %d, outside "
                               "[0, %d)", i, chosen[i], c->m);
        for (int j = 0; j < c->m; j++) {
            double s = c->score[(size_t)i * c->m + j];
            if (s != 0 && s != 1)
                return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                   "tuning the safety net: scores must be 0 or 1");
        }
    }
    return MSP_OK;
}

/* The per-network choice: dp[h] = the lowest cost of the networks so far
 * with h correct answers among their inputs; arg[j][h] = the grid index
 * network j took on the way to h. Writes the best thresholds into sn. */
static void knapsack(const msp_choice *c, const int64_t *count, const int64_t *hits,
                     const double *cost, const double *grid, int n_grid, int64_t fixed_hits,
                     double fixed_cost, int64_t need, msp_safety *sn)
{
    int m = c->m;
    int64_t total = 0;
    for (int j = 0; j < m; j++) total += count[j];
    double *dp = msp_malloc(sizeof(double) * (size_t)(total + 1));
    double *next = msp_malloc(sizeof(double) * (size_t)(total + 1));
    unsigned char *arg = msp_calloc((size_t)m * (size_t)(total + 1), 1);
    for (int64_t h = 0; h <= total; h++) dp[h] = INFINITY;
    dp[0] = 0;
    int64_t reach = 0; /* dp[h] is finite only for h <= reach */
    for (int j = 0; j < m; j++) {
        if (!count[j]) continue;
        for (int64_t h = 0; h <= reach + count[j]; h++) next[h] = INFINITY;
        for (int64_t h = 0; h <= reach; h++) {
            if (dp[h] == INFINITY) continue;
            for (int k = 0; k < n_grid; k++) {
                int64_t h2 = h + hits[(size_t)j * n_grid + k];
                double v = dp[h] + cost[(size_t)j * n_grid + k];
                if (v < next[h2]) {
                    next[h2] = v;
                    arg[(size_t)j * (total + 1) + h2] = (unsigned char)k;
                }
            }
        }
        reach += count[j];
        double *t = dp;
        dp = next;
        next = t;
    }
    int64_t best = -1;
    for (int64_t h = 0; h <= reach; h++)
        if (dp[h] < INFINITY &&
            (best < 0 || better(fixed_hits + h, fixed_cost + dp[h], fixed_hits + best,
                                fixed_cost + dp[best], need)))
            best = h;
    for (int j = m - 1; j >= 0; j--) {
        if (!count[j]) continue;
        int k = arg[(size_t)j * (total + 1) + best];
        sn->min_prob[j] = grid[k];
        best -= hits[(size_t)j * n_grid + k];
    }
    free(dp);
    free(next);
    free(arg);
}

msp_status msp_choice_tune_min_prob(const msp_choice *c, const int *chosen, const double *grid,
                                    int n_grid, double min_score, int shared, msp_safety *tuned,
                                    double *score, double *mean_ms, msp_err *err)
{
    msp_status st = check(c, chosen, grid, n_grid, min_score, tuned, err);
    if (st != MSP_OK) return st;
    int n = c->n, m = c->m, f = tuned->fallback;
    /* What the inputs that chose network j give with j's threshold grid[k]:
     * [j * n_grid + k]. The fallback's own inputs never fall back. */
    int64_t *count = msp_calloc((size_t)m, sizeof *count);
    int64_t *hits = msp_calloc((size_t)m * n_grid, sizeof *hits);
    double *cost = msp_calloc((size_t)m * n_grid, sizeof *cost);
    int64_t fixed_hits = 0;
    double fixed_cost = 0;
    for (int i = 0; i < n; i++) {
        size_t row = (size_t)i * m;
        int j = chosen[i];
        if (j == f) {
            fixed_hits += c->score[row + f] > 0;
            fixed_cost += c->cost_ms[row + f];
            continue;
        }
        count[j]++;
        int other = tuned->on_other && c->other[row + j];
        for (int k = 0; k < n_grid; k++) {
            int fb = other || (grid[k] > 0 && c->prob[row + j] < grid[k]);
            hits[(size_t)j * n_grid + k] += c->score[row + (fb ? f : j)] > 0;
            cost[(size_t)j * n_grid + k] += c->cost_ms[row + j] + (fb ? c->cost_ms[row + f] : 0);
        }
    }
    /* The smallest count of correct answers whose score reaches min_score. */
    int64_t need = (int64_t)ceil(min_score * n - 1e-9 * n);
    int kb = 0;
    int64_t hb = 0;
    double cb = INFINITY;
    for (int k = 0; k < n_grid; k++) {
        int64_t h = fixed_hits;
        double v = fixed_cost;
        for (int j = 0; j < m; j++) {
            h += hits[(size_t)j * n_grid + k];
            v += cost[(size_t)j * n_grid + k];
        }
        if (k == 0 || better(h, v, hb, cb, need)) {
            kb = k;
            hb = h;
            cb = v;
        }
    }
    msp_safety_set_min_prob(tuned, grid[kb]);
    if (!shared) {
        knapsack(c, count, hits, cost, grid, n_grid, fixed_hits, fixed_cost, need, tuned);
        tuned->min_prob[f] = 0; /* the fallback never falls back: say so */
    }
    /* What the chosen thresholds give, from the same tables. */
    hb = fixed_hits;
    cb = fixed_cost;
    for (int j = 0; j < m; j++) {
        if (!count[j]) continue;
        int k = 0;
        while (grid[k] != tuned->min_prob[j]) k++;
        hb += hits[(size_t)j * n_grid + k];
        cb += cost[(size_t)j * n_grid + k];
    }
    if (score) *score = (double)hb / n;
    if (mean_ms) *mean_ms = cb / n;
    free(count);
    free(hits);
    free(cost);
    return MSP_OK;
}
