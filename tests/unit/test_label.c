/* test_label.c: labelling, the oracle, greedy network selection and
 * selector evaluation (with the safety net) on a family of 3 networks and 6
 * inputs worked out by hand (the table below), tie rules, and 200 random
 * tables against brute-force checks. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "selector/label.h"

/* Classes 0..3; truth = 0 1 2 3 0 1.
 *            latency  pred               top1         top5         prob
 *   base       10     0  1  2  1  2  3   1 1 1 0 0 0  1 1 1 0 0 0  .9 .8 .7 .4 .5 .6
 *   specA       2     0 -1 -1  3  1  2   1 0 0 1 0 0  1 0 1 1 0 0  .95 .8 .6 .9 .5 .5
 *   specB       3     0  1 -1 -1  3  1   1 1 0 0 0 1  1 1 0 0 1 1  .9 .9 .7 .6 .7 .55
 * Top-1 labels: 1 2 0 1 2 2 (input 4: nobody is right; base and specB are
 * right most often, 3 of 6 each, and specB is cheaper). Top-5 labels:
 * 1 2 1 1 2 2. */
static void family(msp_outcomes *o)
{
    msp_err err = {{0}};
    cr_assert_eq(msp_outcomes_init(o, 6, 3, 4, &err), MSP_OK, "%s", err.msg);
    const char *names[3] = {"base", "specA", "specB"};
    const double lat[3] = {10, 2, 3};
    const int truth[6] = {0, 1, 2, 3, 0, 1};
    const int pred[3][6] = {{0, 1, 2, 1, 2, 3}, {0, -1, -1, 3, 1, 2}, {0, 1, -1, -1, 3, 1}};
    const int top5[3][6] = {{1, 1, 1, 0, 0, 0}, {1, 0, 1, 1, 0, 0}, {1, 1, 0, 0, 1, 1}};
    const float prob[3][6] = {{.9f, .8f, .7f, .4f, .5f, .6f},
                              {.95f, .8f, .6f, .9f, .5f, .5f},
                              {.9f, .9f, .7f, .6f, .7f, .55f}};
    for (int j = 0; j < 3; j++) {
        o->names[j] = strdup(names[j]);
        o->latency_ms[j] = lat[j];
        o->flops[j] = 1000.0 * lat[j];
    }
    for (int i = 0; i < 6; i++) {
        o->truth[i] = truth[i];
        for (int j = 0; j < 3; j++) {
            size_t c = (size_t)i * 3 + j;
            o->pred[c] = pred[j][i];
            o->top1[c] = pred[j][i] == truth[i];
            o->top5[c] = (uint8_t)top5[j][i];
            o->prob[c] = prob[j][i];
        }
    }
    cr_assert_eq(msp_outcomes_check(o, &err), MSP_OK, "%s", err.msg);
}

static void choice(msp_choice *c, msp_metric metric)
{
    msp_outcomes o;
    family(&o);
    msp_err err = {{0}};
    cr_assert_eq(msp_choice_from_outcomes(&o, metric, c, &err), MSP_OK, "%s", err.msg);
    msp_outcomes_free(&o);
}

static void assert_ints(const int *got, const int *want, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        cr_assert_eq(got[i], want[i], "%s[%d] = %d, want %d", what, i, got[i], want[i]);
}

Test(label, cheapest_correct_top1_and_top5)
{
    msp_outcomes o;
    family(&o);
    msp_err err = {{0}};
    int label[6];
    uint8_t ok[18];
    cr_assert_eq(msp_label_cheapest(&o, MSP_METRIC_TOP1, label, ok, &err), MSP_OK, "%s", err.msg);
    assert_ints(label, (int[]){1, 2, 0, 1, 2, 2}, 6, "top1 label");
    const uint8_t want_ok[18] = {1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1};
    cr_assert_eq(memcmp(ok, want_ok, 18), 0);
    cr_assert_eq(msp_label_cheapest(&o, MSP_METRIC_TOP5, label, NULL, &err), MSP_OK, "%s",
                 err.msg);
    assert_ints(label, (int[]){1, 2, 1, 1, 2, 2}, 6, "top5 label");
    msp_outcomes_free(&o);
}

Test(label, oracle_numbers)
{
    msp_choice c;
    msp_select_stats s;
    msp_err err = {{0}};
    choice(&c, MSP_METRIC_TOP1);
    cr_assert_eq(msp_choice_oracle(&c, &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_float_eq(s.score, 5.0 / 6, 1e-12);
    cr_assert_eq(s.top5, 1.0); /* specB's top-5 hit on input 4 */
    cr_assert_float_eq(s.mean_ms, 23.0 / 6, 1e-12); /* 2 + 3 + 10 + 2 + 3 + 3 */
    cr_assert_eq(s.premodel_acc, 1.0);
    cr_assert(s.chosen[0] == 1 && s.chosen[1] == 2 && s.chosen[2] == 3);
    cr_assert_eq(s.fallbacks, 0);
    msp_select_stats_free(&s);
    msp_choice_free(&c);

    choice(&c, MSP_METRIC_TOP5);
    cr_assert_eq(msp_choice_oracle(&c, &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_float_eq(s.score, 4.0 / 6, 1e-12);
    cr_assert_eq(s.top5, 1.0);
    cr_assert_float_eq(s.mean_ms, 15.0 / 6, 1e-12);
    msp_select_stats_free(&s);
    msp_choice_free(&c);
}

Test(label, single_networks)
{
    msp_choice c;
    msp_select_stats s;
    msp_err err = {{0}};
    choice(&c, MSP_METRIC_TOP1);
    const double top1[3] = {3, 2, 3}, top5[3] = {3, 3, 4}, ms[3] = {10, 2, 3};
    for (int j = 0; j < 3; j++) {
        cr_assert_eq(msp_choice_eval_single(&c, j, &s, &err), MSP_OK, "%s", err.msg);
        cr_assert_float_eq(s.score, top1[j] / 6, 1e-12, "net %d", j);
        cr_assert_float_eq(s.top5, top5[j] / 6, 1e-12, "net %d", j);
        cr_assert_float_eq(s.mean_ms, ms[j], 1e-12);
        cr_assert_eq(s.chosen[j], 6);
        cr_assert(isnan(s.premodel_acc));
        cr_assert_null(s.confusion);
        msp_select_stats_free(&s);
    }
    cr_assert_eq(msp_choice_eval_single(&c, 3, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "evaluate: no network 3");
    msp_choice_free(&c);
}

Test(label, most_accurate_and_subset_labels)
{
    msp_choice c;
    msp_err err = {{0}};
    choice(&c, MSP_METRIC_TOP1);
    /* base and specB are both right 3 times: the cheaper specB. */
    cr_assert_eq(msp_choice_most_accurate(&c, NULL), 2);
    uint8_t use[3] = {1, 1, 0};
    cr_assert_eq(msp_choice_most_accurate(&c, use), 0);
    int label[6];
    uint8_t ab[3] = {0, 1, 1};
    cr_assert_eq(msp_choice_label(&c, ab, label, &err), MSP_OK, "%s", err.msg);
    assert_ints(label, (int[]){1, 2, 2, 1, 2, 2}, 6, "subset label");
    uint8_t none[3] = {0, 0, 0};
    cr_assert_eq(msp_choice_label(&c, none, label, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "labels: no network selected (choose at least one)");
    msp_choice_free(&c);
}

Test(label, greedy_order_and_gains)
{
    msp_choice c;
    msp_err err = {{0}};
    choice(&c, MSP_METRIC_TOP1);
    int order[3], k;
    double gains[3];
    /* specB is the label of 3 inputs (and right on 0, 1, 5); then specA and
     * base both fix one of {2, 3, 4} -> specA (cheaper); then base fixes 2;
     * input 4 stays unfixed. */
    cr_assert_eq(msp_choice_greedy(&c, MSP_GREEDY_START_LABEL, 0, order, gains, &k, &err), MSP_OK,
                 "%s", err.msg);
    cr_assert_eq(k, 3);
    assert_ints(order, (int[]){2, 1, 0}, 3, "order");
    cr_assert_float_eq(gains[0], 0.5, 1e-12);
    cr_assert_float_eq(gains[1], 1.0 / 6, 1e-12);
    cr_assert_float_eq(gains[2], 1.0 / 6, 1e-12);
    cr_assert_eq(msp_choice_greedy(&c, MSP_GREEDY_START_LABEL, 0.1, order, gains, &k, &err),
                 MSP_OK);
    cr_assert_eq(k, 3);
    cr_assert_eq(msp_choice_greedy(&c, MSP_GREEDY_START_LABEL, 0.2, order, gains, &k, &err),
                 MSP_OK);
    cr_assert_eq(k, 1);
    cr_assert_eq(order[0], 2);
    cr_assert_eq(msp_choice_greedy(&c, MSP_GREEDY_START_OK, 1.5, order, gains, &k, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "greedy: minimum gain 1.5, need a fraction in [0, 1]");
    cr_assert_eq(k, 0);
    msp_choice_free(&c);
}

Test(label, greedy_start_rules_differ)
{
    /* a (1 ms) is right on inputs 0, 1; b (10 ms) on 0, 1, 2. Labels a a b:
     * starting by labels takes a (gain 2/3), then b fixes input 2 (1/3);
     * starting by correctness takes b (gain 1) and a fixes nothing. */
    msp_outcomes o;
    msp_err err = {{0}};
    cr_assert_eq(msp_outcomes_init(&o, 3, 2, 2, &err), MSP_OK);
    o.names[0] = strdup("a");
    o.names[1] = strdup("b");
    o.latency_ms[0] = 1;
    o.latency_ms[1] = 10;
    const int pred_a[3] = {0, 0, 1};
    for (int i = 0; i < 3; i++) {
        o.pred[i * 2] = pred_a[i];
        o.top1[i * 2] = o.top5[i * 2] = pred_a[i] == 0;
        o.top1[i * 2 + 1] = o.top5[i * 2 + 1] = 1;
    }
    msp_choice c;
    cr_assert_eq(msp_choice_from_outcomes(&o, MSP_METRIC_TOP1, &c, &err), MSP_OK, "%s", err.msg);
    int order[2], k;
    double gains[2];
    cr_assert_eq(msp_choice_greedy(&c, MSP_GREEDY_START_LABEL, 0, order, gains, &k, &err), MSP_OK);
    cr_assert_eq(k, 2);
    assert_ints(order, (int[]){0, 1}, 2, "order");
    cr_assert_float_eq(gains[0], 2.0 / 3, 1e-12);
    cr_assert_float_eq(gains[1], 1.0 / 3, 1e-12);
    cr_assert_eq(msp_choice_greedy(&c, MSP_GREEDY_START_OK, 0, order, gains, &k, &err), MSP_OK);
    cr_assert_eq(k, 1);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(gains[0], 1.0);
    msp_choice_free(&c);
    msp_outcomes_free(&o);
}

/* Premodel chose 1 1 0 1 2 2 with confidence .3 on input 4; premodel 0.5 ms. */
static const int CHOSEN[6] = {1, 1, 0, 1, 2, 2};
static const float CONF[6] = {.9f, .9f, .9f, .9f, .3f, .9f};
static const double PRE[6] = {.5, .5, .5, .5, .5, .5};

Test(label, selector_without_safety_net)
{
    msp_choice c;
    msp_select_stats s;
    msp_err err = {{0}};
    choice(&c, MSP_METRIC_TOP1);
    int label[6];
    cr_assert_eq(msp_choice_label(&c, NULL, label, &err), MSP_OK);
    cr_assert_eq(msp_choice_eval(&c, CHOSEN, label, CONF, PRE, NULL, &s, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_float_eq(s.score, 4.0 / 6, 1e-12); /* inputs 1 (specA) and 4 (specB) wrong */
    cr_assert_float_eq(s.top5, 5.0 / 6, 1e-12);  /* specB's top-5 hit on 4, not specA on 1 */
    cr_assert_float_eq(s.mean_ms, (22 + 3.0) / 6, 1e-12);
    cr_assert_float_eq(s.mean_premodel_ms, 0.5, 1e-12);
    cr_assert_float_eq(s.premodel_acc, 5.0 / 6, 1e-12); /* all but input 1 */
    cr_assert_eq(s.fallbacks, 0);
    const int64_t conf[9] = {1, 0, 0, 0, 2, 0, 0, 1, 2};
    for (int x = 0; x < 9; x++) cr_assert_eq(s.confusion[x], conf[x], "confusion[%d]", x);
    for (int j = 0; j < 3; j++) cr_assert_eq(s.chosen[j], s.answered[j]);
    msp_select_stats_free(&s);
    msp_choice_free(&c);
}

Test(label, safety_net_costs)
{
    msp_choice c;
    msp_select_stats s;
    msp_err err = {{0}};
    choice(&c, MSP_METRIC_TOP1);
    /* 0: specA, fine: 2 ms. 1: specA answers other -> base too: 2 + 10.
     * 2: the base itself: 10. 3: specA: 2. 4: premodel unsure (.3 < .5) ->
     * only the base runs: 10. 5: specB's probability .55 < .6 -> base too:
     * 3 + 10, and the base is wrong there. Plus 6 x 0.5 ms premodel. */
    msp_safety net = {.fallback = 0, .min_confidence = 0.5, .on_other = 1};
    msp_safety_set_min_prob(&net, 0.6);
    cr_assert_eq(msp_choice_eval(&c, CHOSEN, NULL, CONF, PRE, &net, &s, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_float_eq(s.mean_ms, (2 + 12 + 10 + 2 + 10 + 13 + 3.0) / 6, 1e-12);
    cr_assert_float_eq(s.score, 4.0 / 6, 1e-12);
    cr_assert_float_eq(s.top5, 4.0 / 6, 1e-12);
    cr_assert_eq(s.fallbacks, 3);
    cr_assert(s.chosen[0] == 1 && s.chosen[1] == 3 && s.chosen[2] == 2);
    cr_assert(s.answered[0] == 4 && s.answered[1] == 2 && s.answered[2] == 0);
    msp_select_stats_free(&s);

    /* Only the 'other' rule: input 1 alone. */
    msp_safety other = {.fallback = 0, .on_other = 1};
    cr_assert_eq(msp_choice_eval(&c, CHOSEN, NULL, CONF, NULL, &other, &s, &err), MSP_OK);
    cr_assert_float_eq(s.mean_ms, (2 + 12 + 10 + 2 + 3 + 3.0) / 6, 1e-12);
    cr_assert_float_eq(s.score, 5.0 / 6, 1e-12);
    cr_assert_eq(s.fallbacks, 1);
    msp_select_stats_free(&s);

    /* A threshold per chosen network: specA's .92 sends input 3 (.9) to the
     * base, which gets it wrong; specB's 0 keeps input 5 (.55), right. */
    msp_safety per = {.fallback = 0, .on_other = 1};
    per.min_prob[1] = 0.92;
    cr_assert_eq(msp_choice_eval(&c, CHOSEN, NULL, NULL, NULL, &per, &s, &err), MSP_OK);
    cr_assert_float_eq(s.mean_ms, (2 + 12 + 10 + 12 + 3 + 3.0) / 6, 1e-12);
    cr_assert_float_eq(s.score, 4.0 / 6, 1e-12);
    cr_assert_eq(s.fallbacks, 2);
    cr_assert(!msp_safety_min_prob_shared(&per, 3) && msp_safety_min_prob_shared(&per, 1));
    msp_select_stats_free(&s);

    /* fallback -1: the net is off whatever the thresholds. */
    msp_safety off = {.fallback = -1, .min_confidence = 1, .on_other = 1};
    msp_safety_set_min_prob(&off, 1);
    cr_assert_eq(msp_choice_eval(&c, CHOSEN, NULL, CONF, NULL, &off, &s, &err), MSP_OK);
    cr_assert_float_eq(s.mean_ms, 22.0 / 6, 1e-12);
    cr_assert_eq(s.fallbacks, 0);
    msp_select_stats_free(&s);
    msp_choice_free(&c);
}

/* Each fallback counted once, by the rule that sent it, and the route each
 * input took: the hand-made family above under every rule at once. */
Test(label, fallback_counts_by_rule)
{
    msp_choice c;
    msp_select_stats s;
    msp_err err = {{0}};
    choice(&c, MSP_METRIC_TOP1);
    /* 1: specA says 'other' (its .8 is also under .85: counted as 'other'
     * only). 3: specA is sure (.9). 4: the premodel is unsure (.3 < .5):
     * only the base runs. 5: specB's .55 < .6. 0: specA's .95 passes. 2: the
     * base itself never falls back. */
    msp_safety net = {.fallback = 0, .min_confidence = 0.5, .on_other = 1};
    net.min_prob[1] = 0.85;
    net.min_prob[2] = 0.6;
    cr_assert_eq(msp_choice_eval(&c, CHOSEN, NULL, CONF, NULL, &net, &s, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(s.fell_other, 1);
    cr_assert_eq(s.fell_prob, 1);
    cr_assert_eq(s.fell_unsure, 1);
    cr_assert_eq(s.fallbacks, 3);
    const uint8_t route[6] = {MSP_ROUTE_CHOSEN,        MSP_ROUTE_HANDED_ON,
                              MSP_ROUTE_CHOSEN,        MSP_ROUTE_CHOSEN,
                              MSP_ROUTE_FALLBACK_ONLY, MSP_ROUTE_HANDED_ON};
    for (int i = 0; i < 6; i++) cr_assert_eq(s.route[i], route[i], "input %d", i);
    /* The cost follows the route: 2, 2+10, 10, 2, 10, 3+10. */
    for (int i = 0; i < 6; i++)
        cr_assert_float_eq(s.cost[i], ((double[]){2, 12, 10, 2, 10, 13})[i], 1e-12, "input %d", i);
    msp_select_stats_free(&s);

    /* A premodel that picks the base where it is unsure: nothing falls back. */
    const int base_when_unsure[6] = {1, 1, 0, 1, 0, 2};
    msp_safety rule1 = {.fallback = 0, .min_confidence = 0.5};
    cr_assert_eq(msp_choice_eval(&c, base_when_unsure, NULL, CONF, NULL, &rule1, &s, &err), MSP_OK);
    cr_assert_eq(s.fallbacks + s.fell_other + s.fell_prob + s.fell_unsure, 0);
    for (int i = 0; i < 6; i++) cr_assert_eq(s.route[i], MSP_ROUTE_CHOSEN);
    msp_select_stats_free(&s);

    /* Single networks and the oracle never fall back. */
    cr_assert_eq(msp_choice_oracle(&c, &s, &err), MSP_OK);
    cr_assert_eq(s.fallbacks + s.fell_other + s.fell_prob + s.fell_unsure, 0);
    msp_select_stats_free(&s);
    msp_choice_free(&c);
}

Test(label, bad_arguments)
{
    msp_choice c;
    msp_select_stats s;
    msp_err err = {{0}};
    choice(&c, MSP_METRIC_TOP1);
    int bad[6] = {0, 1, 2, 3, 0, 0};
    cr_assert_eq(msp_choice_eval(&c, bad, NULL, NULL, NULL, NULL, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "evaluate: input 3 chose network 3, outside [0, 3)");
    cr_assert_null(s.chosen);
    msp_safety net = {.fallback = 5};
    cr_assert_eq(msp_choice_eval(&c, CHOSEN, NULL, NULL, NULL, &net, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "safety net: fallback network 5, outside [0, 3)");
    double pre[6] = {0, 0, -1, 0, 0, 0};
    cr_assert_eq(msp_choice_eval(&c, CHOSEN, NULL, NULL, pre, NULL, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "evaluate: input 2 has premodel cost -1 ms, need finite >= 0");
    msp_metric m;
    cr_assert_eq(msp_metric_parse("top3", &m, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "unknown metric 'top3' (top1 or top5)");
    cr_assert_eq(msp_metric_parse("top5", &m, &err), MSP_OK);
    cr_assert_eq(m, MSP_METRIC_TOP5);
    msp_choice_free(&c);

    /* A zeroed (or freed) choice is refused, not read. */
    msp_choice z = {0};
    int order[3], k = 7, lab[6];
    cr_assert_eq(msp_choice_label(&z, NULL, lab, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "labels: no networks or no inputs");
    cr_assert_eq(msp_choice_greedy(&z, MSP_GREEDY_START_OK, 0, order, NULL, &k, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "greedy: no networks or no inputs");
    cr_assert_eq(k, 0);
    cr_assert_eq(msp_choice_most_accurate(&z, NULL), -1);
    cr_assert_eq(msp_choice_oracle(&z, &s, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_choice_eval_single(&z, 0, &s, &err), MSP_BAD_INPUT);

    /* Outcomes that break their own promises are refused. */
    msp_outcomes o;
    family(&o);
    o.top1[4] = 1; /* specA on input 1 answered 'other' */
    int label[6];
    cr_assert_eq(msp_label_cheapest(&o, MSP_METRIC_TOP1, label, NULL, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg,
                     "outcomes: input 1, network 'specA': top1 disagrees with pred == truth");
    msp_outcomes_free(&o);
}

Test(label, ties_go_to_the_lower_index)
{
    /* Two networks with the same latency, both right everywhere. */
    msp_outcomes o;
    msp_err err = {{0}};
    cr_assert_eq(msp_outcomes_init(&o, 3, 2, 2, &err), MSP_OK);
    o.names[0] = strdup("a");
    o.names[1] = strdup("b");
    o.latency_ms[0] = o.latency_ms[1] = 5;
    for (size_t x = 0; x < 6; x++) o.top1[x] = o.top5[x] = 1;
    int label[3], order[2], k;
    cr_assert_eq(msp_label_cheapest(&o, MSP_METRIC_TOP1, label, NULL, &err), MSP_OK, "%s",
                 err.msg);
    assert_ints(label, (int[]){0, 0, 0}, 3, "label");
    msp_choice c;
    cr_assert_eq(msp_choice_from_outcomes(&o, MSP_METRIC_TOP1, &c, &err), MSP_OK);
    cr_assert_eq(msp_choice_greedy(&c, MSP_GREEDY_START_OK, 0, order, NULL, &k, &err), MSP_OK);
    cr_assert_eq(k, 1); /* b fixes nothing */
    cr_assert_eq(order[0], 0);
    msp_choice_free(&c);
    msp_outcomes_free(&o);
}

/* Random tables (small integer scores, so ties are common; per-input
 * times) against brute-force checks of what labels, the oracle and the
 * greedy selection promise. */
Test(label, random_against_brute_force)
{
    msp_rng r;
    msp_rng_seed(&r, 7);
    for (int round = 0; round < 200; round++) {
        int n = 1 + (int)msp_rng_below(&r, 40), m = 1 + (int)msp_rng_below(&r, 6);
        double tol = (double)msp_rng_below(&r, 3);
        msp_table t = {.n = n, .m = m, .d = 1};
        t.model_names = calloc((size_t)m, sizeof *t.model_names);
        for (int j = 0; j < m; j++) {
            t.model_names[j] = malloc(16);
            snprintf(t.model_names[j], 16, "m%d", j);
        }
        t.score = malloc((size_t)n * m * sizeof *t.score);
        t.time_ms = malloc((size_t)n * m * sizeof *t.time_ms);
        for (int x = 0; x < n * m; x++) {
            t.score[x] = (double)msp_rng_below(&r, 5);
            t.time_ms[x] = (double)msp_rng_below(&r, 4);
        }
        msp_choice c;
        msp_err err = {{0}};
        cr_assert_eq(msp_choice_from_table(&t, tol, &c, &err), MSP_OK, "%s", err.msg);
        int *label = malloc((size_t)n * sizeof *label);
        cr_assert_eq(msp_choice_label(&c, NULL, label, &err), MSP_OK);
        double best_sum = 0, cost_sum = 0;
        for (int i = 0; i < n; i++) {
            const double *s = t.score + i * m, *tm = t.time_ms + i * m;
            double best = s[0];
            for (int j = 1; j < m; j++) best = s[j] > best ? s[j] : best;
            best_sum += s[label[i]];
            cost_sum += tm[label[i]];
            cr_assert_geq(s[label[i]], best - tol, "round %d input %d", round, i);
            for (int j = 0; j < m; j++)
                if (s[j] >= best - tol) {
                    cr_assert_leq(tm[label[i]], tm[j], "round %d input %d", round, i);
                    if (tm[j] == tm[label[i]]) cr_assert_leq(label[i], j);
                }
        }
        msp_select_stats o;
        cr_assert_eq(msp_choice_oracle(&c, &o, &err), MSP_OK);
        cr_assert_float_eq(o.score, best_sum / n, 1e-9);
        cr_assert_float_eq(o.mean_ms, cost_sum / n, 1e-9);
        msp_select_stats_free(&o);

        int order[6], k;
        double gains[6];
        cr_assert_eq(msp_choice_greedy(&c, MSP_GREEDY_START_OK, 0, order, gains, &k, &err),
                     MSP_OK);
        uint8_t taken[6] = {0}, *cov = calloc((size_t)n, 1);
        for (int s = 0; s < k; s++) {
            /* Brute force: the most inputs any untaken model would fix. */
            int most = 0, fixed = 0;
            for (int j = 0; j < m; j++) {
                if (taken[j]) continue;
                int f = 0;
                for (int i = 0; i < n; i++) f += !cov[i] && c.ok[i * m + j];
                most = f > most ? f : most;
            }
            cr_assert(!taken[order[s]]);
            for (int i = 0; i < n; i++)
                if (!cov[i] && c.ok[i * m + order[s]]) {
                    cov[i] = 1;
                    fixed++;
                }
            taken[order[s]] = 1;
            cr_assert_eq(fixed, most, "round %d step %d", round, s);
            cr_assert_float_eq(gains[s], (double)fixed / n, 1e-12);
            if (s > 0) cr_assert_leq(gains[s], gains[s - 1] + 1e-12);
        }
        /* Stopped only when nothing more can be fixed (every table input has
         * a correct model, so everything is covered). */
        for (int i = 0; i < n; i++) cr_assert(cov[i], "round %d input %d uncovered", round, i);
        free(cov);
        free(label);
        msp_choice_free(&c);
        msp_table_free(&t);
    }
}
