/* test_family.c: the family manifest (specialise/family.c): a write -> load
 * round trip, and every kind of bad manifest refused with its line: paths
 * leaving the folder, missing files, duplicate names, bad class maps,
 * versions, unknown keys, out-of-range values. Also the plan's text and CRC
 * (specialise/plan.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/expconf.h"
#include "specialise/specialise.h"

static char dir[64];

static void touch(const char *leaf)
{
    char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, leaf);
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fputs("x\n", f);
    fclose(f);
}

static void setup(void)
{
    strcpy(dir, "/tmp/msp-family.XXXXXX");
    cr_assert(mkdtemp(dir));
    touch("base.cfg");
    touch("base.weights");
    touch("s0.cfg");
    touch("s0.weights");
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(family, .init = setup, .fini = teardown);

static char *path_of(const char *leaf)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, leaf);
    return p;
}

Test(family, write_then_load_round_trip)
{
    int out0[3] = {0, 1, 2}, out1[3] = {2, 0, -1};
    msp_family_net nets[2] = {
        {.name = "base", .cfg = "base.cfg", .weights = "base.weights", .cluster = -1,
         .n_outputs = 3, .outputs = out0, .flops = 15027712, .params = 94634, .budget = NAN,
         .latency_ms = 0.25,
         .val_top1 = 0.92, .val_in_cluster = NAN, .base_val_in_cluster = NAN, .test_top1 = 0.914,
         .test_in_cluster = NAN, .base_test_in_cluster = NAN},
        {.name = "s0", .cfg = "s0.cfg", .weights = "s0.weights", .cluster = 1, .n_outputs = 3,
         .outputs = out1, .flops = 7000000, .params = 40000, .budget = 0.3, .latency_ms = NAN,
         .val_top1 = 0.5,
         .val_in_cluster = 0.875, .base_val_in_cluster = 0.8671875, .val_cluster_n = 1200,
         .test_top1 = 0.25, .test_in_cluster = 1.0 / 3, .base_test_in_cluster = 0,
         .test_cluster_n = 3}};
    msp_family f = {.experiment = "exp", .clustering = "confusion", .k = 2, .n_classes = 3,
                    .plan_crc = 4000000000u, .n_nets = 2, .nets = nets};
    msp_err err = {{0}};
    cr_assert_eq(msp_family_write(path_of("family.conf"), &f, &err), MSP_OK, "%s", err.msg);
    msp_family g;
    cr_assert_eq(msp_family_load(path_of("family.conf"), &g, &err), MSP_OK, "%s", err.msg);
    cr_assert_str_eq(g.experiment, "exp");
    cr_assert_str_eq(g.clustering, "confusion");
    cr_assert(g.k == 2 && g.n_classes == 3 && g.plan_crc == 4000000000u && g.n_nets == 2);
    for (int i = 0; i < 2; i++) {
        const msp_family_net *a = &nets[i], *b = &g.nets[i];
        cr_assert_str_eq(a->name, b->name);
        cr_assert_str_eq(a->cfg, b->cfg);
        cr_assert_str_eq(a->weights, b->weights);
        cr_assert(a->cluster == b->cluster && a->n_outputs == b->n_outputs);
        cr_assert_arr_eq(a->outputs, b->outputs, sizeof(int) * 3);
        cr_assert(a->flops == b->flops && a->params == b->params);
        cr_assert(a->val_cluster_n == b->val_cluster_n && a->test_cluster_n == b->test_cluster_n);
        const double *pa = &a->val_top1, *pb = &b->val_top1;
        for (int k = 0; k < 6; k++) /* the six accuracies, in struct order */
            cr_assert((isnan(pa[k]) && isnan(pb[k])) || fabs(pa[k] - pb[k]) < 1e-9,
                      "net %d accuracy %d: %g vs %g", i, k, pa[k], pb[k]);
        cr_assert((isnan(a->latency_ms) && isnan(b->latency_ms)) ||
                  fabs(a->latency_ms - b->latency_ms) < 1e-12);
        cr_assert((isnan(a->budget) && isnan(b->budget)) || a->budget == b->budget,
                  "net %d budget %g vs %g", i, a->budget, b->budget);
    }
    msp_family_free(&g);
    msp_family_free(&g); /* safe twice */
}

/* A one-network manifest with `net` spliced into the network group and
 * `top` into the top level. */
static void write_manifest(const char *top, const char *net)
{
    FILE *f = fopen(path_of("m.conf"), "w");
    cr_assert(f);
    fprintf(f, "version = 1;\nexperiment = \"e\";\nclustering = \"confusion\";\nk = 2;\n"
               "classes = 3;\nplan_crc = 5L;\n%s\nnetworks = (\n"
               "  { name = \"base\"; cfg = \"base.cfg\"; weights = \"base.weights\"; cluster = -1;\n"
               "    outputs = [0, 1, 2]; flops = 10L; params = 5L; val_cluster_n = 0;\n"
               "    test_cluster_n = 0; %s }\n);\n",
            top, net);
    fclose(f);
}

static void expect_bad(const char *top, const char *net, int line, const char *msg)
{
    write_manifest(top, net);
    msp_family g;
    msp_err err = {{0}};
    cr_assert_eq(msp_family_load(path_of("m.conf"), &g, &err), MSP_BAD_INPUT, "accepted: %s / %s", top, net);
    char want[96];
    snprintf(want, sizeof want, "m.conf:%d: ", line);
    cr_assert(strstr(err.msg, want), "'%s' lacks '%s'", err.msg, want);
    cr_assert(strstr(err.msg, msg), "'%s' lacks '%s'", err.msg, msg);
    cr_assert_eq(g.n_nets, 0);
    cr_assert_null(g.nets);
}

Test(family, good_manifest_loads)
{
    write_manifest("", "");
    msp_family g;
    msp_err err = {{0}};
    cr_assert_eq(msp_family_load(path_of("m.conf"), &g, &err), MSP_OK, "%s", err.msg);
    cr_assert(isnan(g.nets[0].latency_ms) && isnan(g.nets[0].val_top1));
    msp_family_free(&g);
}

Test(family, bad_manifests_refused_with_line)
{
    expect_bad("version = 2;", "", 7, "duplicate setting");
    expect_bad("", "foo = 1;", 11, "unknown key 'foo' in a network");
    expect_bad("extra = 1;", "", 7, "unknown key 'extra'");
    expect_bad("", "val_top1 = 1.5;", 11, "'val_top1' must be in [0, 1]");
    expect_bad("", "latency_ms = -0.5;", 11, "'latency_ms' must be in [0, 1e+09]");
    expect_bad("", "budget = 1.5;", 11, "'budget' must be in [0, 1]");
    expect_bad("", "val_top1 = \"high\";", 11, "'val_top1' has the wrong type");
    expect_bad("", "garbage here", 11, "syntax error");
}

/* The network group with one field replaced. */
static void expect_bad_net(const char *net_group, int line, const char *msg)
{
    FILE *f = fopen(path_of("m.conf"), "w");
    cr_assert(f);
    fprintf(f, "version = 1;\nexperiment = \"e\";\nclustering = \"confusion\";\nk = 2;\n"
               "classes = 3;\nplan_crc = 5L;\nnetworks = (\n%s\n);\n", net_group);
    fclose(f);
    msp_family g;
    msp_err err = {{0}};
    cr_assert_eq(msp_family_load(path_of("m.conf"), &g, &err), MSP_BAD_INPUT, "accepted: %s", net_group);
    char want[96];
    snprintf(want, sizeof want, "m.conf:%d: ", line);
    cr_assert(strstr(err.msg, want), "'%s' lacks '%s'", err.msg, want);
    cr_assert(strstr(err.msg, msg), "'%s' lacks '%s'", err.msg, msg);
}

#define NET(name, cfg, w, cluster, outputs)                                                   \
    "{ name = \"" name "\"; cfg = \"" cfg "\"; weights = \"" w "\"; cluster = " cluster     \
    "; outputs = " outputs "; flops = 1L; params = 1L; val_cluster_n = 0; test_cluster_n = 0; }"

Test(family, paths_confined_to_the_folder)
{
    expect_bad_net(NET("a", "/etc/passwd", "base.weights", "-1", "[0]"), 8,
                   "must be a relative path inside the family folder");
    expect_bad_net(NET("a", "../base.cfg", "base.weights", "-1", "[0]"), 8, "no '..'");
    expect_bad_net(NET("a", "sub/../base.cfg", "base.weights", "-1", "[0]"), 8, "no '..'");
    expect_bad_net(NET("a", "./base.cfg", "base.weights", "-1", "[0]"), 8, "relative path inside");
    expect_bad_net(NET("a", "base.cfg", "nothere.weights", "-1", "[0]"), 8, "missing or unreadable");
}

Test(family, networks_checked)
{
    expect_bad_net(NET("a b", "base.cfg", "base.weights", "-1", "[0]"), 8, "may only use letters");
    expect_bad_net(NET("a", "base.cfg", "base.weights", "-1", "[0]") ",\n"
                   NET("a", "s0.cfg", "s0.weights", "0", "[1, -1]"), 9, "two networks are named 'a'");
    expect_bad_net(NET("a", "base.cfg", "base.weights", "-1", "[0, 3]"), 8,
                   "entry 1 must be a class id in [0, 3) or -1");
    expect_bad_net(NET("a", "base.cfg", "base.weights", "-1", "[1, 1]"), 8, "names a class twice");
    expect_bad_net(NET("a", "base.cfg", "base.weights", "-1", "[-1, 0, -1]"), 8, "names other twice");
    expect_bad_net(NET("a", "base.cfg", "base.weights", "-1", "[0, 1, 2, -1, 0]"), 8,
                   "must list 1 to 4 entries");
    expect_bad_net(NET("a", "base.cfg", "base.weights", "2", "[0]"), 8, "cluster 2, but k = 2");
    expect_bad_net(NET("a", "base.cfg", "base.weights", "-2", "[0]"), 8, "'cluster' must be in [-1,");
    expect_bad_net("{ name = \"a\"; }", 8, "missing key 'cfg'");
    expect_bad_net("5", 8, "a network must be a group");
}

Test(family, missing_or_huge_file)
{
    msp_family g;
    msp_err err = {{0}};
    cr_assert_eq(msp_family_load(path_of("none.conf"), &g, &err), MSP_BAD_INPUT);
    FILE *f = fopen(path_of("nul.conf"), "wb");
    fwrite("version = 1;\0", 1, 13, f);
    fclose(f);
    cr_assert_eq(msp_family_load(path_of("nul.conf"), &g, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "NUL byte"), "%s", err.msg);
}

/* ---- the plan's text ---- */

Test(plan, text_and_crc_follow_the_settings)
{
    msp_expconf conf = {0};
    conf.name = "exp";
    conf.seed = 3;
    conf.base.cfg = "b.cfg";
    conf.base.weights = "b.weights";
    conf.base.batch = 64;
    conf.specialise.target_flops = 0.5;
    conf.specialise.steps = 2;
    conf.specialise.other = 1;
    conf.specialise.protect_first = 1;
    conf.specialise.specialists = 1;
    int cc[4] = {0, 1, 0, 1}, tr[3] = {0, 1, 1}, va[1] = {0}, te[2] = {1, 0};
    msp_spec_plan p = {.method = MSP_CLUSTER_CONFUSION, .k = 2, .k_min = 2, .k_max = 2,
                       .n_classes = 4, .class_cluster = cc, .n_split = {3, 1, 2},
                       .assign = {tr, va, te}};
    char *a = msp_spec_plan_text(&conf, &p);
    cr_assert(strstr(a, "class_cluster = [0, 1, 0, 1];"), "%s", a);
    cr_assert(strstr(a, "criterion = \"taylor\";"), "%s", a);
    cr_assert(strstr(a, "steps = 2;"), "%s", a);
    cr_assert_null(strstr(a, "assign_train"), "class clusters need no per-example list");
    /* defaults left out, so families made before a key keep their CRC */
    cr_assert_null(strstr(a, "protect_first"), "%s", a);
    cr_assert_null(strstr(a, "distill"), "%s", a);
    cr_assert_null(strstr(a, "specialists"), "%s", a);
    cr_assert_null(strstr(a, "generalists"), "%s", a);
    conf.specialise.protect_first = 0;
    conf.specialise.specialists = 0;
    conf.specialise.n_generalists = 2;
    conf.specialise.generalists[0] = 0.05;
    conf.specialise.generalists[1] = 0.3;
    char *d = msp_spec_plan_text(&conf, &p);
    cr_assert(strstr(d, "protect_first = false;"), "%s", d);
    cr_assert(strstr(d, "specialists = false;\ngeneralists = [0.050000, 0.300000];"), "%s", d);
    free(d);
    conf.specialise.protect_first = 1;
    conf.specialise.specialists = 1;
    conf.specialise.n_generalists = 0;
    conf.specialise.steps = 3;
    char *b = msp_spec_plan_text(&conf, &p);
    cr_assert(strcmp(a, b) != 0, "a setting change must change the plan");
    p.method = MSP_CLUSTER_FEATURES;
    p.class_cluster = NULL;
    char *c = msp_spec_plan_text(&conf, &p);
    cr_assert(strstr(c, "assign_train = [0, 1, 1];") && strstr(c, "assign_test = [1, 0];"), "%s", c);
    free(a);
    free(b);
    free(c);
}
