/* test_svg.c: SVG primitives: exact small outputs, XML escaping, nice
 * ticks, histogram counting against a brute-force reference, heat map
 * colours and numbers, determinism. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/rng.h"
#include "report/svg.h"

static int count_sub(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, sub)); p += strlen(sub)) n++;
    return n;
}

Test(svg, escape_and_buffer_growth)
{
    msp_svg s = {0};
    msp_svg_escape(&s, "a<b & \"c\" 'd'>\x01");
    cr_assert_str_eq(s.buf, "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;?");
    msp_svg_escape(&s, NULL);
    cr_assert_eq(s.len, strlen(s.buf));
    for (int i = 0; i < 1000; i++) msp_svg_printf(&s, "%d,", i);
    cr_assert_eq(s.len, strlen(s.buf));
    cr_assert(strstr(s.buf, ",998,999,"));
    msp_svg_free(&s);
    cr_assert_null(s.buf);
}

static void ticks_are(double lo, double hi, int max, const double *want, int n, double step)
{
    double t[MSP_SVG_MAX_TICKS], st;
    int got = msp_svg_nice_ticks(lo, hi, max, t, &st);
    cr_assert_eq(got, n, "[%g, %g]: %d ticks, want %d", lo, hi, got, n);
    cr_assert_float_eq(st, step, 1e-12);
    for (int i = 0; i < n; i++) cr_assert_float_eq(t[i], want[i], 1e-9, "tick %d: %g", i, t[i]);
}

Test(svg, nice_ticks)
{
    ticks_are(0, 0.93, 7, (double[]){0, 0.2, 0.4, 0.6, 0.8, 1.0}, 6, 0.2);
    ticks_are(-1.5, 7.2, 5, (double[]){-5, 0, 5, 10}, 4, 5);
    ticks_are(3, 3, 7, (double[]){2.7, 2.8, 2.9, 3.0, 3.1, 3.2, 3.3}, 7, 0.1);
    ticks_are(0, 0, 7, (double[]){-1, -0.5, 0, 0.5, 1}, 5, 0.5);
    ticks_are(20, 80, 7, (double[]){20, 30, 40, 50, 60, 70, 80}, 7, 10);
    ticks_are(7.2, -1.5, 5, (double[]){-5, 0, 5, 10}, 4, 5);
    double t[MSP_SVG_MAX_TICKS], st;
    cr_assert_eq(msp_svg_nice_ticks(NAN, 1, 7, t, &st), 0);
    cr_assert_eq(msp_svg_nice_ticks(0, INFINITY, 7, t, &st), 0);
    /* Random ranges: ticks cover the range, within the count, evenly spaced. */
    msp_rng r;
    msp_rng_seed(&r, 3);
    for (int i = 0; i < 2000; i++) {
        double lo = (msp_rng_uniform(&r) - 0.5) * pow(10, (int)msp_rng_below(&r, 12) - 6);
        double hi = lo + msp_rng_uniform(&r) * pow(10, (int)msp_rng_below(&r, 12) - 6);
        int max = 3 + (int)msp_rng_below(&r, 10);
        int n = msp_svg_nice_ticks(lo, hi, max, t, &st);
        cr_assert(n >= 2 && n <= max, "[%g, %g] max %d: %d ticks", lo, hi, max, n);
        cr_assert(t[0] <= lo + 1e-9 * st && t[n - 1] >= hi - 1e-9 * st);
        for (int k = 1; k < n; k++) /* rounding of the tick values themselves aside */
            cr_assert_float_eq(t[k] - t[k - 1], st, st * 1e-6 + fabs(t[k]) * 1e-14);
    }
}

Test(svg, format_tick)
{
    char b[32];
    msp_svg_format_tick(b, sizeof b, 0.25, 0.05);
    cr_assert_str_eq(b, "0.25");
    msp_svg_format_tick(b, sizeof b, 40, 10);
    cr_assert_str_eq(b, "40");
    msp_svg_format_tick(b, sizeof b, 0.6000000001, 0.2);
    cr_assert_str_eq(b, "0.6");
    msp_svg_format_tick(b, sizeof b, -0.0, 0.5);
    cr_assert_str_eq(b, "0.0");
    msp_svg_format_tick(b, sizeof b, 1e9, 1e8);
    cr_assert_str_eq(b, "1e+09");
}

Test(svg, exact_point_line_and_frame)
{
    msp_svg s = {0};
    msp_svg_axes a = {.left = 10, .top = 10, .width = 100, .height = 50, .xmax = 1, .ymax = 1};
    msp_svg_point(&s, &a, 0.5, 1, MSP_SVG_CIRCLE, "#0072b2", "a&b", NULL);
    cr_assert_str_eq(s.buf, "<g><title>a&amp;b</title><circle cx=\"60.0\" cy=\"10.0\" r=\"5.0\" "
                            "fill=\"#0072b2\"/></g><text x=\"68.0\" y=\"4.0\" font-size=\"11\" "
                            "fill=\"#333333\">a&amp;b</text>\n");
    msp_svg_free(&s);
    msp_svg_point(&s, &a, NAN, 1, MSP_SVG_CIRCLE, "#000000", "x", NULL);
    cr_assert_null(s.buf);
    double x[3] = {0, NAN, 1}, y[3] = {0, 0.5, 0.5};
    msp_svg_polyline(&s, &a, x, y, 3, "#888888", 1);
    cr_assert_str_eq(s.buf, "<polyline fill=\"none\" stroke=\"#888888\" stroke-width=\"1.5\" "
                            "stroke-dasharray=\"5 3\" points=\"10.0,60.0 110.0,35.0\"/>\n");
    msp_svg_free(&s);
    msp_svg_begin(&s, 20, 10, "<T>");
    msp_svg_end(&s);
    cr_assert_str_eq(s.buf, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"10\" "
                            "viewBox=\"0 0 20 10\" role=\"img\" font-family=\"sans-serif\">\n"
                            "<title>&lt;T&gt;</title>\n<rect width=\"20\" height=\"10\" "
                            "fill=\"#ffffff\"/>\n</svg>\n");
    msp_svg_free(&s);
}

Test(svg, axes_ticks_and_labels)
{
    msp_svg s = {0};
    msp_svg_axes a = {.left = 50, .top = 10, .width = 200, .height = 100, .xlabel = "ms",
                      .ylabel = "top-1 <%>"};
    msp_svg_axes_fit(&a, 0.03, 0.227, 20, 96);
    cr_assert_float_eq(a.xmin, 0, 1e-12);
    cr_assert_float_eq(a.xmax, 0.25, 1e-12);
    cr_assert_float_eq(a.ymin, 20, 1e-12);
    cr_assert_float_eq(a.ymax, 100, 1e-12);
    cr_assert_float_eq(msp_svg_x(&a, 0.125), 150, 1e-9);
    cr_assert_float_eq(msp_svg_y(&a, 60), 60, 1e-9);
    msp_svg_axes_draw(&s, &a);
    /* x ticks 0, 0.05, ..., 0.25 and y ticks 20, 40, ..., 100: 6 + 5 grid lines. */
    cr_assert_eq(count_sub(s.buf, "<line "), 11);
    cr_assert(strstr(s.buf, ">0.05</text>"));
    cr_assert(strstr(s.buf, ">100</text>"));
    cr_assert(strstr(s.buf, ">top-1 &lt;%&gt;</text>"));
    a.no_xticks = 1;
    msp_svg_free(&s);
    msp_svg_axes_draw(&s, &a);
    cr_assert_eq(count_sub(s.buf, "<line "), 5);
    msp_svg_free(&s);
}

Test(svg, heatmap_colours_and_numbers)
{
    msp_svg s = {0};
    double v[4] = {10, 0, 2.5, NAN};
    const char *labels[2] = {"a", "b<"};
    msp_svg_heatmap(&s, 100, 50, 30, v, 2, 2, labels, labels, 0, "true", "predicted");
    /* 4 cells + 10 scale steps + the scale frame. */
    cr_assert_eq(count_sub(s.buf, "<rect "), 15);
    cr_assert(strstr(s.buf, "fill=\"#08306b\" stroke=\"#ffffff\"/><text x=\"115.0\" y=\"68.4\" "
                            "text-anchor=\"middle\" font-size=\"9.6\" fill=\"#ffffff\">10</text>"),
              "%s", s.buf);
    cr_assert(strstr(s.buf, "fill=\"#ffffff\" stroke=\"#ffffff\"/><text x=\"145.0\" y=\"68.4\" "
                            "text-anchor=\"middle\" font-size=\"9.6\" fill=\"#222222\">0</text>"));
    /* 2.5 of 10: a quarter of the way to dark blue, dark text, printed as
     * "2" (round half to even); NaN: no number. */
    cr_assert(strstr(s.buf, "fill=\"#c1cbda\""), "%s", s.buf);
    cr_assert(strstr(s.buf, ">2</text>"));
    cr_assert_eq(count_sub(s.buf, "text-anchor=\"middle\" font-size=\"9.6\""), 3);
    cr_assert(strstr(s.buf, ">b&lt;</text>"));
    cr_assert(strstr(s.buf, ">predicted</text>"));
    msp_svg_free(&s);
}

Test(svg, histogram_counts_match_brute_force)
{
    msp_rng r;
    msp_rng_seed(&r, 9);
    double v[1000];
    for (int i = 0; i < 1000; i++) v[i] = msp_rng_uniform(&r) * 12 - 1;
    v[7] = NAN;
    v[8] = 10; /* exactly hi: the last bin */
    int64_t c[10], want[10] = {0};
    size_t used = msp_svg_histogram_counts(v, 1000, 0, 10, 10, c);
    for (int i = 0; i < 1000; i++) {
        if (isnan(v[i])) continue;
        int b = 0;
        while (b < 9 && v[i] >= b + 1) b++;
        if (v[i] < 0) b = 0;
        want[b]++;
    }
    cr_assert_eq(used, 999);
    for (int b = 0; b < 10; b++) cr_assert_eq(c[b], want[b], "bin %d: %lld vs %lld", b, (long long)c[b], (long long)want[b]);
    /* Drawn: one rect per non-empty bin. */
    msp_svg s = {0};
    msp_svg_axes a = {.left = 0, .top = 0, .width = 100, .height = 100, .xmax = 10, .ymax = 300};
    int64_t some[10] = {0, 5, 0, 0, 9, 0, 0, 0, 0, 1};
    msp_svg_histogram(&s, &a, 0, 10, some, 10, "#000000");
    cr_assert_eq(count_sub(s.buf, "<rect "), 3);
    cr_assert(strstr(s.buf, "<rect x=\"40.0\" y=\"97.0\" width=\"10.0\" height=\"3.0\""), "%s", s.buf);
    cr_assert(strstr(s.buf, "<title>4 to 5: 9</title>"));
    msp_svg_free(&s);
}

Test(svg, bars_skip_missing_values)
{
    msp_svg s = {0};
    msp_svg_axes a = {.left = 0, .top = 0, .width = 100, .height = 100, .xmax = 2, .ymax = 10,
                      .no_xticks = 1};
    double v[4] = {5, NAN, 10, 2};
    const char *labels[2] = {"x&y", "z"};
    msp_svg_bars(&s, &a, v, 2, 2, labels, NULL, 1);
    cr_assert_eq(count_sub(s.buf, "<rect "), 3);
    cr_assert(strstr(s.buf, "<rect x=\"5.0\" y=\"50.0\" width=\"20.0\" height=\"50.0\" fill=\"#0072b2\"/>"),
              "%s", s.buf);
    cr_assert(strstr(s.buf, ">10.0</text>"));
    cr_assert(strstr(s.buf, ">x&amp;y</text>"));
    msp_svg_free(&s);
}

static double box_overlap(double ax, double ay, double aw, double ah, double bx, double by,
                          double bw, double bh)
{
    double w = fmin(ax + aw, bx + bw) - fmax(ax, bx), h = fmin(ay + ah, by + bh) - fmax(ay, by);
    return w > 0 && h > 0 ? w * h : 0;
}

/* Labels of points that sit on top of each other (selectors of nearly the
 * same cost and accuracy): every label finds a free place, none overlaps
 * another label or any marker, all stay inside the area, and each stays
 * near its own point. */
Test(svg, labels_of_overlapping_points_do_not_collide)
{
    const char *names[6] = {"logistic", "dtree", "naive-bayes", "knn", "base", "oracle"};
    double px[6] = {400, 401, 402, 400, 404, 780}, py[6] = {200, 201, 199, 203, 200, 100};
    double w[6], h[6], lx[6], ly[6];
    const double r = 7, x0 = 70, y0 = 20, x1 = 790, y1 = 420;
    for (int i = 0; i < 6; i++) msp_svg_text_box(names[i], 11, &w[i], &h[i]);
    cr_assert_float_eq(w[2], 11 * 0.6 * 11, 1e-9);
    int placed = msp_svg_place_labels(px, py, 6, r, w, h, x0, y0, x1, y1, lx, ly);
    cr_assert_eq(placed, 6);
    for (int i = 0; i < 6; i++) {
        cr_assert(lx[i] >= x0 && ly[i] >= y0 && lx[i] + w[i] <= x1 && ly[i] + h[i] <= y1,
                  "label %d at (%g, %g) leaves the area", i, lx[i], ly[i]);
        for (int j = 0; j < 6; j++) {
            cr_assert_eq(box_overlap(lx[i], ly[i], w[i], h[i], px[j] - r, py[j] - r, 2 * r, 2 * r),
                         0, "label %d covers point %d", i, j);
            if (j != i)
                cr_assert_eq(box_overlap(lx[i], ly[i], w[i], h[i], lx[j], ly[j], w[j], h[j]), 0,
                             "labels %d and %d overlap", i, j);
        }
        double dx = fmax(fmax(lx[i] - px[i], px[i] - (lx[i] + w[i])), 0);
        double dy = fmax(fmax(ly[i] - py[i], py[i] - (ly[i] + h[i])), 0);
        cr_assert_leq(hypot(dx, dy), 60, "label %d is %g px from its point", i, hypot(dx, dy));
    }
    /* The oracle, alone at the right edge: right of it would leave the area;
     * it goes left, vertically centred. */
    cr_assert_float_eq(lx[5], 780 - r - 3 - w[5], 1e-9);
    cr_assert_float_eq(ly[5], 100 - 5.5, 1e-9);
    /* Right of the crowd's first point sits another point: logistic moves. */
    cr_assert_neq(lx[0], 400 + r + 3);
    /* A point alone gets the first choice: right, vertically centred. */
    cr_assert_eq(msp_svg_place_labels(px, py, 1, r, w, h, x0, y0, x1, y1, lx, ly), 1);
    cr_assert_float_eq(lx[0], 400 + r + 3, 1e-9);
    cr_assert_float_eq(ly[0], 200 - 5.5, 1e-9);
}

/* Nowhere free (a crowd larger than the area): every label still gets a
 * place, the least bad, inside the area when it fits. */
Test(svg, labels_without_room_take_the_least_overlap)
{
    double px[30], py[30], w[30], h[30], lx[30], ly[30];
    for (int i = 0; i < 30; i++) px[i] = 50 + (i % 3), py[i] = 50, w[i] = 40, h[i] = 11;
    int placed = msp_svg_place_labels(px, py, 30, 5, w, h, 0, 0, 100, 100, lx, ly);
    cr_assert_lt(placed, 30);
    cr_assert_geq(placed, 4);
    for (int i = 0; i < 30; i++) cr_assert(isfinite(lx[i]) && isfinite(ly[i]));
}
