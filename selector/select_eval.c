/* select_eval.c: evaluation of a model selector over an msp_choice:
 * accuracy (or mean score), mean cost under the cost model of label.h
 * (premodel + chosen network + safety-net fallback), premodel accuracy,
 * per-network counts and the label x chosen confusion matrix; the oracle
 * and single networks are special cases. Inputs are checked before
 * anything is allocated. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "selector/label.h"

void msp_safety_set_min_prob(msp_safety *s, double p)
{
    for (int j = 0; j < MSP_SAFETY_MAX_NETS; j++) s->min_prob[j] = p;
}

const char *msp_safety_chain_problem(const msp_safety *s, int m, int *k)
{
    *k = -1;
    if (s->n_chain < 0 || s->n_chain > MSP_SAFETY_MAX_CHAIN) return "too long";
    for (*k = 0; *k < s->n_chain; (*k)++) {
        int j = s->chain[*k], again = 0;
        for (int q = 0; q < *k; q++) again |= s->chain[q] == j;
        if (j < 0 || j >= m) return "out of range";
        if (again) return "in the chain twice";
        if (j == s->fallback) return "the fallback";
    }
    return NULL;
}

int msp_safety_next(const msp_safety *s, int j)
{
    for (int k = 0; k + 1 < s->n_chain; k++)
        if (s->chain[k] == j) return s->chain[k + 1];
    return s->fallback;
}

int msp_safety_min_prob_shared(const msp_safety *s, int m)
{
    for (int j = 1; j < m; j++)
        if (s->min_prob[j] != s->min_prob[0]) return 0;
    return 1;
}

void msp_select_stats_free(msp_select_stats *s)
{
    if (!s) return;
    free(s->chosen);
    free(s->answered);
    free(s->confusion);
    free(s->cost);
    free(s->route);
    free(s->hops);
    memset(s, 0, sizeof *s);
}

static msp_status check_args(const msp_choice *c, const int *chosen, const int *label,
                             const float *confidence, const double *premodel_ms,
                             const msp_safety *safety, msp_err *err)
{
    if (!c || !c->ok || !c->score || !c->cost_ms || c->n < 1 || c->m < 1 || !chosen)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "evaluate: nothing to evaluate");
    for (int i = 0; i < c->n; i++) {
        if (chosen[i] < 0 || chosen[i] >= c->m)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "evaluate: input %d chose network %d, outside [0, %d)", i,
                               chosen[i], c->m);
        if (label && (label[i] < 0 || label[i] >= c->m))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "evaluate: input %d has label %d, outside [0, %d)", i, label[i],
                               c->m);
        if (confidence && !isfinite(confidence[i]))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "evaluate: input %d has a non-finite premodel confidence", i);
        if (premodel_ms && (!isfinite(premodel_ms[i]) || premodel_ms[i] < 0))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "evaluate: input %d has premodel cost %g ms, need finite >= 0", i,
                               premodel_ms[i]);
    }
    if (safety && safety->fallback >= 0) {
        if (safety->fallback >= c->m)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "safety net: fallback network %d, outside [0, %d)",
                               safety->fallback, c->m);
        if (c->m > MSP_SAFETY_MAX_NETS)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "safety net: %d networks, at most %d", c->m, MSP_SAFETY_MAX_NETS);
        int finite = isfinite(safety->min_confidence), by_prob = 0;
        for (int j = 0; j < c->m; j++) {
            finite &= isfinite(safety->min_prob[j]) != 0;
            by_prob |= safety->min_prob[j] > 0;
        }
        if (!finite)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "safety net: thresholds must be finite");
        int k;
        const char *why = msp_safety_chain_problem(safety, c->m, &k);
        if (why && k < 0)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "safety net: a chain of %d networks, at most %d",
                               safety->n_chain, MSP_SAFETY_MAX_CHAIN);
        if (why)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "safety net: chain network %d is %s",
                               safety->chain[k], why);
        if ((safety->on_other || by_prob) && (!c->other || !c->prob))
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "safety net: the 'other' and probability rules need network "
                               "outcomes, a table has neither");
    }
    return MSP_OK;
}

msp_status msp_choice_eval(const msp_choice *c, const int *chosen, const int *label,
                           const float *confidence, const double *premodel_ms,
                           const msp_safety *safety, msp_select_stats *s, msp_err *err)
{
    memset(s, 0, sizeof *s);
    msp_status st = check_args(c, chosen, label, confidence, premodel_ms, safety, err);
    if (st != MSP_OK) return st;
    int n = c->n, m = c->m;
    int f = safety ? safety->fallback : -1;
    s->n = n;
    s->m = m;
    s->chosen = msp_calloc((size_t)m, sizeof *s->chosen);
    s->answered = msp_calloc((size_t)m, sizeof *s->answered);
    if (label) s->confusion = msp_calloc((size_t)m * m, sizeof *s->confusion);
    s->cost = msp_malloc(sizeof *s->cost * (size_t)n);
    s->route = msp_calloc((size_t)n, sizeof *s->route);
    s->hops = msp_calloc((size_t)n, sizeof *s->hops);
    double score = 0, top5 = 0, cost = 0, pre = 0;
    int64_t agree = 0;
    for (int i = 0; i < n; i++) {
        size_t row = (size_t)i * m;
        int ch = chosen[i], ans = ch;
        double ci;
        if (f >= 0 && confidence && safety->min_confidence > 0 &&
            confidence[i] < safety->min_confidence) {
            ans = f; /* decided before any network runs: only the fallback runs */
            ci = c->cost_ms[row + f];
            if (ch != f) s->fell_unsure++, s->route[i] = MSP_ROUTE_FALLBACK_ONLY;
        } else {
            ci = c->cost_ms[row + ch];
            for (;;) { /* along the chain while a rule sends the input on */
                int other = f >= 0 && ans != f && safety->on_other && c->other[row + ans];
                int unsure = f >= 0 && ans != f && !other && safety->min_prob[ans] > 0 &&
                             c->prob[row + ans] < safety->min_prob[ans];
                if (!other && !unsure) break;
                ans = msp_safety_next(safety, ans);
                ci += c->cost_ms[row + ans];
                s->hops[i]++;
                s->route[i] = MSP_ROUTE_HANDED_ON;
                if (ans == f) {
                    s->fell_other += other;
                    s->fell_prob += unsure;
                }
            }
        }
        if (ans == f && ans != ch) s->fallbacks++;
        else if (ans != ch) s->escalated++;
        if (premodel_ms) pre += premodel_ms[i];
        s->cost[i] = ci + (premodel_ms ? premodel_ms[i] : 0);
        cost += ci;
        score += c->score[row + ans];
        if (c->score5) top5 += c->score5[row + ans];
        s->chosen[ch]++;
        s->answered[ans]++;
        if (label) {
            agree += label[i] == ch;
            s->confusion[(size_t)label[i] * m + ch]++;
        }
    }
    s->score = score / n;
    s->top5 = c->score5 ? top5 / n : NAN;
    s->mean_premodel_ms = pre / n;
    s->mean_ms = (cost + pre) / n;
    s->premodel_acc = label ? (double)agree / n : NAN;
    return MSP_OK;
}

msp_status msp_choice_eval_single(const msp_choice *c, int net, msp_select_stats *s,
                                  msp_err *err)
{
    memset(s, 0, sizeof *s);
    if (!c || c->n < 1 || net < 0 || net >= c->m)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "evaluate: no network %d", net);
    int *chosen = msp_malloc((size_t)c->n * sizeof *chosen);
    for (int i = 0; i < c->n; i++) chosen[i] = net;
    msp_status st = msp_choice_eval(c, chosen, NULL, NULL, NULL, NULL, s, err);
    free(chosen);
    return st;
}

msp_status msp_choice_oracle(const msp_choice *c, msp_select_stats *s, msp_err *err)
{
    memset(s, 0, sizeof *s);
    if (!c || !c->ok || c->n < 1 || c->m < 1)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "oracle: nothing to evaluate");
    int *label = msp_malloc((size_t)c->n * sizeof *label);
    msp_status st = msp_choice_label(c, NULL, label, err);
    if (st == MSP_OK) st = msp_choice_eval(c, label, label, NULL, NULL, NULL, s, err);
    free(label);
    return st;
}
