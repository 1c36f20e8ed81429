/* test_report.c: the report on the hand-made fixtures in tests/data/report/
 * (values read back, Pareto front against a brute-force reference, the HTML
 * and Markdown content), missing files, malformed files with FILE:LINE, and
 * the atomic write. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"
#include "rng.h"

#define FIX "tests/data/report/results"

static int count_sub(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub)) n++;
    return n;
}

static void load_fixture(msp_report *r)
{
    msp_err err = {{0}};
    cr_assert_eq(msp_report_load(FIX, "fx", "x.conf", r, &err), MSP_OK, "%s", err.msg);
}

Test(report, fixture_values)
{
    msp_report r;
    load_fixture(&r);
    cr_assert(r.have_summary && r.have_eval && r.have_clusters && r.have_inputs);
    cr_assert_eq(r.n_nets, 6);
    cr_assert_str_eq(r.nets[2].name, "quarter");
    cr_assert_eq(r.nets[2].latency_ms, 0.068);
    cr_assert_eq(r.nets[2].flops, 3756928);
    cr_assert_eq(r.nets[0].cluster, -1);
    cr_assert(isnan(r.nets[0].in_cluster_top1));
    cr_assert_eq(r.nets[4].cluster, 1);
    cr_assert_eq(r.nets[4].in_cluster_top1, 0.978);
    cr_assert_eq(r.n_premodels, 2);
    cr_assert_eq(r.best, 0);
    cr_assert_str_eq(r.premodels[1].name, "tree");
    cr_assert_eq(r.oracle.chosen[3], 150);
    int64_t sum = 0;
    for (int i = 0; i < 36; i++) sum += r.premodels[0].confusion[i];
    cr_assert_eq(sum, 500);
    cr_assert_eq(r.n_classes, 10);
    cr_assert_str_eq(r.class_names[9], "Ankle boot");
    cr_assert_eq(r.class_confusion[6 * 10 + 0], 102);
    cr_assert_eq(r.k, 3);
    cr_assert_eq(r.cluster_counts, 0);
    cr_assert_eq(r.cluster_class[1 * r.cluster_width + 7], 1);
    cr_assert_eq(r.cluster_class[1 * r.cluster_width + 6], 0);
    cr_assert_eq(r.n_rows, 500);
    cr_assert_eq(r.n_cols, 3);
    cr_assert_str_eq(r.col_names[2], "tree");
    /* Row 0 of the CSV: 0,0,quarter,0.0725,quarter,0.0914,quarter,0.0782 */
    cr_assert_eq(r.ms[0], 0.0725);
    cr_assert_eq(r.ms[500], 0.0914);
    cr_assert_eq(r.ms[1000], 0.0782);
    msp_report_free(&r);
}

static int dominated_brute(const double *c, const double *a, int n, int i)
{
    if (!isfinite(c[i]) || !isfinite(a[i])) return 1;
    for (int j = 0; j < n; j++)
        if (j != i && isfinite(c[j]) && isfinite(a[j]) && c[j] <= c[i] && a[j] >= a[i] &&
            (c[j] < c[i] || a[j] > a[i]))
            return 1;
    return 0;
}

Test(report, pareto_against_brute_force)
{
    msp_rng r;
    msp_rng_seed(&r, 17);
    double c[40], a[40];
    int f[40];
    for (int t = 0; t < 3000; t++) {
        int n = 1 + (int)msp_rng_below(&r, 40);
        for (int i = 0; i < n; i++) {
            /* A coarse grid makes ties in cost, accuracy and both common. */
            c[i] = (double)msp_rng_below(&r, 8);
            a[i] = (double)msp_rng_below(&r, 8);
            if (msp_rng_below(&r, 30) == 0) c[i] = NAN;
        }
        msp_report_pareto(c, a, n, f);
        for (int i = 0; i < n; i++)
            cr_assert_eq(f[i], !dominated_brute(c, a, n, i), "trial %d point %d (%g, %g)", t, i,
                         c[i], a[i]);
    }
    /* By hand: equal points are both on the front. */
    double c2[3] = {1, 1, 2}, a2[3] = {5, 5, 5};
    msp_report_pareto(c2, a2, 3, f);
    cr_assert(f[0] && f[1] && !f[2]);
}

Test(report, html_content)
{
    msp_report r;
    load_fixture(&r);
    msp_svg h = {0};
    msp_report_html(&r, &h);
    const char *s = h.buf;
    /* Self-contained: no script, no links, no external resources. */
    cr_assert_null(strstr(s, "<script"));
    cr_assert_null(strstr(s, "href="));
    cr_assert_null(strstr(s, "src="));
    cr_assert_null(strstr(s, "url("));
    cr_assert_eq(count_sub(s, "http"), count_sub(s, "xmlns=\"http://www.w3.org/2000/svg\""));
    /* scatter, 2 cluster bar charts, base confusion, chosen bars, 2 premodel
     * confusions, 3 latency histograms */
    cr_assert_eq(count_sub(s, "<svg "), 10);
    cr_assert_eq(count_sub(s, "</svg>"), 10);
    /* Pareto front (deployable points): spec-tb, spec-foot, quarter, tree,
     * knn; base is beaten by knn, half by tree, spec-tops by quarter. */
    cr_assert(strstr(s, "<td class=\"l\">quarter</td>"));
    cr_assert(strstr(s, "<td>87.10%</td><td>99.60%</td><td>-</td><td>-</td><td>yes</td></tr>"));
    cr_assert(strstr(s, "<td>91.40%</td><td>99.89%</td><td>-</td><td>-</td><td></td></tr>"));
    cr_assert(strstr(s, "<td>90.20%</td><td>99.80%</td><td>-</td><td>-</td><td></td></tr>"));
    cr_assert(strstr(s, "knn: 91.80% at 0.090 ms (Pareto front)"));
    cr_assert(strstr(s, "tree: 90.50% at 0.078 ms (Pareto front)"));
    cr_assert(strstr(s, "spec-tb: 20.00% at 0.030 ms (Pareto front)"));
    cr_assert(strstr(s, "base: 91.40% at 0.227 ms</title>"));
    cr_assert(strstr(s, "spec-tops: 52.00% at 0.095 ms</title>"));
    cr_assert(strstr(s, "<b>2.52x</b> faster than the reference network"));
    cr_assert(strstr(s, "T-shirt/top, Pullover, Dress, Coat, Shirt"));
    cr_assert(strstr(s, "<td class=\"l\">Shirt</td><td>77.48%</td><td>74.30%</td><td>75.86%</td><td>1000</td>"));
    cr_assert(strstr(s, ">743</text>"));
    cr_assert(strstr(s, "accuracy 77.00% (cross-validation 70.00%)"));
    cr_assert_null(strstr(s, "class=\"note\""));
    /* Deterministic. */
    msp_svg h2 = {0};
    msp_report_html(&r, &h2);
    cr_assert_str_eq(h.buf, h2.buf);
    msp_svg_free(&h);
    msp_svg_free(&h2);
    msp_report_free(&r);
}

Test(report, markdown_content)
{
    msp_report r;
    load_fixture(&r);
    msp_svg m = {0};
    msp_report_md(&r, &m);
    cr_assert(strstr(m.buf, "| quarter | - | 23.8k | 3.76M | 0.068 | 87.10% | 99.60% | yes |\n"));
    cr_assert(strstr(m.buf, "| selector: knn (best) | - | - | - | 0.090 | 91.80% | 99.90% | yes |\n"));
    cr_assert(strstr(m.buf, "| oracle | - | - | - | 20 | 15 | 60 | 150 | 140 | 115 |\n"));
    cr_assert(strstr(m.buf, "| 2 | spec-tb | 99.10% | 98.20% | 0.030 |\n"));
    cr_assert(strstr(m.buf, "| 1 | 3 | Sandal, Sneaker, Ankle boot |\n"));
    cr_assert(strstr(m.buf, "## Per-input latency (500 inputs)"));
    cr_assert_null(strstr(m.buf, "Missing"));
    msp_svg_free(&m);
    msp_report_free(&r);
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/msp-report-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    return d;
}

static void put(const char *dir, const char *leaf, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, leaf);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void copy(const char *dir, const char *leaf)
{
    char p[512], cmd[1200];
    snprintf(p, sizeof p, "%s/%s", FIX, leaf);
    snprintf(cmd, sizeof cmd, "cp %s %s/", p, dir);
    cr_assert_eq(system(cmd), 0);
}

static void rmtree(char *d)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    cr_assert_eq(system(cmd), 0);
    free(d);
}

Test(report, missing_files_are_noted)
{
    char *d = tmpdir();
    copy(d, "eval-base.json");
    msp_report r;
    msp_err err = {{0}};
    cr_assert_eq(msp_report_load(d, "fx", "cfg/x.conf", &r, &err), MSP_OK, "%s", err.msg);
    cr_assert(!r.have_summary && r.have_eval && !r.have_clusters && !r.have_inputs);
    msp_svg h = {0}, m = {0};
    msp_report_html(&r, &h);
    msp_report_md(&r, &m);
    cr_assert(strstr(h.buf, "No <code>summary.json</code> in <code>"));
    cr_assert(strstr(h.buf, "</code>: run <code>msprune premodel cfg/x.conf</code> to add the family table"));
    cr_assert(strstr(h.buf, "run <code>msprune specialise cfg/x.conf</code> to add the cluster membership"));
    cr_assert_null(strstr(h.buf, "<code>eval-base.json</code>"));
    /* Only the base confusion matrix is drawn. */
    cr_assert_eq(count_sub(h.buf, "<svg "), 1);
    cr_assert(strstr(m.buf, "- Missing `per-input.csv`: run `msprune premodel cfg/x.conf` to add the "
                            "per-input latency distribution.\n"));
    msp_svg_free(&h);
    msp_svg_free(&m);
    msp_report_free(&r);
    /* Nothing at all: still a report. */
    remove(strcat(strcpy((char[600]){0}, d), "/eval-base.json"));
    cr_assert_eq(msp_report_load(d, "fx", "cfg/x.conf", &r, &err), MSP_OK, "%s", err.msg);
    msp_report_html(&r, &h);
    cr_assert_eq(count_sub(h.buf, "class=\"note\""), 4);
    cr_assert_eq(count_sub(h.buf, "<svg "), 0);
    msp_svg_free(&h);
    msp_report_free(&r);
    rmtree(d);
}

/* Load must fail with exactly "<dir>/<leaf>:<tail>". */
static void load_fails(const char *dir, const char *leaf, const char *tail)
{
    msp_report r;
    msp_err err = {{0}};
    cr_assert_eq(msp_report_load(dir, "fx", "x.conf", &r, &err), MSP_BAD_INPUT);
    char want[1024];
    snprintf(want, sizeof want, "%s/%s:%s", dir, leaf, tail);
    cr_assert_str_eq(err.msg, want);
    cr_assert_null(r.nets);
    cr_assert_eq(r.have_eval, 0);
}

Test(report, malformed_files_name_file_and_line)
{
    char *d = tmpdir();
    put(d, "summary.json", "{\n\"reference\": \"base\",\n\"test_inputs\": 5,\n\"networks\": [\n]\n}\n");
    load_fails(d, "summary.json", "4: 'networks' is empty; the family needs at least the base network");
    put(d, "summary.json", "{\"reference\": \"base\",\n\"test_inputs\": 5,\n\"networks\": [{\"name\": \"b\", "
                           "\"cfg\": \"c\",\n \"top1\": 1.5}]}");
    load_fails(d, "summary.json", "4: 'top1' is 1.5, must be in [0, 1]");
    put(d, "summary.json", "{\"reference\": \"base\",\n\"test_inputs\": 5,,\n}");
    load_fails(d, "summary.json", "2: expected a quoted key, found ','");
    /* A premodel's confusion of the wrong size. */
    put(d, "summary.json",
        "{\"reference\": \"base\", \"test_inputs\": 5, \"networks\": [\n"
        "{\"name\": \"base\", \"cfg\": \"c\", \"top1\": 0.9, \"top5\": 1, \"latency_ms\": 1, \"flops\": 1,"
        " \"params\": 1, \"cluster\": -1, \"in_cluster_top1\": null, \"base_in_cluster_top1\": null}],\n"
        "\"premodels\": [{\"premodel\": \"p\", \"top1\": 0.9, \"top5\": 1, \"mean_latency_ms\": 1,"
        " \"premodel_accuracy\": 1, \"premodel_ms\": 0.1, \"cv_accuracy\": null, \"chosen\": [5],\n"
        " \"confusion\": [[5, 0]]}],\n"
        "\"oracle\": {\"top1\": 1, \"top5\": 1, \"mean_latency_ms\": 1, \"chosen\": [5]},\n"
        "\"selector\": {\"premodel\": \"q\", \"speedup_vs_base\": 1, \"speedup_vs_best\": 1}}\n");
    load_fails(d, "summary.json", "4: 'confusion' has 2 entries, want 1 (one per network/class)");
    remove(strcat(strcpy((char[600]){0}, d), "/summary.json"));

    put(d, "clusters.json", "{\"method\": \"confusion\", \"k\": 2,\n\"clusters\": [{\"id\": 0, \"size\": 1, \"classes\": [0]}]}");
    load_fails(d, "clusters.json", "2: 'clusters' has 1 entries but k is 2");
    remove(strcat(strcpy((char[600]){0}, d), "/clusters.json"));

    put(d, "per-input.csv", "input,class,oracle,oracle_ms\n0,1,base,0.5\n1,1,base,x\n");
    load_fails(d, "per-input.csv", "3: 'oracle_ms' is 'x', want a non-negative number of milliseconds");
    put(d, "per-input.csv", "input,class,oracle,oracle_ms,knn,knn_ms\n0,1,base,0.5\n");
    load_fails(d, "per-input.csv", "2: 4 fields, the header has 6");
    put(d, "per-input.csv", "input,class,oracle,oracle_ms,knn,knn_time\n");
    load_fails(d, "per-input.csv", "1: column 6 is 'knn_time', want 'knn_ms'");
    put(d, "per-input.csv", "in,class,oracle,oracle_ms\n");
    load_fails(d, "per-input.csv", "1: header must start with input,class,oracle,oracle_ms");
    /* Network names are checked against summary.json when it exists. */
    copy(d, "summary.json");
    put(d, "per-input.csv", "input,class,oracle,oracle_ms\n0,1,base,0.5\n1,1,nonet,0.5\n");
    load_fails(d, "per-input.csv",
               "3: column 'oracle' names network 'nonet', which summary.json does not list");
    rmtree(d);
}

Test(report, write_both_files_atomically)
{
    char *d = tmpdir();
    char out[600], p[700];
    snprintf(out, sizeof out, "%s/deep/er", d);
    msp_err err = {{0}};
    cr_assert_eq(msp_report_write(FIX, out, "fx", "x.conf", &err), MSP_OK, "%s", err.msg);
    snprintf(p, sizeof p, "%s/report.html", out);
    FILE *f = fopen(p, "r");
    cr_assert_not_null(f);
    char head[16] = {0};
    cr_assert_eq(fread(head, 1, 15, f), 15);
    fclose(f);
    cr_assert_str_eq(head, "<!DOCTYPE html>");
    snprintf(p, sizeof p, "%s/report.md", out);
    cr_assert_eq(access(p, R_OK), 0);
    snprintf(p, sizeof p, "ls %s | grep -c tmp", out);
    FILE *ls = popen(p, "r");
    char n[8] = {0};
    cr_assert_not_null(fgets(n, sizeof n, ls));
    pclose(ls);
    cr_assert_str_eq(n, "0\n");
    /* A malformed input: nothing is written. */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad", d);
    cr_assert_eq(mkdir(bad, 0755), 0);
    put(bad, "eval-base.json", "{");
    snprintf(out, sizeof out, "%s/out2", d);
    cr_assert_eq(msp_report_write(bad, out, "fx", "x.conf", &err), MSP_BAD_INPUT);
    cr_assert_neq(access(out, F_OK), 0);
    rmtree(d);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*len + 1);
    cr_assert_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    b[*len] = 0;
    return b;
}

/* Mutated fixtures: load either fails with "<file>:" or succeeds, and then
 * both renderers run (under ASan: no memory error on any of them). */
Test(report, fuzz_mutated_fixtures)
{
    static const char *const leaves[] = {"summary.json", "per-input.csv", "clusters.json",
                                         "eval-base.json"};
    static const char alphabet[] = "0123456789-.e,:[]{}\"n \nx";
    char *d = tmpdir();
    msp_rng r;
    msp_rng_seed(&r, 99);
    int ok = 0;
    for (int it = 0; it < 400; it++) {
        int which = it % 4;
        char src[256], dst[700];
        snprintf(src, sizeof src, "%s/%s", FIX, leaves[which]);
        size_t len;
        char *b = slurp(src, &len);
        for (int e = 0; e < 1 + (int)msp_rng_below(&r, 3); e++)
            b[msp_rng_below(&r, len)] = alphabet[msp_rng_below(&r, sizeof alphabet - 1)];
        for (int k = 0; k < 4; k++) {
            snprintf(dst, sizeof dst, "%s/%s", d, leaves[k]);
            remove(dst);
        }
        /* The other files intact, so cross-checks (network names) run too. */
        for (int k = 0; k < 4; k++)
            if (k != which) copy(d, leaves[k]);
        snprintf(dst, sizeof dst, "%s/%s", d, leaves[which]);
        FILE *f = fopen(dst, "wb");
        fwrite(b, 1, len, f);
        fclose(f);
        free(b);
        msp_report rep;
        msp_err err = {{0}};
        msp_status st = msp_report_load(d, "fx", "x.conf", &rep, &err);
        cr_assert(st == MSP_OK || st == MSP_BAD_INPUT);
        if (st != MSP_OK) {
            cr_assert(strstr(err.msg, d) == err.msg, "%s", err.msg);
            continue;
        }
        ok++;
        msp_svg h = {0}, m = {0};
        msp_report_html(&rep, &h);
        msp_report_md(&rep, &m);
        cr_assert(strstr(h.buf, "</html>"));
        msp_svg_free(&h);
        msp_svg_free(&m);
        msp_report_free(&rep);
    }
    cr_assert_gt(ok, 10);
    rmtree(d);
}
