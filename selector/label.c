/* label.c: the msp_choice view (from outcomes or a table), labels (the
 * cheapest correct network) and the greedy choice of family members.
 * Definitions and tie rules are in label.h; every tie goes the same way
 * (lower cost, then lower index), so results are deterministic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "selector/label.h"

const char *msp_metric_name(msp_metric m)
{
    return m == MSP_METRIC_TOP5 ? "top5" : "top1";
}

msp_status msp_metric_parse(const char *s, msp_metric *m, msp_err *err)
{
    if (s && !strcmp(s, "top1")) *m = MSP_METRIC_TOP1;
    else if (s && !strcmp(s, "top5")) *m = MSP_METRIC_TOP5;
    else
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "unknown metric '%s' (top1 or top5)",
                           s ? s : "");
    return MSP_OK;
}

void msp_choice_free(msp_choice *c)
{
    if (!c) return;
    msp_free_strings(c->names, c->m);
    free(c->ok);
    free(c->score);
    free(c->score5);
    free(c->cost_ms);
    free(c->mean_cost_ms);
    free(c->other);
    free(c->prob);
    memset(c, 0, sizeof *c);
}

/* The parts common to both sources; sizes already bounded. */
static void choice_alloc(msp_choice *c, int n, int m, char *const *names)
{
    size_t cells = (size_t)n * (size_t)m;
    c->n = n;
    c->m = m;
    c->names = msp_calloc((size_t)m, sizeof *c->names);
    for (int j = 0; j < m; j++) c->names[j] = msp_strdup(names[j]);
    c->ok = msp_calloc(cells, 1);
    c->score = msp_calloc(cells, sizeof *c->score);
    c->cost_ms = msp_calloc(cells, sizeof *c->cost_ms);
    c->mean_cost_ms = msp_calloc((size_t)m, sizeof *c->mean_cost_ms);
}

static void mean_costs(msp_choice *c)
{
    for (int j = 0; j < c->m; j++) {
        double s = 0;
        for (int i = 0; i < c->n; i++) s += c->cost_ms[(size_t)i * c->m + j];
        c->mean_cost_ms[j] = s / c->n;
    }
}

msp_status msp_choice_from_outcomes(const msp_outcomes *o, msp_metric metric, msp_choice *c,
                                    msp_err *err)
{
    memset(c, 0, sizeof *c);
    if (metric != MSP_METRIC_TOP1 && metric != MSP_METRIC_TOP5)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "unknown metric %d", (int)metric);
    msp_status st = msp_outcomes_check(o, err);
    if (st != MSP_OK) return st;
    int n = o->n, m = o->m;
    size_t cells = (size_t)n * (size_t)m;
    choice_alloc(c, n, m, o->names);
    c->score5 = msp_calloc(cells, sizeof *c->score5);
    c->other = msp_calloc(cells, 1);
    c->prob = msp_calloc(cells, sizeof *c->prob);
    for (size_t x = 0; x < cells; x++) {
        c->ok[x] = metric == MSP_METRIC_TOP5 ? o->top5[x] : o->top1[x];
        c->score[x] = o->top1[x];
        c->score5[x] = o->top5[x];
        c->cost_ms[x] = o->latency_ms[x % (size_t)m];
        c->other[x] = o->pred[x] == -1;
        c->prob[x] = o->prob[x];
    }
    mean_costs(c);
    return MSP_OK;
}

msp_status msp_choice_from_table(const msp_table *t, double tolerance, msp_choice *c,
                                 msp_err *err)
{
    memset(c, 0, sizeof *c);
    if (!(tolerance >= 0) || !isfinite(tolerance))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "table: tolerance %g, need a finite number >= 0", tolerance);
    if (!t || !t->score || !t->time_ms || !t->model_names || t->m < 1 ||
        t->m > MSP_OUTCOMES_MAX_NETS || t->n < 1 || t->n > MSP_OUTCOMES_MAX_INPUTS ||
        (long long)t->n * t->m > MSP_OUTCOMES_MAX_CELLS)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "table: need 1 to %d rows and 1 to %d models", MSP_OUTCOMES_MAX_INPUTS,
                           MSP_OUTCOMES_MAX_NETS);
    int n = t->n, m = t->m;
    size_t cells = (size_t)n * (size_t)m;
    for (size_t x = 0; x < cells; x++)
        if (!isfinite(t->score[x]) || !isfinite(t->time_ms[x]) || t->time_ms[x] < 0)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "table: row %zu, model %zu: score %g and time %g must be finite "
                               "(time >= 0)",
                               x / (size_t)m, x % (size_t)m, t->score[x], t->time_ms[x]);
    for (int j = 0; j < m; j++)
        if (!t->model_names[j])
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "table: model %d has no name", j);
    choice_alloc(c, n, m, t->model_names);
    for (int i = 0; i < n; i++) {
        const double *s = t->score + (size_t)i * m;
        double best = s[0];
        for (int j = 1; j < m; j++)
            if (s[j] > best) best = s[j];
        for (int j = 0; j < m; j++) {
            size_t x = (size_t)i * m + j;
            c->ok[x] = s[j] >= best - tolerance;
            c->score[x] = s[j];
            c->cost_ms[x] = t->time_ms[x];
        }
    }
    mean_costs(c);
    return MSP_OK;
}

/* A choice built by msp_choice_from_*; anything else (zeroed, freed) is refused. */
static msp_status check_choice(const msp_choice *c, const char *who, msp_err *err)
{
    if (!c || !c->ok || !c->cost_ms || !c->mean_cost_ms || c->n < 1 || c->m < 1 ||
        c->m > MSP_OUTCOMES_MAX_NETS)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "%s: no networks or no inputs", who);
    return MSP_OK;
}

/* Is network a preferable to b on a tie of the primary key? */
static int cheaper(const msp_choice *c, int a, int b)
{
    if (c->mean_cost_ms[a] != c->mean_cost_ms[b]) return c->mean_cost_ms[a] < c->mean_cost_ms[b];
    return a < b;
}

/* argmax of count[j] over networks with use[j] (NULL: all); ties: cheaper. */
static int best_count(const msp_choice *c, const int64_t *count, const uint8_t *use)
{
    int best = -1;
    for (int j = 0; j < c->m; j++) {
        if (use && !use[j]) continue;
        if (best < 0 || count[j] > count[best] || (count[j] == count[best] && cheaper(c, j, best)))
            best = j;
    }
    return best;
}

int msp_choice_most_accurate(const msp_choice *c, const uint8_t *use)
{
    if (check_choice(c, "labels", NULL) != MSP_OK) return -1;
    int64_t *right = msp_calloc((size_t)c->m, sizeof *right);
    for (int i = 0; i < c->n; i++)
        for (int j = 0; j < c->m; j++) right[j] += c->ok[(size_t)i * c->m + j];
    int best = best_count(c, right, use);
    free(right);
    return best;
}

msp_status msp_choice_label(const msp_choice *c, const uint8_t *use, int *label, msp_err *err)
{
    msp_status st = check_choice(c, "labels", err);
    if (st != MSP_OK) return st;
    int fallback = msp_choice_most_accurate(c, use);
    if (fallback < 0) {
        memset(label, 0, (size_t)c->n * sizeof *label);
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "labels: no network selected (choose at least one)");
    }
    int m = c->m;
    for (int i = 0; i < c->n; i++) {
        const uint8_t *ok = c->ok + (size_t)i * m;
        const double *cost = c->cost_ms + (size_t)i * m;
        int best = -1;
        for (int j = 0; j < m; j++)
            if ((!use || use[j]) && ok[j] && (best < 0 || cost[j] < cost[best])) best = j;
        label[i] = best >= 0 ? best : fallback;
    }
    return MSP_OK;
}

msp_status msp_label_cheapest(const msp_outcomes *o, msp_metric metric, int *label, uint8_t *ok,
                              msp_err *err)
{
    msp_choice c;
    msp_status st = msp_choice_from_outcomes(o, metric, &c, err);
    if (st == MSP_OK) st = msp_choice_label(&c, NULL, label, err);
    if (st == MSP_OK && ok) memcpy(ok, c.ok, (size_t)c.n * (size_t)c.m);
    msp_choice_free(&c);
    return st;
}

msp_status msp_choice_greedy(const msp_choice *c, msp_greedy_start start, double min_gain,
                             int *order, double *gains, int *k, msp_err *err)
{
    *k = 0;
    msp_status st = check_choice(c, "greedy", err);
    if (st != MSP_OK) return st;
    if (start != MSP_GREEDY_START_LABEL && start != MSP_GREEDY_START_OK)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "greedy: unknown start rule %d",
                           (int)start);
    if (!(min_gain >= 0 && min_gain <= 1))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "greedy: minimum gain %g, need a fraction in [0, 1]", min_gain);
    int n = c->n, m = c->m;
    int64_t *count = msp_calloc((size_t)m, sizeof *count);
    uint8_t *taken = msp_calloc((size_t)m, 1);
    uint8_t *covered = msp_calloc((size_t)n, 1);
    if (start == MSP_GREEDY_START_LABEL) {
        int *label = msp_malloc((size_t)n * sizeof *label);
        msp_choice_label(c, NULL, label, NULL);
        for (int i = 0; i < n; i++) count[label[i]]++;
        free(label);
    } else {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++) count[j] += c->ok[(size_t)i * m + j];
    }
    int next = best_count(c, count, NULL);
    for (;;) {
        int64_t fixed = 0;
        for (int i = 0; i < n; i++)
            if (!covered[i] && c->ok[(size_t)i * m + next]) {
                covered[i] = 1;
                fixed++;
            }
        taken[next] = 1;
        order[*k] = next;
        if (gains) gains[*k] = (double)fixed / n;
        ++*k;
        /* Inputs each remaining network would fix. */
        memset(count, 0, (size_t)m * sizeof *count);
        for (int i = 0; i < n; i++)
            if (!covered[i])
                for (int j = 0; j < m; j++) count[j] += c->ok[(size_t)i * m + j];
        for (int j = 0; j < m; j++) taken[j] = !taken[j]; /* now: candidates */
        next = best_count(c, count, taken);
        for (int j = 0; j < m; j++) taken[j] = !taken[j];
        if (next < 0 || count[next] == 0 || (double)count[next] / n < min_gain) break;
    }
    free(count);
    free(taken);
    free(covered);
    return MSP_OK;
}
