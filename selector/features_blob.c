/* features_blob.c: the shape of the image's main blob. Background level =
 * median of the border pixels (256 levels); foreground = pixels whose
 * distance to it is above the Otsu threshold of those distances; main blob =
 * the largest 8-connected foreground component (first in raster order on
 * ties). Outputs bounding-box aspect (width / height), area and perimeter
 * in pixels (blob pixel sides not shared with another blob pixel) and
 * compactness 4 pi area / perimeter^2.
 * Limits: one global threshold (no local adaptation); a blob touching the
 * image border counts the border as perimeter; holes add to the perimeter. */
#include <math.h>
#include <string.h>

#include "features_impl.h"

/* The lower median level (0..255) of the border pixels. */
static int border_median(const float *g, int h, int w)
{
    int hist[256] = {0}, n = 0;
    for (int y = 0; y < h; y++) {
        int step = (y == 0 || y == h - 1) ? 1 : (w > 1 ? w - 1 : 1);
        for (int x = 0; x < w; x += step) {
            hist[msp_fx_q255(g[(size_t)y * w + x])]++;
            n++;
        }
    }
    int need = (n + 1) / 2, acc = 0;
    for (int k = 0; k < 256; k++)
        if ((acc += hist[k]) >= need) return k;
    return 255;
}

/* Otsu: the level t maximising the between-class variance of {<= t} and
 * {> t}; -1 when no level splits the pixels into two non-empty classes. */
static int otsu(const int *hist, size_t n)
{
    double total = 0;
    for (int k = 0; k < 256; k++) total += (double)k * hist[k];
    double w0 = 0, s0 = 0, best = 0;
    int best_t = -1;
    for (int t = 0; t < 255; t++) {
        if (!hist[t] && t > 0) continue; /* same split as t - 1 */
        w0 += hist[t];
        s0 += (double)t * hist[t];
        double w1 = (double)n - w0;
        if (w0 == 0 || w1 == 0) continue;
        double m0 = s0 / w0, m1 = (total - s0) / w1;
        double v = w0 * w1 * (m0 - m1) * (m0 - m1);
        if (v > best) {
            best = v;
            best_t = t;
        }
    }
    return best_t;
}

void msp_fx_shape(const float *g, int h, int w, int *label, int *queue, float *out)
{
    memset(out, 0, 4 * sizeof *out);
    size_t hw = (size_t)h * (size_t)w;
    float b = (float)border_median(g, h, w) / 255.0f;
    int hist[256] = {0}, maxq = 0;
    for (size_t p = 0; p < hw; p++) {
        int q = msp_fx_q255(fabsf(g[p] - b));
        label[p] = q; /* the distance level, until thresholded below */
        hist[q]++;
        if (q > maxq) maxq = q;
    }
    if ((float)maxq / 255.0f < MSP_FEATURES_BLOB_MIN_CONTRAST) return;
    int t = otsu(hist, hw);
    if (t < 0) return;
    for (size_t p = 0; p < hw; p++) label[p] = label[p] > t ? -1 : 0;

    /* Breadth-first labelling; components get ids 1, 2, ... */
    int id = 0, best_id = 0;
    size_t best_area = 0;
    int bx0 = 0, bx1 = 0, by0 = 0, by1 = 0;
    for (size_t start = 0; start < hw; start++) {
        if (label[start] != -1) continue;
        id++;
        size_t head = 0, tail = 0;
        queue[tail++] = (int)start;
        label[start] = id;
        int x0 = w, x1 = -1, y0 = h, y1 = -1;
        while (head < tail) {
            int p = queue[head++], px = p % w, py = p / w;
            if (px < x0) x0 = px;
            if (px > x1) x1 = px;
            if (py < y0) y0 = py;
            if (py > y1) y1 = py;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int nx = px + dx, ny = py + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    int q = ny * w + nx;
                    if (label[q] != -1) continue;
                    label[q] = id;
                    queue[tail++] = q;
                }
        }
        if (tail > best_area) {
            best_area = tail;
            best_id = id;
            bx0 = x0, bx1 = x1, by0 = y0, by1 = y1;
        }
    }
    if (!best_id) return;
    size_t perim = 0;
    for (int y = by0; y <= by1; y++)
        for (int x = bx0; x <= bx1; x++) {
            if (label[(size_t)y * w + x] != best_id) continue;
            perim += x == 0 || label[(size_t)y * w + x - 1] != best_id;
            perim += x == w - 1 || label[(size_t)y * w + x + 1] != best_id;
            perim += y == 0 || label[(size_t)(y - 1) * w + x] != best_id;
            perim += y == h - 1 || label[(size_t)(y + 1) * w + x] != best_id;
        }
    out[0] = (float)(bx1 - bx0 + 1) / (float)(by1 - by0 + 1);
    out[1] = (float)best_area;
    out[2] = (float)perim;
    out[3] = (float)(4.0 * M_PI * (double)best_area / ((double)perim * (double)perim));
}
