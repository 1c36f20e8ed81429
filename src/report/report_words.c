/* report_words.c: how results are worded, shared by report.html, report.md
 * and the terminal summaries of `evaluate --selector` and `all`: a speed
 * ratio that reads as slower when it is slower, accuracy differences in
 * points, the share of the oracle's saving, and the one-line headline. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

void msp_report_speed_text(double ms, double ref_ms, const char *ref, char *buf, size_t size)
{
    if (!(ms > 0) || !(ref_ms > 0) || !isfinite(ms) || !isfinite(ref_ms)) {
        snprintf(buf, size, "-");
        return;
    }
    double r = ref_ms / ms, q = r >= 1 ? r : 1 / r;
    int named = ref && *ref;
    /* Anything that prints as 1.00x either way is "as fast". */
    if (q < 1.005) snprintf(buf, size, "as fast%s%s", named ? " as " : "", named ? ref : "");
    else snprintf(buf, size, "%.2fx %s%s%s", q, r >= 1 ? "faster" : "slower", named ? " than " : "",
                  named ? ref : "");
}

void msp_report_points_text(double diff, int decimals, char *buf, size_t size)
{
    if (!isfinite(diff)) {
        snprintf(buf, size, "-");
        return;
    }
    double pt = diff * 100, unit = pow(10, -decimals);
    /* No "-0.0": a difference that rounds to zero has no sign. */
    if (fabs(pt) < unit / 2) snprintf(buf, size, "%.*f pt", decimals, 0.0);
    else snprintf(buf, size, "%+.*f pt", decimals, pt);
}

void msp_report_saving_text(double ms, double ref_ms, double oracle_ms, char *buf, size_t size)
{
    double saved = ref_ms - oracle_ms, got = ref_ms - ms;
    if (!isfinite(saved) || !isfinite(got)) snprintf(buf, size, "-");
    else if (saved <= 0) snprintf(buf, size, "the oracle saves no time");
    else if (got <= 0) snprintf(buf, size, "none of the oracle's saving");
    else snprintf(buf, size, "%.0f%% of the oracle's saving", 100 * got / saved);
}

const msp_report_net *msp_report_reference(const msp_report *r)
{
    for (int i = 0; r->have_summary && i < r->n_nets; i++)
        if (!strcmp(r->nets[i].name, r->reference)) return &r->nets[i];
    return NULL;
}

void msp_report_headline_text(const msp_report *r, char *buf, size_t size)
{
    const msp_report_net *ref = msp_report_reference(r);
    if (!r->have_summary || r->best < 0 || !ref) {
        snprintf(buf, size, "no selector results");
        return;
    }
    const msp_report_strategy *b = &r->premodels[r->best];
    char speed[96], pts[32], saving[64];
    msp_report_speed_text(b->mean_latency_ms, ref->latency_ms, "the base", speed, sizeof speed);
    msp_report_points_text(b->top1 - ref->top1, 2, pts, sizeof pts);
    msp_report_saving_text(b->mean_latency_ms, ref->latency_ms, r->oracle.mean_latency_ms, saving,
                           sizeof saving);
    int n = snprintf(buf, size, "selector %s: %s, top-1 %s, %s", b->name, speed, pts, saving);
    if (n >= 0 && (size_t)n < size && b->fallbacks > 0 && r->test_inputs > 0)
        snprintf(buf + n, size - (size_t)n, "; %lld of %lld inputs fell back to the base",
                 (long long)b->fallbacks, (long long)r->test_inputs);
}
