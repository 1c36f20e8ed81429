/* svg.c: SVG plot primitives into a growable buffer (see svg.h). Pixel
 * coordinates are printed with one decimal so output is byte-stable. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "svg.h"

void msp_svg_init(msp_svg *s)
{
    memset(s, 0, sizeof *s);
}

void msp_svg_free(msp_svg *s)
{
    free(s->buf);
    memset(s, 0, sizeof *s);
}

static void reserve(msp_svg *s, size_t extra)
{
    if (s->len + extra + 1 <= s->cap) return;
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->len + extra + 1) cap *= 2;
    s->buf = msp_realloc(s->buf, cap);
    s->cap = cap;
}

void msp_svg_printf(msp_svg *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    MSP_ASSERT(n >= 0);
    reserve(s, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->len += (size_t)n;
}

void msp_svg_escape(msp_svg *s, const char *text)
{
    if (!text) return;
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&': msp_svg_printf(s, "&amp;"); break;
        case '<': msp_svg_printf(s, "&lt;"); break;
        case '>': msp_svg_printf(s, "&gt;"); break;
        case '"': msp_svg_printf(s, "&quot;"); break;
        case '\'': msp_svg_printf(s, "&#39;"); break;
        default:
            /* Control characters are not allowed in XML 1.0 text. */
            reserve(s, 1);
            s->buf[s->len++] = ((unsigned char)*p < 0x20 && *p != '\t' && *p != '\n') ? '?' : *p;
            s->buf[s->len] = 0;
        }
    }
}

void msp_svg_begin(msp_svg *s, int width, int height, const char *title)
{
    msp_svg_printf(s,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                   "viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"sans-serif\">\n<title>",
                   width, height, width, height);
    msp_svg_escape(s, title);
    msp_svg_printf(s, "</title>\n<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width,
                   height);
}

void msp_svg_end(msp_svg *s)
{
    msp_svg_printf(s, "</svg>\n");
}

/* -0.0 prints as "-0.0"; add 0.0 to turn it into +0. */
static double clean(double v)
{
    return v + 0.0;
}

int msp_svg_nice_ticks(double lo, double hi, int max_ticks, double *ticks, double *step)
{
    *step = 0;
    if (!isfinite(lo) || !isfinite(hi)) return 0;
    if (max_ticks < 3) max_ticks = 3;
    if (max_ticks > MSP_SVG_MAX_TICKS) max_ticks = MSP_SVG_MAX_TICKS;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo < 1e-12 * (fabs(lo) + fabs(hi)) || hi == lo) {
        double d = lo != 0 ? fabs(lo) * 0.1 : 1;
        lo -= d;
        hi += d;
    }
    double raw = (hi - lo) / (max_ticks - 1);
    double mag = pow(10, floor(log10(raw)));
    /* A step of at least hi - lo always fits in 3 ticks, and that is below
     * 1000 * mag (raw <= 10 * mag, at most 31 intervals). */
    static const double mult[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
    double st = 0, k0 = 0;
    int n = 0;
    for (size_t i = 0; i < sizeof mult / sizeof *mult; i++) {
        st = mult[i] * mag;
        k0 = floor(lo / st + 1e-9);
        double k1 = ceil(hi / st - 1e-9);
        n = (int)(k1 - k0) + 1;
        if (n <= max_ticks) break;
    }
    if (n > max_ticks || n < 1) return 0;
    for (int i = 0; i < n; i++) ticks[i] = clean((k0 + i) * st);
    *step = st;
    return n;
}

void msp_svg_format_tick(char *buf, size_t size, double v, double step)
{
    if (fabs(v) >= 1e6 || (v != 0 && fabs(v) < 1e-4)) {
        snprintf(buf, size, "%g", v);
        return;
    }
    int dec = step >= 1 || step <= 0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 6) dec = 6;
    snprintf(buf, size, "%.*f", dec, clean(v));
}

void msp_svg_axes_fit(msp_svg_axes *a, double xlo, double xhi, double ylo, double yhi)
{
    double t[MSP_SVG_MAX_TICKS];
    int n = msp_svg_nice_ticks(xlo, xhi, 7, t, &a->xstep);
    if (n) a->xmin = t[0], a->xmax = t[n - 1];
    n = msp_svg_nice_ticks(ylo, yhi, 7, t, &a->ystep);
    if (n) a->ymin = t[0], a->ymax = t[n - 1];
}

double msp_svg_x(const msp_svg_axes *a, double x)
{
    double d = a->xmax - a->xmin;
    return a->left + (d > 0 ? (x - a->xmin) / d : 0.5) * a->width;
}

double msp_svg_y(const msp_svg_axes *a, double y)
{
    double d = a->ymax - a->ymin;
    return a->top + a->height - (d > 0 ? (y - a->ymin) / d : 0.5) * a->height;
}

void msp_svg_axes_draw(msp_svg *s, const msp_svg_axes *a)
{
    double t[MSP_SVG_MAX_TICKS], step;
    char lab[64];
    double bottom = a->top + a->height, right = a->left + a->width;
    msp_svg_printf(s, "<g font-size=\"11\" fill=\"#333333\">\n");
    int n = msp_svg_nice_ticks(a->ymin, a->ymax, 7, t, &step);
    for (int i = 0; i < n; i++) {
        if (t[i] < a->ymin - 1e-9 * step || t[i] > a->ymax + 1e-9 * step) continue;
        double y = msp_svg_y(a, t[i]);
        msp_svg_format_tick(lab, sizeof lab, t[i], step);
        msp_svg_printf(s,
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                       a->left, y, right, y, a->left - 6, y + 4, lab);
    }
    if (!a->no_xticks) {
        n = msp_svg_nice_ticks(a->xmin, a->xmax, 7, t, &step);
        for (int i = 0; i < n; i++) {
            if (t[i] < a->xmin - 1e-9 * step || t[i] > a->xmax + 1e-9 * step) continue;
            if (a->integer_x && t[i] != floor(t[i])) continue;
            double x = msp_svg_x(a, t[i]);
            msp_svg_format_tick(lab, sizeof lab, t[i], step);
            msp_svg_printf(s,
                           "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
                           "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                           x, a->top, x, bottom, x, bottom + 16, lab);
        }
    }
    msp_svg_printf(s,
                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
                   "stroke=\"#333333\"/>\n",
                   a->left, a->top, a->width, a->height);
    if (a->xlabel) {
        msp_svg_printf(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">",
                       a->left + a->width / 2, bottom + (a->no_xticks ? 36 : 34));
        msp_svg_escape(s, a->xlabel);
        msp_svg_printf(s, "</text>\n");
    }
    if (a->ylabel) {
        double x = a->left - 46, y = a->top + a->height / 2;
        msp_svg_printf(s,
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" "
                       "transform=\"rotate(-90 %.1f %.1f)\">",
                       x, y, x, y);
        msp_svg_escape(s, a->ylabel);
        msp_svg_printf(s, "</text>\n");
    }
    msp_svg_printf(s, "</g>\n");
}

const char *msp_svg_colour(int i)
{
    /* Okabe-Ito, reordered so the first colours contrast most. */
    static const char *const pal[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                      "#e69f00", "#56b4e9", "#000000", "#f0e442"};
    return pal[((i % 8) + 8) % 8];
}

static void marker(msp_svg *s, double x, double y, msp_svg_marker m, const char *colour)
{
    switch (m) {
    case MSP_SVG_SQUARE:
        msp_svg_printf(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10.0\" height=\"10.0\" fill=\"%s\"/>",
                       x - 5, y - 5, colour);
        break;
    case MSP_SVG_DIAMOND:
        msp_svg_printf(s, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"/>", x,
                       y - 7, x + 7, y, x, y + 7, x - 7, y, colour);
        break;
    case MSP_SVG_TRIANGLE:
        msp_svg_printf(s, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\"/>", x, y - 7,
                       x + 6.5, y + 5, x - 6.5, y + 5, colour);
        break;
    default:
        msp_svg_printf(s, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5.0\" fill=\"%s\"/>", x, y, colour);
    }
}

void msp_svg_point(msp_svg *s, const msp_svg_axes *a, double x, double y, msp_svg_marker m,
                   const char *colour, const char *label, const char *tooltip)
{
    if (!isfinite(x) || !isfinite(y)) return;
    double px = msp_svg_x(a, x), py = msp_svg_y(a, y);
    msp_svg_printf(s, "<g><title>");
    msp_svg_escape(s, tooltip ? tooltip : label);
    msp_svg_printf(s, "</title>");
    marker(s, px, py, m, colour);
    msp_svg_printf(s, "</g>");
    if (label && *label) {
        /* Diamonds (selectors) label below, so that a selector next to a
         * network of similar cost and accuracy does not overwrite its label. */
        msp_svg_printf(s, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#333333\">", px + 8,
                       m == MSP_SVG_DIAMOND ? py + 16 : py - 6);
        msp_svg_escape(s, label);
        msp_svg_printf(s, "</text>");
    }
    msp_svg_printf(s, "\n");
}

void msp_svg_text_box(const char *text, double font, double *w, double *h)
{
    *w = (double)(text ? strlen(text) : 0) * font * 0.6;
    *h = font;
}

void msp_svg_text_at(msp_svg *s, double x, double y, double font, const char *text)
{
    msp_svg_printf(s, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.0f\" fill=\"#333333\">", x,
                   y + 0.8 * font, font);
    msp_svg_escape(s, text);
    msp_svg_printf(s, "</text>\n");
}

/* Overlap area of boxes [ax, ax + aw] x [ay, ay + ah] and the other. */
static double overlap(double ax, double ay, double aw, double ah, double bx, double by, double bw,
                      double bh)
{
    double w = fmin(ax + aw, bx + bw) - fmax(ax, bx), h = fmin(ay + ah, by + bh) - fmax(ay, by);
    return w > 0 && h > 0 ? w * h : 0;
}

int msp_svg_place_labels(const double *px, const double *py, int n, double r, const double *w,
                         const double *h, double x0, double y0, double x1, double y1,
                         double *lx, double *ly)
{
    enum { RINGS = 4, PER_RING = 6 };
    const double gap = 3, pad = 1;
    int free_places = 0;
    for (int i = 0; i < n; i++) {
        double best = INFINITY, bx = px[i] + r + gap, by = py[i] - h[i] / 2;
        for (int k = 0; k < RINGS * PER_RING && best > 0; k++) {
            int ring = k / PER_RING, side = k % PER_RING;
            double e = ring * (h[i] + 2), cx, cy;
            switch (side) {
            case 0: cx = px[i] + r + gap, cy = py[i] - h[i] / 2 - e; break;
            case 1: cx = px[i] + r + gap, cy = py[i] - h[i] / 2 + e; break;
            case 2: cx = px[i] - r - gap - w[i], cy = py[i] - h[i] / 2 - e; break;
            case 3: cx = px[i] - r - gap - w[i], cy = py[i] - h[i] / 2 + e; break;
            case 4: cx = px[i] - w[i] / 2, cy = py[i] - r - gap - h[i] - e; break;
            default: cx = px[i] - w[i] / 2, cy = py[i] + r + gap + e;
            }
            if (ring == 0 && (side == 1 || side == 3)) continue; /* same as 0 and 2 */
            double bad = 0;
            /* Outside the area: as bad as the part that sticks out. */
            if (cx < x0 || cy < y0 || cx + w[i] > x1 || cy + h[i] > y1)
                bad += fmax(w[i] * h[i] - overlap(cx, cy, w[i], h[i], x0, y0, x1 - x0, y1 - y0), 1);
            for (int j = 0; j < n; j++)
                bad += overlap(cx, cy, w[i], h[i], px[j] - r, py[j] - r, 2 * r, 2 * r);
            for (int j = 0; j < i; j++)
                bad += overlap(cx - pad, cy - pad, w[i] + 2 * pad, h[i] + 2 * pad, lx[j], ly[j],
                               w[j], h[j]);
            if (bad < best) best = bad, bx = cx, by = cy;
        }
        lx[i] = bx, ly[i] = by;
        free_places += best == 0;
    }
    return free_places;
}

void msp_svg_polyline(msp_svg *s, const msp_svg_axes *a, const double *x, const double *y,
                      int n, const char *colour, int dashed)
{
    int any = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        if (!any) msp_svg_printf(s, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s points=\"",
                                 colour, dashed ? " stroke-dasharray=\"5 3\"" : "");
        msp_svg_printf(s, "%s%.1f,%.1f", any ? " " : "", msp_svg_x(a, x[i]), msp_svg_y(a, y[i]));
        any = 1;
    }
    if (any) msp_svg_printf(s, "\"/>\n");
}

void msp_svg_legend(msp_svg *s, double x, double y, msp_svg_marker m, const char *colour,
                    const char *text)
{
    if ((int)m >= 0) marker(s, x + 6, y - 4, m, colour);
    msp_svg_printf(s, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#333333\">", x + 16, y);
    msp_svg_escape(s, text);
    msp_svg_printf(s, "</text>\n");
}

/* White to dark blue. */
static void heat_colour(double t, char out[8])
{
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    int r = (int)lround(255 + (8 - 255) * t), g = (int)lround(255 + (48 - 255) * t),
        b = (int)lround(255 + (107 - 255) * t);
    snprintf(out, 8, "#%02x%02x%02x", r, g, b);
}

double msp_svg_heatmap(msp_svg *s, double left, double top, double cell, const double *v,
                       int rows, int cols, const char *const *row_labels,
                       const char *const *col_labels, int decimals, const char *row_title,
                       const char *col_title)
{
    double vmax = 0;
    size_t longest = 0;
    for (int i = 0; i < rows * cols; i++)
        if (isfinite(v[i]) && v[i] > vmax) vmax = v[i];
    for (int r = 0; r < rows && row_labels; r++)
        if (row_labels[r] && strlen(row_labels[r]) > longest) longest = strlen(row_labels[r]);
    double font = cell * 0.32 < 11 ? cell * 0.32 : 11;
    char col[8];
    msp_svg_printf(s, "<g font-size=\"11\" fill=\"#333333\">\n");
    for (int r = 0; r < rows; r++) {
        double y = top + r * cell;
        for (int c = 0; c < cols; c++) {
            double val = v[(size_t)r * (size_t)cols + (size_t)c];
            double t = vmax > 0 && isfinite(val) ? val / vmax : 0;
            heat_colour(t, col);
            msp_svg_printf(s,
                           "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                           "stroke=\"#ffffff\"/>",
                           left + c * cell, y, cell, cell, col);
            if (decimals >= 0 && isfinite(val))
                msp_svg_printf(s,
                               "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                               "font-size=\"%.1f\" fill=\"%s\">%.*f</text>",
                               left + (c + 0.5) * cell, y + cell / 2 + font * 0.35, font,
                               t > 0.5 ? "#ffffff" : "#222222", decimals, clean(val));
        }
        msp_svg_printf(s, "\n");
        if (row_labels && row_labels[r]) {
            msp_svg_printf(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", left - 5,
                           y + cell / 2 + 4);
            msp_svg_escape(s, row_labels[r]);
            msp_svg_printf(s, "</text>\n");
        }
    }
    for (int c = 0; c < cols && col_labels; c++) {
        if (!col_labels[c]) continue;
        double x = left + (c + 0.5) * cell, y = top - 6;
        msp_svg_printf(s, "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-40 %.1f %.1f)\">", x,
                       y, x, y);
        msp_svg_escape(s, col_labels[c]);
        msp_svg_printf(s, "</text>\n");
    }
    double h = rows * cell, w = cols * cell;
    if (row_title) {
        double x = left - 5 - (double)longest * 6.5 - 10, y = top + h / 2;
        msp_svg_printf(s,
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" "
                       "transform=\"rotate(-90 %.1f %.1f)\">",
                       x, y, x, y);
        msp_svg_escape(s, row_title);
        msp_svg_printf(s, "</text>\n");
    }
    if (col_title) {
        msp_svg_printf(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">",
                       left + w / 2, top + h + 18);
        msp_svg_escape(s, col_title);
        msp_svg_printf(s, "</text>\n");
    }
    /* Colour scale: ten steps from 0 (bottom) to the maximum (top). */
    double sx = left + w + 14, sh = h / 10;
    for (int i = 0; i < 10; i++) {
        heat_colour((i + 0.5) / 10, col);
        msp_svg_printf(s, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12.0\" height=\"%.1f\" fill=\"%s\"/>",
                       sx, top + h - (i + 1) * sh, sh, col);
    }
    msp_svg_printf(s,
                   "\n<rect x=\"%.1f\" y=\"%.1f\" width=\"12.0\" height=\"%.1f\" fill=\"none\" "
                   "stroke=\"#999999\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\">%.*f</text><text x=\"%.1f\" y=\"%.1f\">0</text>\n",
                   sx, top, h, sx + 16, top + 10, decimals > 0 ? decimals : 0, vmax, sx + 16,
                   top + h);
    msp_svg_printf(s, "</g>\n");
    return w + 14 + 16 + 40;
}

size_t msp_svg_histogram_counts(const double *v, size_t n, double lo, double hi, int bins,
                                int64_t *counts)
{
    size_t used = 0;
    for (int b = 0; b < bins; b++) counts[b] = 0;
    if (bins < 1) return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) continue;
        double t = hi > lo ? (v[i] - lo) / (hi - lo) * bins : 0;
        long b = t < 0 ? 0 : t >= bins ? bins - 1 : (long)t;
        counts[b]++;
        used++;
    }
    return used;
}

void msp_svg_histogram(msp_svg *s, const msp_svg_axes *a, double lo, double hi,
                       const int64_t *counts, int bins, const char *colour)
{
    double w = bins > 0 ? (hi - lo) / bins : 0;
    for (int b = 0; b < bins; b++) {
        if (counts[b] <= 0) continue;
        double x0 = msp_svg_x(a, lo + b * w), x1 = msp_svg_x(a, lo + (b + 1) * w);
        double y0 = msp_svg_y(a, (double)counts[b]), y1 = msp_svg_y(a, a->ymin);
        msp_svg_printf(s,
                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
                       "stroke=\"#ffffff\" stroke-width=\"0.5\"><title>%.4g to %.4g: %lld</title></rect>\n",
                       x0, y0, x1 - x0, y1 - y0, colour, clean(lo + b * w), clean(lo + (b + 1) * w),
                       (long long)counts[b]);
    }
}

void msp_svg_bars(msp_svg *s, const msp_svg_axes *a, const double *values, int n_series, int n,
                  const char *const *labels, const char *const *colours, int decimals)
{
    if (n_series < 1) return;
    double bw = 0.8 / n_series;
    for (int i = 0; i < n; i++) {
        for (int g = 0; g < n_series; g++) {
            double v = values[(size_t)g * (size_t)n + (size_t)i];
            if (!isfinite(v)) continue;
            double x0 = msp_svg_x(a, i + 0.1 + g * bw), x1 = msp_svg_x(a, i + 0.1 + (g + 1) * bw);
            double base = a->ymin > 0 ? a->ymin : 0 < a->ymax ? 0 : a->ymax;
            double y0 = msp_svg_y(a, v > base ? v : base), y1 = msp_svg_y(a, v > base ? base : v);
            msp_svg_printf(s,
                           "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>"
                           "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" "
                           "fill=\"#333333\">%.*f</text>\n",
                           x0, y0, x1 - x0, y1 - y0, colours ? colours[g] : msp_svg_colour(g),
                           (x0 + x1) / 2, y0 - 3, decimals, clean(v));
        }
        if (labels && labels[i]) {
            msp_svg_printf(s, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" "
                              "fill=\"#333333\">",
                           msp_svg_x(a, i + 0.5), a->top + a->height + 16);
            msp_svg_escape(s, labels[i]);
            msp_svg_printf(s, "</text>\n");
        }
    }
}
