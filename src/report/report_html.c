/* report_html.c: report.html: one self-contained page (inline CSS, inline
 * SVG from svg.h, no JavaScript, no external URLs). Sections whose input file
 * is missing are replaced by a note naming the command that makes it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_int.h"

#define P msp_svg_printf
#define E msp_svg_escape

static const char css[] =
    "body{font-family:sans-serif;margin:24px auto;padding:0 16px;max-width:1140px;color:#222;"
    "background:#fff}"
    "h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ccc}"
    "p,li,figcaption{overflow-wrap:anywhere}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;margin:8px 0;font-size:13px}"
    "th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}td{white-space:nowrap}"
    "th{background:#f0f0f0}td.l,th.l{text-align:left}tr.hl td{background:#eef5ff;font-weight:bold}"
    "td.na{color:#999}td.wrap{white-space:normal;min-width:8em}"
    ".note{background:#fff6e0;border-left:4px solid #e69f00;padding:6px 10px;margin:6px 0}"
    ".meta{color:#555;font-size:13px}.kpi{font-size:17px;margin:4px 0}"
    ".verdict{border-left:6px solid #009e73;background:#effaf5;padding:6px 12px;margin:10px 0}"
    ".verdict.slower{border-left-color:#d55e00;background:#fff3eb}.verdict p{margin:6px 0}"
    ".row{display:flex;flex-wrap:wrap;gap:12px}figure{margin:8px 0;min-width:0;max-width:100%}"
    "svg{max-width:100%;height:auto}"
    "figcaption{font-size:12px;color:#555;max-width:900px}.row figcaption{max-width:520px}"
    "code{background:#f4f4f4;padding:1px 4px;overflow-wrap:anywhere}\n";

static void count(msp_svg *s, double v)
{
    char b[32];
    msp_report_fmt_count(v, b, sizeof b);
    P(s, "%s", b);
}

static void missing_notes(const msp_report *r, msp_svg *s)
{
    const char *file, *cmd, *sec;
    int found;
    for (int i = 0; msp_report_input(r, i, &file, &cmd, &found, &sec); i++) {
        if (found) continue;
        P(s, "<p class=\"note\">No <code>%s</code> in <code>", file);
        E(s, r->dir);
        P(s, "</code>: run <code>msprune %s ", cmd);
        E(s, r->config);
        P(s, "</code> to add the %s.</p>\n", sec);
    }
}

/* Why inputs fell back, by rule; "-" when nothing did or the split is unknown. */
static void fallback_causes(const msp_report *r, msp_svg *s, const msp_report_strategy *p)
{
    if (p->fell_other < 0) {
        P(s, p->fallbacks > 0 ? "not recorded" : "-");
    } else if (!p->fallbacks) {
        P(s, "-");
    } else {
        const char *sep = "";
        if (p->fell_other) P(s, "%lld &quot;other&quot;", (long long)p->fell_other), sep = ", ";
        if (p->fell_prob) P(s, "%s%lld low probability", sep, (long long)p->fell_prob), sep = ", ";
        if (p->fell_unsure) P(s, "%s%lld premodel unsure", sep, (long long)p->fell_unsure);
    }
    if (p->chain) {
        P(s, "; chain ");
        E(s, p->chain);
        P(s, " &gt; ");
        E(s, r->nets[0].name);
    }
}

static void headline(const msp_report *r, msp_svg *s)
{
    const msp_report_strategy *b = &r->premodels[r->best];
    const msp_report_net *ref = msp_report_reference(r);
    double ref_ms = ref ? ref->latency_ms : NAN, ref_top1 = ref ? ref->top1 : NAN;
    char speed[96], pts[32], saving[64], ospeed[96];
    msp_report_speed_text(b->mean_latency_ms, ref_ms, "the base", speed, sizeof speed);
    msp_report_points_text(b->top1 - ref_top1, 2, pts, sizeof pts);
    msp_report_saving_text(b->mean_latency_ms, ref_ms, r->oracle.mean_latency_ms, saving, sizeof saving);
    msp_report_speed_text(r->oracle.mean_latency_ms, ref_ms, "the base", ospeed, sizeof ospeed);
    int slower = isfinite(ref_ms) && b->mean_latency_ms > ref_ms;
    P(s, "<div class=\"verdict%s\"><p class=\"kpi\">Selector with premodel <b>", slower ? " slower" : "");
    E(s, b->name);
    P(s, "</b>: <b>%s</b>, top-1 %s, %s.</p>\n<p>Top-1 ", speed, pts, saving);
    msp_report_pct(s, b->top1);
    P(s, " at ");
    msp_report_ms(s, b->mean_latency_ms);
    P(s, " ms mean latency per input (premodel ");
    msp_report_ms(s, b->premodel_ms);
    P(s, " ms included)");
    if (ref) {
        P(s, "; the reference network <b>");
        E(s, ref->name);
        P(s, "</b> alone: ");
        msp_report_pct(s, ref->top1);
        P(s, " at ");
        msp_report_ms(s, ref->latency_ms);
        P(s, " ms");
    }
    P(s, ". Oracle (perfect premodel, the upper bound): ");
    msp_report_pct(s, r->oracle.top1);
    P(s, " at ");
    msp_report_ms(s, r->oracle.mean_latency_ms);
    P(s, " ms, %s.</p>\n", ospeed);
    if (b->fallbacks > 0 && r->test_inputs > 0) {
        int64_t twice = b->fell_other >= 0 ? b->fell_other + b->fell_prob : b->fallbacks;
        P(s, "<p>Fallbacks: <b>%lld of %lld inputs</b> (%.1f%%) were answered by the base "
             "through the safety net",
          (long long)b->fallbacks, (long long)r->test_inputs,
          100.0 * (double)b->fallbacks / (double)r->test_inputs);
        if (b->fell_other >= 0) {
            const char *sep = "";
            P(s, " (");
            if (b->fell_other)
                P(s, "%lld where the specialist answered &quot;other&quot;", (long long)b->fell_other), sep = ", ";
            if (b->fell_prob)
                P(s, "%s%lld where its top-1 probability was under the safety net's threshold", sep,
                  (long long)b->fell_prob), sep = ", ";
            if (b->fell_unsure)
                P(s, "%s%lld sent straight to the base because the premodel was unsure", sep,
                  (long long)b->fell_unsure);
            P(s, ")");
        }
        P(s, ". %s ran the chosen network <i>and then</i> the base", twice == b->fallbacks ? "Each" :
                                                                     "Those not sent straight to it");
        if (ref && isfinite(ref->latency_ms))
            P(s, ", about %.3f ms per input on average (the base's latency for each)",
              ref->latency_ms * (double)twice / (double)r->test_inputs);
        P(s, ".%s</p>\n", slower ? " That is why the selector is slower than the base alone." : "");
    } else if (b->fallbacks < 0) {
        P(s, "<p>Fallbacks: not recorded (summary.json from an older msprune; run "
             "<code>msprune evaluate ");
        E(s, r->config);
        P(s, " --selector</code> again to count them).</p>\n");
    }
    if (isfinite(b->measured_ms) && ref && isfinite(ref->measured_ms)) {
        msp_report_speed_text(b->measured_ms, ref->measured_ms, "the base", speed, sizeof speed);
        P(s, "<p class=\"meta\">Measured per input (every test input's own path timed at batch "
             "1, side by side): selector %.3f ms, base %.3f ms, oracle %.3f ms on average: %s. "
             "The figures above add up each network's median batch-1 latency along each "
             "input's path.</p>\n",
          b->measured_ms, ref->measured_ms, r->oracle.measured_ms, speed);
    }
    P(s, "</div>\n");
}

static void na(msp_svg *s)
{
    P(s, "</td><td class=\"na\">n/a");
}

static void nets_table(const msp_report *r, msp_svg *s, const int *front)
{
    const msp_report_net *ref = msp_report_reference(r);
    char b[96];
    P(s, "<div class=\"scroll\"><table><tr><th class=\"l\">network</th><th>cluster</th>"
         "<th>params</th><th>FLOPs</th><th>latency ms</th><th class=\"l\">vs the base</th>"
         "<th>top-1</th><th>top-5</th><th>top-1 on own cluster</th><th>base on that cluster</th>"
         "<th>on front</th><th class=\"l\">cfg</th></tr>\n");
    for (int i = 0; i < r->n_nets; i++) {
        const msp_report_net *n = &r->nets[i];
        int spec = n->cluster >= 0;
        P(s, "<tr%s><td class=\"l\">", n == ref ? " class=\"hl\"" : "");
        E(s, n->name);
        if (spec) P(s, "</td><td>%d</td><td>", n->cluster);
        else P(s, "</td><td>-</td><td>");
        count(s, n->params);
        P(s, "</td><td>");
        count(s, n->flops);
        P(s, "</td><td>");
        msp_report_ms(s, n->latency_ms);
        msp_report_speed_text(n->latency_ms, ref ? ref->latency_ms : NAN, NULL, b, sizeof b);
        P(s, "</td><td class=\"l\">%s", n == ref ? "reference" : b);
        if (spec) {
            na(s);
            na(s);
        } else {
            P(s, "</td><td>");
            msp_report_pct(s, n->top1);
            P(s, "</td><td>");
            msp_report_pct(s, n->top5);
        }
        P(s, "</td><td>");
        msp_report_pct(s, n->in_cluster_top1);
        P(s, "</td><td>");
        msp_report_pct(s, n->base_in_cluster_top1);
        P(s, "</td><td>%s</td><td class=\"l\">", spec ? "n/a" : front[i] ? "yes" : "");
        E(s, n->cfg);
        P(s, "</td></tr>\n");
    }
    P(s, "</table></div>\n<p class=\"meta\">Latency: batch-1 median. A specialist (cluster &ge; "
         "0) only knows its cluster's classes and answers &quot;other&quot; for the rest, so its "
         "top-1 over the whole test set means nothing: it is shown on its own cluster's test "
         "inputs, beside the base on the same inputs.</p>\n");
}

static void strategies_table(const msp_report *r, msp_svg *s, const int *front)
{
    const msp_report_net *ref = msp_report_reference(r);
    double ref_ms = ref ? ref->latency_ms : NAN, ref_top1 = ref ? ref->top1 : NAN;
    P(s, "<div class=\"scroll\"><table><tr><th class=\"l\">selector</th><th>mean latency ms</th>"
         "<th>measured ms</th><th class=\"l\">vs the base</th><th>top-1</th><th>top-1 vs base</th>"
         "<th>top-5</th><th>fallbacks</th><th class=\"l\">fallback causes</th>"
         "<th>premodel acc.</th><th>CV acc.</th><th>premodel ms</th><th>on front</th></tr>\n");
    for (int i = 0; i <= r->n_premodels; i++) {
        int pm = i < r->n_premodels;
        const msp_report_strategy *p = pm ? &r->premodels[i] : &r->oracle;
        P(s, "<tr%s><td class=\"l\">", i == r->best ? " class=\"hl\"" : "");
        E(s, p->name);
        P(s, "%s</td><td>", !pm ? "<br>(upper bound)" : i == r->best ? " (best)" : "");
        msp_report_strategy_cells(s, p, ref_ms, ref_top1, "</td><td>", "</td><td class=\"l\">");
        P(s, "</td><td>");
        if (pm) msp_report_fallback_count(r, s, p);
        else P(s, "-");
        P(s, "</td><td class=\"l wrap\">");
        if (pm) fallback_causes(r, s, p);
        else P(s, "-");
        P(s, "</td><td>");
        msp_report_pct(s, p->premodel_accuracy);
        P(s, "</td><td>");
        msp_report_pct(s, p->cv_accuracy);
        P(s, "</td><td>");
        msp_report_ms(s, p->premodel_ms);
        P(s, "</td><td>%s</td></tr>\n", pm ? (front[r->n_nets + i] ? "yes" : "") : "n/a");
    }
    P(s, "</table></div>\n<p class=\"meta\">Mean latency: each network's median batch-1 latency "
         "added up along each input's path (premodel, chosen network, and the base when the "
         "input falls back); measured: the mean of every input's own path timed at batch 1. A "
         "fallback is an input the base answered: the chosen network said &quot;other&quot; or "
         "its top-1 probability was under the safety net's threshold (low probability; both "
         "run the chosen network and then the base), or the premodel was unsure (only the base "
         "runs).</p>\n");
}

/* The cascade over each part of the family: which parts earn their place. */
static void ablation_table(const msp_report *r, msp_svg *s)
{
    const msp_report_net *ref = msp_report_reference(r);
    double ref_ms = ref ? ref->latency_ms : NAN, ref_top1 = ref ? ref->top1 : NAN;
    P(s, "<h2>Which networks earn their place</h2>\n<div class=\"scroll\"><table><tr>"
         "<th class=\"l\">networks</th><th>mean latency ms</th><th>measured ms</th>"
         "<th class=\"l\">vs the base</th><th>top-1</th><th>top-1 vs base</th><th>top-5</th>"
         "<th class=\"l\">chain</th></tr>\n");
    for (int i = 0; i < r->n_ablation; i++) {
        const msp_report_strategy *p = &r->ablation[i];
        P(s, "<tr><td class=\"l\">");
        E(s, p->name);
        P(s, "</td><td>");
        msp_report_strategy_cells(s, p, ref_ms, ref_top1, "</td><td>", "</td><td class=\"l\">");
        P(s, "</td><td class=\"l\">");
        E(s, p->chain ? p->chain : "-");
        P(s, " &gt; ");
        E(s, r->reference);
        P(s, "</td></tr>\n");
    }
    P(s, "</table></div>\n<p class=\"meta\">The cascade over the generalists only, the "
         "specialists only and every network, each with its chain and thresholds tuned on the "
         "labelling images to keep the base's top-1 there, then measured on the test inputs "
         "(mean latency as above).</p>\n");
}

static void scatter(const msp_report *r, msp_svg *s, const double *cost, const double *acc,
                    const char **names, const int *front, int n)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i <= n; i++) {
        double x = i < n ? cost[i] : r->oracle.mean_latency_ms, y = i < n ? acc[i] : r->oracle.top1;
        if (!isfinite(x) || !isfinite(y)) continue;
        xlo = fmin(xlo, x), xhi = fmax(xhi, x), ylo = fmin(ylo, y * 100), yhi = fmax(yhi, y * 100);
    }
    msp_svg_axes a = {.left = 70, .top = 20, .width = 610, .height = 380,
                      .xlabel = "mean latency per input (ms)", .ylabel = "top-1 accuracy (%)"};
    msp_svg_axes_fit(&a, fmin(0, xlo), xhi * 1.08, ylo - 0.5, yhi + 0.5);
    msp_svg_begin(s, 860, 460, "Accuracy against mean latency");
    msp_svg_axes_draw(s, &a);
    /* The front as a line through its points, cheapest first. */
    double fx[MSP_REPORT_MAX_NETS + MSP_REPORT_MAX_PREMODELS], fy[MSP_REPORT_MAX_NETS + MSP_REPORT_MAX_PREMODELS];
    int *order = msp_malloc((size_t)(n > 0 ? n : 1) * sizeof *order), m = 0;
    for (int i = 0; i < n; i++)
        if (front[i]) order[m++] = i;
    for (int i = 1; i < m; i++) /* insertion sort by cost: m is small */
        for (int j = i; j > 0 && cost[order[j]] < cost[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < m; i++) fx[i] = cost[order[i]], fy[i] = acc[order[i]] * 100;
    msp_svg_polyline(s, &a, fx, fy, m, "#888888", 1);
    free(order);
    /* Markers first, then labels placed around all of them. */
    char tip[256];
    double *px = msp_malloc(((size_t)n + 1) * sizeof *px), *py = msp_malloc(((size_t)n + 1) * sizeof *py);
    double *w = msp_malloc(((size_t)n + 1) * sizeof *w), *h = msp_malloc(((size_t)n + 1) * sizeof *h);
    double *lx = msp_malloc(((size_t)n + 1) * sizeof *lx), *ly = msp_malloc(((size_t)n + 1) * sizeof *ly);
    const char **text = msp_malloc(((size_t)n + 1) * sizeof *text);
    int k = 0;
    for (int i = 0; i <= n; i++) {
        int oracle = i == n, sel = !oracle && i >= r->n_nets;
        double x = oracle ? r->oracle.mean_latency_ms : cost[i], y = oracle ? r->oracle.top1 : acc[i];
        if (!isfinite(x) || !isfinite(y)) continue;
        if (oracle) snprintf(tip, sizeof tip, "oracle: %.2f%% at %.3f ms", y * 100, x);
        else
            snprintf(tip, sizeof tip, "%s%s: %.2f%% at %.3f ms%s", sel ? "selector " : "", names[i],
                     y * 100, x, front[i] ? " (Pareto front)" : "");
        msp_svg_point(s, &a, x, y * 100,
                      oracle ? MSP_SVG_TRIANGLE : sel ? MSP_SVG_DIAMOND : MSP_SVG_CIRCLE,
                      msp_svg_colour(oracle ? 2 : sel ? 1 : 0), NULL, tip);
        px[k] = msp_svg_x(&a, x), py[k] = msp_svg_y(&a, y * 100);
        text[k] = oracle ? "oracle" : names[i];
        msp_svg_text_box(text[k], 11, &w[k], &h[k]);
        k++;
    }
    msp_svg_place_labels(px, py, k, 7, w, h, a.left, a.top, a.left + a.width, a.top + a.height, lx, ly);
    for (int i = 0; i < k; i++) {
        /* A label pushed away from its point gets a thin leader line. */
        double cx = fmax(lx[i], fmin(px[i], lx[i] + w[i])), cy = fmax(ly[i], fmin(py[i], ly[i] + h[i]));
        if (hypot(cx - px[i], cy - py[i]) > 12)
            P(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999999\" "
                 "stroke-width=\"0.7\"/>", px[i], py[i], cx, cy);
        msp_svg_text_at(s, lx[i], ly[i], 11, text[i]);
    }
    free(px);
    free(py);
    free(w);
    free(h);
    free(lx);
    free(ly);
    free(text);
    msp_svg_legend(s, 700, 40, MSP_SVG_CIRCLE, msp_svg_colour(0), "network (full)");
    msp_svg_legend(s, 700, 62, MSP_SVG_DIAMOND, msp_svg_colour(1), "selector (per premodel)");
    msp_svg_legend(s, 700, 84, MSP_SVG_TRIANGLE, msp_svg_colour(2), "oracle (upper bound)");
    P(s, "<line x1=\"700\" y1=\"102\" x2=\"712\" y2=\"102\" stroke=\"#888888\" "
         "stroke-dasharray=\"5 3\" stroke-width=\"1.5\"/>");
    msp_svg_legend(s, 700, 106, -1, "none", "Pareto front");
    msp_svg_end(s);
}

/* Members of cluster c as text: class names (membership) or the classes
 * holding at least 10% of the cluster (counts). */
static void cluster_members(const msp_report *r, msp_svg *s, int c)
{
    const int64_t *row = r->cluster_class + (size_t)c * (size_t)r->cluster_width;
    int64_t total = 0;
    for (int j = 0; j < r->cluster_width; j++) total += row[j];
    int first = 1;
    for (int j = 0; j < r->cluster_width; j++) {
        if (!row[j] || (r->cluster_counts && row[j] * 10 < total)) continue;
        P(s, "%s", first ? "" : ", ");
        first = 0;
        if (r->have_eval && j < r->n_classes) E(s, r->class_names[j]);
        else P(s, "class %d", j);
        if (r->cluster_counts) P(s, " %.0f%%", 100.0 * (double)row[j] / (double)total);
    }
}

/* One of the clusters section's bar charts: each specialist (series 0)
 * against the base (series 1), values[2 * ns] shown with `decimals`. */
static void specialist_bars(msp_svg *s, int w, int ns, double ylo, double yhi, const char *ylabel,
                            const char *title, const double *values, const char *const *labels,
                            const char *const *cols, int decimals, const char *base_legend)
{
    msp_svg_axes a = {.left = 60, .top = 40, .width = w - 90, .height = 220, .no_xticks = 1,
                      .ylabel = ylabel};
    msp_svg_axes_fit(&a, 0, ns, ylo, yhi);
    a.xmin = 0, a.xmax = ns;
    msp_svg_begin(s, w, 316, title);
    msp_svg_axes_draw(s, &a);
    msp_svg_bars(s, &a, values, 2, ns, labels, cols, decimals);
    msp_svg_legend(s, 70, 14, MSP_SVG_SQUARE, cols[0], "specialist");
    msp_svg_legend(s, 170, 14, MSP_SVG_SQUARE, cols[1], base_legend);
    msp_svg_end(s);
}

static void clusters_section(const msp_report *r, msp_svg *s)
{
    P(s, "<h2>Clusters and their specialists</h2>\n");
    int ns = 0;
    const msp_report_net *ref = NULL;
    for (int i = 0; r->have_summary && i < r->n_nets; i++) {
        ns += r->nets[i].cluster >= 0;
        if (!strcmp(r->nets[i].name, r->reference)) ref = &r->nets[i];
    }
    if (r->have_clusters) {
        P(s, "<p class=\"meta\">Clustering: ");
        E(s, r->cluster_method);
        P(s, ", k = %d.</p>\n", r->k);
    }
    if (!ns && !r->have_clusters) {
        P(s, "<p>No specialised networks in this experiment.</p>\n");
        return;
    }
    P(s, "<div class=\"scroll\"><table><tr><th>cluster</th><th>size</th><th class=\"l\">classes</th>"
         "<th class=\"l\">specialist</th><th>in-cluster top-1</th><th>base in-cluster top-1</th>"
         "<th>latency ms</th><th>FLOPs</th></tr>\n");
    int rows = r->have_clusters ? r->k : 0;
    for (int i = 0; r->have_summary && i < r->n_nets; i++)
        if (r->nets[i].cluster + 1 > rows) rows = r->nets[i].cluster + 1;
    for (int c = 0; c < rows; c++) {
        P(s, "<tr><td>%d</td><td>", c);
        if (r->have_clusters && c < r->k) P(s, "%lld</td><td class=\"l\">", (long long)r->cluster_sizes[c]);
        else P(s, "-</td><td class=\"l\">");
        if (r->have_clusters && c < r->k) cluster_members(r, s, c);
        int any = 0;
        for (int i = 0; r->have_summary && i < r->n_nets; i++) {
            const msp_report_net *n = &r->nets[i];
            if (n->cluster != c) continue;
            P(s, "%s</td><td class=\"l\">", any ? "<tr><td></td><td></td><td class=\"l\">" : "");
            E(s, n->name);
            P(s, "</td><td>");
            msp_report_pct(s, n->in_cluster_top1);
            P(s, "</td><td>");
            msp_report_pct(s, n->base_in_cluster_top1);
            P(s, "</td><td>");
            msp_report_ms(s, n->latency_ms);
            P(s, "</td><td>");
            count(s, n->flops);
            P(s, "</td></tr>\n");
            any = 1;
        }
        if (!any) P(s, "</td><td class=\"l\">-</td><td>-</td><td>-</td><td>-</td><td>-</td></tr>\n");
    }
    P(s, "</table></div>\n");
    if (!ns) return;
    /* Accuracy (specialist vs base on the same cluster) and latency bars. */
    const msp_report_net **sp = msp_malloc((size_t)ns * sizeof *sp);
    const char **labels = msp_malloc((size_t)ns * sizeof *labels);
    double *acc = msp_malloc(2 * (size_t)ns * sizeof *acc), *lat = msp_malloc(2 * (size_t)ns * sizeof *lat);
    double lo = INFINITY, hi = -INFINITY, lhi = 0;
    for (int i = 0, j = 0; i < r->n_nets; i++)
        if (r->nets[i].cluster >= 0) sp[j++] = &r->nets[i];
    for (int j = 0; j < ns; j++) {
        labels[j] = sp[j]->name;
        acc[j] = sp[j]->in_cluster_top1 * 100;
        acc[ns + j] = sp[j]->base_in_cluster_top1 * 100;
        lat[j] = sp[j]->latency_ms;
        lat[ns + j] = ref ? ref->latency_ms : NAN;
        for (int g = 0; g < 2; g++) {
            if (isfinite(acc[g * ns + j])) lo = fmin(lo, acc[g * ns + j]), hi = fmax(hi, acc[g * ns + j]);
            if (isfinite(lat[g * ns + j])) lhi = fmax(lhi, lat[g * ns + j]);
        }
    }
    const char *cols[2] = {msp_svg_colour(0), "#aaaaaa"};
    int w = 130 + 90 * ns;
    if (w < 420) w = 420;
    if (w > 1100) w = 1100;
    P(s, "<div class=\"row\"><figure>");
    if (!isfinite(lo)) lo = 0, hi = 100;
    specialist_bars(s, w, ns, fmax(0, lo - 2), fmin(100, hi + 1), "in-cluster top-1 (%)",
                    "In-cluster accuracy: specialist against base", acc, labels, cols, 1,
                    "base network on the same cluster");
    P(s, "<figcaption>Top-1 on each cluster's test inputs.</figcaption></figure><figure>");
    specialist_bars(s, w, ns, 0, lhi > 0 ? lhi * 1.1 : 1, "latency (ms)",
                    "Latency: specialist against base", lat, labels, cols, 3, "base network");
    P(s, "<figcaption>Batch-1 latency per input.</figcaption></figure></div>\n");
    free(sp);
    free(labels);
    free(acc);
    free(lat);
}

/* A square heat map with labels in its own <svg>. */
static void heat_svg(msp_svg *s, const int64_t *m, int n, const char *const *labels,
                     const char *title, const char *rows, const char *cols)
{
    size_t longest = 0;
    for (int i = 0; i < n; i++) longest = strlen(labels[i]) > longest ? strlen(labels[i]) : longest;
    if (longest > 24) longest = 24;
    double cell = 420.0 / n < 40 ? 420.0 / n : 40, left = 40 + longest * 6.5, top = 20 + longest * 5.0;
    double *v = msp_malloc((size_t)n * (size_t)n * sizeof *v);
    for (size_t i = 0; i < (size_t)n * (size_t)n; i++) v[i] = (double)m[i];
    msp_svg_begin(s, (int)(left + n * cell + 80), (int)(top + n * cell + 30), title);
    msp_svg_heatmap(s, left, top, cell, v, n, n, labels, labels, cell >= 18 ? 0 : -1, rows, cols);
    msp_svg_end(s);
    free(v);
}

static void eval_section(const msp_report *r, msp_svg *s)
{
    P(s, "<h2>Base network: per class</h2>\n<p>Top-1 ");
    msp_report_pct(s, r->base_top1);
    P(s, ", top-5 ");
    msp_report_pct(s, r->base_top5);
    if (isfinite(r->base_latency_ms)) P(s, ", median latency %.3f ms", r->base_latency_ms);
    P(s, ".</p>\n<div class=\"row\"><figure>");
    if (r->n_classes <= MSP_REPORT_MAX_HEAT) {
        heat_svg(s, r->class_confusion, r->n_classes, (const char *const *)r->class_names,
                 "Confusion matrix of the base network", "true class", "predicted class");
        P(s, "<figcaption>Confusion matrix (rows: true class, columns: prediction; test "
             "inputs).</figcaption>");
    } else {
        P(s, "<p>%d classes: too many to draw; see eval-base.json.</p>", r->n_classes);
    }
    P(s, "</figure><figure><div class=\"scroll\"><table><tr><th class=\"l\">class</th><th>precision</th><th>recall</th>"
         "<th>F1</th><th>support</th></tr>\n");
    for (int i = 0; i < r->n_classes; i++) {
        P(s, "<tr><td class=\"l\">");
        E(s, r->class_names[i]);
        P(s, "</td><td>");
        msp_report_class_cells(r, s, i, "</td><td>");
        P(s, "</td></tr>\n");
    }
    P(s, "</table></div></figure></div>\n");
}

static void premodel_section(const msp_report *r, msp_svg *s)
{
    P(s, "<h2>Premodels: which network they pick</h2>\n");
    const char **names = msp_malloc((size_t)r->n_nets * sizeof *names);
    for (int i = 0; i < r->n_nets; i++) names[i] = r->nets[i].name;
    /* How often each network is chosen: oracle and every premodel, in %. */
    int ns = 1 + r->n_premodels, m = r->n_nets;
    if (ns > 8) ns = 8;
    double *v = msp_malloc((size_t)ns * (size_t)m * sizeof *v), hi = 0;
    const char **cols = msp_malloc((size_t)ns * sizeof *cols);
    for (int g = 0; g < ns; g++) {
        const msp_report_strategy *p = g ? &r->premodels[g - 1] : &r->oracle;
        int64_t tot = 0;
        for (int i = 0; i < m; i++) tot += p->chosen[i];
        for (int i = 0; i < m; i++) {
            v[g * m + i] = tot ? 100.0 * (double)p->chosen[i] / (double)tot : NAN;
            if (isfinite(v[g * m + i])) hi = fmax(hi, v[g * m + i]);
        }
        cols[g] = msp_svg_colour(g == 0 ? 2 : g == 1 ? 1 : g + 1);
    }
    int w = 140 + (40 + 22 * ns) * m;
    if (w > 1120) w = 1120;
    if (w < 500) w = 500;
    msp_svg_axes a = {.left = 60, .top = 40, .width = w - 90, .height = 220, .no_xticks = 1,
                      .ylabel = "inputs routed to the network (%)"};
    msp_svg_axes_fit(&a, 0, m, 0, hi > 0 ? hi * 1.12 : 1);
    a.xmin = 0, a.xmax = m;
    P(s, "<figure>");
    msp_svg_begin(s, w, 320, "Share of inputs sent to each network");
    msp_svg_axes_draw(s, &a);
    msp_svg_bars(s, &a, v, ns, m, names, cols, 1);
    for (int g = 0; g < ns; g++)
        msp_svg_legend(s, 70 + 150 * g, 16, MSP_SVG_SQUARE, cols[g],
                       g ? r->premodels[g - 1].name : "oracle");
    msp_svg_end(s);
    P(s, "<figcaption>Share of test inputs each strategy sends to each network.</figcaption></figure>\n");
    free(v);
    free(cols);
    P(s, "<div class=\"row\">");
    for (int i = 0; i < r->n_premodels && i < 8; i++) {
        const msp_report_strategy *p = &r->premodels[i];
        P(s, "<figure>");
        if (m <= MSP_REPORT_MAX_HEAT) {
            char title[256];
            snprintf(title, sizeof title, "Premodel %s: choice against oracle label", p->name);
            heat_svg(s, p->confusion, m, names, title, "oracle label", "premodel choice");
        }
        P(s, "<figcaption>Premodel <b>");
        E(s, p->name);
        P(s, "</b>%s: accuracy ", i == r->best ? " (used by the selector)" : "");
        msp_report_pct(s, p->premodel_accuracy);
        if (isfinite(p->cv_accuracy)) {
            P(s, " (cross-validation ");
            msp_report_pct(s, p->cv_accuracy);
            P(s, ")");
        }
        P(s, ", %.3f ms per input. Rows: the cheapest correct network (oracle label); columns: "
             "the premodel's choice.</figcaption></figure>\n", p->premodel_ms);
    }
    P(s, "</div>\n");
    free(names);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void latency_section(const msp_report *r, msp_svg *s)
{
    P(s, "<h2>Per-input latency</h2>\n");
    if (!r->n_rows) {
        P(s, "<p>per-input.csv has no rows.</p>\n");
        return;
    }
    size_t n = r->n_rows, all = n * (size_t)r->n_cols;
    /* The range: from the fastest input to three times the 95th percentile
     * of all (at most the slowest), so that a few inputs preempted on a busy
     * machine do not squash the rest into one bar; slower ones are counted
     * in the last bar. */
    double *sorted = msp_malloc(all * sizeof *sorted);
    memcpy(sorted, r->ms, all * sizeof *sorted);
    qsort(sorted, all, sizeof *sorted, cmp_double);
    double lo = sorted[0], hi = fmin(sorted[all - 1], 3 * sorted[(size_t)ceil(0.95 * (double)all) - 1]);
    size_t beyond = 0;
    while (beyond < all && sorted[all - 1 - beyond] > hi) beyond++;
    free(sorted);
    double t[MSP_SVG_MAX_TICKS], step;
    int nt = msp_svg_nice_ticks(lo, hi, 7, t, &step);
    lo = t[0], hi = t[nt - 1];
    enum { BINS = 40 };
    int64_t c[BINS];
    const msp_report_net *ref = msp_report_reference(r);
    double ref_ms = ref && isfinite(ref->measured_ms) ? ref->measured_ms : NAN;
    if (r->measured) {
        P(s, "<p class=\"meta\">%zu test inputs, each one's own path <b>measured</b> at batch 1: "
             "premodel (features and prediction), the chosen network, and the base when the "
             "input fell back. The dashed line is the mean%s.",
          n, isfinite(ref_ms) ? ", the dotted one the base's own measured mean" : "");
        if (beyond)
            P(s, " %zu of the %zu times (%.1f%%) are above %.3f ms, probably preempted by other "
                 "work on the machine; the last bar counts them.",
              beyond, all, 100.0 * (double)beyond / (double)all, hi);
        P(s, "</p>\n");
    }
    else
        P(s, "<p class=\"meta\">%zu test inputs. These times are <b>not measured</b> per input: "
             "this per-input.csv (from an older msprune) adds up each network's mean latency "
             "along the input's path, so the spread only shows which path each input took. Run "
             "<code>msprune evaluate ", n);
    if (!r->measured) {
        E(s, r->config);
        P(s, " --selector</code> again for measured times.</p>\n");
    }
    P(s, "<div class=\"row\">");
    for (int k = 0; k < r->n_cols && k < 1 + MSP_REPORT_MAX_PREMODELS; k++) {
        const double *v = r->ms + (size_t)k * n;
        double med, p95, mean = msp_report_stats(v, n, &med, &p95);
        msp_svg_histogram_counts(v, n, lo, hi, BINS, c);
        int64_t cmax = 1;
        for (int b = 0; b < BINS; b++) cmax = c[b] > cmax ? c[b] : cmax;
        msp_svg_axes a = {.left = 64, .top = 26, .width = 440, .height = 170,
                          .xlabel = "latency per input (ms)", .ylabel = "inputs"};
        msp_svg_axes_fit(&a, lo, hi, 0, (double)cmax);
        char title[200];
        snprintf(title, sizeof title, "%s%s", k ? "selector " : "", r->col_names[k]);
        P(s, "<figure>");
        msp_svg_begin(s, 530, 250, title);
        msp_svg_axes_draw(s, &a);
        msp_svg_histogram(s, &a, lo, hi, c, BINS, msp_svg_colour(k == 0 ? 2 : 1));
        double mx = msp_svg_x(&a, fmin(mean, hi));
        P(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000000\" "
             "stroke-dasharray=\"3 2\"/>", mx, a.top, mx, a.top + a.height);
        P(s, "<text x=\"%.1f\" y=\"16\" font-size=\"12\" font-weight=\"bold\">", a.left);
        E(s, title);
        P(s, "</text><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">mean</text>\n", mx + 3, a.top + 10);
        if (isfinite(ref_ms) && ref_ms >= lo && ref_ms <= hi) {
            double bx = msp_svg_x(&a, ref_ms);
            P(s, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#666666\" "
                 "stroke-dasharray=\"1 2\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" "
                 "fill=\"#666666\">base</text>\n",
              bx, a.top, bx, a.top + a.height, bx + 3, a.top + 22);
        }
        msp_svg_end(s);
        P(s, "<figcaption>");
        E(s, title);
        P(s, ": %s mean %.3f ms, median %.3f ms, 95th percentile %.3f ms.</figcaption></figure>\n",
          r->measured ? "measured" : "estimated", mean, med, p95);
    }
    P(s, "</div>\n");
}

/* Loss (which = 0) or validation top-1 (which = 1) per epoch, one line
 * per network. */
static void curve_plot(const msp_report *r, msp_svg *s, int which)
{
    double lo = INFINITY, hi = -INFINITY, scale = which ? 100 : 1;
    int emax = 1;
    for (int c = 0; c < r->n_curves; c++) {
        const msp_report_curve *cv = &r->curves[c];
        const double *v = which ? cv->val_top1 : cv->loss;
        emax = cv->n > emax ? cv->n : emax;
        for (int e = 0; e < cv->n; e++)
            if (isfinite(v[e])) lo = fmin(lo, v[e] * scale), hi = fmax(hi, v[e] * scale);
    }
    if (!isfinite(lo)) {
        P(s, "<p>No %s recorded.</p>", which ? "validation accuracy" : "loss");
        return;
    }
    int rows = (r->n_curves + 2) / 3; /* legend rows of three */
    msp_svg_axes a = {.left = 64, .top = 16 + 14 * rows, .width = 390, .height = 190,
                      .integer_x = 1, .xlabel = "epoch", .ylabel = which ? "validation top-1 (%)" : "training loss"};
    /* Loss from 0; accuracy around its range. */
    msp_svg_axes_fit(&a, 1, emax > 1 ? emax : 2, which ? lo - 1 : 0, which ? hi + 1 : hi * 1.05);
    msp_svg_begin(s, 480, (int)a.top + 250, which ? "Validation top-1 per epoch" : "Training loss per epoch");
    msp_svg_axes_draw(s, &a);
    double *x = msp_malloc((size_t)emax * sizeof *x), *y = msp_malloc((size_t)emax * sizeof *y);
    char tip[160];
    for (int c = 0; c < r->n_curves; c++) {
        const msp_report_curve *cv = &r->curves[c];
        const double *v = which ? cv->val_top1 : cv->loss;
        for (int e = 0; e < cv->n; e++) x[e] = e + 1, y[e] = v[e] * scale;
        msp_svg_polyline(s, &a, x, y, cv->n, msp_svg_colour(c), 0);
        for (int e = 0; e < cv->n; e++) {
            snprintf(tip, sizeof tip, "%s, epoch %d: %.4g%s", cv->name, e + 1, y[e], which ? "%" : "");
            msp_svg_point(s, &a, x[e], y[e], MSP_SVG_CIRCLE, msp_svg_colour(c), NULL, tip);
        }
        msp_svg_legend(s, 70 + 130 * (c % 3), 14 + 14 * (c / 3), MSP_SVG_CIRCLE, msp_svg_colour(c),
                       cv->name);
    }
    free(x);
    free(y);
    msp_svg_end(s);
}

static void training_section(const msp_report *r, msp_svg *s)
{
    P(s, "<h2>Training</h2>\n<div class=\"row\"><figure>");
    curve_plot(r, s, 0);
    P(s, "<figcaption>Mean training loss per epoch.</figcaption></figure><figure>");
    curve_plot(r, s, 1);
    P(s, "<figcaption>Top-1 on the held-out validation images after each epoch.</figcaption>"
         "</figure></div>\n<div class=\"scroll\"><table><tr><th class=\"l\">network</th>"
         "<th>epochs</th><th>last loss</th><th>last validation top-1</th></tr>\n");
    for (int c = 0; c < r->n_curves; c++) {
        const msp_report_curve *cv = &r->curves[c];
        P(s, "<tr><td class=\"l\">");
        E(s, cv->name);
        P(s, "</td><td>%d</td><td>", cv->n);
        if (cv->n && isfinite(cv->loss[cv->n - 1])) P(s, "%.4f", cv->loss[cv->n - 1]);
        else P(s, "-");
        P(s, "</td><td>");
        msp_report_pct(s, cv->n ? cv->val_top1[cv->n - 1] : NAN);
        P(s, "</td></tr>\n");
    }
    P(s, "</table></div>\n");
}

static void settings_section(const msp_report *r, msp_svg *s)
{
    P(s, "<h2>Settings</h2>\n");
    if (!r->have_settings) {
        P(s, "<p class=\"note\">No settings: the config <code>");
        E(s, r->config);
        P(s, "</code> could not be read (");
        E(s, r->settings_error);
        P(s, ").</p>\n");
        return;
    }
    P(s, "<p class=\"meta\">From <code>");
    E(s, r->config);
    P(s, "</code> (defaults filled in).</p>\n");
    if (r->config_newer)
        P(s, "<p class=\"note\">The config changed after summary.json was written: these may not "
             "be the settings that produced the results.</p>\n");
    P(s, "<div class=\"scroll\"><table><tr><th class=\"l\">setting</th><th class=\"l\">value</th></tr>\n");
    for (int i = 0; i < r->n_settings; i++) {
        P(s, "<tr><td class=\"l\"><code>");
        E(s, r->setting_keys[i]);
        P(s, "</code></td><td class=\"l\">");
        E(s, r->setting_values[i]);
        P(s, "</td></tr>\n");
    }
    P(s, "</table></div>\n");
}

void msp_report_html(const msp_report *r, msp_svg *s)
{
    P(s, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>msprune report: ");
    E(s, r->experiment);
    P(s, "</title>\n<style>%s</style></head>\n<body>\n<h1>msprune report: ", css);
    E(s, r->experiment);
    P(s, "</h1>\n<p class=\"meta\">From <code>");
    E(s, r->dir);
    P(s, "</code> (config <code>");
    E(s, r->config);
    P(s, "</code>).");
    if (r->have_summary) {
        P(s, " Reference network <b>");
        E(s, r->reference);
        P(s, "</b>; %lld test inputs.", (long long)r->test_inputs);
    }
    P(s, "</p>\n");
    missing_notes(r, s);
    if (r->have_summary) {
        int n = r->n_nets + r->n_premodels, ns = 0;
        double *cost = msp_malloc((size_t)n * sizeof *cost), *acc = msp_malloc((size_t)n * sizeof *acc);
        const char **names = msp_malloc((size_t)n * sizeof *names);
        int *front = msp_malloc((size_t)n * sizeof *front);
        msp_report_points(r, cost, acc, names, front);
        for (int i = 0; i < r->n_nets; i++) ns += r->nets[i].cluster >= 0;
        headline(r, s);
        P(s, "<h2>Selectors and oracle</h2>\n");
        strategies_table(r, s, front);
        if (r->n_ablation) ablation_table(r, s);
        P(s, "<h2>Networks</h2>\n");
        nets_table(r, s, front);
        P(s, "<h2>Accuracy against mean latency</h2>\n<figure>");
        scatter(r, s, cost, acc, names, front, n);
        P(s, "<figcaption>Every full network, the selector with each premodel (its latency "
             "includes the premodel and the fallbacks) and the oracle. The dashed line joins the "
             "Pareto front of what can be deployed (full networks and selectors; the oracle is an "
             "upper bound, not deployable).");
        if (ns)
            P(s, " The %d specialist%s %s left out: %s top-1 over the whole test set means "
                 "nothing (see the clusters below).", ns, ns == 1 ? "" : "s", ns == 1 ? "is" : "are",
              ns == 1 ? "its" : "their");
        P(s, "</figcaption></figure>\n");
        free(cost);
        free(acc);
        free(names);
        free(front);
    }
    if (r->have_summary || r->have_clusters) clusters_section(r, s);
    if (r->have_eval) eval_section(r, s);
    if (r->have_summary) premodel_section(r, s);
    if (r->have_inputs) latency_section(r, s);
    if (r->n_curves) training_section(r, s);
    settings_section(r, s);
    P(s, "</body></html>\n");
}
