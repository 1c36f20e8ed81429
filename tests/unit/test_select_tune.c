/* test_select_tune.c: the safety net's tuned thresholds
 * (msp_choice_tune_min_prob) against brute force over every combination of
 * grid values, judged by msp_choice_eval itself, on 300 random families;
 * a worked example where one threshold per network beats a shared one; and
 * rejected arguments. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "selector/label.h"

/* n inputs, m networks (0 = the base), 4 classes, random answers: 'other'
 * now and then, probabilities on a coarse grid so that they tie with the
 * thresholds. */
static void random_choice(msp_rng *r, int n, int m, msp_choice *c)
{
    msp_outcomes o;
    msp_err err = {{0}};
    cr_assert_eq(msp_outcomes_init(&o, n, m, 4, &err), MSP_OK, "%s", err.msg);
    for (int j = 0; j < m; j++) {
        o.names[j] = malloc(16);
        snprintf(o.names[j], 16, "n%d", j);
        o.latency_ms[j] = j ? 1 + (double)msp_rng_below(r, 3) : 6;
        o.flops[j] = 1000;
    }
    for (int i = 0; i < n; i++) {
        o.truth[i] = (int)msp_rng_below(r, 4);
        for (int j = 0; j < m; j++) {
            size_t x = (size_t)i * m + j;
            int p = (int)msp_rng_below(r, 6) - 1; /* -1: 'other'; right about 1 in 3 */
            if (p >= 4 || (!j && p < 0)) p = o.truth[i];
            o.pred[x] = p;
            o.top1[x] = p == o.truth[i];
            o.top5[x] = o.top1[x];
            o.prob[x] = 0.1f * (float)(1 + msp_rng_below(r, 10));
        }
    }
    cr_assert_eq(msp_outcomes_check(&o, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_choice_from_outcomes(&o, MSP_METRIC_TOP1, c, &err), MSP_OK, "%s", err.msg);
    msp_outcomes_free(&o);
}

/* The rule: reaching need beats not; then cheaper, or more accurate. */
static int better(double sa, double ca, double sb, double cb, double need)
{
    need -= 1e-9; /* the score's rounding */
    if ((sa >= need) != (sb >= need)) return sa >= need;
    if (sa >= need) return ca < cb - 1e-12;
    return sa > sb + 1e-12 || (fabs(sa - sb) <= 1e-12 && ca < cb - 1e-12);
}

Test(select_tune, random_against_brute_force)
{
    static const double grid[] = {0, 0.3, 0.55, 0.8};
    msp_rng r;
    msp_rng_seed(&r, 11);
    for (int round = 0; round < 300; round++) {
        int n = 1 + (int)msp_rng_below(&r, 30), m = 2 + (int)msp_rng_below(&r, 3);
        int n_grid = 1 + (int)msp_rng_below(&r, 4);
        msp_choice c;
        random_choice(&r, n, m, &c);
        int chosen[30];
        for (int i = 0; i < n; i++) chosen[i] = (int)msp_rng_below(&r, (uint64_t)m);
        msp_select_stats base;
        msp_err err = {{0}};
        cr_assert_eq(msp_choice_eval_single(&c, 0, &base, &err), MSP_OK);
        double need = base.score - (double)msp_rng_below(&r, 3) / n;
        msp_select_stats_free(&base);

        /* Brute force over every combination (network 0's threshold never
         * matters: it is the fallback) and over shared values. */
        double bs = -1, bc = INFINITY, ss = -1, sc = INFINITY, sp = -1;
        int combos = 1;
        for (int j = 1; j < m; j++) combos *= n_grid;
        for (int x = 0; x < combos; x++) {
            msp_safety sn = {.fallback = 0, .on_other = 1};
            for (int j = 1, y = x; j < m; j++, y /= n_grid) sn.min_prob[j] = grid[y % n_grid];
            msp_select_stats s;
            cr_assert_eq(msp_choice_eval(&c, chosen, NULL, NULL, NULL, &sn, &s, &err), MSP_OK);
            if (bs < 0 || better(s.score, s.mean_ms, bs, bc, need)) {
                bs = s.score;
                bc = s.mean_ms;
            }
            msp_select_stats_free(&s);
        }
        for (int k = 0; k < n_grid; k++) {
            msp_safety sn = {.fallback = 0, .on_other = 1};
            msp_safety_set_min_prob(&sn, grid[k]);
            msp_select_stats s;
            cr_assert_eq(msp_choice_eval(&c, chosen, NULL, NULL, NULL, &sn, &s, &err), MSP_OK);
            if (ss < 0 || better(s.score, s.mean_ms, ss, sc, need)) {
                ss = s.score;
                sc = s.mean_ms;
                sp = grid[k];
            }
            msp_select_stats_free(&s);
        }

        for (int shared = 0; shared <= 1; shared++) {
            msp_safety t = {.fallback = 0, .on_other = 1};
            double score, ms;
            cr_assert_eq(msp_choice_tune_min_prob(&c, chosen, grid, n_grid, need, shared, &t,
                                                  &score, &ms, &err),
                         MSP_OK, "%s", err.msg);
            /* What it reports is what the evaluator makes of its thresholds. */
            msp_select_stats s;
            cr_assert_eq(msp_choice_eval(&c, chosen, NULL, NULL, NULL, &t, &s, &err), MSP_OK);
            cr_assert_float_eq(s.score, score, 1e-12, "round %d", round);
            cr_assert_float_eq(s.mean_ms, ms, 1e-9, "round %d", round);
            msp_select_stats_free(&s);
            cr_assert_float_eq(score, shared ? ss : bs, 1e-12, "round %d shared %d", round, shared);
            cr_assert_float_eq(ms, shared ? sc : bc, 1e-9, "round %d shared %d", round, shared);
            if (shared) {
                cr_assert(msp_safety_min_prob_shared(&t, m));
                cr_assert_eq(t.min_prob[0], sp, "round %d: ties go to the earlier value", round);
            }
        }
        msp_choice_free(&c);
    }
}

/* Outcomes of three networks on n inputs of two classes (truth i % 2):
 * pred and prob [j * n + i] for network j on input i. */
static void three_nets(int n, const char *const names[3], const double lat[3], const int *pred,
                       const float *prob, msp_outcomes *o, msp_choice *c)
{
    msp_err err = {{0}};
    cr_assert_eq(msp_outcomes_init(o, n, 3, 2, &err), MSP_OK, "%s", err.msg);
    for (int j = 0; j < 3; j++) {
        o->names[j] = strdup(names[j]);
        o->latency_ms[j] = lat[j];
        o->flops[j] = 1;
    }
    for (int i = 0; i < n; i++) {
        o->truth[i] = i % 2;
        for (int j = 0; j < 3; j++) {
            size_t x = (size_t)i * 3 + j;
            o->pred[x] = pred[j * n + i];
            o->top1[x] = o->top5[x] = o->pred[x] == o->truth[i];
            o->prob[x] = prob[j * n + i];
        }
    }
    cr_assert_eq(msp_outcomes_check(o, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_choice_from_outcomes(o, MSP_METRIC_TOP1, c, &err), MSP_OK);
}

/* Two specialists and the base (cost 10): specA (1 ms) is right when sure
 * and wrong when unsure; specB (1 ms) is right either way. */
Test(select_tune, per_network_beats_shared)
{
    msp_outcomes o;
    msp_choice c;
    msp_err err = {{0}};
    const char *const names[3] = {"base", "specA", "specB"};
    const double lat[3] = {10, 1, 1};
    /* inputs 0, 1 chose specA (probs .9 right, .6 wrong); 2, 3 specB (.6
     * and .6, both right); the base is right everywhere. */
    const int pred[3][4] = {{0, 1, 0, 1}, {0, 0, 0, 1}, {0, 1, 0, 1}};
    const float prob[3][4] = {{.9f, .9f, .9f, .9f}, {.9f, .6f, .5f, .5f}, {.5f, .5f, .6f, .6f}};
    three_nets(4, names, lat, pred[0], prob[0], &o, &c);
    const int chosen[4] = {1, 1, 2, 2};
    const double grid[] = {0, 0.7};
    msp_safety t = {.fallback = 0, .on_other = 1};
    double score, ms;
    /* Shared: 0.7 (all right, every input also runs the base: 11 ms). */
    cr_assert_eq(msp_choice_tune_min_prob(&c, chosen, grid, 2, 1.0, 1, &t, &score, &ms, &err),
                 MSP_OK);
    cr_assert(t.min_prob[1] == 0.7 && t.min_prob[2] == 0.7);
    cr_assert_float_eq(score, 1.0, 1e-12);
    cr_assert_float_eq(ms, (1 + 11 + 11 + 11) / 4.0, 1e-12);
    /* Per network: specA 0.7, specB 0 (never needs the base). */
    cr_assert_eq(msp_choice_tune_min_prob(&c, chosen, grid, 2, 1.0, 0, &t, &score, &ms, &err),
                 MSP_OK);
    cr_assert(t.min_prob[1] == 0.7 && t.min_prob[2] == 0, "%g %g", t.min_prob[1], t.min_prob[2]);
    cr_assert_eq(t.min_prob[0], 0, "the fallback's own threshold: %g", t.min_prob[0]);
    cr_assert_float_eq(score, 1.0, 1e-12);
    cr_assert_float_eq(ms, (1 + 11 + 1 + 1) / 4.0, 1e-12);
    /* Out of reach (need more than everything right): the most accurate. */
    cr_assert_eq(msp_choice_tune_min_prob(&c, chosen, grid, 2, 1.5, 0, &t, &score, &ms, &err),
                 MSP_OK);
    cr_assert_float_eq(score, 1.0, 1e-12);
    cr_assert_float_eq(ms, 3.5, 1e-12);

    /* Rejected: no fallback, a bad grid, a chosen network out of range, a
     * table (no probabilities). */
    msp_safety off = {.fallback = -1};
    cr_assert_eq(msp_choice_tune_min_prob(&c, chosen, grid, 2, 1, 0, &off, NULL, NULL, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "tuning the safety net: fallback network -1 of 3");
    const double bad_grid[] = {0, 1.5};
    cr_assert_eq(msp_choice_tune_min_prob(&c, chosen, bad_grid, 2, 1, 0, &t, NULL, NULL, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "tuning the safety net: threshold 1.5 outside [0, 1]");
    cr_assert_eq(msp_choice_tune_min_prob(&c, chosen, grid, 0, 1, 0, &t, NULL, NULL, &err),
                 MSP_BAD_INPUT);
    cr_assert_eq(msp_choice_tune_min_prob(&c, chosen, grid, 2, NAN, 0, &t, NULL, NULL, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "tuning the safety net: the score to keep must be finite");
    const int wild[4] = {1, 3, 0, 0};
    cr_assert_eq(msp_choice_tune_min_prob(&c, wild, grid, 2, 1, 0, &t, NULL, NULL, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "tuning the safety net: input 1 chose network 3, outside [0, 3)");
    msp_choice table = c;
    table.prob = NULL;
    table.other = NULL;
    cr_assert_eq(msp_choice_tune_min_prob(&table, chosen, grid, 2, 1, 0, &t, NULL, NULL, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "tuning the safety net needs network outcomes");
    msp_choice_free(&c);
    msp_outcomes_free(&o);
}

/* Brute force for the chain: every chain of up to max networks other than
 * the base, increasing in cost (ties: index), each with every grid value,
 * judged by msp_choice_eval with every input starting at the chain's first
 * network. */
typedef struct chain_best {
    const msp_choice *c;
    const double *grid;
    int n_grid, max, order[8], n_order;
    double need, score, ms;
    int found;
} chain_best;

static void chain_brute(chain_best *b, msp_safety *sn, int from)
{
    if (sn->n_chain) {
        int combos = 1;
        for (int q = 0; q < sn->n_chain; q++) combos *= b->n_grid;
        for (int x = 0; x < combos; x++) {
            for (int q = 0, y = x; q < sn->n_chain; q++, y /= b->n_grid)
                sn->min_prob[sn->chain[q]] = b->grid[y % b->n_grid];
            int chosen[30];
            for (int i = 0; i < b->c->n; i++) chosen[i] = sn->chain[0];
            msp_select_stats s;
            msp_err err = {{0}};
            cr_assert_eq(msp_choice_eval(b->c, chosen, NULL, NULL, NULL, sn, &s, &err), MSP_OK,
                         "%s", err.msg);
            if (!b->found || better(s.score, s.mean_ms, b->score, b->ms, b->need)) {
                b->score = s.score;
                b->ms = s.mean_ms;
                b->found = 1;
            }
            msp_select_stats_free(&s);
        }
        for (int q = 0; q < sn->n_chain; q++) sn->min_prob[sn->chain[q]] = 0;
    }
    if (sn->n_chain == b->max) return;
    for (int a = from; a < b->n_order; a++) {
        sn->chain[sn->n_chain++] = b->order[a];
        chain_brute(b, sn, a + 1);
        sn->n_chain--;
    }
}

Test(select_tune, chain_against_brute_force)
{
    static const double grid[] = {0, 0.3, 0.55, 0.8};
    msp_rng r;
    msp_rng_seed(&r, 23);
    for (int round = 0; round < 200; round++) {
        int n = 1 + (int)msp_rng_below(&r, 30), m = 2 + (int)msp_rng_below(&r, 4);
        msp_choice c;
        random_choice(&r, n, m, &c);
        chain_best b = {.c = &c, .grid = grid, .n_grid = 1 + (int)msp_rng_below(&r, 4),
                        .max = 1 + (int)msp_rng_below(&r, 3)};
        uint8_t use[8];
        for (int j = 0; j < m; j++) use[j] = j == 1 || msp_rng_below(&r, 4) > 0;
        for (int j = 1; j < m; j++) { /* used ones by cost, ties by index */
            if (!use[j]) continue;
            int a = b.n_order++;
            for (; a > 0 && c.mean_cost_ms[b.order[a - 1]] > c.mean_cost_ms[j]; a--)
                b.order[a] = b.order[a - 1];
            b.order[a] = j;
        }
        msp_select_stats base;
        msp_err err = {{0}};
        cr_assert_eq(msp_choice_eval_single(&c, 0, &base, &err), MSP_OK);
        b.need = base.score - (double)msp_rng_below(&r, 3) / n;
        msp_select_stats_free(&base);
        msp_safety sn = {.fallback = 0, .on_other = 1};
        chain_brute(&b, &sn, 0);

        msp_safety t = {.fallback = 0, .on_other = 1};
        double score, ms;
        cr_assert_eq(msp_choice_tune_chain(&c, use, grid, b.n_grid, b.need, b.max, &t, &score,
                                           &ms, &err),
                     MSP_OK, "%s", err.msg);
        cr_assert(t.n_chain >= 1 && t.n_chain <= b.max, "round %d: %d stages", round, t.n_chain);
        cr_assert_float_eq(score, b.score, 1e-12, "round %d", round);
        cr_assert_float_eq(ms, b.ms, 1e-9, "round %d", round);
        /* What it reports is what the evaluator makes of its chain. */
        int chosen[30];
        for (int i = 0; i < n; i++) chosen[i] = t.chain[0];
        msp_select_stats s;
        cr_assert_eq(msp_choice_eval(&c, chosen, NULL, NULL, NULL, &t, &s, &err), MSP_OK);
        cr_assert_float_eq(s.score, score, 1e-12, "round %d", round);
        cr_assert_float_eq(s.mean_ms, ms, 1e-9, "round %d", round);
        for (int j = 0; j < m; j++) {
            int in_chain = 0;
            for (int q = 0; q < t.n_chain; q++) in_chain |= t.chain[q] == j;
            cr_assert(in_chain || t.min_prob[j] == 0, "round %d: network %d", round, j);
            cr_assert(!in_chain || use[j], "round %d: network %d is not to be used", round, j);
        }
        msp_select_stats_free(&s);
        msp_choice_free(&c);
    }
}

/* A worked chain: cheap (1 ms), mid (5 ms), base (10 ms). Inputs 0 and 4:
 * cheap is sure and right; input 1: cheap unsure, mid sure and right;
 * input 2: both unsure, the base answers; input 3: cheap says 'other', mid
 * is sure. */
Test(select_tune, chain_worked_example)
{
    msp_outcomes o;
    msp_choice c;
    msp_err err = {{0}};
    const char *const names[3] = {"base", "cheap", "mid"};
    const double lat[3] = {10, 1, 5};
    const int pred[3][5] = {{0, 1, 0, 1, 0}, {0, 0, 1, -1, 0}, {0, 1, 1, 1, 0}};
    const float prob[3][5] = {{.9f, .9f, .9f, .9f, .9f},
                              {.95f, .6f, .6f, .9f, .95f},
                              {.9f, .9f, .6f, .9f, .9f}};
    three_nets(5, names, lat, pred[0], prob[0], &o, &c);
    msp_safety sn = {.fallback = 0, .on_other = 1, .chain = {1, 2}, .n_chain = 2};
    sn.min_prob[1] = sn.min_prob[2] = 0.8;
    const int chosen[5] = {1, 1, 1, 1, 1};
    msp_select_stats s;
    cr_assert_eq(msp_choice_eval(&c, chosen, NULL, NULL, NULL, &sn, &s, &err), MSP_OK);
    cr_assert_float_eq(s.score, 1.0, 1e-12);
    cr_assert_float_eq(s.mean_ms, (1 + 6 + 16 + 6 + 1) / 5.0, 1e-12);
    const uint8_t hops[5] = {0, 1, 2, 1, 0};
    for (int i = 0; i < 5; i++) cr_assert_eq(s.hops[i], hops[i], "input %d", i);
    cr_assert_eq(s.route[0], MSP_ROUTE_CHOSEN);
    cr_assert_eq(s.route[2], MSP_ROUTE_HANDED_ON);
    cr_assert_eq(s.escalated, 2);
    cr_assert_eq(s.fallbacks, 1);
    cr_assert_eq(s.fell_prob, 1);
    cr_assert_eq(s.answered[0], 1);
    cr_assert_eq(s.answered[1], 2);
    cr_assert_eq(s.answered[2], 2);
    cr_assert_eq(msp_safety_next(&sn, 1), 2);
    cr_assert_eq(msp_safety_next(&sn, 2), 0);
    msp_select_stats_free(&s);
    /* The tuner finds this chain: the base's top-1 (all five) at 6 ms,
     * where cheap or mid alone cost 7. */
    msp_safety t = {.fallback = 0, .on_other = 1};
    const double grid[] = {0, 0.8};
    double score, ms;
    cr_assert_eq(msp_choice_tune_chain(&c, NULL, grid, 2, 1.0, 2, &t, &score, &ms, &err), MSP_OK);
    cr_assert_eq(t.n_chain, 2);
    cr_assert(t.chain[0] == 1 && t.chain[1] == 2 && t.min_prob[1] == 0.8 && t.min_prob[2] == 0.8);
    cr_assert_float_eq(score, 1.0, 1e-12);
    cr_assert_float_eq(ms, 6.0, 1e-12);
    /* One stage at most: cheap and mid tie at 7; the cheaper network is tried first. */
    cr_assert_eq(msp_choice_tune_chain(&c, NULL, grid, 2, 1.0, 1, &t, &score, &ms, &err), MSP_OK);
    cr_assert(t.n_chain == 1 && t.chain[0] == 1, "%d %d", t.n_chain, t.chain[0]);
    cr_assert_float_eq(ms, 7.0, 1e-12);
    /* Rejected: a chain through the fallback, and too many stages. */
    msp_safety bad = {.fallback = 0, .chain = {1, 0}, .n_chain = 2};
    cr_assert_eq(msp_choice_eval(&c, chosen, NULL, NULL, NULL, &bad, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "safety net: chain network 0 is the fallback");
    cr_assert_eq(msp_choice_tune_chain(&c, NULL, grid, 2, 1.0, 9, &t, &score, &ms, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "tuning a cascade: 9 stages, need 1 to 8");
    const uint8_t none[3] = {1, 0, 0};
    cr_assert_eq(msp_choice_tune_chain(&c, none, grid, 2, 1.0, 2, &t, &score, &ms, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "tuning a cascade: no network to chain before the fallback");
    msp_choice_free(&c);
    msp_outcomes_free(&o);
}
