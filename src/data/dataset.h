/* dataset.h: labelled image sets for training and evaluation.
 *
 * Loaders: IDX files (MNIST / Fashion-MNIST, raw or gzip) and Darknet-style
 * image lists (one path per line + a class-names file; the class of an image
 * is the class its path names by a whole folder or file-name word). Both validate
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

#include "base/base.h"

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

/* What an IDX pair holds, without its pixels. */
typedef struct msp_idx_shape {
    int n, w, h;    /* images, cols, rows */
    int n_classes;  /* as msp_idx_load counts them */
    int *per_class; /* owned, n_classes image counts */
} msp_idx_shape;

/* The image file's header and the whole label file, checked as msp_idx_load
 * checks them (the image pixels are not read: a cheap check). */
msp_status msp_idx_info(const char *images_path, const char *labels_path, int n_classes_hint,
                        msp_idx_shape *shape, msp_err *err);

/* How an image list becomes a dataset. */
typedef struct msp_imagelist_opts {
    int w, h, c;   /* the network's input; c is 1 (grey) or 3 (RGB) */
    int resize;    /* 0: an image of another size, or grey for 3 channels, or colour
                    * for 1, is refused at LIST:LINE naming both shapes; 1: such
                    * images are resized and converted as Darknet's load_image does */
    int limit;     /* > 0: keep min(limit, lines) images drawn by msp_stratified_draw
                    * over the lines' classes; only those images are decoded */
    uint64_t seed; /* of that draw */
} msp_imagelist_opts;

/* Load a Darknet image-list dataset. list_path: one image path per line
 * (blank lines ignored, surrounding whitespace trimmed). A relative image
 * path is relative to the working folder (as in Darknet and as the config's
 * own paths), never to the list's folder; when such a path is missing but
 * exists next to the list, the error says so and what to do.
 * names_path: one class name per line (msp_imagelist_names). The class of
 * each line is msp_imagelist_class_of's. Every line's class is resolved
 * before any image is read; every image kept is read as msp_image_load_fit_at
 * reads it, with errors at LIST:LINE. The dataset keeps the list's order. */
msp_status msp_imagelist_load(const char *list_path, const char *names_path,
                              const msp_imagelist_opts *o, msp_dataset *d, msp_err *err);
/* Check a whole list as msp_imagelist_load would load it without a limit
 * (every line's class, every image exists, decodes and fits o), one image
 * at a time. *per_class: an owned array of *n_classes image counts. */
msp_status msp_imagelist_scan(const char *list_path, const char *names_path,
                              const msp_imagelist_opts *o, int **per_class, int *n_classes,
                              msp_err *err);
/* The image paths of a list as msp_imagelist_load resolves them, with their
 * line numbers (blank lines skipped); two owned arrays, n entries. */
msp_status msp_imagelist_paths(const char *list_path, char ***paths, int **lines, int *n,
                               msp_err *err);
/* The label of image path p (line `line` of list lpath, for messages) among
 * the class names[0..k) read from names_path. A class is named by a whole
 * path component, never by a substring:
 *  (a) a folder of p (any component but the last) equal to a class name
 *      decides, e.g. data/train/tshirt/1.png is "tshirt", not "shirt";
 *  (b) else a class name found in the file name bounded on each side by the
 *      file name's start or end or a character that is not an ASCII letter
 *      or digit (bytes of non-ASCII characters count as letters), e.g.
 *      1000_truck.png is "truck"; where two such matches overlap, the longer
 *      wins (t-shirt_3.png is "t-shirt" with classes "t-shirt" and "shirt").
 * MSP_BAD_INPUT at LIST:LINE, saying the rule, when no class matches, when
 * folders name two different classes, or when the file name has matches of
 * two different classes that no longer match overlaps. */
msp_status msp_imagelist_class_of(const char *lpath, int line, const char *p, char *const *names,
                                  int k, const char *names_path, int *label, msp_err *err);
/* That rule in the words the messages use. */
#define MSP_IMAGELIST_CLASS_RULE \
    "a class is a whole folder name of the path or, failing that, a whole word of the file name"
/* Read a names file (one class name per line in UTF-8, no blank line, no
 * repeat, no control character): *names is an owned array of *n_classes
 * owned strings. */
msp_status msp_imagelist_names(const char *names_path, char ***names, int *n_classes,
                               msp_err *err);

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
/* As msp_image_load_at; with resize = 0, an image that is not w x h, or
 * whose colour does not match c (a grey image, with or without alpha, is 1
 * channel; a colour one 3), is MSP_BAD_INPUT naming both shapes. */
msp_status msp_image_load_fit_at(const char *lpath, int line, const char *path, int w, int h, int c,
                                 int resize, float *dst, msp_err *err);

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
