/* label.h: labelling, greedy network selection, the oracle and selector
 * evaluation over a family of networks. Pure logic: no Darknet.
 *
 * Everything works on one view, msp_choice: n inputs x m networks with a
 * correctness matrix ok, a score to average, and a per-input per-network
 * cost. It is built either from network outcomes (selector/outcomes.h;
 * correct = top-1 or top-5 hit; cost = the network's measured latency, the
 * same for every input) or from a generic table (correct = score within a
 * tolerance of that input's best score; cost = that input's time).
 *
 * Labels. The label of input i is the cheapest network (lowest cost on i;
 * ties: lower index) that is correct on i. If none is, the label is the
 * "most accurate" network: correct on the most inputs of the whole set
 * (ties: lower mean cost, then lower index). A table always has a correct
 * model (its best one), so the rule never applies there.
 *
 * Cost model of a selector (msp_choice_eval), per input i with chosen
 * network c and optional safety net with fallback network f:
 *   cost_i = premodel_ms[i]                      (0 without premodel_ms)
 *          + cost(i, f)           if rule 1 fires: the premodel's confidence
 *                                 is below min_confidence; decided before
 *                                 any network runs, so only f runs;
 *          + cost(i, c) + cost(i, f)   if rule 2 (c answered 'other') or
 *                                 rule 3 (c's top-1 probability is below
 *                                 min_prob) fires: c already ran;
 *          + cost(i, c)           otherwise.
 * When a rule fires the answer is f's; when c == f nothing extra runs. The
 * mean latency is sum(cost_i) / n. The oracle is this with chosen = label,
 * no premodel and no safety net.
 * A safety net may also hold a chain of networks (a cascade's stages): a
 * network of the chain that rules 2 or 3 send on hands the input to the
 * chain's next network instead of the fallback, which runs and is judged by
 * the same rules; the chain's last network (and any network outside the
 * chain) hands on to the fallback. Every network that ran adds its cost.
 *
 * Conventions as in outcomes.h: msp_status + err, outputs zeroed on
 * failure, structs own their arrays (free with the matching _free), callers
 * own the arrays they pass in.
 */
#ifndef MSP_SELECTOR_LABEL_H
#define MSP_SELECTOR_LABEL_H

#include <stdint.h>

#include "selector/outcomes.h"
#include "base/base.h"

typedef enum msp_metric {
    MSP_METRIC_TOP1 = 0, /* correct = top-1 hit ('other' is never correct) */
    MSP_METRIC_TOP5 = 1  /* correct = top-5 hit */
} msp_metric;

/* "top1", "top5". */
const char *msp_metric_name(msp_metric m);
msp_status msp_metric_parse(const char *s, msp_metric *m, msp_err *err);

typedef struct msp_choice {
    int n, m;
    char **names;          /* m, copies */
    uint8_t *ok;           /* n*m [i * m + j]: network j is correct on input i */
    double *score;         /* n*m: what evaluation averages: the top-1 hit (0/1)
                            * for outcomes, the table's score for tables */
    double *score5;        /* n*m: the top-5 hit for outcomes; NULL for tables */
    double *cost_ms;       /* n*m: cost of running network j on input i */
    double *mean_cost_ms;  /* m: mean over inputs of cost_ms */
    uint8_t *other;        /* n*m: j answered 'other'; NULL for tables */
    float *prob;           /* n*m: j's top-1 probability; NULL for tables */
} msp_choice;

/* From checked outcomes (msp_outcomes_check) under a metric. */
msp_status msp_choice_from_outcomes(const msp_outcomes *o, msp_metric metric, msp_choice *c,
                                    msp_err *err);
/* From a table: ok = score >= (best score of the input) - tolerance;
 * tolerance finite and >= 0 (0: only the best models). */
msp_status msp_choice_from_table(const msp_table *t, double tolerance, msp_choice *c,
                                 msp_err *err);
void msp_choice_free(msp_choice *c);

/* The most accurate network among those with use[j] != 0 (use NULL = all):
 * correct on the most inputs; ties: lower mean cost, then lower index.
 * -1 if use selects none. */
int msp_choice_most_accurate(const msp_choice *c, const uint8_t *use);

/* label[n]: the labels defined above, restricted to networks with use[j]
 * (use NULL = all; labels are family indices either way). MSP_BAD_INPUT if
 * use selects no network. */
msp_status msp_choice_label(const msp_choice *c, const uint8_t *use, int *label, msp_err *err);

/* Issue 6's labelling of outcomes: label[n] as msp_choice_label over all
 * networks, and ok[n*m] (may be NULL) the correctness matrix. */
msp_status msp_label_cheapest(const msp_outcomes *o, msp_metric metric, int *label, uint8_t *ok,
                              msp_err *err);

/* Greedy choice of family members (the original research's selection):
 * start with the network that is the label (MSP_GREEDY_START_LABEL, labels
 * over all networks) or correct (MSP_GREEDY_START_OK) for the most inputs;
 * then repeatedly add the network that is correct on the most inputs that
 * no chosen network gets right ("fixes" them); ties: lower mean cost, then
 * lower index. gain = inputs fixed / n; the first network's gain is the
 * fraction it gets right. Stop before a network whose gain is 0 or below
 * min_gain (in [0, 1]); the first network is always taken. Outputs
 * order[*k] (room for m) and gains[*k] (room for m, may be NULL). */
typedef enum msp_greedy_start {
    MSP_GREEDY_START_LABEL = 0,
    MSP_GREEDY_START_OK = 1
} msp_greedy_start;
msp_status msp_choice_greedy(const msp_choice *c, msp_greedy_start start, double min_gain,
                             int *order, double *gains, int *k, msp_err *err);

/* Safety net: rules that make the selector run the fallback network too
 * (cost model above). fallback = -1 switches the net off. Rule 3 has a
 * threshold per chosen network: a specialist whose confidence tracks its
 * correctness well can keep inputs that a weaker one must hand on. */
#define MSP_SAFETY_MAX_NETS MSP_OUTCOMES_MAX_NETS
#define MSP_SAFETY_MAX_CHAIN 8
typedef struct msp_safety {
    int fallback;          /* network index (usually the base, 0), or -1 */
    double min_confidence; /* rule 1: premodel confidence below this; 0 = off */
    int on_other;          /* rule 2: the chosen network answered 'other' */
    double min_prob[MSP_SAFETY_MAX_NETS]; /* rule 3: [j]: network j was chosen and its
                                           * top-1 probability is below this; 0 = off */
    int chain[MSP_SAFETY_MAX_CHAIN]; /* the chain (above), distinct networks, none the
                                      * fallback; n_chain = 0: no chain */
    int n_chain;
} msp_safety;

/* Every network's rule-3 threshold set to p. */
void msp_safety_set_min_prob(msp_safety *s, double p);
/* What is wrong with s's chain for a family of m networks: NULL if nothing,
 * else "out of range", "in the chain twice" or "the fallback", with *k the
 * first bad entry (n_chain itself must be 0 to MSP_SAFETY_MAX_CHAIN: "too
 * long", *k = -1). */
const char *msp_safety_chain_problem(const msp_safety *s, int m, int *k);
/* Where network j hands an input that rules 2 or 3 send on: the chain's
 * next network, or the fallback. */
int msp_safety_next(const msp_safety *s, int j);
/* Do all of networks 0..m-1 share one rule-3 threshold? */
int msp_safety_min_prob_shared(const msp_safety *s, int m);

/* The tuning rule, for choices judged on the same inputs: is (score a, mean
 * cost a) better than (score b, cost b)? Reaching min_score (within the
 * scores' rounding) beats not reaching it; then the cheaper, or, short of
 * it, the more accurate (ties: the cheaper). */
int msp_select_better(double score_a, double ms_a, double score_b, double ms_b,
                      double min_score);
/* How much top-1 (0.3 points) a selector may lose against the base and
 * still count as keeping it, when the evaluation names the best premodel. */
#define MSP_SELECT_KEEP 0.003

/* Rule 3's thresholds tuned on labelled inputs that chose chosen[i]: from
 * grid (n_grid >= 1 values in [0, 1]), the best choice by
 * msp_select_better. shared: one threshold for every network (ties:
 * the earlier grid value); else one per network, found exactly (the inputs
 * that chose network j depend on j's threshold alone, so the search
 * separates into a knapsack over the count of correct answers); networks
 * that no input chose keep the shared choice, the fallback gets 0. safety gives rules 2 and 3's
 * fallback (>= 0) and on_other; rule 1 is not applied (no confidences).
 * Scores must be 0/1 (network outcomes). Out: tuned->min_prob[0..m), and
 * the score and mean cost it gives (may be NULL). */
msp_status msp_choice_tune_min_prob(const msp_choice *c, const int *chosen, const double *grid,
                                    int n_grid, double min_score, int shared, msp_safety *tuned,
                                    double *score, double *mean_ms, msp_err *err);

/* A cascade tuned on labelled inputs: the chain (a safety-net chain whose
 * first network every input starts at) and its networks' rule-3
 * thresholds, found by exhaustive search: every chain of 1 to max_stages
 * networks other than the fallback (and with use[j] != 0; use NULL = all;
 * MSP_BAD_INPUT if it leaves none), in increasing order of mean cost
 * (ties: lower index), with every threshold of grid for each, judged by
 * msp_select_better against min_score (ties: the first found when chains
 * are walked depth first, a chain before its extensions, networks in cost
 * order, thresholds in grid order).
 * Scores must be 0/1 (network outcomes).
 * tuned gives the fallback (>= 0) and on_other; out: its chain and
 * min_prob (0 for networks outside the chain), and the score and mean cost
 * (may be NULL). The work grows as (networks choose max_stages) x
 * n_grid^max_stages; inputs settled early leave the deeper search. */
msp_status msp_choice_tune_chain(const msp_choice *c, const uint8_t *use, const double *grid,
                                 int n_grid, double min_score, int max_stages, msp_safety *tuned,
                                 double *score, double *mean_ms, msp_err *err);

typedef struct msp_select_stats {
    int n, m;
    double score;            /* mean score of the answers used: top-1 accuracy for
                              * outcomes, mean table score for tables */
    double top5;             /* top-5 accuracy (outcomes); NaN for tables */
    double mean_ms;          /* mean cost per input (cost model above) */
    double mean_premodel_ms; /* its premodel part */
    double premodel_acc;     /* fraction of inputs with chosen == label; NaN without labels */
    int64_t fallbacks;       /* inputs answered by the fallback because a rule fired
                              * (and the chosen network was not the fallback):
                              * the sum of the three counts below */
    int64_t fell_other;      /* rule 2: the chosen network ran, said 'other', then the fallback */
    int64_t fell_prob;       /* rule 3: the chosen network ran, was unsure, then the fallback */
    int64_t fell_unsure;     /* rule 1: the premodel was unsure, only the fallback ran */
    int64_t escalated;       /* answered by a later network of the chain (not the fallback) */
    int64_t *chosen;         /* m: inputs per chosen network */
    int64_t *answered;       /* m: inputs per network whose answer was used */
    int64_t *confusion;      /* m*m [label * m + chosen]; NULL without labels */
    double *cost;            /* n: each input's cost (premodel included), ms */
    uint8_t *route;          /* n: what ran for each input (msp_route) */
    uint8_t *hops;           /* n: with MSP_ROUTE_HANDED_ON, how many networks ran
                              * after the chosen one (msp_safety_next from it) */
} msp_select_stats;

/* What ran for one input under msp_choice_eval. */
typedef enum msp_route {
    MSP_ROUTE_CHOSEN = 0,      /* the chosen network only */
    MSP_ROUTE_HANDED_ON,       /* the chosen network, then hops[i] more along the chain
                                * to the answer (rule 2 or 3) */
    MSP_ROUTE_FALLBACK_ONLY    /* the fallback only (rule 1) */
} msp_route;

/* Evaluate a selector that chose chosen[i] for input i. label (n, may be
 * NULL) gives premodel accuracy and the confusion matrix; confidence (n, may
 * be NULL: rule 1 off) is the premodel's confidence; premodel_ms (n, may be
 * NULL) its cost per input; safety may be NULL. Rules 2 and 3 need outcomes
 * (MSP_BAD_INPUT on a table choice). */
msp_status msp_choice_eval(const msp_choice *c, const int *chosen, const int *label,
                           const float *confidence, const double *premodel_ms,
                           const msp_safety *safety, msp_select_stats *s, msp_err *err);
/* One network for every input. */
msp_status msp_choice_eval_single(const msp_choice *c, int net, msp_select_stats *s,
                                  msp_err *err);
/* The oracle (perfect premodel): chosen = the labels over all networks. */
msp_status msp_choice_oracle(const msp_choice *c, msp_select_stats *s, msp_err *err);
void msp_select_stats_free(msp_select_stats *s);

#endif
