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

#include "report/report.h"
#include "report/report_int.h"
#include "base/rng.h"

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
    cr_assert_eq(r.n_premodels, 3);
    cr_assert_eq(r.best, 0);
    cr_assert_str_eq(r.premodels[1].name, "tree");
    /* New fields: measured means and fallbacks by cause. */
    cr_assert(r.measured);
    cr_assert_eq(r.nets[0].measured_ms, 0.2312);
    cr_assert(isnan(r.nets[1].measured_ms));
    cr_assert_eq(r.premodels[1].measured_ms, 0.0841);
    cr_assert_eq(r.oracle.measured_ms, 0.0702);
    cr_assert_eq(r.premodels[1].fallbacks, 40);
    cr_assert_eq(r.premodels[1].fell_other, 15);
    cr_assert_eq(r.premodels[1].fell_prob, 20);
    cr_assert_eq(r.premodels[1].fell_unsure, 5);
    /* Training curves: the base's, then the ladder network half's. */
    cr_assert_eq(r.n_curves, 2);
    cr_assert_str_eq(r.curves[0].name, "base");
    cr_assert_eq(r.curves[0].n, 12);
    cr_assert_eq(r.curves[0].loss[0], 1.21);
    cr_assert_eq(r.curves[0].val_top1[11], 0.9145);
    cr_assert_str_eq(r.curves[1].name, "half");
    cr_assert(isnan(r.curves[1].val_top1[0]));
    /* "x.conf" does not exist: no settings, and why. */
    cr_assert(!r.have_settings);
    cr_assert_str_eq(r.settings_error, "no such file, or not readable");
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
    /* scatter, 2 cluster bar charts, base confusion, chosen bars, 3 premodel
     * confusions, 3 latency histograms, 2 training curves */
    cr_assert_eq(count_sub(s, "<svg "), 13);
    cr_assert_eq(count_sub(s, "</svg>"), 13);
    /* The verdict: worded by direction, points, share of the oracle's saving. */
    cr_assert(strstr(s, "<div class=\"verdict\"><p class=\"kpi\">Selector with premodel <b>knn</b>: "
                        "<b>2.52x faster than the base</b>, top-1 +0.40 pt, 86% of the oracle's "
                        "saving.</p>"));
    cr_assert(strstr(s, "<b>31 of 500 inputs</b> (6.2%) were answered by the base"));
    cr_assert(strstr(s, "(12 where the specialist answered &quot;other&quot;, 19 where its top-1 "
                        "probability was under the safety net's threshold)"));
    cr_assert(strstr(s, "about 0.014 ms per input on average")); /* 31 x 0.227 / 500 */
    cr_assert(strstr(s, "selector 0.096 ms, base 0.231 ms, oracle 0.070 ms on average: 2.41x faster "
                        "than the base"));
    /* Pareto front (full networks and selectors): quarter, tree, knn; base
     * is beaten by knn, half by tree, logistic by knn. Specialists are off
     * it and off the plot, and show n/a for whole-test-set top-1. */
    cr_assert(strstr(s, "<td class=\"l\">quarter</td><td>-</td><td>23.8k</td><td>3.76M</td>"
                        "<td>0.068</td><td class=\"l\">3.34x faster</td><td>87.10%</td><td>99.60%</td>"
                        "<td>-</td><td>-</td><td>yes</td>"));
    cr_assert(strstr(s, "<td class=\"l\">spec-tb</td><td>2</td><td>8040</td><td>1.21M</td><td>0.030</td>"
                        "<td class=\"l\">7.57x faster</td><td class=\"na\">n/a</td><td class=\"na\">"
                        "n/a</td><td>99.10%</td><td>98.20%</td><td>n/a</td>"));
    cr_assert(strstr(s, "<td>91.40%</td><td>99.89%</td><td>-</td><td>-</td><td></td>"));
    cr_assert(strstr(s, "selector knn: 91.80% at 0.090 ms (Pareto front)"));
    cr_assert(strstr(s, "selector tree: 90.50% at 0.078 ms (Pareto front)"));
    cr_assert(strstr(s, "selector logistic: 91.75% at 0.090 ms</title>"));
    cr_assert(strstr(s, "base: 91.40% at 0.227 ms</title>"));
    cr_assert_null(strstr(s, "spec-tb: "));
    cr_assert_null(strstr(s, "spec-tops: "));
    cr_assert(strstr(s, "The 3 specialists are left out"));
    /* Selector rows: speed words, points, fallbacks and causes. */
    cr_assert(strstr(s, "<td class=\"l\">tree</td><td>0.078</td><td>0.084</td><td class=\"l\">2.90x "
                        "faster</td><td>90.50%</td><td>-0.90 pt</td><td>99.80%</td><td>40 (8.0%)</td>"
                        "<td class=\"l wrap\">15 &quot;other&quot;, 20 low probability, 5 premodel "
                        "unsure</td>"));
    cr_assert(strstr(s, "T-shirt/top, Pullover, Dress, Coat, Shirt"));
    cr_assert(strstr(s, "<td class=\"l\">Shirt</td><td>77.48%</td><td>74.30%</td><td>75.86%</td><td>1000</td>"));
    cr_assert(strstr(s, ">743</text>"));
    cr_assert(strstr(s, "accuracy 77.00% (cross-validation 70.00%)"));
    /* Latency from measured per-input times; training curves; settings. */
    cr_assert(strstr(s, "each one's own path <b>measured</b> at batch 1"));
    cr_assert(strstr(s, "selector knn: measured mean "));
    cr_assert(strstr(s, "<h2>Training</h2>"));
    cr_assert(strstr(s, "<td class=\"l\">base</td><td>12</td><td>0.2460</td><td>91.45%</td>"));
    cr_assert(strstr(s, "<p class=\"note\">No settings: the config <code>x.conf</code> could not be "
                        "read (no such file, or not readable).</p>"));
    cr_assert_eq(count_sub(s, "class=\"note\""), 1);
    /* Every table scrolls in its own box; plots scale. */
    cr_assert_eq(count_sub(s, "<table>"), count_sub(s, "<div class=\"scroll\"><table>"));
    cr_assert(strstr(s, "svg{max-width:100%;height:auto}"));
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
    cr_assert(strstr(m.buf, "**selector knn: 2.52x faster than the base, top-1 +0.40 pt, 86% of the "
                            "oracle's saving; 31 of 500 inputs fell back to the base.**\n"));
    cr_assert(strstr(m.buf, "| quarter | - | 23.8k | 3.76M | 0.068 | 3.34x faster | 87.10% | 99.60% | - | yes |\n"));
    cr_assert(strstr(m.buf, "| spec-tb | 2 | 8040 | 1.21M | 0.030 | 7.57x faster | n/a | n/a | 99.10% | n/a |\n"));
    cr_assert(strstr(m.buf, "| knn (best) | 0.090 | 0.096 | 2.52x faster | 91.80% | +0.40 pt | 99.90% | "
                            "31 (6.2%): 12 other, 19 low probability, 0 premodel unsure | yes |\n"));
    cr_assert(strstr(m.buf, "| oracle | - | - | - | 20 | 15 | 60 | 150 | 140 | 115 |\n"));
    cr_assert(strstr(m.buf, "| 2 | spec-tb | 99.10% | 98.20% | 0.030 |\n"));
    cr_assert(strstr(m.buf, "| 1 | 3 | Sandal, Sneaker, Ankle boot |\n"));
    cr_assert(strstr(m.buf, "## Per-input latency (500 inputs, each input's path measured at batch 1)"));
    cr_assert(strstr(m.buf, "| half | 1 | 1.3200 | - |\n"));
    cr_assert(strstr(m.buf, "The config `x.conf` could not be read (no such file, or not readable).\n"));
    cr_assert_null(strstr(m.buf, "Missing"));
    msp_svg_free(&m);
    msp_report_free(&r);
}

/* The wording: faster reads as faster, slower as slower, never "0.96x
 * faster"; points with a sign but no "-0.0"; the oracle's saving. */
Test(report, wording)
{
    char b[128];
    msp_report_speed_text(0.1, 0.24, "the base", b, sizeof b);
    cr_assert_str_eq(b, "2.40x faster than the base");
    msp_report_speed_text(0.2359, 0.2275, "the base", b, sizeof b);
    cr_assert_str_eq(b, "1.04x slower than the base");
    msp_report_speed_text(0.2359, 0.2275, NULL, b, sizeof b);
    cr_assert_str_eq(b, "1.04x slower");
    msp_report_speed_text(1.004, 1.0, "the base", b, sizeof b);
    cr_assert_str_eq(b, "as fast as the base");
    msp_report_speed_text(1.0, 1.004, "", b, sizeof b);
    cr_assert_str_eq(b, "as fast");
    msp_report_speed_text(0, 1.0, "x", b, sizeof b);
    cr_assert_str_eq(b, "-");
    msp_report_speed_text(NAN, 1.0, "x", b, sizeof b);
    cr_assert_str_eq(b, "-");
    msp_report_points_text(0.763 - 0.764, 1, b, sizeof b);
    cr_assert_str_eq(b, "-0.1 pt");
    msp_report_points_text(0.918 - 0.914, 2, b, sizeof b);
    cr_assert_str_eq(b, "+0.40 pt");
    msp_report_points_text(-0.0004, 1, b, sizeof b);
    cr_assert_str_eq(b, "0.0 pt");
    msp_report_points_text(NAN, 1, b, sizeof b);
    cr_assert_str_eq(b, "-");
    /* base 0.2275, oracle 0.09: saving 0.1375. */
    msp_report_saving_text(0.1065, 0.2275, 0.09, b, sizeof b);
    cr_assert_str_eq(b, "88% of the oracle's saving");
    msp_report_saving_text(0.2359, 0.2275, 0.09, b, sizeof b);
    cr_assert_str_eq(b, "none of the oracle's saving");
    msp_report_saving_text(0.2, 0.2275, 0.3, b, sizeof b);
    cr_assert_str_eq(b, "the oracle saves no time");
    /* The headline of a slower selector, as `msprune all` prints it. */
    msp_report r;
    load_fixture(&r);
    r.premodels[0].mean_latency_ms = 0.2359;
    r.premodels[0].top1 = 0.913;
    msp_report_headline_text(&r, b, sizeof b);
    cr_assert_str_eq(b, "selector knn: 1.04x slower than the base, top-1 -0.10 pt, none of the "
                        "oracle's saving; 31 of 500 inputs fell back to the base");
    msp_svg h = {0};
    msp_report_html(&r, &h);
    cr_assert(strstr(h.buf, "<div class=\"verdict slower\">"));
    cr_assert(strstr(h.buf, "<b>1.04x slower than the base</b>, top-1 -0.10 pt, none of the oracle's saving."));
    cr_assert(strstr(h.buf, "That is why the selector is slower than the base alone."));
    cr_assert_null(strstr(h.buf, "0.96x"));
    msp_svg_free(&h);
    msp_report_free(&r);
}

/* A summary.json from before fallbacks and measured times were recorded
 * still loads: the missing fields are unknown, and the report says so. */
Test(report, old_summary_loads)
{
    msp_report r;
    msp_err err = {{0}};
    cr_assert_eq(msp_report_load("tests/data/report/old", "fx", "x.conf", &r, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert(r.have_summary && !r.measured);
    cr_assert_eq(r.n_premodels, 2);
    for (int i = 0; i < r.n_premodels; i++) {
        cr_assert_eq(r.premodels[i].fallbacks, -1);
        cr_assert_eq(r.premodels[i].fell_other, -1);
        cr_assert(isnan(r.premodels[i].measured_ms));
    }
    cr_assert(isnan(r.nets[0].measured_ms) && isnan(r.oracle.measured_ms));
    msp_svg h = {0}, m = {0};
    msp_report_html(&r, &h);
    msp_report_md(&r, &m);
    cr_assert(strstr(h.buf, "<p>Fallbacks: not recorded (summary.json from an older msprune; run "
                            "<code>msprune evaluate x.conf --selector</code> again to count them).</p>"));
    cr_assert(strstr(h.buf, "<td>unknown</td><td class=\"l wrap\">-</td>"));
    cr_assert_null(strstr(h.buf, "Measured per input"));
    cr_assert(strstr(m.buf, "| knn (best) | 0.090 | - | 2.52x faster | 91.80% | +0.40 pt | 99.90% | unknown | yes |\n"));
    msp_svg_free(&h);
    msp_svg_free(&m);
    msp_report_free(&r);

    /* The in-between version: a total, no causes, no measured times. */
    cr_assert_eq(msp_report_load("tests/data/report/mid", "fx", "x.conf", &r, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(r.premodels[1].fallbacks, 40);
    cr_assert_eq(r.premodels[1].fell_other, -1);
    cr_assert(!r.measured);
    msp_report_html(&r, &h);
    cr_assert(strstr(h.buf, "<td>40 (8.0%)</td><td class=\"l wrap\">not recorded</td>"));
    cr_assert(strstr(h.buf, "<b>31 of 500 inputs</b> (6.2%) were answered by the base through the "
                        "safety net. Each ran the chosen network"));
    msp_svg_free(&h);
    msp_report_free(&r);
}

/* The settings come from the config; a config newer than the results is
 * flagged. */
Test(report, settings_from_the_config)
{
    msp_report r;
    msp_err err = {{0}};
    cr_assert_eq(msp_report_load(FIX, "fx", "tests/data/report/report.conf", &r, &err), MSP_OK,
                 "%s", err.msg);
    cr_assert(r.have_settings);
    int found = 0;
    for (int i = 0; i < r.n_settings; i++) {
        const char *k = r.setting_keys[i], *v = r.setting_values[i], *want = NULL;
        if (!strcmp(k, "base.cfg")) want = "cfg/fashion-base.cfg";
        if (!strcmp(k, "data.test_limit")) want = "all images";
        if (!strcmp(k, "selector.premodels")) want = "every implemented kind";
        if (!strcmp(k, "specialise")) want = "absent (no specialists)";
        if (!want) continue;
        found++;
        cr_assert_str_eq(v, want, "%s", k);
    }
    cr_assert_eq(found, 4);
    msp_svg h = {0};
    msp_report_html(&r, &h);
    cr_assert(strstr(h.buf, "<tr><td class=\"l\"><code>base.epochs</code></td><td class=\"l\">"));
    msp_svg_free(&h);
    msp_report_free(&r);

    /* A config written after the results. */
    char *d = tmpdir();
    char conf[700], cmd[1600];
    copy(d, "summary.json");
    snprintf(conf, sizeof conf, "%s/x.conf", d);
    snprintf(cmd, sizeof cmd,
             "touch -d '2001-01-01' %s/summary.json && sed 's/^seed = 1;/seed = 7;/' "
             "tests/data/report/report.conf > %s",
             d, conf);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(msp_report_load(d, "fx", conf, &r, &err), MSP_OK, "%s", err.msg);
    cr_assert(r.have_settings && r.config_newer);
    cr_assert_str_eq(r.setting_values[0], "7");
    msp_report_html(&r, &h);
    cr_assert(strstr(h.buf, "The config changed after summary.json was written"));
    msp_svg_free(&h);
    msp_report_free(&r);
    rmtree(d);
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
    /* Five missing inputs and the config ("cfg/x.conf" does not exist). */
    cr_assert_eq(count_sub(h.buf, "class=\"note\""), 6);
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
    /* Fallback causes that do not add up to the total. */
    put(d, "summary.json",
        "{\"reference\": \"base\", \"test_inputs\": 5, \"networks\": [\n"
        "{\"name\": \"base\", \"cfg\": \"c\", \"top1\": 0.9, \"top5\": 1, \"latency_ms\": 1, \"flops\": 1,"
        " \"params\": 1, \"cluster\": -1, \"in_cluster_top1\": null, \"base_in_cluster_top1\": null}],\n"
        "\"premodels\": [{\"premodel\": \"p\", \"top1\": 0.9, \"top5\": 1, \"mean_latency_ms\": 1,"
        " \"premodel_accuracy\": 1, \"premodel_ms\": 0.1, \"cv_accuracy\": null,\n \"fallbacks\": 3,"
        " \"fallback_other\": 1, \"fallback_prob\": 1, \"fallback_unsure\": 0, \"chosen\": [5],"
        " \"confusion\": [[5]]}],\n"
        "\"oracle\": {\"top1\": 1, \"top5\": 1, \"mean_latency_ms\": 1, \"chosen\": [5]},\n"
        "\"selector\": {\"premodel\": \"p\", \"speedup_vs_base\": 1, \"speedup_vs_best\": 1}}\n");
    load_fails(d, "summary.json",
               "4: 'fallbacks' is 3, but fallback_other + fallback_prob + fallback_unsure is 2");
    put(d, "summary.json", "{\"reference\": \"base\", \"test_inputs\": 5,\n\"per_input_ms\": \"guessed\"}");
    load_fails(d, "summary.json",
               "2: 'per_input_ms' must be \"measured\" (or absent: the per-input times are mean "
               "latencies added up)");
    remove(strcat(strcpy((char[600]){0}, d), "/summary.json"));

    put(d, "train.json", "{\"epochs\": [\n{\"epoch\": 1, \"loss\": 0.5, \"val_top1\": 0.8},\n"
                         "{\"epoch\": 3, \"loss\": 0.4, \"val_top1\": 0.9}]}");
    load_fails(d, "train.json", "3: 'epoch' is 3, must be in [2, 2]");
    put(d, "train.json", "{\"epochs\": [\n{\"epoch\": 1, \"loss\": 0.5, \"val_top1\": 1.8}]}");
    load_fails(d, "train.json", "2: 'val_top1' is 1.8, must be in [0, 1]");
    remove(strcat(strcpy((char[600]){0}, d), "/train.json"));

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
                                         "eval-base.json", "train.json"};
    static const char alphabet[] = "0123456789-.e,:[]{}\"n \nx";
    char *d = tmpdir();
    msp_rng r;
    msp_rng_seed(&r, 99);
    int ok = 0;
    for (int it = 0; it < 500; it++) {
        int which = it % 5;
        char src[256], dst[700];
        snprintf(src, sizeof src, "%s/%s", FIX, leaves[which]);
        size_t len;
        char *b = slurp(src, &len);
        for (int e = 0; e < 1 + (int)msp_rng_below(&r, 3); e++)
            b[msp_rng_below(&r, len)] = alphabet[msp_rng_below(&r, sizeof alphabet - 1)];
        for (int k = 0; k < 5; k++) {
            snprintf(dst, sizeof dst, "%s/%s", d, leaves[k]);
            remove(dst);
        }
        /* The other files intact, so cross-checks (network names) run too. */
        for (int k = 0; k < 5; k++)
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

/* Something other than a file under an input's name is bad input, not a
 * missing file. */
Test(report, folder_named_like_an_input)
{
    char *d = tmpdir();
    char p[700];
    snprintf(p, sizeof p, "%s/summary.json", d);
    cr_assert_eq(mkdir(p, 0755), 0);
    load_fails(d, "summary.json", " not a regular file");
    rmtree(d);
}

/* A FIFO is refused at once: opening it must not wait for a writer. */
Test(report, fifo_named_like_an_input, .timeout = 20)
{
    char *d = tmpdir();
    char p[700];
    snprintf(p, sizeof p, "%s/per-input.csv", d);
    cr_assert_eq(mkfifo(p, 0644), 0);
    load_fails(d, "per-input.csv", " not a regular file");
    rmtree(d);
}

/* The fixture with one file replaced by text. */
static char *fixture_with(const char *leaf, const char *text)
{
    char *d = tmpdir();
    static const char *const leaves[] = {"summary.json", "per-input.csv", "clusters.json",
                                         "eval-base.json"};
    for (int k = 0; k < 4; k++)
        if (strcmp(leaves[k], leaf)) copy(d, leaves[k]);
    put(d, leaf, text);
    return d;
}

/* The fixture's per-input.csv header and n rows of "i,class,base,ms,base,ms,base,ms". */
static char *rows(int n, const char *cls, const char *ms)
{
    size_t cap = 100 + (size_t)n * 80;
    char *s = malloc(cap);
    strcpy(s, "input,class,oracle,oracle_ms,knn,knn_ms,tree,tree_ms\n");
    for (int i = 0; i < n; i++) {
        size_t l = strlen(s);
        snprintf(s + l, cap - l, "%d,%s,base,%s,base,0.2,base,0.2\n", i, i == n - 1 ? cls : "3",
                 i == n - 1 ? ms : "0.2");
    }
    return s;
}

Test(report, per_input_rows_contradicting_the_summary)
{
    char *t = rows(500, "3", "0.2"), *d = fixture_with("per-input.csv", t);
    msp_report r;
    msp_err err = {{0}};
    cr_assert_eq(msp_report_load(d, "fx", "x.conf", &r, &err), MSP_OK, "%s", err.msg);
    msp_report_free(&r);
    rmtree(d);
    free(t);

    t = rows(499, "3", "0.2"), d = fixture_with("per-input.csv", t);
    load_fails(d, "per-input.csv", " 499 rows, but summary.json has 500 test inputs");
    rmtree(d);
    free(t);
    t = rows(501, "3", "0.2"), d = fixture_with("per-input.csv", t);
    load_fails(d, "per-input.csv", "502: a row more than summary.json's 500 test inputs");
    rmtree(d);
    free(t);
    /* A class id that eval-base.json does not have. */
    t = rows(500, "10", "0.2"), d = fixture_with("per-input.csv", t);
    load_fails(d, "per-input.csv", "501: 'class' is '10', want a class id in [0, 10)");
    rmtree(d);
    free(t);
    t = rows(500, "-1", "0.2"), d = fixture_with("per-input.csv", t);
    load_fails(d, "per-input.csv", "501: 'class' is '-1', want a class id in [0, 10)");
    rmtree(d);
    free(t);
    /* An absurd time. */
    t = rows(500, "3", "1e300"), d = fixture_with("per-input.csv", t);
    load_fails(d, "per-input.csv", "501: 'oracle_ms' is '1e300', more than 1e9 ms: not a latency");
    rmtree(d);
    free(t);
    /* A premodel column that the summary does not have. */
    d = fixture_with("per-input.csv", "input,class,oracle,oracle_ms,svm,svm_ms\n");
    load_fails(d, "per-input.csv", "1: column 5 is premodel 'svm', which summary.json does not list");
    rmtree(d);
    d = fixture_with("per-input.csv", "input,class,oracle,oracle_ms\nx,3,base,0.2\n");
    load_fails(d, "per-input.csv", "2: 'input' is 'x', want a non-negative integer");
    rmtree(d);
}

/* Replace the first `from` in the fixture's leaf by `to`, in a new folder. */
static char *fixture_patched(const char *leaf, const char *from, const char *to)
{
    char src[256];
    snprintf(src, sizeof src, "%s/%s", FIX, leaf);
    size_t len;
    char *s = slurp(src, &len), *at = strstr(s, from);
    cr_assert(at, "'%s' not in %s", from, leaf);
    char *t = malloc(len + strlen(to) + 1);
    snprintf(t, len + strlen(to) + 1, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    char *d = fixture_with(leaf, t);
    free(s);
    free(t);
    return d;
}

static int line_with(const char *leaf, const char *text)
{
    char src[256];
    snprintf(src, sizeof src, "%s/%s", FIX, leaf);
    size_t len;
    char *s = slurp(src, &len), *at = strstr(s, text);
    cr_assert(at);
    int line = 1;
    for (char *p = s; p < at; p++) line += *p == '\n';
    free(s);
    return line;
}

Test(report, summary_counts_that_contradict_each_other)
{
    char want[256];
    /* The oracle chose 20 + 15 + ... networks: one input more than the 500 tested. */
    int l = line_with("summary.json", "\"chosen\": [20, 15, 60, 150, 140, 115]");
    char *d = fixture_patched("summary.json", "\"chosen\": [20, 15, 60, 150, 140, 115]",
                              "\"chosen\": [21, 15, 60, 150, 140, 115]");
    snprintf(want, sizeof want, "%d: 'chosen' adds up to 501 inputs, but 'test_inputs' is 500", l);
    load_fails(d, "summary.json", want);
    rmtree(d);
    l = line_with("summary.json", "\"chosen\": [41, 38");
    d = fixture_patched("summary.json", "\"test_inputs\": 500", "\"test_inputs\": 400");
    snprintf(want, sizeof want, "%d: 'chosen' adds up to 500 inputs, but 'test_inputs' is 400", l);
    load_fails(d, "summary.json", want);
    rmtree(d);
    l = line_with("summary.json", "\"fallbacks\": 31,");
    d = fixture_patched("summary.json", "\"fallbacks\": 31,\n      \"fallback_other\": 12,",
                        "\"fallbacks\": 531,\n      \"fallback_other\": 512,");
    snprintf(want, sizeof want, "%d: 'fallbacks' is 531, more than the 500 test inputs", l);
    load_fails(d, "summary.json", want);
    rmtree(d);
}

/* One input moved from column 0 to column 1 of knn's confusion matrix: its
 * columns no longer add up to what knn chose. */
Test(report, summary_confusion_that_contradicts_the_choices)
{
    char want[256];
    int l = line_with("summary.json", "[17, 1, 0, 1, 1, 0]");
    char *d = fixture_patched("summary.json", "[17, 1, 0, 1, 1, 0]", "[16, 2, 0, 1, 1, 0]");
    snprintf(want, sizeof want, "%d: 'confusion' column 0 adds up to 40, but 'chosen' says 41", l - 1);
    load_fails(d, "summary.json", want);
    rmtree(d);
    /* Moved from row 0 to row 1 instead: the rows no longer match the oracle's labels. */
    d = fixture_patched("summary.json", "[17, 1, 0, 1, 1, 0],\n        [0, 10,",
                        "[16, 1, 0, 1, 1, 0],\n        [1, 10,");
    snprintf(want, sizeof want, "%d: 'confusion' row 0 adds up to 19, but the oracle's 'chosen' says 20", l - 1);
    load_fails(d, "summary.json", want);
    rmtree(d);
}

Test(report, clusters_contradicting_the_other_files)
{
    char *d = fixture_patched("clusters.json", "\"classes\": [1, 8]", "\"classes\": [1, 12]");
    load_fails(d, "clusters.json", "11: class 12 is out of range: eval-base.json has 10 classes");
    rmtree(d);
    /* k = 2, but summary.json has a specialist of cluster 2. */
    d = tmpdir();
    copy(d, "summary.json");
    put(d, "clusters.json", "{\"method\": \"confusion\", \"k\": 2,\n\"clusters\": [{\"id\": 0, \"size\": 1, \"classes\": [0]},\n"
                            "{\"id\": 1, \"size\": 1, \"classes\": [1]}]}");
    load_fails(d, "clusters.json", "1: 'k' is 2, but summary.json's network 'spec-tb' is of cluster 2");
    rmtree(d);
}

/* A class's support is the number of its test inputs: its confusion row. */
Test(report, eval_support_that_contradicts_the_confusion)
{
    char *d = fixture_patched("eval-base.json", "\"recall\": 0.975, \"f1\": 0.9853461344, \"support\": 1000",
                              "\"recall\": 0.975, \"f1\": 0.9853461344, \"support\": 1001");
    load_fails(d, "eval-base.json", "15: class 1 has 'support' 1001, but row 1 of 'confusion' adds up to 1000");
    rmtree(d);
}

/* The selector cells and fallback counts both reports share, to the byte. */
Test(report, strategy_cells_and_fallback_count)
{
    msp_report_strategy p = {.top1 = 0.918, .top5 = 0.999, .mean_latency_ms = 0.09,
                             .measured_ms = NAN, .fallbacks = 120};
    msp_svg s = {0};
    msp_report_strategy_cells(&s, &p, 0.2268, 0.914, " | ", "<T>");
    cr_assert_str_eq(s.buf, "0.090 | -<T>2.52x faster | 91.80% | +0.40 pt | 99.90%");
    msp_svg_free(&s);
    msp_report r = {.test_inputs = 10000};
    msp_report_fallback_count(&r, &s, &p);
    r.test_inputs = 0;
    msp_svg_printf(&s, "/");
    msp_report_fallback_count(&r, &s, &p);
    p.fallbacks = -1;
    msp_svg_printf(&s, "/");
    msp_report_fallback_count(&r, &s, &p);
    cr_assert_str_eq(s.buf, "120 (1.2%)/120/unknown");
    msp_svg_free(&s);
}

Test(report, class_cells)
{
    double prec[2] = {0.5, NAN}, rec[2] = {0.25, 1}, f1[2] = {0.3333, 0};
    int64_t support[2] = {7, 12};
    msp_report r = {.precision = prec, .recall = rec, .f1 = f1, .support = support};
    msp_svg s = {0};
    msp_report_class_cells(&r, &s, 1, ";");
    cr_assert_str_eq(s.buf, "-;100.00%;0.00%;12");
    msp_svg_free(&s);
}

/* The fixture with a cascade chain on the knn entry and an ablation: the
 * chain in the fallback cell, the ablation's table in both reports; a
 * malformed ablation named with its line. */
/* The fixture's summary.json with knn_extra after the knn entry's name and
 * the given ablation; the folder, to rmtree. */
static char *summary_with(const char *knn_extra, const char *ablation)
{
    char p[512];
    snprintf(p, sizeof p, "%s/summary.json", FIX);
    FILE *f = fopen(p, "r");
    cr_assert_not_null(f);
    static char text[1 << 16], out[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    const char *knn = strstr(strstr(text, "\"premodels\""), "\"premodel\": \"knn\",");
    const char *end = strrchr(text, '}');
    cr_assert(knn && end);
    knn += strlen("\"premodel\": \"knn\",");
    snprintf(out, sizeof out, "%.*s%s%.*s,\n  \"ablation\": %s\n}\n", (int)(knn - text), text,
             knn_extra, (int)(end - knn), knn, ablation);
    return fixture_with("summary.json", out);
}

Test(report, cascade_chain_and_ablation)
{
    char *d = summary_with(" \"chain\": [\"quarter\"],",
                           "[{\"networks\": \"generalists\", \"top1\": 0.916, \"top5\": 0.999, "
                           "\"mean_latency_ms\": 0.0454, \"chain\": [\"quarter\", \"half\"]},\n"
                           "{\"networks\": \"specialists\", \"top1\": 0.914, \"top5\": 0.998, "
                           "\"mean_latency_ms\": 0.2, \"chain\": [\"spec-tb\"]}]");
    msp_report r;
    msp_err err = {{0}};
    cr_assert_eq(msp_report_load(d, "fx", "x.conf", &r, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(r.n_ablation, 2);
    msp_svg m = {0}, h = {0};
    msp_report_md(&r, &m);
    msp_report_html(&r, &h);
    cr_assert(strstr(m.buf, "31 (6.2%): 12 other, 19 low probability, 0 premodel unsure; chain "
                            "quarter > base | yes |\n"), "%s", m.buf);
    cr_assert(strstr(m.buf, "## Which networks earn their place\n"));
    cr_assert(strstr(m.buf, "| generalists | 0.045 | - | 5.00x faster | 91.60% | +0.20 pt | 99.90% | "
                            "quarter > half > base |\n"), "%s", m.buf);
    cr_assert(strstr(m.buf, "| specialists | 0.200 | - | 1.14x faster | 91.40% | 0.00 pt | 99.80% | "
                            "spec-tb > base |\n"), "%s", m.buf);
    cr_assert(strstr(h.buf, "Which networks earn their place</h2>"));
    cr_assert(strstr(h.buf, "quarter &gt; half &gt; base</td>"));
    cr_assert(strstr(h.buf, "; chain quarter &gt; base"));
    msp_svg_free(&m);
    msp_svg_free(&h);
    msp_report_free(&r);

    rmtree(d);
    d = summary_with("", "[\n1]");
    char want[600];
    snprintf(want, sizeof want, "%s/summary.json:", d);
    cr_assert_eq(msp_report_load(d, "fx", "x.conf", &r, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, want) && strstr(err.msg, ": an ablation entry must be an object"),
              "%s", err.msg);
    rmtree(d);
    d = summary_with(" \"chain\": [],", "[]");
    cr_assert_eq(msp_report_load(d, "fx", "x.conf", &r, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "'chain' must be a list of 1 to 8 network names"), "%s", err.msg);
    rmtree(d);
}
