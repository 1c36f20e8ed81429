/* report_int.h: helpers shared by report_html.c and report_md.c (internal to
 * the report module). */
#ifndef MSP_REPORT_INT_H
#define MSP_REPORT_INT_H

#include <stddef.h>

#include "report.h"

/* The deployable points (every network, then the selector with each
 * premodel): mean latency, top-1, name, and Pareto front membership. Arrays
 * hold n_nets + n_premodels entries; returns that count (0 without a summary).
 * The oracle is left out: an upper bound, not something one can deploy.
 * Specialists get NAN cost and accuracy: their top-1 over the whole test
 * set says nothing (they only know their cluster), so they are neither
 * drawn nor on the front. */
int msp_report_points(const msp_report *r, double *cost, double *acc, const char **names,
                      int *front);
/* A fraction as "91.40%", milliseconds as "0.153"; "-" when not finite. */
void msp_report_pct(msp_svg *s, double v);
void msp_report_ms(msp_svg *s, double v);
/* The cells both reports give a selector, against the reference's ref_ms
 * and ref_top1: mean latency, measured latency, speed against the base (a
 * text cell), top-1, its points against the base, top-5. sep goes between
 * two cells, text_sep before the text cell (HTML aligns it left). */
void msp_report_strategy_cells(msp_svg *s, const msp_report_strategy *p, double ref_ms,
                               double ref_top1, const char *sep, const char *text_sep);
/* Class i's cells of the base network's per-class table: precision,
 * recall, F1 and support, with sep between two cells. */
void msp_report_class_cells(const msp_report *r, msp_svg *s, int i, const char *sep);
/* How many test inputs a selector left to the base: "120 (1.2%)", "120"
 * without the test-set size, "unknown" when not recorded. */
void msp_report_fallback_count(const msp_report *r, msp_svg *s, const msp_report_strategy *p);
/* 15027712 -> "15.03M", 94634 -> "94.6k", 512 -> "512". */
void msp_report_fmt_count(double v, char *buf, size_t size);
/* The i-th input file (0..4): its name, the command that makes it, whether it
 * was found and which sections depend on it. Returns 0 past the end. */
int msp_report_input(const msp_report *r, int i, const char **file, const char **cmd,
                     int *found, const char **sections);
/* Median and 95th percentile of n values (n > 0); mean returned. */
double msp_report_stats(const double *v, size_t n, double *median, double *p95);

#endif
