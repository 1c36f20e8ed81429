/* features.c: the feature groups' table (names, columns), parsing of group
 * lists, scratch layout, the per-image dispatcher with the cheap one-pass
 * groups (brightness, perceived, contrast, histogram, hue, downsample), and
 * the dataset helper. Edges, corners and the blob live in their own files. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "features.h"
#include "features_impl.h"
#include "base/base.h"

static const char *const cols_brightness[] = {"mean", "rms"};
static const char *const cols_perceived[] = {"mean"};
static const char *const cols_contrast[] = {"std", "range"};
static const char *const cols_edges[] = {"density", "length"};
static const char *const cols_corners[] = {"count"};
static const char *const cols_shape[] = {"aspect", "area", "perimeter", "compactness"};

/* cols == NULL: columns are numbered 0..dim-1. */
static const struct {
    const char *name;
    int dim;
    const char *const *cols;
} groups[MSP_FGROUP_COUNT] = {
    [MSP_FGROUP_BRIGHTNESS] = {"brightness", 2, cols_brightness},
    [MSP_FGROUP_PERCEIVED] = {"perceived", 1, cols_perceived},
    [MSP_FGROUP_CONTRAST] = {"contrast", 2, cols_contrast},
    [MSP_FGROUP_EDGES] = {"edges", 2, cols_edges},
    [MSP_FGROUP_EDGE_ANGLES] = {"edge_angles", 8, NULL},
    [MSP_FGROUP_HISTOGRAM] = {"histogram", 8, NULL},
    [MSP_FGROUP_HUE] = {"hue", 8, NULL},
    [MSP_FGROUP_CORNERS] = {"corners", 1, cols_corners},
    [MSP_FGROUP_SHAPE] = {"shape", 4, cols_shape},
    [MSP_FGROUP_DOWNSAMPLE] = {"downsample", MSP_FEATURES_GRID * MSP_FEATURES_GRID, NULL},
    [MSP_FGROUP_PIXELS] = {"pixels", MSP_FEATURES_PIXELS_GRID * MSP_FEATURES_PIXELS_GRID, NULL},
};

const char *msp_fgroup_name(msp_fgroup g)
{
    return (unsigned)g < MSP_FGROUP_COUNT ? groups[g].name : NULL;
}

int msp_fgroup_dim(msp_fgroup g)
{
    return (unsigned)g < MSP_FGROUP_COUNT ? groups[g].dim : 0;
}

int msp_features_dim(msp_fset set)
{
    int d = 0;
    for (int g = 0; g < MSP_FGROUP_COUNT; g++)
        if (set & MSP_FSET(g)) d += groups[g].dim;
    return d;
}

void msp_features_names(msp_fset set, char (*names)[MSP_FEATURES_NAME_MAX])
{
    int j = 0;
    for (int g = 0; g < MSP_FGROUP_COUNT; g++) {
        if (!(set & MSP_FSET(g))) continue;
        for (int k = 0; k < groups[g].dim; k++, j++) {
            if (groups[g].cols)
                snprintf(names[j], MSP_FEATURES_NAME_MAX, "%s.%s", groups[g].name,
                         groups[g].cols[k]);
            else
                snprintf(names[j], MSP_FEATURES_NAME_MAX, "%s.%d", groups[g].name, k);
        }
    }
}

msp_fgroup msp_features_column_group(msp_fset set, int j)
{
    if (j < 0) return MSP_FGROUP_COUNT;
    for (int g = 0; g < MSP_FGROUP_COUNT; g++) {
        if (!(set & MSP_FSET(g))) continue;
        if (j < groups[g].dim) return (msp_fgroup)g;
        j -= groups[g].dim;
    }
    return MSP_FGROUP_COUNT;
}

/* ---- parsing ---- */

static void valid_names(char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int g = 0; g <= MSP_FGROUP_COUNT && used < n; g++) {
        int k = snprintf(buf + used, n - used, "%s%s", g ? ", " : "",
                         g < MSP_FGROUP_COUNT ? groups[g].name : "all");
        if (k < 0) break;
        used += (size_t)k;
    }
}

msp_status msp_features_parse(const char *list, msp_fset *set, msp_err *err)
{
    char valid[256];
    valid_names(valid, sizeof valid);
    if (set) *set = 0;
    if (!list || !set)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "features: no group list given");
    msp_fset s = 0;
    const char *p = list;
    for (int item = 1;; item++) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && isspace((unsigned char)*p)) p++;
        while (end > p && isspace((unsigned char)end[-1])) end--;
        size_t len = (size_t)(end - p);
        if (len == 0)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "features: empty group name (item %d of '%.200s'); valid groups: %s",
                               item, list, valid);
        char word[64];
        if (len >= sizeof word) len = sizeof word - 1; /* too long to match anything */
        memcpy(word, p, len);
        word[len] = '\0';
        msp_fset bit = 0;
        if (strcmp(word, "all") == 0) bit = MSP_FSET_ALL;
        for (int g = 0; g < MSP_FGROUP_COUNT && !bit; g++)
            if (strcmp(word, groups[g].name) == 0) bit = MSP_FSET(g);
        if (!bit) {
            const char *cand[MSP_FGROUP_COUNT + 2];
            for (int g = 0; g < MSP_FGROUP_COUNT; g++) cand[g] = groups[g].name;
            cand[MSP_FGROUP_COUNT] = "all";
            cand[MSP_FGROUP_COUNT + 1] = NULL;
            const char *near = msp_nearest(word, cand);
            if (near)
                return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                   "features: unknown group '%s' (did you mean '%s'?); valid "
                                   "groups: %s",
                                   word, near, valid);
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "features: unknown group '%s'; valid groups: %s", word, valid);
        }
        if (s & bit)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "features: group '%s' is listed twice in '%.200s'; list each "
                               "group once",
                               word, list);
        s |= bit;
        if (!comma) break;
        p = comma + 1;
    }
    *set = s;
    return MSP_OK;
}

void msp_features_format(msp_fset set, char *buf, size_t n)
{
    if (!n) return;
    buf[0] = '\0';
    size_t used = 0;
    for (int g = 0; g < MSP_FGROUP_COUNT; g++) {
        if (!(set & MSP_FSET(g))) continue;
        int k = snprintf(buf + used, n - used, "%s%s", used ? "," : "", groups[g].name);
        if (k < 0 || (size_t)k >= n - used) {
            buf[used] = '\0'; /* drop a partial name */
            return;
        }
        used += (size_t)k;
    }
}

/* ---- shape and scratch ---- */

msp_status msp_features_check_shape(int c, int h, int w, msp_err *err)
{
    if (c != 1 && c != 3)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "features: images have %d channels; only 1 (grey) or 3 (RGB) are "
                           "supported",
                           c);
    if (h < 1 || w < 1 || h > MSP_FEATURES_MAX_SIDE || w > MSP_FEATURES_MAX_SIDE ||
        (int64_t)h * w > MSP_FEATURES_MAX_PIXELS)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "features: image size %d x %d (h x w) is out of range: each side "
                           "must be 1 to %d and h*w at most %d; resize the images first",
                           h, w, MSP_FEATURES_MAX_SIDE, MSP_FEATURES_MAX_PIXELS);
    return MSP_OK;
}

#define NEEDS_SOBEL (MSP_FSET(MSP_FGROUP_EDGES) | MSP_FSET(MSP_FGROUP_EDGE_ANGLES))

/* Byte offsets of the scratch arrays (each hw elements; 0 size = unused).
 * Floats and ints first, bytes last, so everything stays aligned. */
typedef struct layout {
    size_t grey, mag, score, label, queue, sect, total;
} layout;

static layout make_layout(msp_fset set, int c, size_t hw)
{
    layout l = {0};
    size_t off = 0;
    if (c != 1) { /* grey input is used in place */
        l.grey = off;
        off += hw * sizeof(float);
    }
    if (set & NEEDS_SOBEL) {
        l.mag = off;
        off += hw * sizeof(float);
    }
    if (set & MSP_FSET(MSP_FGROUP_CORNERS)) {
        l.score = off;
        off += hw * sizeof(float);
    }
    if (set & MSP_FSET(MSP_FGROUP_SHAPE)) {
        l.label = off;
        off += hw * sizeof(int);
        l.queue = off;
        off += hw * sizeof(int);
    }
    if (set & NEEDS_SOBEL) {
        l.sect = off;
        off += hw;
    }
    l.total = off ? off : 1;
    return l;
}

size_t msp_features_scratch_size(msp_fset set, int c, int h, int w)
{
    if (msp_features_check_shape(c, h, w, NULL) != MSP_OK) return 0;
    return make_layout(set & MSP_FSET_EVERY, c, (size_t)h * (size_t)w).total;
}

/* ---- the one-pass groups ---- */

static void brightness(const float *g, size_t hw, float *out)
{
    double s = 0, s2 = 0;
    for (size_t p = 0; p < hw; p++) {
        s += g[p];
        s2 += (double)g[p] * g[p];
    }
    out[0] = (float)(s / (double)hw);
    out[1] = (float)sqrt(s2 / (double)hw);
}

static float perceived(const float *img, int c, size_t hw)
{
    double s = 0;
    if (c == 1) {
        for (size_t p = 0; p < hw; p++) s += img[p];
    } else {
        const float *r = img, *gr = img + hw, *b = img + 2 * hw;
        for (size_t p = 0; p < hw; p++)
            s += sqrtf(0.299f * r[p] * r[p] + 0.587f * gr[p] * gr[p] + 0.114f * b[p] * b[p]);
    }
    return (float)(s / (double)hw);
}

/* Two passes, so a constant image has exactly zero deviation. */
static void contrast(const float *g, size_t hw, float *out)
{
    double s = 0;
    float lo = g[0], hi = g[0];
    for (size_t p = 0; p < hw; p++) {
        s += g[p];
        if (g[p] < lo) lo = g[p];
        if (g[p] > hi) hi = g[p];
    }
    double mean = s / (double)hw, v = 0;
    for (size_t p = 0; p < hw; p++) v += (g[p] - mean) * (g[p] - mean);
    out[0] = (float)sqrt(v / (double)hw);
    out[1] = hi - lo;
}

static void histogram(const float *g, size_t hw, float *out)
{
    int n[8] = {0};
    for (size_t p = 0; p < hw; p++) n[msp_fx_bin(g[p], 8)]++;
    for (int k = 0; k < 8; k++) out[k] = (float)((double)n[k] / (double)hw);
}

static void hue(const float *img, int c, size_t hw, float *out)
{
    int n[8] = {0};
    if (c == 3) {
        const float *r = img, *gr = img + hw, *b = img + 2 * hw;
        for (size_t p = 0; p < hw; p++) {
            float R = r[p], G = gr[p], B = b[p];
            float hi = R > G ? R : G, lo = R < G ? R : G;
            if (B > hi) hi = B;
            if (B < lo) lo = B;
            float chroma = hi - lo;
            if (!(chroma > MSP_FEATURES_HUE_MIN_CHROMA)) continue;
            float hh; /* hue in sixths of a turn, [0, 6) */
            if (hi == R) hh = fmodf((G - B) / chroma + 6.0f, 6.0f);
            else if (hi == G) hh = (B - R) / chroma + 2.0f;
            else hh = (R - G) / chroma + 4.0f;
            n[msp_fx_bin(hh / 6.0f, 8)]++;
        }
    }
    for (int k = 0; k < 8; k++) out[k] = (float)((double)n[k] / (double)hw);
}

/* g average-pooled to an n x n grid (downsample: 7, pixels: 14). */
static void downsample(const float *g, int h, int w, int n, float *out)
{
    for (int r = 0; r < n; r++) {
        int y0 = r * h / n, y1 = (r + 1) * h / n;
        if (y1 <= y0) y1 = y0 + 1;
        for (int q = 0; q < n; q++) {
            int x0 = q * w / n, x1 = (q + 1) * w / n;
            if (x1 <= x0) x1 = x0 + 1;
            double s = 0;
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++) s += g[(size_t)y * w + x];
            out[r * n + q] = (float)(s / ((double)(y1 - y0) * (x1 - x0)));
        }
    }
}

/* ---- per image ---- */

msp_status msp_features_compute(msp_fset set, const float *img, int c, int h, int w, float *out,
                                void *scratch, size_t scratch_size, msp_err *err)
{
    set &= MSP_FSET_EVERY;
    int dim = msp_features_dim(set);
    if (out) memset(out, 0, sizeof(float) * (size_t)dim);
    msp_status st = msp_features_check_shape(c, h, w, err);
    if (st != MSP_OK) return st;
    if (!img || !out || !scratch)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "features: no image, output or scratch buffer given");
    if (!set) return MSP_OK; /* nothing to compute (a premodel that reads no features) */
    size_t hw = (size_t)h * (size_t)w;
    layout l = make_layout(set, c, hw);
    if (scratch_size < l.total)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "features: scratch buffer of %zu bytes, need %zu "
                           "(msp_features_scratch_size)",
                           scratch_size, l.total);
    char *base = scratch;
    const float *g = img;
    if (c == 3) {
        float *grey = (float *)(base + l.grey);
        for (size_t p = 0; p < hw; p++)
            grey[p] = (img[p] + img[hw + p] + img[2 * hw + p]) * (1.0f / 3.0f);
        g = grey;
    }
    float edges[2], angles[8];
    if (set & NEEDS_SOBEL)
        msp_fx_edges(g, h, w, (float *)(base + l.mag), (uint8_t *)(base + l.sect), edges,
                     angles);
    float *o = out;
    for (int k = 0; k < MSP_FGROUP_COUNT; k++) {
        if (!(set & MSP_FSET(k))) continue;
        switch ((msp_fgroup)k) {
        case MSP_FGROUP_BRIGHTNESS: brightness(g, hw, o); break;
        case MSP_FGROUP_PERCEIVED: o[0] = perceived(img, c, hw); break;
        case MSP_FGROUP_CONTRAST: contrast(g, hw, o); break;
        case MSP_FGROUP_EDGES: memcpy(o, edges, sizeof edges); break;
        case MSP_FGROUP_EDGE_ANGLES: memcpy(o, angles, sizeof angles); break;
        case MSP_FGROUP_HISTOGRAM: histogram(g, hw, o); break;
        case MSP_FGROUP_HUE: hue(img, c, hw, o); break;
        case MSP_FGROUP_CORNERS: o[0] = msp_fx_corners(g, h, w, (float *)(base + l.score)); break;
        case MSP_FGROUP_SHAPE:
            msp_fx_shape(g, h, w, (int *)(base + l.label), (int *)(base + l.queue), o);
            break;
        case MSP_FGROUP_DOWNSAMPLE: downsample(g, h, w, MSP_FEATURES_GRID, o); break;
        case MSP_FGROUP_PIXELS: downsample(g, h, w, MSP_FEATURES_PIXELS_GRID, o); break;
        case MSP_FGROUP_COUNT: break;
        }
        o += groups[k].dim;
    }
    return MSP_OK;
}

/* ---- datasets ---- */

msp_status msp_features_dataset(msp_fset set, const msp_dataset *d, float **out, int *dim,
                                msp_err *err)
{
    if (out) *out = NULL;
    if (dim) *dim = 0;
    set &= MSP_FSET_EVERY;
    if (!d || !out || !dim)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "features: no dataset or output");
    if (!set)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "features: no feature group selected");
    if (d->n < 1 || d->n > MSP_DATASET_MAX_EXAMPLES || !d->x)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "features: dataset has %d examples, need 1 to %d", d->n,
                           MSP_DATASET_MAX_EXAMPLES);
    msp_status st = msp_features_check_shape(d->c, d->h, d->w, err);
    if (st != MSP_OK) return st;
    int k = msp_features_dim(set);
    if ((uint64_t)d->n * (uint64_t)k > MSP_DATASET_MAX_VALUES)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "features: %d examples x %d columns exceed %llu values; use a "
                           "subset or fewer groups",
                           d->n, k, (unsigned long long)MSP_DATASET_MAX_VALUES);
    size_t ss = msp_features_scratch_size(set, d->c, d->h, d->w);
    void *scratch = msp_malloc(ss);
    float *f = msp_malloc(sizeof(float) * (size_t)d->n * (size_t)k);
    size_t es = msp_dataset_example_size(d);
    for (int i = 0; i < d->n; i++) {
        st = msp_features_compute(set, d->x + (size_t)i * es, d->c, d->h, d->w,
                                  f + (size_t)i * (size_t)k, scratch, ss, err);
        MSP_ASSERT(st == MSP_OK); /* shape and scratch were checked above */
    }
    free(scratch);
    *out = f;
    *dim = k;
    return MSP_OK;
}

void msp_features_scatter(msp_fset all, msp_fset part, const float *src, float *dst)
{
    int pos_all = 0, pos_part = 0;
    for (int g = 0; g < MSP_FGROUP_COUNT; g++) {
        if (!(all & MSP_FSET(g))) continue;
        int dim = msp_fgroup_dim((msp_fgroup)g);
        if (part & MSP_FSET(g)) {
            memcpy(dst + pos_all, src + pos_part, sizeof(float) * (size_t)dim);
            pos_part += dim;
        }
        pos_all += dim;
    }
}
