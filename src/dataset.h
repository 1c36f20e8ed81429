/* dataset.h: labelled image sets for training and evaluation.
 *
 * Loaders: IDX files (MNIST / Fashion-MNIST, raw or gzip) and Darknet-style
 * image lists (one path per line + a class-names file). Both validate
 * everything before allocating or handing anything to Darknet.
 * Operations: deterministic stratified split, subsets, class filtering and
 * seeded sampling. All randomness comes from an explicit seed (msp_rng).
 *
 * Ownership: an msp_dataset owns x, y and class_names (and each name).
 * A zeroed msp_dataset is empty; msp_dataset_free is safe on it and zeroes
 * the struct again. Every function that fills an output dataset leaves it
 * zeroed on error.
 */
#ifndef MSP_DATASET_H
#define MSP_DATASET_H

#include <stdint.h>

#include "status.h"

/* Bounds applied by the loaders before any allocation. */
#define MSP_DATASET_MAX_EXAMPLES 10000000 /* images per file / lines per list */
#define MSP_DATASET_MAX_SIDE 4096         /* IDX rows/cols, requested w/h */
#define MSP_DATASET_MAX_CLASSES 100000
#define MSP_DATASET_MAX_PATH 4096         /* bytes in a list line or class name */
/* Kept floats (n*c*h*w), 4 GiB: beyond this, ask for a limit. */
#define MSP_DATASET_MAX_VALUES (1ULL << 30)

typedef struct msp_dataset {
    int n;              /* number of examples */
    int w, h, c;        /* image shape */
    int n_classes;
    float *x;           /* n x (c*h*w): image i at x + i*c*h*w, CHW, values in [0,1] */
    int *y;             /* n labels in [0, n_classes) */
    char **class_names; /* n_classes owned strings, or NULL (IDX has no names) */
} msp_dataset;

/* Free everything d owns and zero it. d may be zeroed or NULL. */
void msp_dataset_free(msp_dataset *d);

/* Size of one example in floats (c*h*w). */
static inline size_t msp_dataset_example_size(const msp_dataset *d)
{
    return (size_t)d->c * (size_t)d->h * (size_t)d->w;
}

/* Load an IDX image file (magic 0x00000803: u8, 3 dims: count, rows, cols)
 * and its label file (0x00000801: u8, 1 dim: count). Either may be gzip or
 * raw. Strict: dims in [1, MSP_DATASET_MAX_SIDE], counts equal and at most
 * MSP_DATASET_MAX_EXAMPLES, file length exactly header + payload.
 * n_classes = max label + 1 over the whole file, or n_classes_hint if > 0
 * (then any label >= hint is an error naming its index).
 * limit > 0 keeps only the first `limit` examples; the whole file is still
 * read and validated. Result: c = 1, w = cols, h = rows, class_names NULL.
 * labels_path NULL: images only, every label 0 and n_classes 1.
 * MSP_BAD_INPUT for malformed or missing files, MSP_FAIL for read errors. */
msp_status msp_idx_load(const char *images_path, const char *labels_path, int n_classes_hint,
                        int limit, msp_dataset *d, msp_err *err);

/* Load a Darknet image-list dataset. list_path: one image path per line
 * (blank lines ignored, surrounding whitespace trimmed, relative paths
 * relative to the cwd as in Darknet). names_path: one class name per line.
 * The label of an image is the class whose name occurs as a substring of the
 * path (as Darknet's classifier does); exactly one class must match.
 * Every image is read as msp_image_load reads it, with errors at LIST:LINE.
 * c must be 1 or 3. limit > 0 reads only the first `limit` images. */
msp_status msp_imagelist_load(const char *list_path, const char *names_path, int w, int h, int c,
                              int limit, msp_dataset *d, msp_err *err);
/* The image paths of a list as msp_imagelist_load resolves them, with their
 * line numbers (blank lines skipped); two owned arrays, n entries. */
msp_status msp_imagelist_paths(const char *list_path, char ***paths, int **lines, int *n,
                               msp_err *err);
/* The label of image path p (line `line` of list lpath, for messages) among
 * the class names[0..k) read from names_path, by msp_imagelist_load's rule.
 * MSP_BAD_INPUT, at LIST:LINE, when no class or more than one matches. */
msp_status msp_imagelist_class_of(const char *lpath, int line, const char *p, char *const *names,
                                  int k, const char *names_path, int *label, msp_err *err);
/* Read a names file as msp_imagelist_load does (one class name per line in
 * UTF-8, no blank line, no repeat) and count its classes. */
msp_status msp_imagelist_check_names(const char *names_path, int *n_classes, msp_err *err);

/* One image file (PNG, JPEG, BMP or binary PGM/PPM) into dst[c*h*w] (CHW,
 * RGB or grey, values in [0, 1]), resized to w x h as Darknet's load_image
 * resizes; c is 1 or 3. The file is checked strictly and decoded by msprune
 * itself (Darknet never gets the path); for PNG, BMP and PNM the pixels equal
 * those of Darknet's load_image. A file that is not a complete, valid image
 * is MSP_BAD_INPUT with a message naming it and what is wrong. */
msp_status msp_image_load(const char *path, int w, int h, int c, float *dst, msp_err *err);
/* As msp_image_load, with messages at LIST:LINE when lpath is not NULL. */
msp_status msp_image_load_at(const char *lpath, int line, const char *path, int w, int h, int c,
                             float *dst, msp_err *err);

/* Deterministic stratified split: within each class, indices are shuffled
 * with a generator seeded from `seed` and the first ones go to validation.
 * The per-class validation counts are cumulative roundings, so they total
 * round(n * val_fraction) and each is within 1 of n_c * val_fraction.
 * val_fraction in [0, 1]. Outputs two owned arrays (non-NULL even when
 * empty, free with free()), each in ascending index order. */
msp_status msp_dataset_split(const msp_dataset *d, double val_fraction, uint64_t seed,
                             int **train_idx, int *n_train, int **val_idx, int *n_val,
                             msp_err *err);

/* Copy examples idx[0..n) (each in [0, d->n), repeats allowed) into a new
 * dataset `out` with the same shape, classes and names. */
void msp_dataset_subset(const msp_dataset *d, const int *idx, int n, msp_dataset *out);

/* How msp_dataset_filter_classes labels what it keeps. */
typedef enum msp_class_mode {
    MSP_CLASSES_KEEP = 0,        /* labels and classes unchanged */
    MSP_CLASSES_REMAP = 1,       /* labels become positions in `classes`, n_classes = k */
    MSP_CLASSES_REMAP_OTHER = 2  /* as REMAP, and every other example is kept as class k,
                                  * named "other" (n_classes = k + 1): a specialist's data */
} msp_class_mode;

/* Keep the examples whose label is in classes[0..k) (all of them with
 * MSP_CLASSES_REMAP_OTHER), in their original order, labelled by mode;
 * class_names follow the labels. MSP_BAD_INPUT for k < 1, an out-of-range
 * or a repeated class id. */
msp_status msp_dataset_filter_classes(const msp_dataset *d, const int *classes, int k,
                                      msp_class_mode mode, msp_dataset *out, msp_err *err);

/* A stratified seeded draw of min(m, n) of the indices 0..n-1 with labels
 * y[i] in [0, k): every index is shuffled once by a generator seeded from
 * seed, and class c takes the first q_c of its indices in that order, where
 * the quotas are cumulative roundings of m * n_c / n (as in
 * msp_dataset_split: they total m, each within 1 of its class's share).
 * Returns an owned array of *n_out indices in ascending order. */
int *msp_stratified_draw(const int *y, int n, int k, int m, uint64_t seed, int *n_out);

/* The examples msp_stratified_draw picks (min(m, n) of them, stratified by
 * class, seeded), kept in original order. */
void msp_dataset_sample(const msp_dataset *d, int m, uint64_t seed, msp_dataset *out);

#endif
