/* report_md.c: report.md, the report for terminals: the same tables as
 * report.html, plots replaced by their numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_int.h"

#define P msp_svg_printf

/* Markdown table cells: '|' would split the cell. */
static void cell(msp_svg *s, const char *t)
{
    for (; *t; t++) {
        if (*t == '|') P(s, "\\|");
        else P(s, "%c", *t);
    }
}

static void fallbacks(const msp_report *r, msp_svg *s, const msp_report_strategy *p)
{
    msp_report_fallback_count(r, s, p);
    if (p->fell_other >= 0 && p->fallbacks > 0)
        P(s, ": %lld other, %lld low probability, %lld premodel unsure", (long long)p->fell_other,
          (long long)p->fell_prob, (long long)p->fell_unsure);
    if (p->chain) {
        P(s, "; chain ");
        cell(s, p->chain);
        P(s, " > ");
        cell(s, r->nets[0].name);
    }
}

/* The cascade over each part of the family: which parts earn their place. */
static void ablation(const msp_report *r, msp_svg *s, double ref_ms, double ref_top1)
{
    if (!r->n_ablation) return;
    P(s, "\n## Which networks earn their place\n\n"
         "The cascade over each part of the family, its chain and thresholds tuned on the "
         "labelling images, measured on the test inputs.\n\n"
         "| networks | mean latency ms | measured ms | vs the base | top-1 | top-1 vs base | "
         "top-5 | chain |\n|---|---:|---:|---|---:|---:|---:|---|\n");
    for (int i = 0; i < r->n_ablation; i++) {
        const msp_report_strategy *p = &r->ablation[i];
        P(s, "| ");
        cell(s, p->name);
        P(s, " | ");
        msp_report_strategy_cells(s, p, ref_ms, ref_top1, " | ", " | ");
        P(s, " | ");
        cell(s, p->chain ? p->chain : "-");
        P(s, " > ");
        cell(s, r->reference);
        P(s, " |\n");
    }
}

static void family(const msp_report *r, msp_svg *s)
{
    int n = r->n_nets + r->n_premodels;
    double *cost = msp_malloc((size_t)n * sizeof *cost), *acc = msp_malloc((size_t)n * sizeof *acc);
    const char **names = msp_malloc((size_t)n * sizeof *names);
    int *front = msp_malloc((size_t)n * sizeof *front);
    msp_report_points(r, cost, acc, names, front);
    const msp_report_strategy *b = &r->premodels[r->best];
    const msp_report_net *ref = msp_report_reference(r);
    double ref_ms = ref ? ref->latency_ms : NAN, ref_top1 = ref ? ref->top1 : NAN;
    char head[512], sp[96];
    msp_report_headline_text(r, head, sizeof head);
    P(s, "**%s.**\n\nSelector (premodel `%s`): top-1 ", head, b->name);
    msp_report_pct(s, b->top1);
    P(s, " at ");
    msp_report_ms(s, b->mean_latency_ms);
    P(s, " ms per input; base `%s`: ", r->reference);
    msp_report_pct(s, ref_top1);
    P(s, " at ");
    msp_report_ms(s, ref_ms);
    msp_report_speed_text(r->oracle.mean_latency_ms, ref_ms, "the base", sp, sizeof sp);
    P(s, " ms. Oracle (upper bound): top-1 ");
    msp_report_pct(s, r->oracle.top1);
    P(s, " at ");
    msp_report_ms(s, r->oracle.mean_latency_ms);
    P(s, " ms, %s.\n", sp);
    if (b->fallbacks > 0)
        P(s, "\nFallbacks: %lld of %lld inputs were answered by the base (the chosen network "
             "said \"other\" or was unsure, then the base ran too; or the premodel was unsure "
             "and only the base ran).\n",
          (long long)b->fallbacks, (long long)r->test_inputs);
    if (isfinite(b->measured_ms) && ref && isfinite(ref->measured_ms)) {
        msp_report_speed_text(b->measured_ms, ref->measured_ms, "the base", sp, sizeof sp);
        P(s, "\nMeasured per input (each input's own path timed at batch 1): selector %.3f ms, "
             "base %.3f ms: %s.\n", b->measured_ms, ref->measured_ms, sp);
    }
    P(s, "\n## Selectors and oracle\n\n"
         "| selector | mean latency ms | measured ms | vs the base | top-1 | top-1 vs base | top-5 | "
         "fallbacks | Pareto front |\n|---|---:|---:|---|---:|---:|---:|---|---|\n");
    for (int i = 0; i <= r->n_premodels; i++) {
        int pm = i < r->n_premodels;
        const msp_report_strategy *p = pm ? &r->premodels[i] : &r->oracle;
        P(s, "| ");
        cell(s, p->name);
        P(s, "%s | ", !pm ? " (upper bound)" : i == r->best ? " (best)" : "");
        msp_report_strategy_cells(s, p, ref_ms, ref_top1, " | ", " | ");
        P(s, " | ");
        if (pm) fallbacks(r, s, p);
        else P(s, "-");
        P(s, " | %s |\n", pm ? (front[r->n_nets + i] ? "yes" : "") : "n/a");
    }
    ablation(r, s, ref_ms, ref_top1);
    P(s, "\n## Networks\n\n"
         "| network | cluster | params | FLOPs | latency ms | vs the base | top-1 | top-5 | "
         "top-1 on own cluster | Pareto front |\n|---|---:|---:|---:|---:|---|---:|---:|---:|---|\n");
    char a[32], f[32];
    for (int i = 0; i < r->n_nets; i++) {
        const msp_report_net *t = &r->nets[i];
        int spec = t->cluster >= 0;
        msp_report_fmt_count(t->params, a, sizeof a);
        msp_report_fmt_count(t->flops, f, sizeof f);
        P(s, "| ");
        cell(s, t->name);
        if (spec) P(s, " | %d | %s | %s | ", t->cluster, a, f);
        else P(s, " | - | %s | %s | ", a, f);
        msp_report_ms(s, t->latency_ms);
        msp_report_speed_text(t->latency_ms, ref_ms, NULL, sp, sizeof sp);
        P(s, " | %s | ", t == ref ? "reference" : sp);
        if (spec) {
            P(s, "n/a | n/a | ");
        } else {
            msp_report_pct(s, t->top1);
            P(s, " | ");
            msp_report_pct(s, t->top5);
            P(s, " | ");
        }
        msp_report_pct(s, t->in_cluster_top1);
        P(s, " | %s |\n", spec ? "n/a" : front[i] ? "yes" : "");
    }
    P(s, "\n(A specialist only knows its cluster: its top-1 is on its own cluster's test inputs.)\n");
    P(s, "\n| premodel | accuracy | cross-validation | ms per input |");
    for (int i = 0; i < r->n_nets; i++) {
        P(s, " ");
        cell(s, r->nets[i].name);
        P(s, " |");
    }
    P(s, "\n|---|---:|---:|---:|");
    for (int i = 0; i < r->n_nets; i++) P(s, "---:|");
    P(s, "\n");
    for (int i = 0; i <= r->n_premodels; i++) {
        const msp_report_strategy *p = i < r->n_premodels ? &r->premodels[i] : &r->oracle;
        P(s, "| ");
        cell(s, p->name);
        P(s, " | ");
        msp_report_pct(s, p->premodel_accuracy);
        P(s, " | ");
        msp_report_pct(s, p->cv_accuracy);
        P(s, " | ");
        msp_report_ms(s, p->premodel_ms);
        P(s, " |");
        for (int j = 0; j < r->n_nets; j++) P(s, " %lld |", (long long)p->chosen[j]);
        P(s, "\n");
    }
    P(s, "\n(Last columns: test inputs sent to each network.)\n");
    free(cost);
    free(acc);
    free(names);
    free(front);
}

void msp_report_md(const msp_report *r, msp_svg *s)
{
    P(s, "# msprune report: %s\n\nFrom `%s` (config `%s`).\n\n", r->experiment, r->dir, r->config);
    const char *file, *cmd, *sec;
    int found;
    for (int i = 0; msp_report_input(r, i, &file, &cmd, &found, &sec); i++)
        if (!found)
            P(s, "- Missing `%s`: run `msprune %s %s` to add the %s.\n", file, cmd, r->config, sec);
    P(s, "\n");
    if (r->have_summary) family(r, s);
    int ns = 0;
    for (int i = 0; r->have_summary && i < r->n_nets; i++) ns += r->nets[i].cluster >= 0;
    if (ns) {
        P(s, "\n## Specialists\n\n| cluster | specialist | in-cluster top-1 | base in-cluster top-1 | latency ms |\n"
             "|---:|---|---:|---:|---:|\n");
        for (int i = 0; i < r->n_nets; i++) {
            const msp_report_net *t = &r->nets[i];
            if (t->cluster < 0) continue;
            P(s, "| %d | ", t->cluster);
            cell(s, t->name);
            P(s, " | ");
            msp_report_pct(s, t->in_cluster_top1);
            P(s, " | ");
            msp_report_pct(s, t->base_in_cluster_top1);
            P(s, " | ");
            msp_report_ms(s, t->latency_ms);
            P(s, " |\n");
        }
    }
    if (r->have_clusters) {
        P(s, "\n## Clusters (%s, k = %d)\n\n| cluster | size | classes |\n|---:|---:|---|\n",
          r->cluster_method, r->k);
        for (int c = 0; c < r->k; c++) {
            const int64_t *row = r->cluster_class + (size_t)c * (size_t)r->cluster_width;
            P(s, "| %d | %lld | ", c, (long long)r->cluster_sizes[c]);
            int first = 1;
            for (int j = 0; j < r->cluster_width; j++) {
                if (!row[j]) continue;
                P(s, "%s", first ? "" : ", ");
                first = 0;
                if (r->have_eval && j < r->n_classes) cell(s, r->class_names[j]);
                else P(s, "%d", j);
                if (r->cluster_counts) P(s, " (%lld)", (long long)row[j]);
            }
            P(s, " |\n");
        }
    }
    if (r->have_eval) {
        P(s, "\n## Base network per class (top-1 ");
        msp_report_pct(s, r->base_top1);
        P(s, ")\n\n| class | precision | recall | F1 | support |\n|---|---:|---:|---:|---:|\n");
        for (int i = 0; i < r->n_classes; i++) {
            P(s, "| ");
            cell(s, r->class_names[i]);
            P(s, " | ");
            msp_report_class_cells(r, s, i, " | ");
            P(s, " |\n");
        }
    }
    if (r->have_inputs && r->n_rows) {
        P(s, "\n## Per-input latency (%zu inputs, %s)\n\n| strategy | mean ms | median ms | 95th pct ms |\n"
             "|---|---:|---:|---:|\n", r->n_rows,
          r->measured ? "each input's path measured at batch 1"
                      : "not measured: network mean latencies added up");
        for (int k = 0; k < r->n_cols; k++) {
            double med, p95, mean = msp_report_stats(r->ms + (size_t)k * r->n_rows, r->n_rows, &med, &p95);
            P(s, "| ");
            cell(s, r->col_names[k]);
            P(s, " | %.3f | %.3f | %.3f |\n", mean, med, p95);
        }
    }
    if (r->n_curves) {
        P(s, "\n## Training\n\n| network | epoch | loss | validation top-1 |\n|---|---:|---:|---:|\n");
        for (int c = 0; c < r->n_curves; c++)
            for (int e = 0; e < r->curves[c].n; e++) {
                P(s, "| ");
                cell(s, r->curves[c].name);
                P(s, " | %d | ", e + 1);
                if (isfinite(r->curves[c].loss[e])) P(s, "%.4f", r->curves[c].loss[e]);
                else P(s, "-");
                P(s, " | ");
                msp_report_pct(s, r->curves[c].val_top1[e]);
                P(s, " |\n");
            }
    }
    P(s, "\n## Settings\n\n");
    if (!r->have_settings) {
        P(s, "The config `%s` could not be read (%s).\n", r->config, r->settings_error);
        return;
    }
    if (r->config_newer)
        P(s, "The config changed after summary.json was written: these may not be the settings "
             "that produced the results.\n\n");
    P(s, "| setting | value |\n|---|---|\n");
    for (int i = 0; i < r->n_settings; i++) {
        P(s, "| `%s` | ", r->setting_keys[i]);
        cell(s, r->setting_values[i]);
        P(s, " |\n");
    }
}
