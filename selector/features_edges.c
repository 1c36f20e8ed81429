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

/* tan(k * 11.25 deg), k = 1..7: the sector boundaries within a quadrant. */
static const float tan_sector[7] = {0.19891237f, 0.41421356f, 0.66817864f, 1.0f,
                                    1.49660576f, 2.41421356f, 5.02733949f};

/* Without atan2: fold into [0, 180), then compare with the boundaries. */
int msp_fx_sector(float gx, float gy)
{
    if (gy < 0 || (gy == 0 && gx < 0)) {
        gx = -gx;
        gy = -gy;
    }
    if (gx == 0) return 8; /* 90 deg (the zero vector never gets here) */
    float ax = fabsf(gx);
    int s = 0;
    if (gx > 0) { /* [0, 90): s = floor(angle / 11.25) */
        for (int k = 0; k < 7; k++) s += gy >= tan_sector[k] * ax;
        return s;
    }
    for (int k = 0; k < 7; k++) s += gy > tan_sector[k] * ax; /* 180 - angle */
    return 15 - s;
}

void msp_fx_edges(const float *g, int h, int w, float *mag, uint8_t *sect, float *edges,
                  float *angles)
{
    /* mag holds the squared Sobel magnitude |G|^2 (no sqrt: the threshold
     * and the suppression only compare magnitudes). */
    const float t = 16.0f * MSP_FEATURES_EDGE_THRESHOLD * MSP_FEATURES_EDGE_THRESHOLD;
    size_t hw = (size_t)h * (size_t)w, strong = 0;
    for (int y = 0; y < h; y++) {
        const float *up = g + (size_t)(y > 0 ? y - 1 : 0) * w;
        const float *mid = g + (size_t)y * w;
        const float *dn = g + (size_t)(y + 1 < h ? y + 1 : y) * w;
        for (int x = 0; x < w; x++) {
            int xl = x > 0 ? x - 1 : 0, xr = x + 1 < w ? x + 1 : x;
            float gx = (up[xr] + 2 * mid[xr] + dn[xr]) - (up[xl] + 2 * mid[xl] + dn[xl]);
            float gy = (dn[xl] + 2 * dn[x] + dn[xr]) - (up[xl] + 2 * up[x] + up[xr]);
            float m = gx * gx + gy * gy;
            size_t p = (size_t)y * w + x;
            mag[p] = m;
            sect[p] = 0;
            if (m > t) {
                strong++;
                sect[p] = (uint8_t)msp_fx_sector(gx, gy);
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
