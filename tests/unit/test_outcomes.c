/* test_outcomes.c: the outcomes CSV: exact save -> load round trip, the
 * atomic write, and a corpus of broken files (generated here, in a mkdtemp
 * folder) each refused with its exact "file:line: message". */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/rng.h"
#include "selector/outcomes.h"

static char dir[] = "/tmp/msp-outcomes-XXXXXX";

static void setup(void)
{
    strcpy(dir, "/tmp/msp-outcomes-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(outcomes, .init = setup, .fini = teardown);

static char *write_file(const char *name, const char *text, size_t len)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    return p;
}

/* Random but consistent outcomes: n inputs, m networks, 7 classes. */
static void random_outcomes(msp_outcomes *o, int n, int m, uint64_t seed)
{
    msp_err err = {{0}};
    cr_assert_eq(msp_outcomes_init(o, n, m, 7, &err), MSP_OK, "%s", err.msg);
    msp_rng r;
    msp_rng_seed(&r, seed);
    for (int j = 0; j < m; j++) {
        char name[32];
        snprintf(name, sizeof name, "net_%d-x", j);
        o->names[j] = strdup(name);
        o->latency_ms[j] = msp_rng_uniform(&r) * 100 / 3;
        o->flops[j] = (double)msp_rng_below(&r, 1000000000) * 7.25;
    }
    for (int i = 0; i < n; i++) {
        o->id[i] = 3 * (int64_t)i + 1000000000000LL;
        o->truth[i] = (int)msp_rng_below(&r, 7);
        for (int j = 0; j < m; j++) {
            size_t c = (size_t)i * m + j;
            o->pred[c] = (int)msp_rng_below(&r, 8) - 1;
            o->prob[c] = (float)msp_rng_uniform(&r);
            o->top1[c] = o->pred[c] == o->truth[i];
            o->top5[c] = o->top1[c] || msp_rng_below(&r, 2);
        }
    }
    o->prob[0] = 1.0f;
    o->prob[1] = 0.0f;
    o->prob[2] = 1e-30f;
}

Test(outcomes, round_trip_exact)
{
    msp_outcomes o, back;
    msp_err err = {{0}};
    random_outcomes(&o, 300, 5, 42);
    char *p = write_file("o.csv", "", 0);
    cr_assert_eq(msp_outcomes_save(p, &o, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_outcomes_load(p, &back, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(back.n, 300);
    cr_assert_eq(back.m, 5);
    cr_assert_eq(back.n_classes, 7);
    size_t cells = 300 * 5;
    for (int j = 0; j < 5; j++) {
        cr_assert_str_eq(back.names[j], o.names[j]);
        cr_assert_eq(back.latency_ms[j], o.latency_ms[j]); /* bitwise, not approximately */
        cr_assert_eq(back.flops[j], o.flops[j]);
    }
    cr_assert_eq(memcmp(back.id, o.id, 300 * sizeof *o.id), 0);
    cr_assert_eq(memcmp(back.truth, o.truth, 300 * sizeof *o.truth), 0);
    cr_assert_eq(memcmp(back.pred, o.pred, cells * sizeof *o.pred), 0);
    cr_assert_eq(memcmp(back.prob, o.prob, cells * sizeof *o.prob), 0);
    cr_assert_eq(memcmp(back.top1, o.top1, cells), 0);
    cr_assert_eq(memcmp(back.top5, o.top5, cells), 0);
    cr_assert_eq(msp_outcomes_find(&back, "net_3-x"), 3);
    cr_assert_eq(msp_outcomes_find(&back, "net_9"), -1);
    /* Saving what was loaded gives the same bytes. */
    char *q = write_file("o2.csv", "", 0);
    cr_assert_eq(msp_outcomes_save(q, &back, &err), MSP_OK, "%s", err.msg);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", p, q);
    cr_assert_eq(system(cmd), 0);
    /* No temporary file is left beside it. */
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | wc -l) -eq 2", dir);
    cr_assert_eq(system(cmd), 0);
    msp_outcomes_free(&o);
    msp_outcomes_free(&back);
    free(p);
    free(q);
}

Test(outcomes, file_layout)
{
    msp_outcomes o;
    msp_err err = {{0}};
    cr_assert_eq(msp_outcomes_init(&o, 1, 2, 3, &err), MSP_OK);
    o.names[0] = strdup("base");
    o.names[1] = strdup("s0");
    o.latency_ms[0] = 12.5;
    o.latency_ms[1] = 0.25;
    o.flops[0] = 2450000;
    o.flops[1] = 610000;
    o.truth[0] = 2;
    o.pred[0] = 2;
    o.pred[1] = -1;
    o.prob[0] = 0.5f;
    o.prob[1] = 0.75f;
    o.top1[0] = o.top5[0] = 1;
    o.top5[1] = 1;
    char *p = write_file("o.csv", "", 0);
    cr_assert_eq(msp_outcomes_save(p, &o, &err), MSP_OK, "%s", err.msg);
    FILE *f = fopen(p, "r");
    char buf[1024] = {0};
    cr_assert_gt(fread(buf, 1, sizeof buf - 1, f), 0);
    fclose(f);
    cr_assert_str_eq(buf, "# msprune outcomes 1\n"
                          "# classes 3\n"
                          "# network base latency_ms=12.5 flops=2450000\n"
                          "# network s0 latency_ms=0.25 flops=610000\n"
                          "id,truth,base.pred,base.prob,base.top1,base.top5,"
                          "s0.pred,s0.prob,s0.top1,s0.top5\n"
                          "0,2,2,0.5,1,1,-1,0.75,0,1\n");
    msp_outcomes_free(&o);
    free(p);
}

Test(outcomes, save_refuses_bad_data)
{
    msp_outcomes o;
    msp_err err = {{0}};
    random_outcomes(&o, 4, 2, 1);
    char *p = write_file("o.csv", "keep", 4);
    free(o.names[1]);
    o.names[1] = strdup("a,b");
    cr_assert_eq(msp_outcomes_save(p, &o, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "outcomes: network name 'a,b' has a character outside "
                              "[A-Za-z0-9_-] (1 to 64 of [A-Za-z0-9_-])");
    free(o.names[1]);
    o.names[1] = strdup("net_0-x");
    cr_assert_eq(msp_outcomes_save(p, &o, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "outcomes: networks 0 and 1 are both called 'net_0-x'");
    free(o.names[1]);
    o.names[1] = strdup("ok");
    o.id[3] = o.id[1];
    cr_assert_eq(msp_outcomes_save(p, &o, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "outcomes: id 1000000000003 repeats");
    /* The old file is untouched. */
    FILE *f = fopen(p, "r");
    char buf[8] = {0};
    cr_assert_eq(fread(buf, 1, 7, f), 4);
    fclose(f);
    cr_assert_str_eq(buf, "keep");
    msp_outcomes_free(&o);
    cr_assert_eq(msp_outcomes_init(&o, 0, 2, 3, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "outcomes: 0 inputs x 2 networks, need 1 to 10000000 inputs and "
                              "at most 134217728 cells");
    cr_assert_null(o.names);
    cr_assert_eq(msp_outcomes_init(&o, 5, 257, 3, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "outcomes: 257 networks, need 1 to 256");
    free(p);
}

#define H1 "# msprune outcomes 1\n"
#define H2 "# classes 4\n"
#define NB "# network base latency_ms=10 flops=1000\n"
#define NS "# network spec latency_ms=2 flops=100\n"
#define COLS                                                                                      \
    "id,truth,base.pred,base.prob,base.top1,base.top5,spec.pred,spec.prob,spec.top1,spec.top5\n"
#define HEAD H1 H2 NB NS COLS
#define R0 "0,0,0,0.9,1,1,-1,0.8,0,0\n"
#define R1 "1,1,2,0.5,0,1,1,0.7,1,1\n"

static const struct bad_case {
    const char *text;
    const char *want; /* after "PATH:" */
} BAD[] = {
    {"", "1: not an outcomes file (line 1 must be '# msprune outcomes 1')"},
    {"# msprune outcome 1\n", "1: not an outcomes file (line 1 must be '# msprune outcomes 1')"},
    {"# msprune outcomes 1 x\n" H2, "1: not an outcomes file (line 1 must be '# msprune outcomes 1')"},
    {"# msprune outcomes 2\n" H2 NB COLS R0,
     "1: outcomes file version 2, this msprune reads version 1 (relabel to rewrite it)"},
    {H1, "2: want '# classes N' on line 2"},
    {H1 "# classes 0\n" NB, "2: classes must be an integer from 1 to 100000, not '0'"},
    {H1 "# classes four\n" NB, "2: classes must be an integer from 1 to 100000, not 'four'"},
    {H1 H2 NB NB, "4: network 'base' is listed twice"},
    {H1 H2 "# network ba.se latency_ms=1 flops=1\n",
     "3: network name 'ba.se' has a character outside [A-Za-z0-9_-] (1 to 64 of [A-Za-z0-9_-])"},
    {H1 H2 "# network base latency_ms=nan flops=1\n",
     "3: network 'base': latency_ms 'nan' must be a finite number >= 0"},
    {H1 H2 "# network base latency_ms=-1 flops=1\n",
     "3: network 'base': latency_ms '-1' must be a finite number >= 0"},
    {H1 H2 "# network base latency_ms=1 flops=lots\n",
     "3: network 'base': flops 'lots' is not a number"},
    {H1 H2 "# network base latency_ms=10\n", "3: want '# network NAME latency_ms=X flops=Y'"},
    {H1 H2 "# network base flops=1 latency_ms=1\n",
     "3: want '# network NAME latency_ms=X flops=Y'"},
    {H1 H2 NB NS "# note\n" COLS R0,
     "5: unknown header line (want '# network NAME latency_ms=X flops=Y' or the column header)"},
    {H1 H2 NB NS, "5: the file ends before its column header"},
    {H1 H2 COLS R0, "3: no '# network' lines before the column header"},
    {H1 H2 NB NS "id,truth,base.pred,base.top1,base.prob,base.top5,spec.pred,spec.prob,spec.top1,"
                 "spec.top5\n" R0,
     "5: column 4 is 'base.top1', want 'base.prob' (columns follow the '# network' lines)"},
    {H1 H2 NS NB COLS R0,
     "5: column 3 is 'base.pred', want 'spec.pred' (columns follow the '# network' lines)"},
    {H1 H2 NB NS "id,truth,base.pred,base.prob,base.top1,base.top5,spec.pred,spec.prob,spec.top1\n",
     "5: the column header has 9 columns, want 10 (id, truth and 4 per network)"},
    {HEAD, "6: no rows after the column header (one row per input)"},
    {HEAD "0,0,0,0.9,1,1,-1,0.8,0\n", "6: row has 9 columns, the header has 10"},
    {HEAD R0 "1,1,2,0.5,0,1,1,0.7,1,1,0\n", "7: row has 11 columns, the header has 10"},
    {HEAD "0,0,x,0.9,1,1,-1,0.8,0,0\n", "6: column 'base.pred': 'x' is not a number"},
    {HEAD "0,0,0,,1,1,-1,0.8,0,0\n", "6: column 'base.prob' is empty (every cell needs a number)"},
    {HEAD "0,0,0,inf,1,1,-1,0.8,0,0\n", "6: column 'base.prob': 'inf' is not a finite number"},
    {HEAD "0,0,0,1e999,1,1,-1,0.8,0,0\n", "6: column 'base.prob': '1e999' is not a finite number"},
    {HEAD "0,0,0,0x1p-1,1,1,-1,0.8,0,0\n", "6: column 'base.prob': '0x1p-1' is not a number"},
    {HEAD "0,0,0,1.5,1,1,-1,0.8,0,0\n",
     "6: column 'base.prob' = 1.5: a probability must be in [0, 1]"},
    {HEAD R0 "1,4,2,0.5,0,1,1,0.7,1,1\n", "7: column 'truth' = 4: a class must be in [0, 4)"},
    {HEAD "0,0,0,0.9,1,1,-2,0.8,0,0\n",
     "6: column 'spec.pred' = -2: a class must be in [-1, 4) (-1 is 'other')"},
    {HEAD "0,0,0,0.9,1,2,-1,0.8,0,0\n", "6: column 'base.top5' = 2: must be 0 or 1"},
    {HEAD "0,0,0,0.9,1,1.0,-1,0.8,0,0\n", "6: column 'base.top5': '1.0' is not a number"},
    {HEAD "-3,0,0,0.9,1,1,-1,0.8,0,0\n", "6: column 'id' = -3: an id must be >= 0"},
    {HEAD "99999999999999999999,0,0,0.9,1,1,-1,0.8,0,0\n",
     "6: column 'id': '99999999999999999999' is out of range"},
    {HEAD "0,0,1,0.9,1,1,-1,0.8,0,0\n", "6: network 'base': top1 disagrees with pred == truth"},
    {HEAD "0,0,0,0.9,0,1,-1,0.8,0,0\n", "6: network 'base': top1 disagrees with pred == truth"},
    {HEAD "0,0,0,0.9,1,0,-1,0.8,0,0\n", "6: network 'base': a top-1 hit that is not a top-5 hit"},
    {HEAD R0 R1 "0,1,2,0.5,0,1,1,0.7,1,1\n", "8: id 0 repeats line 6 (ids must be unique)"},
    {HEAD "0,0,0,\"0.9\",1,1,-1,0.8,0,0\n",
     "6: quoted fields are not supported (names and numbers need no quotes)"},
    {HEAD R0 "\n", "7: row has 1 columns, the header has 10"},
};

Test(outcomes, bad_files_exact_messages)
{
    for (size_t k = 0; k < sizeof BAD / sizeof *BAD; k++) {
        char name[32];
        snprintf(name, sizeof name, "bad%02zu.csv", k);
        char *p = write_file(name, BAD[k].text, strlen(BAD[k].text));
        msp_outcomes o;
        msp_err err = {{0}};
        cr_expect_eq(msp_outcomes_load(p, &o, &err), MSP_BAD_INPUT, "case %zu accepted", k);
        char want[1024];
        snprintf(want, sizeof want, "%s:%s", p, BAD[k].want);
        cr_expect_str_eq(err.msg, want, "case %zu", k);
        cr_expect_null(o.names, "case %zu", k);
        cr_expect_eq(o.n, 0);
        free(p);
    }
}

Test(outcomes, good_variants_load)
{
    /* CRLF line ends, blanks around cells, a file without a final newline. */
    const char *text = H1 H2 NB NS COLS "0, 0 ,0,0.9,1,1,-1,0.8,0,0\r\n1,1,2,0.5,0,1,1,0.7,1,1";
    char *p = write_file("ok.csv", text, strlen(text));
    msp_outcomes o;
    msp_err err = {{0}};
    cr_assert_eq(msp_outcomes_load(p, &o, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(o.n, 2);
    cr_assert_eq(o.pred[3], 1);
    cr_assert_eq(o.prob[1], 0.8f);
    cr_assert_eq(o.latency_ms[1], 2.0);
    msp_outcomes_free(&o);
    free(p);
}

Test(outcomes, binary_and_huge_lines)
{
    msp_outcomes o;
    msp_err err = {{0}};
    const char nul[] = HEAD "0,0,0,0.9\0,1,1,-1,0.8,0,0\n";
    char *p = write_file("nul.csv", nul, sizeof nul - 1);
    cr_assert_eq(msp_outcomes_load(p, &o, &err), MSP_BAD_INPUT);
    char want[1024];
    snprintf(want, sizeof want, "%s:6: line contains a NUL byte (is this a text file?)", p);
    cr_assert_str_eq(err.msg, want);
    free(p);

    size_t big = (1 << 20) + 1000;
    char *text = malloc(big);
    memset(text, '1', big);
    memcpy(text, HEAD, strlen(HEAD));
    p = write_file("long.csv", text, big);
    cr_assert_eq(msp_outcomes_load(p, &o, &err), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "%s:6: line is longer than 1048575 bytes", p);
    cr_assert_str_eq(err.msg, want);
    free(text);
    free(p);

    cr_assert_eq(msp_outcomes_load(dir, &o, &err), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "%s: is a directory, not a regular file", dir);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(msp_outcomes_load("/nonexistent/o.csv", &o, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "/nonexistent/o.csv: cannot open: No such file or directory");
}

/* Every prefix of a good file either loads or fails cleanly (ASan run). */
Test(outcomes, truncations)
{
    const char *text = HEAD R0 R1;
    size_t len = strlen(text);
    int loaded = 0;
    for (size_t cut = 0; cut <= len; cut++) {
        char *p = write_file("cut.csv", text, cut);
        msp_outcomes o;
        msp_err err = {{0}};
        msp_status st = msp_outcomes_load(p, &o, &err);
        cr_assert(st == MSP_OK || st == MSP_BAD_INPUT, "cut %zu: status %d", cut, st);
        if (st == MSP_OK) {
            loaded++;
            msp_outcomes_free(&o);
        } else {
            cr_assert_eq(strncmp(err.msg, p, strlen(p)), 0, "cut %zu: %s", cut, err.msg);
        }
        free(p);
    }
    /* Only the cuts after a whole row (with or without its newline). */
    cr_assert_eq(loaded, 4);
}
