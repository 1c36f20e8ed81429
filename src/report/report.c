/* report.c: the Pareto front, and writing report.html / report.md atomically.
 * Rendering lives in report_html.c and report_md.c, reading in report_load.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "report.h"
#include "report_int.h"

typedef struct {
    double c, a;
    int i;
} pt;

static int by_cost(const void *x, const void *y)
{
    const pt *p = x, *q = y;
    if (p->c != q->c) return p->c < q->c ? -1 : 1;
    return (p->i > q->i) - (p->i < q->i);
}

/* Sweep by cost: a point is dominated iff something strictly cheaper is at
 * least as accurate, or something equally cheap is strictly more accurate. */
void msp_report_pareto(const double *cost, const double *acc, int n, int *on_front)
{
    pt *p = msp_malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
    int m = 0;
    for (int i = 0; i < n; i++) {
        on_front[i] = 0;
        if (isfinite(cost[i]) && isfinite(acc[i])) p[m++] = (pt){cost[i], acc[i], i};
    }
    qsort(p, (size_t)m, sizeof *p, by_cost);
    double best_cheaper = -INFINITY;
    for (int g = 0; g < m;) {
        int e = g;
        double group_max = -INFINITY;
        while (e < m && p[e].c == p[g].c) {
            if (p[e].a > group_max) group_max = p[e].a;
            e++;
        }
        for (int j = g; j < e; j++)
            on_front[p[j].i] = !(best_cheaper >= p[j].a) && !(group_max > p[j].a);
        if (group_max > best_cheaper) best_cheaper = group_max;
        g = e;
    }
    free(p);
}

static msp_status write_buf(const char *path, const msp_svg *b, msp_err *err)
{
    msp_atomic a = {0};
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    if (b->len && fwrite(b->buf, 1, b->len, a.f) != b->len) {
        msp_atomic_abort(&a);
        return msp_err_set(err, MSP_FAIL, path, 0, "write failed (disk full?)");
    }
    return msp_atomic_commit(&a, err);
}

msp_status msp_report_write(const char *in_dir, const char *out_dir, const char *experiment,
                            const char *config, msp_err *err)
{
    msp_report r;
    msp_status st = msp_report_load(in_dir, experiment, config, &r, err);
    if (st != MSP_OK) return st;
    st = msp_mkdirs(out_dir, err);
    msp_svg html = {0}, md = {0};
    if (st == MSP_OK) {
        msp_report_html(&r, &html);
        msp_report_md(&r, &md);
        char *p = msp_strcat3(out_dir, "/", "report.html");
        st = write_buf(p, &html, err);
        free(p);
    }
    if (st == MSP_OK) {
        char *p = msp_strcat3(out_dir, "/", "report.md");
        st = write_buf(p, &md, err);
        free(p);
    }
    msp_svg_free(&html);
    msp_svg_free(&md);
    msp_report_free(&r);
    return st;
}

int msp_report_points(const msp_report *r, double *cost, double *acc, const char **names,
                      int *front)
{
    if (!r->have_summary) return 0;
    int n = 0;
    for (int i = 0; i < r->n_nets; i++, n++) {
        /* A specialist's top-1 over the whole test set is not comparable:
         * it only knows its cluster. Off the plot and off the front. */
        int spec = r->nets[i].cluster >= 0;
        cost[n] = spec ? NAN : r->nets[i].latency_ms;
        acc[n] = spec ? NAN : r->nets[i].top1;
        names[n] = r->nets[i].name;
    }
    for (int i = 0; i < r->n_premodels; i++, n++) {
        cost[n] = r->premodels[i].mean_latency_ms;
        acc[n] = r->premodels[i].top1;
        names[n] = r->premodels[i].name;
    }
    msp_report_pareto(cost, acc, n, front);
    return n;
}

void msp_report_pct(msp_svg *s, double v)
{
    if (isfinite(v)) msp_svg_printf(s, "%.2f%%", v * 100);
    else msp_svg_printf(s, "-");
}

void msp_report_ms(msp_svg *s, double v)
{
    if (isfinite(v)) msp_svg_printf(s, "%.3f", v);
    else msp_svg_printf(s, "-");
}

void msp_report_strategy_cells(msp_svg *s, const msp_report_strategy *p, double ref_ms,
                               double ref_top1, const char *sep, const char *text_sep)
{
    char b[96];
    msp_report_ms(s, p->mean_latency_ms);
    msp_svg_printf(s, "%s", sep);
    msp_report_ms(s, p->measured_ms);
    msp_report_speed_text(p->mean_latency_ms, ref_ms, NULL, b, sizeof b);
    msp_svg_printf(s, "%s%s%s", text_sep, b, sep);
    msp_report_pct(s, p->top1);
    msp_report_points_text(p->top1 - ref_top1, 2, b, sizeof b);
    msp_svg_printf(s, "%s%s%s", sep, b, sep);
    msp_report_pct(s, p->top5);
}

void msp_report_class_cells(const msp_report *r, msp_svg *s, int i, const char *sep)
{
    msp_report_pct(s, r->precision[i]);
    msp_svg_printf(s, "%s", sep);
    msp_report_pct(s, r->recall[i]);
    msp_svg_printf(s, "%s", sep);
    msp_report_pct(s, r->f1[i]);
    msp_svg_printf(s, "%s%lld", sep, (long long)r->support[i]);
}

void msp_report_fallback_count(const msp_report *r, msp_svg *s, const msp_report_strategy *p)
{
    if (p->fallbacks < 0) msp_svg_printf(s, "unknown");
    else if (r->test_inputs > 0)
        msp_svg_printf(s, "%lld (%.1f%%)", (long long)p->fallbacks,
                       100.0 * (double)p->fallbacks / (double)r->test_inputs);
    else msp_svg_printf(s, "%lld", (long long)p->fallbacks);
}

void msp_report_fmt_count(double v, char *buf, size_t size)
{
    if (!isfinite(v)) snprintf(buf, size, "-");
    else if (fabs(v) >= 1e9) snprintf(buf, size, "%.2fG", v / 1e9);
    else if (fabs(v) >= 1e6) snprintf(buf, size, "%.2fM", v / 1e6);
    else if (fabs(v) >= 1e4) snprintf(buf, size, "%.1fk", v / 1e3);
    else snprintf(buf, size, "%.0f", v);
}

int msp_report_input(const msp_report *r, int i, const char **file, const char **cmd,
                     int *found, const char **sections)
{
    switch (i) {
    case 0:
        *file = "summary.json", *cmd = "premodel", *found = r->have_summary;
        *sections = "family table, accuracy against latency, per-cluster results, premodel confusion";
        return 1;
    case 1:
        *file = "per-input.csv", *cmd = "premodel", *found = r->have_inputs;
        *sections = "per-input latency distribution";
        return 1;
    case 2:
        *file = "eval-base.json", *cmd = "evaluate", *found = r->have_eval;
        *sections = "base network's per-class results and confusion matrix";
        return 1;
    case 3:
        *file = "clusters.json", *cmd = "specialise", *found = r->have_clusters;
        *sections = "cluster membership";
        return 1;
    case 4:
        *file = "train.json", *cmd = "train", *found = r->n_curves > 0;
        *sections = "training curves";
        return 1;
    default: return 0;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double msp_report_stats(const double *v, size_t n, double *median, double *p95)
{
    double *t = msp_malloc(n * sizeof *t), sum = 0;
    memcpy(t, v, n * sizeof *t);
    qsort(t, n, sizeof *t, cmp_double);
    for (size_t i = 0; i < n; i++) sum += t[i];
    *median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    /* Nearest rank. */
    size_t k = (size_t)ceil(0.95 * (double)n);
    *p95 = t[k ? k - 1 : 0];
    free(t);
    return sum / (double)n;
}
