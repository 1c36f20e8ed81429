/* features_edges.c: Sobel edges: density (fraction of pixels above the edge
 * threshold), length (pixels left after non-maximum suppression along the
 * gradient, i.e. one-pixel-thin edges) and the 8-bin histogram of the thin
 * edges' gradient directions (mod 180 deg, bins centred on 0, 22.5, ...).
 * Borders replicate the edge pixels, so a constant image has no edge.
 * Limits: no smoothing and no hysteresis (this is not Canny); a straight
 * step edge of height 1 thins to one pixel per row or column, a square's
 * corner to one diagonal pixel. */
#include <math.h>
#include <string.h>

#include "features_impl.h"

/* Neighbour offsets (dx, dy) across the edge for the 4 quantised gradient
 * directions 0, 45, 90, 135 deg (y grows downwards). */
static const int across[4][2] = {{1, 0}, {1, 1}, {0, 1}, {-1, 1}};

static float mag_at(const float *mag, int h, int w, int x, int y)
{
    return x < 0 || y < 0 || x >= w || y >= h ? 0.0f : mag[(size_t)y * w + x];
}

void msp_fx_edges(const float *g, int h, int w, float *mag, uint8_t *sect, float *edges,
                  float *angles)
{
    const float t = MSP_FEATURES_EDGE_THRESHOLD;
    size_t hw = (size_t)h * (size_t)w, strong = 0;
    for (int y = 0; y < h; y++) {
        const float *up = g + (size_t)(y > 0 ? y - 1 : 0) * w;
        const float *mid = g + (size_t)y * w;
        const float *dn = g + (size_t)(y + 1 < h ? y + 1 : y) * w;
        for (int x = 0; x < w; x++) {
            int xl = x > 0 ? x - 1 : 0, xr = x + 1 < w ? x + 1 : x;
            float gx = (up[xr] + 2 * mid[xr] + dn[xr]) - (up[xl] + 2 * mid[xl] + dn[xl]);
            float gy = (dn[xl] + 2 * dn[x] + dn[xr]) - (up[xl] + 2 * up[x] + up[xr]);
            float m = sqrtf(gx * gx + gy * gy) * 0.25f;
            size_t p = (size_t)y * w + x;
            mag[p] = m;
            sect[p] = 0;
            if (m > t) {
                strong++;
                double a = atan2(gy, gx); /* (-pi, pi] */
                if (a < 0) a += M_PI;
                int s = (int)(a * (16.0 / M_PI));
                sect[p] = (uint8_t)(s < 0 ? 0 : s > 15 ? 15 : s);
            }
        }
    }
    int bins[8] = {0};
    size_t thin = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t p = (size_t)y * w + x;
            float m = mag[p];
            if (!(m > t)) continue;
            int s = sect[p], dir = ((s + 2) / 4) % 4;
            int dx = across[dir][0], dy = across[dir][1];
            /* Strict on one side, not the other: a step between two pixels
             * of equal magnitude keeps exactly one of them. */
            if (m > mag_at(mag, h, w, x - dx, y - dy) && m >= mag_at(mag, h, w, x + dx, y + dy)) {
                thin++;
                bins[((s + 1) / 2) % 8]++;
            }
        }
    if (edges) {
        edges[0] = (float)((double)strong / (double)hw);
        edges[1] = (float)thin;
    }
    if (angles)
        for (int k = 0; k < 8; k++) angles[k] = thin ? (float)((double)bins[k] / (double)thin) : 0;
}
