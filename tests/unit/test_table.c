/* test_table.c: the generic per-input table of `premodel --table`: loading
 * (columns in any order, exact values), labels by per-input time with a
 * score tolerance, oracle and single-model numbers worked out by hand,
 * broken tables refused with exact "file:line: message", and the example
 * tests/data/table-mt.csv. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "selector/label.h"
#include "selector/outcomes.h"

static char dir[] = "/tmp/msp-table-XXXXXX";

static void setup(void)
{
    strcpy(dir, "/tmp/msp-table-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(table, .init = setup, .fini = teardown);

static char *write_file(const char *name, const char *text)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
    return p;
}

/* Models small and big; row 3 is one where big happens to be faster. */
static const char *TABLE = "id,f.len,time.small,score.small,score.big,time.big,f.rare\n"
                           "1,5,10,30,30,50,0.1\n"
                           "2,20,40,20,35,100,0.5\n"
                           "-3,8,60,25,25,30,0.25\n";

static void load(msp_table *t)
{
    char *p = write_file("t.csv", TABLE);
    msp_err err = {{0}};
    cr_assert_eq(msp_table_load(p, t, &err), MSP_OK, "%s", err.msg);
    free(p);
}

Test(table, load_columns_in_any_order)
{
    msp_table t;
    load(&t);
    cr_assert(t.n == 3 && t.d == 2 && t.m == 2);
    cr_assert_str_eq(t.feature_names[0], "len");
    cr_assert_str_eq(t.feature_names[1], "rare");
    cr_assert_str_eq(t.model_names[0], "small");
    cr_assert_str_eq(t.model_names[1], "big");
    cr_assert(t.id[0] == 1 && t.id[1] == 2 && t.id[2] == -3);
    const float feat[6] = {5, 0.1f, 20, 0.5f, 8, 0.25f};
    const double score[6] = {30, 30, 20, 35, 25, 25}, time[6] = {10, 50, 40, 100, 60, 30};
    for (int x = 0; x < 6; x++) {
        cr_assert_eq(t.features[x], feat[x]);
        cr_assert_eq(t.score[x], score[x]);
        cr_assert_eq(t.time_ms[x], time[x]);
    }
    msp_table_free(&t);
    /* Without an id column. */
    char *p = write_file("noid.csv", "score.a,f.x,time.a\n1,2,3\n");
    msp_err err = {{0}};
    cr_assert_eq(msp_table_load(p, &t, &err), MSP_OK, "%s", err.msg);
    cr_assert_null(t.id);
    cr_assert(t.n == 1 && t.d == 1 && t.m == 1 && t.features[0] == 2 && t.time_ms[0] == 3);
    msp_table_free(&t);
    free(p);
}

Test(table, labels_oracle_and_single_models)
{
    msp_table t;
    load(&t);
    msp_choice c;
    msp_err err = {{0}};
    int label[3];
    msp_select_stats s;
    /* Tolerance 0: row 1 both best -> small (faster there); row 2 big only;
     * row 3 both best -> big (faster there). */
    cr_assert_eq(msp_choice_from_table(&t, 0, &c, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_choice_label(&c, NULL, label, &err), MSP_OK);
    cr_assert(label[0] == 0 && label[1] == 1 && label[2] == 1);
    cr_assert_eq(msp_choice_oracle(&c, &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_float_eq(s.score, 30.0, 1e-12);
    cr_assert_float_eq(s.mean_ms, 140.0 / 3, 1e-12);
    cr_assert(isnan(s.top5));
    msp_select_stats_free(&s);
    cr_assert_eq(msp_choice_eval_single(&c, 0, &s, &err), MSP_OK);
    cr_assert_float_eq(s.score, 25.0, 1e-12);
    cr_assert_float_eq(s.mean_ms, 110.0 / 3, 1e-12);
    msp_select_stats_free(&s);
    cr_assert_eq(msp_choice_eval_single(&c, 1, &s, &err), MSP_OK);
    cr_assert_float_eq(s.score, 30.0, 1e-12);
    cr_assert_float_eq(s.mean_ms, 60.0, 1e-12);
    msp_select_stats_free(&s);
    int order[2], k;
    double gains[2];
    cr_assert_eq(msp_choice_greedy(&c, MSP_GREEDY_START_LABEL, 0, order, gains, &k, &err), MSP_OK);
    cr_assert(k == 1 && order[0] == 1 && gains[0] == 1.0);
    /* The premodel-confidence rule works on tables; the others need outcomes. */
    int chosen[3] = {0, 0, 0};
    float conf[3] = {0.9f, 0.1f, 0.9f};
    msp_safety net = {.fallback = 1, .min_confidence = 0.5};
    cr_assert_eq(msp_choice_eval(&c, chosen, label, conf, NULL, &net, &s, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_float_eq(s.score, (30 + 35 + 25) / 3.0, 1e-12);
    cr_assert_float_eq(s.mean_ms, (10 + 100 + 60) / 3.0, 1e-12);
    cr_assert_eq(s.fallbacks, 1);
    cr_assert_float_eq(s.premodel_acc, 1.0 / 3, 1e-12);
    msp_select_stats_free(&s);
    net.on_other = 1;
    cr_assert_eq(msp_choice_eval(&c, chosen, label, conf, NULL, &net, &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "safety net: the 'other' and probability rules need network "
                              "outcomes, a table has neither");
    msp_choice_free(&c);

    /* Tolerance 20: small's 20 is within 20 of 35 on row 2. */
    cr_assert_eq(msp_choice_from_table(&t, 20, &c, &err), MSP_OK);
    cr_assert_eq(msp_choice_label(&c, NULL, label, &err), MSP_OK);
    cr_assert(label[0] == 0 && label[1] == 0 && label[2] == 1);
    cr_assert_eq(msp_choice_oracle(&c, &s, &err), MSP_OK);
    cr_assert_float_eq(s.score, 25.0, 1e-12);
    cr_assert_float_eq(s.mean_ms, 80.0 / 3, 1e-12);
    msp_select_stats_free(&s);
    msp_choice_free(&c);

    cr_assert_eq(msp_choice_from_table(&t, -1, &c, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "table: tolerance -1, need a finite number >= 0");
    cr_assert_eq(msp_choice_from_table(&t, NAN, &c, &err), MSP_BAD_INPUT);
    msp_table_free(&t);
}

static const struct bad_case {
    const char *text;
    const char *want; /* after "PATH:" */
} BAD[] = {
    {"", "1: empty table (want a header: id, f.NAME, score.MODEL, time.MODEL)"},
    {"f.a,foo,score.x,time.x\n1,2,3,4\n",
     "1: column 2 'foo' is not id, f.NAME, score.MODEL or time.MODEL"},
    {"id,f.a,f.a,score.x,time.x\n", "1: column 3 repeats column 2 ('f.a')"},
    {"f.a,score.x,time.x,time.y\n", "1: column 4 'time.y' has no score.y column (every model "
                                    "needs both)"},
    {"f.a,score.x,score.y,time.y\n", "1: model 'x' has a score column but no time.x column"},
    {"id,score.x,time.x\n", "1: no feature columns (name them f.NAME)"},
    {"id,f.a\n", "1: no model columns (score.MODEL and time.MODEL per model)"},
    {"f.,score.x,time.x\n", "1: column 1 'f.' needs a name of 1 to 256 characters after the '.'"},
    {"f.a,score.x,time.x\n", "2: no rows after the header (one row per input)"},
    {"f.a,score.x,time.x\n1,2\n", "2: row has 2 columns, the header has 3"},
    {"f.a,score.x,time.x\n1,nan,2\n", "2: column 'score.x': 'nan' is not a finite number"},
    {"f.a,score.x,time.x\n1,2,3\n1,2,-1\n", "3: column 'time.x' = -1: a time must be >= 0"},
    {"id,f.a,score.x,time.x\n1.5,1,2,3\n", "2: column 'id': '1.5' is not a number"},
    {"f.a,score.x,time.x\n1e300,2,3\n", "2: column 'f.a' = 1e300: does not fit a float"},
    {"f.a,score.x,time.x\n1,,3\n", "2: column 'score.x' is empty (every cell needs a number)"},
    {"f.a,score.x,time.x\n1,\"2\",3\n",
     "2: quoted fields are not supported (names and numbers need no quotes)"},
};

Test(table, bad_tables_exact_messages)
{
    for (size_t k = 0; k < sizeof BAD / sizeof *BAD; k++) {
        char name[32];
        snprintf(name, sizeof name, "bad%02zu.csv", k);
        char *p = write_file(name, BAD[k].text);
        msp_table t;
        msp_err err = {{0}};
        cr_expect_eq(msp_table_load(p, &t, &err), MSP_BAD_INPUT, "case %zu accepted", k);
        char want[1024];
        snprintf(want, sizeof want, "%s:%s", p, BAD[k].want);
        cr_expect_str_eq(err.msg, want, "case %zu", k);
        cr_expect(t.n == 0 && !t.model_names && !t.features, "case %zu", k);
        free(p);
    }
}

/* The example table: 200 sentences, 3 models; see
 * tests/data/make-table-mt.py for how it was made. */
Test(table, example_mt_table)
{
    msp_table t;
    msp_err err = {{0}};
    cr_assert_eq(msp_table_load("tests/data/table-mt.csv", &t, &err), MSP_OK, "%s", err.msg);
    cr_assert(t.n == 200 && t.m == 3 && t.d == 4);
    cr_assert_str_eq(t.model_names[0], "small");
    cr_assert_str_eq(t.model_names[2], "large");
    msp_choice c;
    cr_assert_eq(msp_choice_from_table(&t, 0, &c, &err), MSP_OK, "%s", err.msg);
    msp_select_stats oracle, single[3];
    cr_assert_eq(msp_choice_oracle(&c, &oracle, &err), MSP_OK);
    int label[200], count[3] = {0};
    cr_assert_eq(msp_choice_label(&c, NULL, label, &err), MSP_OK);
    for (int i = 0; i < 200; i++) count[label[i]]++;
    for (int j = 0; j < 3; j++) {
        cr_assert_eq(msp_choice_eval_single(&c, j, &single[j], &err), MSP_OK);
        cr_assert_gt(count[j], 20, "model %d is the label of only %d rows", j, count[j]);
    }
    /* What makes it a selection problem: the oracle scores as well as the
     * best model (large) in less than its time, and every model is the best
     * choice somewhere. */
    cr_assert_geq(oracle.score, single[2].score);
    cr_assert_lt(oracle.mean_ms, 0.75 * single[2].mean_ms);
    cr_assert_gt(single[2].score, single[0].score);
    for (int j = 0; j < 3; j++) msp_select_stats_free(&single[j]);
    msp_select_stats_free(&oracle);
    msp_choice_free(&c);
    msp_table_free(&t);
}
