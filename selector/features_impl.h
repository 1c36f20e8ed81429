/* features_impl.h: internals shared by the features_*.c files (not part of
 * the selector/ contract). Every function works on the grey image g (h x w,
 * row-major) and scratch arrays carved by features.c; none allocates. */
#ifndef MSP_FEATURES_IMPL_H
#define MSP_FEATURES_IMPL_H

#include <stdint.h>

#include "features.h"

/* Bin of v in n equal bins over [0, 1]; NaN and v <= 0 go to bin 0, v >= 1
 * to bin n - 1 (so no input can index outside). */
static inline int msp_fx_bin(float v, int n)
{
    if (!(v > 0.0f)) return 0;
    if (v >= 1.0f) return n - 1;
    int b = (int)(v * (float)n);
    return b < n ? b : n - 1;
}

/* round(v * 255) clamped to [0, 255]; NaN -> 0. */
static inline int msp_fx_q255(float v)
{
    if (!(v > 0.0f)) return 0;
    if (v >= 1.0f) return 255;
    return (int)(v * 255.0f + 0.5f);
}

/* Sobel pass + thinning (features_edges.c). mag[hw] gets |G|^2, sect[hw] the
 * gradient direction's 11.25-degree sector (0..15, mod 180 deg) where mag >
 * the edge threshold. edges[2] (density, length) and angles[8] are filled
 * when not NULL. */
void msp_fx_edges(const float *g, int h, int w, float *mag, uint8_t *sect, float *edges,
                  float *angles);

/* The 11.25-degree sector (0..15) of the direction of (gx, gy) mod 180 deg:
 * floor(angle / 11.25) for angle in [0, 180). (gx, gy) != (0, 0). */
int msp_fx_sector(float gx, float gy);

/* FAST-9 corner count with 3x3 non-maximum suppression (features_corners.c);
 * score[hw] is scratch. */
float msp_fx_corners(const float *g, int h, int w, float *score);

/* Main blob shape into out[4] (features_blob.c); label, queue: int[hw]. */
void msp_fx_shape(const float *g, int h, int w, int *label, int *queue, float *out);

#endif
