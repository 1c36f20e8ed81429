/* svg.h: plots drawn as SVG text into a growable buffer, for report.html:
 * axes with "nice" ticks, scatter markers with labels, lines (a Pareto
 * front), heat maps with a colour scale and cell numbers, histograms and
 * grouped bar charts.
 *
 * Output is deterministic: coordinates are printed with one decimal in the C
 * locale's format (msprune never calls setlocale), the same input gives the
 * same bytes. Every text is XML-escaped. No scripts, no external references:
 * the SVG can be inlined in an HTML file that is read offline.
 *
 * Limits: non-finite data values are skipped (points) or drawn as empty
 * (cells, bars); tick lists hold at most MSP_SVG_MAX_TICKS entries.
 */
#ifndef MSP_SVG_H
#define MSP_SVG_H

#include <stddef.h>
#include <stdint.h>

#define MSP_SVG_MAX_TICKS 32

/* A growable, NUL-terminated text buffer. Zero-initialise it (or call
 * msp_svg_init); msp_svg_free releases it. */
typedef struct msp_svg {
    char *buf;
    size_t len, cap;
} msp_svg;

void msp_svg_init(msp_svg *s);
void msp_svg_free(msp_svg *s);
void msp_svg_printf(msp_svg *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append text with & < > " ' escaped (NULL appends nothing). */
void msp_svg_escape(msp_svg *s, const char *text);

/* <svg> with a viewBox of width x height, a <title> and white background;
 * msp_svg_end closes it. */
void msp_svg_begin(msp_svg *s, int width, int height, const char *title);
void msp_svg_end(msp_svg *s);

/* Ticks at multiples of a step of 1, 2 or 5 times a power of ten covering
 * [lo, hi] with at most max_ticks (3..MSP_SVG_MAX_TICKS; 2 cannot straddle 0) ticks, the first at
 * or below lo and the last at or above hi. Returns the count (0 when lo or hi
 * is not finite); *step gets the step. lo == hi is widened around the value. */
int msp_svg_nice_ticks(double lo, double hi, int max_ticks, double *ticks, double *step);
/* Format a tick value with the decimals its step needs ("0.25", "40", "1e+09"). */
void msp_svg_format_tick(char *buf, size_t size, double v, double step);

/* A plot area: pixel box and data ranges. */
typedef struct msp_svg_axes {
    double left, top, width, height; /* plot area in pixels */
    double xmin, xmax, ymin, ymax;   /* data range mapped to the box */
    double xstep, ystep;             /* tick steps (set by msp_svg_axes_fit) */
    int no_xticks;                   /* categorical x: no x ticks or grid */
    int integer_x;                   /* x ticks only at whole numbers (epochs) */
    const char *xlabel, *ylabel;
} msp_svg_axes;

/* Set the data ranges to nice ticks around [xlo, xhi] x [ylo, yhi]. */
void msp_svg_axes_fit(msp_svg_axes *a, double xlo, double xhi, double ylo, double yhi);
double msp_svg_x(const msp_svg_axes *a, double x);
double msp_svg_y(const msp_svg_axes *a, double y);
/* Grid, frame, tick marks and labels, axis titles. */
void msp_svg_axes_draw(msp_svg *s, const msp_svg_axes *a);

typedef enum msp_svg_marker {
    MSP_SVG_CIRCLE = 0,
    MSP_SVG_SQUARE,
    MSP_SVG_DIAMOND,
    MSP_SVG_TRIANGLE
} msp_svg_marker;

/* The i-th colour of a fixed, colour-blind-friendly palette ("#rrggbb"). */
const char *msp_svg_colour(int i);

/* A marker at data (x, y) with an optional label beside it (above right;
 * below right for diamonds) and a hover <title> (tooltip may be NULL: the
 * label is used). */
void msp_svg_point(msp_svg *s, const msp_svg_axes *a, double x, double y, msp_svg_marker m,
                   const char *colour, const char *label, const char *tooltip);
/* Place n labels (text boxes of w[i] x h[i] pixels) next to their points
 * (px[i], py[i], pixels), greedily in order: each takes the first of a few
 * offsets around its point (right, left, above, below, then further out)
 * whose box stays inside [x0, x1] x [y0, y1] and overlaps neither an earlier
 * label nor any point's marker (a square of 2 * r pixels around it); when
 * no offset is free, the one with the least overlapping area. Out: each
 * box's top-left corner (lx[i], ly[i]). Returns how many labels found a
 * free place. */
int msp_svg_place_labels(const double *px, const double *py, int n, double r, const double *w,
                         const double *h, double x0, double y0, double x1, double y1,
                         double *lx, double *ly);
/* A label's box for msp_svg_place_labels: text at font size font (sans
 * serif, about 0.6 font per character). */
void msp_svg_text_box(const char *text, double font, double *w, double *h);
/* Text whose box's top-left corner is (x, y) (as placed above). */
void msp_svg_text_at(msp_svg *s, double x, double y, double font, const char *text);

/* A polyline through n data points (dashed if asked). */
void msp_svg_polyline(msp_svg *s, const msp_svg_axes *a, const double *x, const double *y,
                      int n, const char *colour, int dashed);
/* A legend entry (marker + text) at pixel (x, y); a negative m draws no marker. */
void msp_svg_legend(msp_svg *s, double x, double y, msp_svg_marker m, const char *colour,
                    const char *text);

/* A rows x cols heat map of v (row-major) with its top-left at (left, top),
 * square cells of `cell` pixels, white (0) to dark blue (the maximum), the
 * value printed in each cell with `decimals` decimals (-1: no numbers), row
 * labels on the left, column labels above, axis titles, and a colour scale on
 * the right. Returns the pixel width used. */
double msp_svg_heatmap(msp_svg *s, double left, double top, double cell, const double *v,
                       int rows, int cols, const char *const *row_labels,
                       const char *const *col_labels, int decimals, const char *row_title,
                       const char *col_title);

/* Count the finite values of v into bins equal bins over [lo, hi] (values
 * outside go to the end bins). Returns the number of values counted. */
size_t msp_svg_histogram_counts(const double *v, size_t n, double lo, double hi, int bins,
                                int64_t *counts);
/* Bars of a histogram over [lo, hi] on axes a (counts as y). */
void msp_svg_histogram(msp_svg *s, const msp_svg_axes *a, double lo, double hi,
                       const int64_t *counts, int bins, const char *colour);

/* A grouped bar chart on axes a (x range [0, n] categories, set no_xticks):
 * values[g * n + i] is series g of category i, the category labels are
 * written under the axis and the values above the bars with `decimals`. */
void msp_svg_bars(msp_svg *s, const msp_svg_axes *a, const double *values, int n_series, int n,
                  const char *const *labels, const char *const *colours, int decimals);

#endif
