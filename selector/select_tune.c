/* select_tune.c: the safety net's rule-3 thresholds tuned on labelled
 * inputs (label.h): one shared threshold, or one per chosen network found
 * exactly by a knapsack over the count of correct answers. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "selector/label.h"

int msp_select_better(double score_a, double ms_a, double score_b, double ms_b,
                      double min_score)
{
    double need = min_score - 1e-9; /* the scores' rounding */
    if ((score_a >= need) != (score_b >= need)) return score_a >= need;
    if (score_a >= need) return ms_a < ms_b;
    return score_a > score_b || (score_a == score_b && ms_a < ms_b);
}

/* What the inputs that chose each network give with each threshold:
 * [j * n_grid + k] = network j with threshold grid[k]; the inputs that
 * chose the fallback (which never falls back) are summed apart. */
typedef struct tables {
    int n, m, n_grid;
    int64_t *count, *hits, fixed_hits;
    double *cost, fixed_cost;
} tables;

/* Is (h, v) better than (hb, vb) (sums over all n inputs)? */
static int better(const tables *t, int64_t h, double v, int64_t hb, double vb, double min_score)
{
    return msp_select_better((double)h / t->n, v / t->n, (double)hb / t->n, vb / t->n, min_score);
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
 * network j took on the way to h. Writes the best index of every network
 * that some input chose into pick. */
static void knapsack(const tables *t, double min_score, int *pick)
{
    int m = t->m, n_grid = t->n_grid;
    int64_t total = 0;
    for (int j = 0; j < m; j++) total += t->count[j];
    double *dp = msp_malloc(sizeof(double) * (size_t)(total + 1));
    double *next = msp_malloc(sizeof(double) * (size_t)(total + 1));
    unsigned char *arg = msp_calloc((size_t)m * (size_t)(total + 1), 1);
    for (int64_t h = 0; h <= total; h++) dp[h] = INFINITY;
    dp[0] = 0;
    int64_t reach = 0; /* dp[h] is finite only for h <= reach */
    for (int j = 0; j < m; j++) {
        if (!t->count[j]) continue;
        for (int64_t h = 0; h <= reach + t->count[j]; h++) next[h] = INFINITY;
        for (int64_t h = 0; h <= reach; h++) {
            if (dp[h] == INFINITY) continue;
            for (int k = 0; k < n_grid; k++) {
                int64_t h2 = h + t->hits[(size_t)j * n_grid + k];
                double v = dp[h] + t->cost[(size_t)j * n_grid + k];
                if (v < next[h2]) {
                    next[h2] = v;
                    arg[(size_t)j * (total + 1) + h2] = (unsigned char)k;
                }
            }
        }
        reach += t->count[j];
        double *tmp = dp;
        dp = next;
        next = tmp;
    }
    int64_t best = -1;
    for (int64_t h = 0; h <= reach; h++)
        if (dp[h] < INFINITY &&
            (best < 0 || better(t, t->fixed_hits + h, t->fixed_cost + dp[h],
                                t->fixed_hits + best, t->fixed_cost + dp[best], min_score)))
            best = h;
    for (int j = m - 1; j >= 0; j--) {
        if (!t->count[j]) continue;
        pick[j] = arg[(size_t)j * (total + 1) + best];
        best -= t->hits[(size_t)j * n_grid + pick[j]];
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
    tables t = {.n = n, .m = m, .n_grid = n_grid,
                .count = msp_calloc((size_t)m, sizeof *t.count),
                .hits = msp_calloc((size_t)m * n_grid, sizeof *t.hits),
                .cost = msp_calloc((size_t)m * n_grid, sizeof *t.cost)};
    for (int i = 0; i < n; i++) {
        size_t row = (size_t)i * m;
        int j = chosen[i];
        if (j == f) {
            t.fixed_hits += c->score[row + f] > 0;
            t.fixed_cost += c->cost_ms[row + f];
            continue;
        }
        t.count[j]++;
        int other = tuned->on_other && c->other[row + j];
        for (int k = 0; k < n_grid; k++) {
            int fb = other || (grid[k] > 0 && c->prob[row + j] < grid[k]);
            t.hits[(size_t)j * n_grid + k] += c->score[row + (fb ? f : j)] > 0;
            t.cost[(size_t)j * n_grid + k] += c->cost_ms[row + j] + (fb ? c->cost_ms[row + f] : 0);
        }
    }
    /* pick[j]: network j's grid index. Shared: the best single value. */
    int *pick = msp_calloc((size_t)m, sizeof *pick);
    int64_t hb = 0;
    double vb = INFINITY;
    for (int k = 0; k < n_grid; k++) {
        int64_t h = t.fixed_hits;
        double v = t.fixed_cost;
        for (int j = 0; j < m; j++) {
            h += t.hits[(size_t)j * n_grid + k];
            v += t.cost[(size_t)j * n_grid + k];
        }
        if (k == 0 || better(&t, h, v, hb, vb, min_score)) {
            for (int j = 0; j < m; j++) pick[j] = k;
            hb = h;
            vb = v;
        }
    }
    msp_safety_set_min_prob(tuned, grid[pick[0]]);
    if (!shared) {
        knapsack(&t, min_score, pick); /* networks no input chose keep the shared pick */
        for (int j = 0; j < m; j++) tuned->min_prob[j] = grid[pick[j]];
        tuned->min_prob[f] = 0; /* the fallback never falls back: say so */
    }
    hb = t.fixed_hits;
    vb = t.fixed_cost;
    for (int j = 0; j < m; j++) {
        hb += t.hits[(size_t)j * n_grid + pick[j]];
        vb += t.cost[(size_t)j * n_grid + pick[j]];
    }
    if (score) *score = (double)hb / n;
    if (mean_ms) *mean_ms = vb / n;
    free(pick);
    free(t.count);
    free(t.hits);
    free(t.cost);
    return MSP_OK;
}
