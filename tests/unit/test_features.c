/* test_features.c: the selector/ room's cheap image features: exact values on
 * synthetic images (constant, filled squares and rectangles, ramps, single
 * points, two blobs), brute-force references (downsample, histogram),
 * RGB vs grey, group-list parsing and its messages, rejected shapes, random
 * and non-finite inputs, real Fashion-MNIST images, and the conv1 feature
 * against a full forward pass. Costs are measured but never asserted. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "engine/engine_conv1.h"
#include "engine/engine_stats.h"
#include "base/rng.h"
#include "selector/features.h"
#include "selector/features_impl.h"

/* Features of one image with a fresh scratch buffer; asserts success. */
static void feats(msp_fset set, const float *img, int c, int h, int w, float *out)
{
    size_t ss = msp_features_scratch_size(set, c, h, w);
    cr_assert_gt(ss, 0);
    void *scratch = malloc(ss);
    msp_err err = {{0}};
    cr_assert_eq(msp_features_compute(set, img, c, h, w, out, scratch, ss, &err), MSP_OK, "%s",
                 err.msg);
    free(scratch);
}

/* The value of column `name` in out (computed for set). */
static float col(msp_fset set, const float *out, const char *name)
{
    int d = msp_features_dim(set);
    char(*names)[MSP_FEATURES_NAME_MAX] = malloc(sizeof *names * (size_t)d);
    msp_features_names(set, names);
    for (int j = 0; j < d; j++)
        if (strcmp(names[j], name) == 0) {
            free(names);
            return out[j];
        }
    free(names);
    cr_assert_fail("no column %s", name);
    return NAN;
}

/* h x w grey image, 0 except a rectangle of 1s at rows [y0, y1), cols [x0, x1). */
static float *rect_image(int h, int w, int y0, int y1, int x0, int x1)
{
    float *img = calloc((size_t)h * w, sizeof *img);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) img[y * w + x] = 1.0f;
    return img;
}

Test(sel_features, names_and_dims)
{
    cr_assert_eq(msp_features_dim(MSP_FSET_ALL), 85);
    cr_assert_eq(msp_features_dim(0), 0);
    cr_assert_eq(msp_fgroup_dim(MSP_FGROUP_DOWNSAMPLE), 49);
    cr_assert_eq(msp_fgroup_dim(MSP_FGROUP_COUNT), 0);
    cr_assert_null(msp_fgroup_name(MSP_FGROUP_COUNT));
    msp_fset s = MSP_FSET(MSP_FGROUP_BRIGHTNESS) | MSP_FSET(MSP_FGROUP_EDGE_ANGLES) |
                 MSP_FSET(MSP_FGROUP_SHAPE) | MSP_FSET(MSP_FGROUP_DOWNSAMPLE);
    cr_assert_eq(msp_features_dim(s), 2 + 8 + 4 + 49);
    char names[63][MSP_FEATURES_NAME_MAX];
    msp_features_names(s, names);
    cr_assert_str_eq(names[0], "brightness.mean");
    cr_assert_str_eq(names[1], "brightness.rms");
    cr_assert_str_eq(names[2], "edge_angles.0");
    cr_assert_str_eq(names[9], "edge_angles.7");
    cr_assert_str_eq(names[10], "shape.aspect");
    cr_assert_str_eq(names[13], "shape.compactness");
    cr_assert_str_eq(names[14], "downsample.0");
    cr_assert_str_eq(names[62], "downsample.48");
    cr_assert_eq(msp_features_column_group(s, 0), MSP_FGROUP_BRIGHTNESS);
    cr_assert_eq(msp_features_column_group(s, 9), MSP_FGROUP_EDGE_ANGLES);
    cr_assert_eq(msp_features_column_group(s, 10), MSP_FGROUP_SHAPE);
    cr_assert_eq(msp_features_column_group(s, 62), MSP_FGROUP_DOWNSAMPLE);
    cr_assert_eq(msp_features_column_group(s, 63), MSP_FGROUP_COUNT);
    cr_assert_eq(msp_features_column_group(s, -1), MSP_FGROUP_COUNT);
    /* Every name of the full set is unique. */
    char all[85][MSP_FEATURES_NAME_MAX];
    msp_features_names(MSP_FSET_ALL, all);
    for (int i = 0; i < 85; i++)
        for (int j = 0; j < i; j++) cr_assert_str_neq(all[i], all[j]);
}

Test(sel_features, parse_and_format)
{
    msp_fset s = 0;
    msp_err err = {{0}};
    cr_assert_eq(msp_features_parse("brightness,edges,corners", &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(s, MSP_FSET(MSP_FGROUP_BRIGHTNESS) | MSP_FSET(MSP_FGROUP_EDGES) |
                        MSP_FSET(MSP_FGROUP_CORNERS));
    cr_assert_eq(msp_features_parse("  hue ,\tedge_angles ", &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(s, MSP_FSET(MSP_FGROUP_HUE) | MSP_FSET(MSP_FGROUP_EDGE_ANGLES));
    char buf[256];
    msp_features_format(s, buf, sizeof buf);
    cr_assert_str_eq(buf, "edge_angles,hue");
    cr_assert_eq(msp_features_parse("all", &s, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(s, MSP_FSET_ALL);
    msp_features_format(s, buf, sizeof buf);
    msp_fset back = 0;
    cr_assert_eq(msp_features_parse(buf, &back, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(back, MSP_FSET_ALL);
    /* Truncation drops whole names. */
    msp_features_format(MSP_FSET_ALL, buf, 20);
    cr_assert_str_eq(buf, "brightness");

    const char *valid = "valid groups: brightness, perceived, contrast, edges, edge_angles, "
                        "histogram, hue, corners, shape, downsample, pixels, all";
    char want[512];
    cr_assert_eq(msp_features_parse("brightness,egdes", &s, &err), MSP_BAD_INPUT);
    cr_assert_eq(s, 0);
    snprintf(want, sizeof want, "features: unknown group 'egdes' (did you mean 'edges'?); %s",
             valid);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(msp_features_parse("wavelets", &s, &err), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "features: unknown group 'wavelets'; %s", valid);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(msp_features_parse("edges,,hue", &s, &err), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "features: empty group name (item 2 of 'edges,,hue'); %s",
             valid);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(msp_features_parse("", &s, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_features_parse("edges,", &s, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_features_parse("edges, hue, edges", &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "features: group 'edges' is listed twice in 'edges, hue, edges'; "
                              "list each group once");
    cr_assert_eq(msp_features_parse("all,hue", &s, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_features_parse(NULL, &s, &err), MSP_BAD_INPUT);
    char longword[300];
    memset(longword, 'x', sizeof longword - 1);
    longword[sizeof longword - 1] = '\0';
    cr_assert_eq(msp_features_parse(longword, &s, &err), MSP_BAD_INPUT);
}

Test(sel_features, constant_image)
{
    enum { H = 20, W = 20 };
    float img[H * W];
    for (int i = 0; i < H * W; i++) img[i] = 0.7f;
    float out[85];
    feats(MSP_FSET_ALL, img, 1, H, W, out);
    msp_fset a = MSP_FSET_ALL;
    cr_assert_eq(col(a, out, "brightness.mean"), 0.7f);
    cr_assert_float_eq(col(a, out, "brightness.rms"), 0.7f, 1e-6);
    cr_assert_eq(col(a, out, "perceived.mean"), 0.7f);
    cr_assert_eq(col(a, out, "contrast.std"), 0.0f);
    cr_assert_eq(col(a, out, "contrast.range"), 0.0f);
    cr_assert_eq(col(a, out, "edges.density"), 0.0f);
    cr_assert_eq(col(a, out, "edges.length"), 0.0f);
    cr_assert_eq(col(a, out, "corners.count"), 0.0f);
    for (int k = 0; k < 8; k++) {
        char n[32];
        snprintf(n, sizeof n, "edge_angles.%d", k);
        cr_assert_eq(col(a, out, n), 0.0f, "%s", n);
        snprintf(n, sizeof n, "hue.%d", k);
        cr_assert_eq(col(a, out, n), 0.0f, "%s", n);
        snprintf(n, sizeof n, "histogram.%d", k);
        cr_assert_eq(col(a, out, n), k == 5 ? 1.0f : 0.0f, "%s", n); /* 0.7 in [5/8, 6/8) */
    }
    /* No foreground: no blob. */
    cr_assert_eq(col(a, out, "shape.area"), 0.0f);
    cr_assert_eq(col(a, out, "shape.perimeter"), 0.0f);
    cr_assert_eq(col(a, out, "shape.aspect"), 0.0f);
    cr_assert_eq(col(a, out, "shape.compactness"), 0.0f);
    for (int k = 0; k < 49; k++) cr_assert_eq(out[36 + k], 0.7f);
}

Test(sel_features, filled_square)
{
    enum { H = 28, W = 28 };
    float *img = rect_image(H, W, 9, 19, 9, 19); /* 10 x 10 */
    float out[85];
    msp_fset a = MSP_FSET_ALL;
    feats(a, img, 1, H, W, out);
    cr_assert_float_eq(col(a, out, "brightness.mean"), 100.0f / 784, 1e-7);
    cr_assert_float_eq(col(a, out, "brightness.rms"), 10.0f / 28, 1e-7);
    cr_assert_eq(col(a, out, "contrast.range"), 1.0f);
    cr_assert_float_eq(col(a, out, "contrast.std"), sqrt(100.0 / 784 * (1 - 100.0 / 784)), 1e-6);
    /* Thin edges: s - 2 pixels along each side plus one diagonal pixel per
     * corner, 4s - 4 = 36 for the perimeter 4s = 40. */
    cr_assert_eq(col(a, out, "edges.length"), 36.0f);
    /* Above threshold: 2-pixel-wide sides (4 * 2 * 10, each inner corner
     * pixel shared by two sides) plus the outer diagonal pixel per corner. */
    cr_assert_float_eq(col(a, out, "edges.density"), (80.0f - 4 + 4) / 784, 1e-7);
    /* Sides in the 0 and 90 deg bins; the 4 corner pixels at 45 and 135 deg. */
    float want_angles[8] = {16.0f / 36, 0, 2.0f / 36, 0, 16.0f / 36, 0, 2.0f / 36, 0};
    for (int k = 0; k < 8; k++) {
        char n[32];
        snprintf(n, sizeof n, "edge_angles.%d", k);
        cr_assert_float_eq(col(a, out, n), want_angles[k], 1e-7, "%s = %g", n, col(a, out, n));
    }
    cr_assert_eq(col(a, out, "corners.count"), 4.0f);
    cr_assert_eq(col(a, out, "shape.aspect"), 1.0f);
    cr_assert_eq(col(a, out, "shape.area"), 100.0f);
    cr_assert_eq(col(a, out, "shape.perimeter"), 40.0f);
    cr_assert_float_eq(col(a, out, "shape.compactness"), M_PI / 4, 1e-6);
    cr_assert_float_eq(col(a, out, "histogram.0"), 684.0f / 784, 1e-7);
    cr_assert_float_eq(col(a, out, "histogram.7"), 100.0f / 784, 1e-7);
    /* 4x4 cells: rows 8..11 hold square rows 9..11, etc. */
    cr_assert_float_eq(col(a, out, "downsample.16"), 9.0f / 16, 1e-7);  /* cell (2,2) */
    cr_assert_float_eq(col(a, out, "downsample.24"), 1.0f, 1e-7);       /* cell (3,3) */
    cr_assert_eq(col(a, out, "downsample.0"), 0.0f);
    free(img);
}

Test(sel_features, rectangle_and_inverted)
{
    enum { H = 24, W = 20 };
    float *img = rect_image(H, W, 5, 17, 7, 13); /* 12 tall, 6 wide */
    float out[85];
    msp_fset a = MSP_FSET_ALL;
    feats(a, img, 1, H, W, out);
    cr_assert_eq(col(a, out, "shape.aspect"), 0.5f);
    cr_assert_eq(col(a, out, "shape.area"), 72.0f);
    cr_assert_eq(col(a, out, "shape.perimeter"), 36.0f);
    cr_assert_eq(col(a, out, "corners.count"), 4.0f);
    cr_assert_eq(col(a, out, "edges.length"), 2.0f * (10 + 4) + 4);
    /* A dark rectangle on white: the border median makes it the blob too. */
    for (int i = 0; i < H * W; i++) img[i] = 1.0f - img[i];
    float inv[85];
    feats(a, img, 1, H, W, inv);
    cr_assert_eq(col(a, inv, "shape.aspect"), 0.5f);
    cr_assert_eq(col(a, inv, "shape.area"), 72.0f);
    cr_assert_eq(col(a, inv, "shape.perimeter"), 36.0f);
    cr_assert_eq(col(a, inv, "corners.count"), 4.0f);
    cr_assert_eq(col(a, inv, "edges.length"), col(a, out, "edges.length"));
    free(img);
}

Test(sel_features, largest_blob_8_connected)
{
    enum { H = 30, W = 30 };
    float *img = rect_image(H, W, 2, 6, 2, 6); /* 4x4 */
    for (int y = 12; y < 20; y++)
        for (int x = 10; x < 15; x++) img[y * W + x] = 1.0f; /* 8 tall x 5 wide */
    float out[4];
    msp_fset s = MSP_FSET(MSP_FGROUP_SHAPE);
    feats(s, img, 1, H, W, out);
    cr_assert_eq(out[0], 5.0f / 8);
    cr_assert_eq(out[1], 40.0f);
    cr_assert_eq(out[2], 26.0f);
    /* A 3x3 square touching the big one only at a corner joins it. */
    for (int y = 20; y < 23; y++)
        for (int x = 15; x < 18; x++) img[y * W + x] = 1.0f;
    feats(s, img, 1, H, W, out);
    cr_assert_eq(out[1], 49.0f);
    cr_assert_eq(out[0], 8.0f / 11); /* x 10..17, y 12..22 */
    cr_assert_eq(out[2], 26.0f + 12.0f);
    free(img);
}

Test(sel_features, ramps_one_angle_bin)
{
    enum { H = 10, W = 8 };
    float img[H * W];
    float out[10];
    msp_fset s = MSP_FSET(MSP_FGROUP_EDGES) | MSP_FSET(MSP_FGROUP_EDGE_ANGLES);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) img[y * W + x] = (float)x / (W - 1);
    feats(s, img, 1, H, W, out);
    cr_assert_gt(out[1], 0.0f);
    cr_assert_eq(out[2], 1.0f, "bin 0 holds %g", out[2]);
    /* Decreasing along x is the same undirected edge. */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) img[y * W + x] = 1.0f - (float)x / (W - 1);
    feats(s, img, 1, H, W, out);
    cr_assert_eq(out[2], 1.0f);
    /* A vertical ramp: everything in the 90 deg bin. */
    float v[W * H];
    for (int y = 0; y < W; y++)
        for (int x = 0; x < H; x++) v[y * H + x] = (float)y / (W - 1);
    feats(s, v, 1, W, H, out);
    cr_assert_gt(out[1], 0.0f);
    cr_assert_eq(out[2 + 4], 1.0f);
    /* A ramp too gentle for the threshold: no edges, all bins 0. */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) img[y * W + x] = 0.02f * x;
    feats(s, img, 1, H, W, out);
    for (int k = 0; k < 10; k++) cr_assert_eq(out[k], 0.0f);
}

/* The atan2-free sector against atan2, away from the boundaries. */
Test(sel_features, sector_matches_atan2)
{
    msp_rng r;
    msp_rng_seed(&r, 3);
    int checked = 0;
    for (int i = 0; i < 200000; i++) {
        float gx = (float)(msp_rng_uniform(&r) * 8 - 4), gy = (float)(msp_rng_uniform(&r) * 8 - 4);
        if (i % 10 == 0) gx = 0;
        if (i % 10 == 1) gy = 0;
        if (gx == 0 && gy == 0) continue;
        double a = atan2(gy, gx) * 180 / M_PI;
        if (a < 0) a += 180;
        if (a >= 180) a -= 180;
        double f = a / 11.25;
        if (fabs(f - round(f)) < 1e-4 && round(f) != 0 && round(f) != 8) continue;
        int want = (int)floor(f + 1e-9) % 16;
        cr_assert_eq(msp_fx_sector(gx, gy), want, "(%g, %g) at %g deg", gx, gy, a);
        checked++;
    }
    cr_assert_gt(checked, 190000);
    cr_assert_eq(msp_fx_sector(3, 3), 4);   /* exactly 45 deg */
    cr_assert_eq(msp_fx_sector(-3, -3), 4);
    cr_assert_eq(msp_fx_sector(-3, 3), 12); /* 135 deg */
    cr_assert_eq(msp_fx_sector(-4, 0), 0);
    cr_assert_eq(msp_fx_sector(0, -4), 8);
}

Test(sel_features, fast_points_and_half_plane)
{
    enum { N = 15 };
    float *img = rect_image(N, N, 7, 8, 7, 8); /* one bright pixel */
    float out[1];
    msp_fset s = MSP_FSET(MSP_FGROUP_CORNERS);
    feats(s, img, 1, N, N, out);
    cr_assert_eq(out[0], 1.0f);
    /* Too close to the border for the radius-3 circle. */
    free(img);
    img = rect_image(N, N, 2, 3, 7, 8);
    feats(s, img, 1, N, N, out);
    cr_assert_eq(out[0], 0.0f);
    /* A straight edge has no corner; a contrast below the threshold neither. */
    free(img);
    img = rect_image(N, N, 0, N, 0, 7);
    feats(s, img, 1, N, N, out);
    cr_assert_eq(out[0], 0.0f);
    free(img);
    img = rect_image(N, N, 4, 11, 4, 11);
    for (int i = 0; i < N * N; i++) img[i] *= 0.09f;
    feats(s, img, 1, N, N, out);
    cr_assert_eq(out[0], 0.0f);
    for (int i = 0; i < N * N; i++) img[i] *= 2.0f;
    feats(s, img, 1, N, N, out);
    cr_assert_eq(out[0], 4.0f);
    free(img);
    /* Smaller than 7x7: never a corner. */
    float tiny[36] = {0};
    tiny[14] = 1;
    feats(s, tiny, 1, 6, 6, out);
    cr_assert_eq(out[0], 0.0f);
}

/* Brute-force 7x7 pooling: pixel (y, x) belongs to cell row r iff
 * r*h/7 <= y < (r+1)*h/7 (h >= 7), likewise for columns. */
static void pool_reference(const float *g, int h, int w, double *ref)
{
    for (int r = 0; r < 7; r++)
        for (int q = 0; q < 7; q++) {
            double s = 0;
            int n = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (r * h / 7 <= y && y < (r + 1) * h / 7 && q * w / 7 <= x &&
                        x < (q + 1) * w / 7) {
                        s += g[y * w + x];
                        n++;
                    }
            ref[r * 7 + q] = s / n;
        }
}

Test(sel_features, downsample_and_histogram_brute_force)
{
    msp_rng r;
    msp_rng_seed(&r, 42);
    int shapes[3][2] = {{28, 28}, {30, 17}, {7, 50}};
    for (int t = 0; t < 3; t++) {
        int h = shapes[t][0], w = shapes[t][1];
        float *img = malloc(sizeof(float) * 3 * (size_t)h * w);
        for (int i = 0; i < 3 * h * w; i++) img[i] = (float)msp_rng_uniform(&r);
        float *g = malloc(sizeof(float) * (size_t)h * w);
        for (int i = 0; i < h * w; i++)
            g[i] = (img[i] + img[h * w + i] + img[2 * h * w + i]) * (1.0f / 3.0f);
        double ref[49];
        pool_reference(g, h, w, ref);
        msp_fset s = MSP_FSET(MSP_FGROUP_HISTOGRAM) | MSP_FSET(MSP_FGROUP_DOWNSAMPLE);
        float out[57];
        feats(s, img, 3, h, w, out);
        for (int k = 0; k < 49; k++)
            cr_assert_float_eq(out[8 + k], ref[k], 1e-6, "%dx%d cell %d", h, w, k);
        int count[8] = {0};
        for (int i = 0; i < h * w; i++) count[(int)floorf(g[i] * 8)]++;
        double sum = 0;
        for (int k = 0; k < 8; k++) {
            cr_assert_float_eq(out[k], (double)count[k] / (h * w), 1e-7);
            sum += out[k];
        }
        cr_assert_float_eq(sum, 1.0, 1e-6);
        free(g);
        free(img);
    }
}

Test(sel_features, rgb_grey_and_hue)
{
    enum { H = 16, W = 16, HW = H * W };
    float *grey = rect_image(H, W, 4, 12, 3, 9);
    for (int i = 0; i < HW; i++) grey[i] = 0.2f + 0.6f * grey[i];
    float rgb[3 * HW];
    for (int ch = 0; ch < 3; ch++) memcpy(rgb + ch * HW, grey, sizeof(float) * HW);
    float a[85], b[85];
    feats(MSP_FSET_ALL, grey, 1, H, W, a);
    feats(MSP_FSET_ALL, rgb, 3, H, W, b);
    for (int j = 0; j < 85; j++) cr_assert_float_eq(a[j], b[j], 1e-6, "column %d", j);
    /* Pure colours: hue bins 0 (red), 2 (green at 120 deg), 5 (blue at 240). */
    float red[3 * HW] = {0}, out[9];
    msp_fset s = MSP_FSET(MSP_FGROUP_PERCEIVED) | MSP_FSET(MSP_FGROUP_HUE);
    int want_bin[3] = {0, 2, 5};
    float want_perceived[3] = {0.299f, 0.587f, 0.114f};
    for (int ch = 0; ch < 3; ch++) {
        memset(red, 0, sizeof red);
        for (int i = 0; i < HW; i++) red[ch * HW + i] = 1.0f;
        feats(s, red, 3, H, W, out);
        cr_assert_float_eq(out[0], sqrtf(want_perceived[ch]), 1e-6);
        for (int k = 0; k < 8; k++)
            cr_assert_eq(out[1 + k], k == want_bin[ch] ? 1.0f : 0.0f, "channel %d bin %d", ch, k);
    }
    /* Half the pixels grey (no chroma): the hue bins sum to 1/2. */
    for (int i = 0; i < HW / 2; i++) red[i] = red[HW + i] = red[2 * HW + i] = 0.5f;
    feats(s, red, 3, H, W, out);
    cr_assert_eq(out[1 + 5], 0.5f);
    free(grey);
}

Test(sel_features, rejections)
{
    float img[64] = {0}, out[85];
    char scratch[4096];
    msp_err err = {{0}};
    msp_fset a = MSP_FSET_ALL;
    out[0] = 5;
    cr_assert_eq(msp_features_compute(a, img, 2, 4, 4, out, scratch, sizeof scratch, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg,
                     "features: images have 2 channels; only 1 (grey) or 3 (RGB) are supported");
    cr_assert_eq(out[0], 0.0f);
    cr_assert_eq(msp_features_compute(a, img, 1, 0, 4, out, scratch, sizeof scratch, &err),
                 MSP_BAD_INPUT);
    cr_assert_eq(msp_features_compute(a, img, 1, 4, 5000, out, scratch, sizeof scratch, &err),
                 MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "features: image size 4 x 5000 (h x w) is out of range: each side "
                              "must be 1 to 4096 and h*w at most 4194304; resize the images first");
    cr_assert_eq(msp_features_check_shape(1, 4096, 4096, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_features_check_shape(3, 2048, 2048, &err), MSP_OK);
    cr_assert_eq(msp_features_scratch_size(a, 1, 4096, 4096), 0);
    cr_assert_eq(msp_features_scratch_size(a, 4, 8, 8), 0);
    size_t need = msp_features_scratch_size(a, 1, 8, 8);
    cr_assert_eq(msp_features_compute(a, img, 1, 8, 8, out, scratch, need - 1, &err),
                 MSP_BAD_INPUT);
    char want[200];
    snprintf(want, sizeof want,
             "features: scratch buffer of %zu bytes, need %zu (msp_features_scratch_size)",
             need - 1, need);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(msp_features_compute(a, NULL, 1, 8, 8, out, scratch, need, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_features_compute(a, img, 1, 8, 8, NULL, scratch, need, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_features_compute(a, img, 1, 8, 8, out, NULL, need, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_features_compute(a, img, 1, 8, 8, out, scratch, need, &err), MSP_OK);
    /* Grey input needs no grey copy; RGB does. */
    cr_assert_lt(msp_features_scratch_size(a, 1, 8, 8), msp_features_scratch_size(a, 3, 8, 8));

    msp_dataset d = {0};
    float *f = (float *)1;
    int dim = 7;
    cr_assert_eq(msp_features_dataset(a, &d, &f, &dim, &err), MSP_BAD_INPUT);
    cr_assert_null(f);
    cr_assert_eq(dim, 0);
    d.n = 1, d.c = 1, d.h = 8, d.w = 8, d.x = img;
    cr_assert_eq(msp_features_dataset(0, &d, &f, &dim, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "features: no feature group selected");
    d.c = 4;
    cr_assert_eq(msp_features_dataset(a, &d, &f, &dim, &err), MSP_BAD_INPUT);
    msp_features_costs costs;
    d.c = 1;
    cr_assert_eq(msp_features_cost(a, &d, 0, 3, &costs, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_features_cost(a, &d, 1, 0, &costs, &err), MSP_BAD_INPUT);
    cr_assert_eq(msp_features_cost(0, &d, 1, 1, &costs, &err), MSP_BAD_INPUT);
}

Test(sel_features, random_and_non_finite_inputs)
{
    msp_rng r;
    msp_rng_seed(&r, 7);
    for (int t = 0; t < 60; t++) {
        int c = msp_rng_below(&r, 2) ? 3 : 1;
        int h = 1 + (int)msp_rng_below(&r, 40), w = 1 + (int)msp_rng_below(&r, 40);
        size_t n = (size_t)c * h * w;
        float *img = malloc(sizeof(float) * n), out[85];
        for (size_t i = 0; i < n; i++) {
            double u = msp_rng_uniform(&r);
            /* Mostly [0,1], some out of range, some NaN and infinities. */
            img[i] = u < 0.8 ? (float)(u / 0.8) : u < 0.9 ? (float)(u * 6 - 5) : u < 0.95 ? NAN
                     : u < 0.97 ? INFINITY : -INFINITY;
            if (t % 2 == 0 && u >= 0.8) img[i] = (float)(u * 10 - 8.5); /* finite only */
        }
        feats(MSP_FSET_ALL, img, c, h, w, out);
        if (t % 2 == 0) {
            for (int j = 0; j < 85; j++) cr_assert(isfinite(out[j]), "column %d", j);
            double sum = 0;
            for (int k = 0; k < 8; k++) sum += out[15 + k]; /* histogram */
            cr_assert_float_eq(sum, 1.0, 1e-6);
        }
        free(img);
    }
    float one = 0.25f, out[85];
    feats(MSP_FSET_ALL, &one, 1, 1, 1, out);
    cr_assert_eq(out[0], 0.25f);
    for (int k = 0; k < 49; k++) cr_assert_eq(out[36 + k], 0.25f);
}

Test(sel_features, dataset_matrix_matches_per_image)
{
    enum { H = 12, W = 10, N = 3 };
    msp_dataset d = {0};
    d.n = N, d.c = 1, d.h = H, d.w = W, d.n_classes = 1;
    d.x = calloc(N * H * W, sizeof(float));
    d.y = calloc(N, sizeof(int));
    for (int i = 0; i < N; i++)
        for (int y = 2 + i; y < 9; y++)
            for (int x = 1; x < 7 + i; x++) d.x[i * H * W + y * W + x] = 0.9f;
    float *f = NULL;
    int dim = 0;
    msp_err err = {{0}};
    msp_fset s = MSP_FSET(MSP_FGROUP_SHAPE) | MSP_FSET(MSP_FGROUP_BRIGHTNESS);
    cr_assert_eq(msp_features_dataset(s, &d, &f, &dim, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(dim, 6);
    for (int i = 0; i < N; i++) {
        float one[6];
        feats(s, d.x + i * H * W, 1, H, W, one);
        cr_assert_arr_eq(one, f + i * 6, sizeof one);
        cr_assert_eq(f[i * 6 + 3], (float)((7 - i) * (6 + i)), "image %d area", i);
    }
    free(f);
    msp_dataset_free(&d);
}

#define FM_IMG "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
#define FM_LAB "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"

Test(sel_features, fashion_mnist_finite_and_cost_table)
{
    msp_dataset d = {0};
    msp_err err = {{0}};
    cr_assert_eq(msp_idx_load(FM_IMG, FM_LAB, 10, 200, &d, &err), MSP_OK, "%s", err.msg);
    float *f = NULL;
    int dim = 0;
    cr_assert_eq(msp_features_dataset(MSP_FSET_ALL, &d, &f, &dim, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(dim, 85);
    int with_blob = 0, with_corners = 0;
    for (int i = 0; i < d.n; i++) {
        const float *row = f + (size_t)i * 85;
        for (int j = 0; j < 85; j++) cr_assert(isfinite(row[j]), "image %d column %d", i, j);
        with_blob += row[33] > 20; /* shape.area: the garment, not a speck */
        with_corners += row[31] > 0;
        cr_assert_eq(row[2], row[0]); /* grey: perceived = mean brightness */
    }
    cr_assert_gt(with_blob, 190, "%d of 200 images have a blob", with_blob);
    cr_assert_gt(with_corners, 100, "%d of 200 images have corners", with_corners);
    free(f);

    /* Costs: measured, never asserted beyond being real numbers. */
    msp_fset s = MSP_FSET(MSP_FGROUP_BRIGHTNESS) | MSP_FSET(MSP_FGROUP_CORNERS);
    msp_features_costs costs;
    cr_assert_eq(msp_features_cost(s, &d, 20, 3, &costs, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(costs.images, 20);
    cr_assert_eq(costs.repeats, 3);
    cr_assert_eq(costs.group_ns[MSP_FGROUP_EDGES], 0.0);
    cr_assert(costs.group_ns[MSP_FGROUP_CORNERS] > 0 && isfinite(costs.set_ns));
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    costs.group_ns[MSP_FGROUP_BRIGHTNESS] = 250;
    costs.group_ns[MSP_FGROUP_CORNERS] = 1500;
    costs.set_ns = 1700;
    msp_features_cost_print(mem, s, &costs, 100000);
    fclose(mem);
    cr_assert_str_eq(text, "feature group    columns     ns/image  % of reference\n"
                           "brightness             2        250.0             0.25%\n"
                           "corners                1       1500.0             1.50%\n"
                           "all together           3       1700.0             1.70%\n"
                           "(median of 3 passes over 20 images)\n");
    free(text);
    msp_dataset_free(&d);
}

/* conv1: layer 0 run alone equals layer 0 of a full forward pass. */
Test(sel_features, conv1_matches_full_forward)
{
    msp_dataset d = {0};
    msp_err err = {{0}};
    cr_assert_eq(msp_idx_load(FM_IMG, FM_LAB, 10, 11, &d, &err), MSP_OK, "%s", err.msg);
    msp_net *net = NULL;
    msp_net_opts o = {.batch = 4};
    /* Darknet's seeded random initialisation: the test must not need trained weights. */
    msp_engine_seed(5);
    cr_assert_eq(msp_net_load("cfg/fashion-base.cfg", NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    float *a = NULL, *b = NULL;
    int da = 0, db = 0;
    cr_assert_eq(msp_net_conv1_features(net, &d, &a, &da, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(da, 32);
    cr_assert_eq(msp_net_embedding(net, &d, 0, &b, &db, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(db, 32);
    cr_assert_arr_eq(a, b, sizeof(float) * 11 * 32);
    int nonzero = 0;
    for (int i = 0; i < 11 * 32; i++) {
        cr_assert(isfinite(a[i]));
        nonzero += a[i] != 0;
    }
    cr_assert_gt(nonzero, 11 * 16);
    free(a);
    free(b);
    /* Images of the wrong size. */
    d.w = 14;
    cr_assert_eq(msp_net_conv1_features(net, &d, &a, &da, &err), MSP_BAD_INPUT);
    cr_assert_null(a);
    cr_assert_str_eq(err.msg,
                     "conv1 features: the images do not match the network input (784 values)");
    msp_net_free(net);
    msp_dataset_free(&d);
}

Test(sel_features, conv1_needs_a_convolution_first)
{
    char dir[] = "/tmp/msp-features.XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/fc.cfg", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("[net]\nbatch=2\nwidth=28\nheight=28\nchannels=1\n\n[connected]\noutput=10\n"
          "activation=linear\n\n[softmax]\n",
          f);
    fclose(f);
    msp_net *net = NULL;
    msp_err err = {{0}};
    msp_net_opts o = {0};
    cr_assert_eq(msp_net_load(path, NULL, &o, &net, &err), MSP_OK, "%s", err.msg);
    msp_dataset d = {.n = 1, .c = 1, .h = 28, .w = 28};
    float x[784] = {0};
    d.x = x;
    float *out = NULL;
    int dim = 0;
    cr_assert_eq(msp_net_conv1_features(net, &d, &out, &dim, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "conv1 features: layer 0 of the network is not [convolutional]");
    msp_net_free(net);
    remove(path);
    rmdir(dir);
}
