/* features_corners.c: FAST-9 keypoint count (Rosten & Drummond's segment
 * test, written from its description): a pixel p at least 3 pixels from the
 * border is a corner when 9 contiguous pixels of the 16 on the radius-3
 * Bresenham circle are all brighter than p + t or all darker than p - t.
 * Corners are then thinned by 3x3 non-maximum suppression of a score (the
 * larger of the summed excess over t of the brighter and of the darker
 * circle pixels); equal scores keep the first pixel in raster order.
 * Limits: single scale, no orientation; images below 7x7 have no corner. */
#include <string.h>

#include "features_impl.h"

static const int circle[16][2] = {{0, -3}, {1, -3}, {2, -2}, {3, -1}, {3, 0}, {3, 1},
                                  {2, 2},  {1, 3},  {0, 3},  {-1, 3}, {-2, 2}, {-3, 1},
                                  {-3, 0}, {-3, -1}, {-2, -2}, {-1, -3}};

/* Does the 16-bit circular mask hold 9 contiguous set bits? */
static int has_arc9(uint32_t m)
{
    uint32_t r = m | (m << 16); /* the circle unrolled twice: runs across bit 0 stay whole */
    for (int k = 1; k < 9; k++) r &= r >> 1; /* bit i survives iff bits i..i+8 are set */
    return r != 0;
}

float msp_fx_corners(const float *g, int h, int w, float *score)
{
    const float t = MSP_FEATURES_FAST_THRESHOLD;
    if (h < 7 || w < 7) return 0;
    memset(score, 0, sizeof(float) * (size_t)h * (size_t)w);
    long off[16];
    for (int k = 0; k < 16; k++) off[k] = (long)circle[k][1] * w + circle[k][0];
    for (int y = 3; y < h - 3; y++)
        for (int x = 3; x < w - 3; x++) {
            const float *p = g + (size_t)y * w + x;
            float v = *p, hi = v + t, lo = v - t;
            /* Any 9-arc holds circle pixel 0 or 8, and 4 or 12. */
            float c0 = p[off[0]], c4 = p[off[4]], c8 = p[off[8]], c12 = p[off[12]];
            int maybe_bright = (c0 > hi || c8 > hi) && (c4 > hi || c12 > hi);
            int maybe_dark = (c0 < lo || c8 < lo) && (c4 < lo || c12 < lo);
            if (!maybe_bright && !maybe_dark) continue;
            uint32_t bright = 0, dark = 0;
            for (int k = 0; k < 16; k++) { /* branch-free: the masks only */
                float q = p[off[k]];
                bright |= (uint32_t)(q > hi) << k;
                dark |= (uint32_t)(q < lo) << k;
            }
            if (!has_arc9(bright) && !has_arc9(dark)) continue;
            float sb = 0, sd = 0;
            for (int k = 0; k < 16; k++) {
                float q = p[off[k]];
                sb += q > hi ? q - hi : 0.0f;
                sd += q < lo ? lo - q : 0.0f;
            }
            score[(size_t)y * w + x] = sb > sd ? sb : sd;
        }
    int n = 0;
    for (int y = 3; y < h - 3; y++)
        for (int x = 3; x < w - 3; x++) {
            const float *s = score + (size_t)y * w + x;
            float v = *s;
            if (!(v > 0)) continue;
            int keep = 1;
            for (int dy = -1; dy <= 1 && keep; dy++)
                for (int dx = -1; dx <= 1 && keep; dx++) {
                    if (!dx && !dy) continue;
                    float u = s[(long)dy * w + dx];
                    int earlier = dy < 0 || (dy == 0 && dx < 0);
                    if (earlier ? u >= v : u > v) keep = 0;
                }
            n += keep;
        }
    return (float)n;
}
