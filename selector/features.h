/* features.h: cheap per-input image features for the premodel.
 *
 * What it offers: hand-made features in the spirit of the original research
 * (brightness, contrast, Sobel edges and their angles, intensity and hue
 * histograms, FAST corners, the main blob's shape) and two learned/raw groups
 * (the image average-pooled to a 7x7 and to a 14x14 grey grid), organised as
 * named GROUPS.
 * A feature set is a bitmask of groups; its columns are the groups' columns
 * in group order, each with a fixed name "group.column".
 *
 * Inputs: one CHW float image, c = 1 (grey) or 3 (RGB), values in [0, 1],
 * 1 <= h, w <= MSP_FEATURES_MAX_SIDE and h*w <= MSP_FEATURES_MAX_PIXELS.
 * Values outside [0, 1] (or NaN) never crash anything; histograms clamp
 * them into the end bins. Every feature except "perceived" and "hue" is
 * computed on the grey image g = channel mean. For grey input (c = 1),
 * "perceived" equals the mean brightness (R = G = B = g) and every "hue"
 * bin is 0 (no pixel has chroma).
 *
 * Per image: no allocation. The caller sizes a scratch buffer with
 * msp_features_scratch_size and passes it to msp_features_compute; the
 * same scratch serves any number of images of that shape.
 *
 * Errors: msp_status + msp_err (status.h); outputs zeroed on failure.
 * Ownership: arrays returned through pointer-to-pointer arguments belong
 * to the caller (free()). Deterministic, thread-compatible (no globals).
 */
#ifndef MSP_FEATURES_H
#define MSP_FEATURES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "data/data.h"
#include "base/base.h"

#define MSP_FEATURES_MAX_SIDE 4096
#define MSP_FEATURES_MAX_PIXELS (1 << 22) /* h*w: scratch is at most 21 bytes per pixel */
#define MSP_FEATURES_NAME_MAX 32          /* bytes of a column name, with its NUL */

/* Groups, in column order. Columns (names after the group's "."):
 *  BRIGHTNESS  mean, rms            mean and root mean square of g
 *  PERCEIVED   mean                 mean of sqrt(.299 R^2 + .587 G^2 + .114 B^2)
 *  CONTRAST    std, range           population standard deviation of g; max - min
 *  EDGES       density, length      Sobel magnitude |G|/4 (a unit step gives 1);
 *                                   density = fraction of pixels with magnitude
 *                                   > MSP_FEATURES_EDGE_THRESHOLD; length = number of
 *                                   those that survive non-maximum suppression along
 *                                   the gradient (one-pixel-thin edges), in pixels
 *  EDGE_ANGLES 0..7                 fraction of the thin edge pixels whose gradient
 *                                   direction (mod 180 deg) is k*22.5 +- 11.25 deg;
 *                                   0 = intensity changes along x (a vertical edge),
 *                                   4 = along y; all 0 when there is no edge
 *  HISTOGRAM   0..7                 fraction of pixels with g in [k/8, (k+1)/8)
 *                                   (1 in bin 7); sums to 1
 *  HUE         0..7                 fraction of pixels with chroma (max - min over
 *                                   R, G, B) > MSP_FEATURES_HUE_MIN_CHROMA whose hue
 *                                   is in [k*45, (k+1)*45) deg; sums to the chromatic
 *                                   fraction; all 0 for grey
 *  CORNERS     count                FAST-9 corners: a pixel at least 3 from the border
 *                                   whose 16-pixel circle of radius 3 holds 9
 *                                   contiguous pixels all brighter than it by more
 *                                   than MSP_FEATURES_FAST_THRESHOLD or all darker;
 *                                   WITH non-maximum suppression over 3x3 neighbours
 *                                   (score: summed excess over the threshold of the
 *                                   brighter or darker circle pixels, the larger;
 *                                   ties go to the first pixel in raster order)
 *  SHAPE       aspect, area,        the main blob: background level b = median of
 *              perimeter,           the border pixels of g (quantised to 1/255);
 *              compactness          foreground = |g - b| above its Otsu threshold
 *                                   (256 bins; nothing if max |g - b| <
 *                                   MSP_FEATURES_BLOB_MIN_CONTRAST); main blob = the
 *                                   largest 8-connected foreground component (ties:
 *                                   first in raster order). aspect = bounding-box
 *                                   width / height; area in pixels; perimeter =
 *                                   pixel sides between blob and non-blob (image
 *                                   border included); compactness = 4 pi area /
 *                                   perimeter^2 (pi/4 for a square). All 0 without
 *                                   a blob.
 *  DOWNSAMPLE  0..48                learned/raw: g average-pooled to a 7x7 grid, row
 *                                   by row; cell (r, q) averages rows
 *                                   [r*h/7, (r+1)*h/7) (at least one) and likewise
 *                                   columns
 *  PIXELS      0..195               raw input of the gate-cnn premodel: g
 *                                   average-pooled to a 14x14 grid exactly as
 *                                   DOWNSAMPLE (exact 2x2 pooling for 28x28). Not
 *                                   part of "all": name it explicitly
 * Pixel counts (edges.length, corners.count, shape.area, shape.perimeter)
 * grow with the image size; the premodel standardises its inputs anyway. */
typedef enum msp_fgroup {
    MSP_FGROUP_BRIGHTNESS = 0,
    MSP_FGROUP_PERCEIVED,
    MSP_FGROUP_CONTRAST,
    MSP_FGROUP_EDGES,
    MSP_FGROUP_EDGE_ANGLES,
    MSP_FGROUP_HISTOGRAM,
    MSP_FGROUP_HUE,
    MSP_FGROUP_CORNERS,
    MSP_FGROUP_SHAPE,
    MSP_FGROUP_DOWNSAMPLE,
    MSP_FGROUP_PIXELS,
    MSP_FGROUP_COUNT
} msp_fgroup;

/* A feature set: bit (1u << g) set means group g is included.
 * MSP_FSET_EVERY: every group; MSP_FSET_ALL: what "all" means in a config
 * (every group but PIXELS, which only the gate-cnn premodel reads). */
typedef uint32_t msp_fset;
#define MSP_FSET(g) ((msp_fset)1u << (g))
#define MSP_FSET_EVERY (MSP_FSET(MSP_FGROUP_COUNT) - 1u)
#define MSP_FSET_ALL (MSP_FSET_EVERY & ~MSP_FSET(MSP_FGROUP_PIXELS))

#define MSP_FEATURES_EDGE_THRESHOLD 0.25f    /* on |G|/4 */
#define MSP_FEATURES_FAST_THRESHOLD 0.1f     /* intensity difference */
#define MSP_FEATURES_HUE_MIN_CHROMA 0.05f
#define MSP_FEATURES_BLOB_MIN_CONTRAST 0.05f
#define MSP_FEATURES_GRID 7                  /* downsample grid side */
#define MSP_FEATURES_PIXELS_GRID 14          /* pixels grid side */

/* "brightness", "edge_angles", ...; NULL for an out-of-range group. */
const char *msp_fgroup_name(msp_fgroup g);
/* Columns of one group (0 for an out-of-range group). */
int msp_fgroup_dim(msp_fgroup g);

/* Columns of a set (bits beyond MSP_FSET_EVERY are ignored everywhere). */
int msp_features_dim(msp_fset set);
/* Column names of set, in column order: names[j] = "group.column" for
 * j < msp_features_dim(set). */
void msp_features_names(msp_fset set, char (*names)[MSP_FEATURES_NAME_MAX]);
/* The group of column j of set (MSP_FGROUP_COUNT if j is out of range). */
msp_fgroup msp_features_column_group(msp_fset set, int j);

/* Parse a comma-separated list of group names ("brightness,edges,corners";
 * blanks around names ignored; "all" = every group). MSP_BAD_INPUT for an
 * empty list or name, a repeated group or an unknown name; the message
 * suggests the nearest name and lists the valid ones. */
msp_status msp_features_parse(const char *list, msp_fset *set, msp_err *err);
/* The set as a list that msp_features_parse reads back ("" for none);
 * truncated to fit n bytes (always NUL-terminated when n > 0). */
void msp_features_format(msp_fset set, char *buf, size_t n);

/* Copy the columns of `part` (a subset of `all`'s groups, as computed by
 * msp_features_compute(part, ...)) into their places in a vector of all's
 * columns: a premodel reads the full set's columns, but only the groups it
 * uses need computing. */
void msp_features_scatter(msp_fset all, msp_fset part, const float *src, float *dst);

/* MSP_OK if c in {1, 3} and h, w are within the bounds above. */
msp_status msp_features_check_shape(int c, int h, int w, msp_err *err);
/* Bytes of scratch msp_features_compute needs for this set and shape
 * (0 for a bad shape). */
size_t msp_features_scratch_size(msp_fset set, int c, int h, int w);

/* Features of one image img (c x h x w, CHW) into out[msp_features_dim(set)]
 * (an empty set computes nothing).
 * scratch: at least msp_features_scratch_size(set, c, h, w) bytes, from
 * malloc (suitably aligned), contents irrelevant. MSP_BAD_INPUT for a bad
 * shape, a NULL pointer or a short scratch (out zeroed when it exists). */
msp_status msp_features_compute(msp_fset set, const float *img, int c, int h, int w, float *out,
                                void *scratch, size_t scratch_size, msp_err *err);

/* The n x dim feature matrix of every example of d (row i = example i),
 * owned by the caller. MSP_BAD_INPUT for an empty set or dataset, a bad
 * shape, or n x dim above MSP_DATASET_MAX_VALUES. */
msp_status msp_features_dataset(msp_fset set, const msp_dataset *d, float **out, int *dim,
                                msp_err *err);

/* ---- cost (features_cost.c) ---- */

/* Measured cost, in nanoseconds per image. group_ns[g] is the cost of
 * computing group g alone (including the shared grey conversion and, for
 * edges/edge_angles, the Sobel pass), 0 for groups not in the set; set_ns
 * is the cost of the whole set computed together (shared work done once,
 * so it is at most about the sum). Each value is the median of the per-image
 * times of chunks of 16 images over `repeats` passes over the same images
 * (CLOCK_MONOTONIC), after one untimed warm-up pass: short chunks keep the
 * median free of preemption on a loaded machine. */
typedef struct msp_features_costs {
    double group_ns[MSP_FGROUP_COUNT];
    double set_ns;
    int images, repeats;
} msp_features_costs;

#define MSP_FEATURES_COST_MAX_IMAGES 65536

/* Time set over the first min(max_images, d->n, MSP_FEATURES_COST_MAX_IMAGES)
 * images of d; max_images >= 1, repeats in [1, 1000]. MSP_BAD_INPUT for an
 * empty set, bad arguments or a bad shape. */
msp_status msp_features_cost(msp_fset set, const msp_dataset *d, int max_images, int repeats,
                             msp_features_costs *costs, msp_err *err);

/* A table: one line per group of set (name, columns, ns per image) then the
 * whole set; reference_ns > 0 adds each cost as a percentage of it (e.g.
 * the cheapest network's latency). */
void msp_features_cost_print(FILE *f, msp_fset set, const msp_features_costs *costs,
                             double reference_ns);

#endif
