/* select_chain.c: a cascade's chain and thresholds tuned on labelled inputs
 * (label.h): a depth-first search over chains in order of cost, carrying
 * the inputs no stage has settled yet, so that each node costs only the
 * inputs that reach it. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "selector/label.h"

typedef struct search {
    const msp_choice *c;
    const double *grid;
    int n_grid, max_stages, f, on_other;
    double min_score;
    int *order, n_cand;       /* candidate networks by mean cost */
    int *open;                /* (max_stages + 1) x n: the unsettled inputs per depth */
    int net[MSP_SAFETY_MAX_CHAIN], k[MSP_SAFETY_MAX_CHAIN]; /* the chain being tried */
    int best_net[MSP_SAFETY_MAX_CHAIN], best_k[MSP_SAFETY_MAX_CHAIN], best_len;
    int64_t best_hits;
    double best_cost;
} search;

/* Keep the chain net[0..len) if it beats the best so far. */
static void consider(search *s, int len, int64_t hits, double cost)
{
    int n = s->c->n;
    if (s->best_len &&
        !msp_select_better((double)hits / n, cost / n, (double)s->best_hits / n,
                           s->best_cost / n, s->min_score))
        return;
    s->best_len = len;
    s->best_hits = hits;
    s->best_cost = cost;
    memcpy(s->best_net, s->net, sizeof(int) * (size_t)len);
    memcpy(s->best_k, s->k, sizeof(int) * (size_t)len);
}

/* open[0..n_open) reached depth len having given hits and cost so far:
 * end the chain here (they go to the fallback), or add a costlier stage. */
static void dfs(search *s, int len, const int *open, int n_open, int64_t hits, double cost,
                int from)
{
    const msp_choice *c = s->c;
    int m = c->m;
    if (len) {
        int64_t h = hits;
        double v = cost;
        for (int q = 0; q < n_open; q++) {
            size_t row = (size_t)open[q] * m;
            h += c->score[row + s->f] > 0;
            v += c->cost_ms[row + s->f];
        }
        consider(s, len, h, v);
        if (!n_open) return; /* a longer chain costs the same: the shorter is kept */
    }
    if (len == s->max_stages) return;
    int *next = s->open + (size_t)(len + 1) * c->n;
    for (int a = from; a < s->n_cand; a++) {
        int j = s->order[a];
        s->net[len] = j;
        for (int k = 0; k < s->n_grid; k++) {
            int64_t h = hits;
            double v = cost, t = s->grid[k];
            int n_next = 0;
            for (int q = 0; q < n_open; q++) {
                size_t row = (size_t)open[q] * m + j;
                v += c->cost_ms[row];
                if ((s->on_other && c->other[row]) || (t > 0 && c->prob[row] < t))
                    next[n_next++] = open[q];
                else
                    h += c->score[row] > 0;
            }
            s->k[len] = k;
            dfs(s, len + 1, next, n_next, h, v, a + 1);
        }
    }
}

static msp_status check(const msp_choice *c, const double *grid, int n_grid, double min_score,
                        int max_stages, const msp_safety *sn, msp_err *err)
{
    if (!c || !c->other || !c->prob || c->n < 1 || c->m < 2)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning a cascade needs the outcomes of two networks or more");
    if (!isfinite(min_score))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning a cascade: the score to keep must be finite");
    if (c->m > MSP_SAFETY_MAX_NETS || sn->fallback < 0 || sn->fallback >= c->m)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning a cascade: fallback network %d of %d", sn->fallback, c->m);
    if (max_stages < 1 || max_stages > MSP_SAFETY_MAX_CHAIN)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning a cascade: %d stages, need 1 to %d", max_stages,
                           MSP_SAFETY_MAX_CHAIN);
    if (n_grid < 1 || n_grid > 256)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning a cascade: %d thresholds to try, need 1 to 256", n_grid);
    for (int k = 0; k < n_grid; k++)
        if (!(grid[k] >= 0 && grid[k] <= 1))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "tuning a cascade: threshold %g outside [0, 1]", grid[k]);
    for (size_t q = 0; q < (size_t)c->n * c->m; q++)
        if (c->score[q] != 0 && c->score[q] != 1)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "tuning a cascade: scores must be 0 or 1");
    return MSP_OK;
}

msp_status msp_choice_tune_chain(const msp_choice *c, const uint8_t *use, const double *grid,
                                 int n_grid, double min_score, int max_stages, msp_safety *tuned,
                                 double *score, double *mean_ms, msp_err *err)
{
    msp_status st = check(c, grid, n_grid, min_score, max_stages, tuned, err);
    if (st != MSP_OK) return st;
    int n = c->n, m = c->m;
    search s = {.c = c, .grid = grid, .n_grid = n_grid, .max_stages = max_stages,
                .f = tuned->fallback, .on_other = tuned->on_other, .min_score = min_score,
                .order = msp_malloc(sizeof(int) * (size_t)m),
                .open = msp_malloc(sizeof(int) * (size_t)(max_stages + 1) * (size_t)n)};
    for (int j = 0; j < m; j++) { /* insertion by mean cost; ties keep index order */
        if (j == s.f || (use && !use[j])) continue;
        int a = s.n_cand++;
        for (; a > 0 && c->mean_cost_ms[s.order[a - 1]] > c->mean_cost_ms[j]; a--)
            s.order[a] = s.order[a - 1];
        s.order[a] = j;
    }
    if (!s.n_cand) {
        free(s.order);
        free(s.open);
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "tuning a cascade: no network to chain before the fallback");
    }
    for (int i = 0; i < n; i++) s.open[i] = i;
    dfs(&s, 0, s.open, n, 0, 0, 0);
    msp_safety_set_min_prob(tuned, 0);
    tuned->n_chain = s.best_len;
    for (int q = 0; q < s.best_len; q++) {
        tuned->chain[q] = s.best_net[q];
        tuned->min_prob[s.best_net[q]] = grid[s.best_k[q]];
    }
    if (score) *score = (double)s.best_hits / n;
    if (mean_ms) *mean_ms = s.best_cost / n;
    free(s.order);
    free(s.open);
    return MSP_OK;
}
