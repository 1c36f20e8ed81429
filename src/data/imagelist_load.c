/* imagelist_load.c: image-list datasets into memory (msp_imagelist_load)
 * and checked without holding them (msp_imagelist_scan).
 *
 * Every line is matched to its class first (imagelist.c); then every image
 * is read by msprune's one image decoder (image.c: checked, decoded with a
 * private stb_image, resized with Darknet's resize_image only when asked),
 * never by Darknet's path loader. Errors name the list and line. With a
 * limit, every line is still read and matched to its class (the draw is
 * stratified by class), but only the drawn images are decoded.
 */
#include <stdlib.h>
#include <string.h>

#include "dataset.h"

/* Every line of a list with its class, before any image is read. */
typedef struct listed {
    char **paths;
    int *labels, *lines;
    int n;
} listed;

static void listed_free(listed *l)
{
    msp_free_strings(l->paths, l->n);
    free(l->labels);
    free(l->lines);
    memset(l, 0, sizeof *l);
}

static msp_status read_list(const char *list_path, char *const *names, int k,
                            const char *names_path, listed *out, msp_err *err)
{
    memset(out, 0, sizeof *out);
    msp_status s = msp_imagelist_paths(list_path, &out->paths, &out->lines, &out->n, err);
    if (s == MSP_OK && out->n == 0)
        s = msp_err_set(err, MSP_BAD_INPUT, list_path, 0, "image list has no image paths");
    if (s == MSP_OK) out->labels = msp_malloc((size_t)out->n * sizeof(int));
    for (int i = 0; s == MSP_OK && i < out->n; i++)
        s = msp_imagelist_class_of(list_path, out->lines[i], out->paths[i], names, k, names_path,
                                   &out->labels[i], err);
    if (s != MSP_OK) listed_free(out);
    return s;
}

static msp_status check_opts(const msp_imagelist_opts *o, msp_err *err)
{
    if (o->w < 1 || o->h < 1 || o->w > MSP_DATASET_MAX_SIDE || o->h > MSP_DATASET_MAX_SIDE)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "image size %dx%d is out of range: width and height must be 1 to %d",
                           o->w, o->h, MSP_DATASET_MAX_SIDE);
    if (o->c != 1 && o->c != 3)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "%d channels requested; image lists support 1 (grey) or 3 (RGB)", o->c);
    return MSP_OK;
}

/* The options checked, the names read and every line of the list matched
 * to its class; on error nothing is left to free. */
static msp_status open_list(const char *list_path, const char *names_path,
                            const msp_imagelist_opts *o, char ***names, int *k, listed *l,
                            msp_err *err)
{
    msp_status s = check_opts(o, err);
    if (s == MSP_OK) s = msp_imagelist_names(names_path, names, k, err);
    if (s != MSP_OK) return s;
    s = read_list(list_path, *names, *k, names_path, l, err);
    if (s != MSP_OK) {
        msp_free_strings(*names, *k);
        *names = NULL;
        *k = 0;
    }
    return s;
}

msp_status msp_imagelist_load(const char *list_path, const char *names_path,
                              const msp_imagelist_opts *o, msp_dataset *d, msp_err *err)
{
    memset(d, 0, sizeof *d);
    /* Every line's class first (cheap), then the draw, then only the drawn
     * images are decoded. */
    char **names = NULL;
    int k = 0;
    listed l;
    msp_status s = open_list(list_path, names_path, o, &names, &k, &l, err);
    if (s != MSP_OK) return s;
    int n = 0, *pick = NULL;
    if (s == MSP_OK) pick = msp_stratified_draw(l.labels, l.n, k, o->limit > 0 ? o->limit : l.n,
                                               o->seed, &n);
    size_t sz = (size_t)o->c * o->h * o->w;
    if (s == MSP_OK && (unsigned long long)n * sz > MSP_DATASET_MAX_VALUES)
        s = msp_err_set(err, MSP_BAD_INPUT, list_path, 0,
                        "%d images of %dx%dx%d are too many to hold (more than %llu values); "
                        "set a smaller limit",
                        n, o->c, o->h, o->w, MSP_DATASET_MAX_VALUES);
    float *x = NULL;
    int *labels = NULL;
    if (s == MSP_OK) {
        x = msp_malloc((size_t)n * sz * sizeof(float) + 1);
        labels = msp_malloc((size_t)n * sizeof(int) + 1);
    }
    for (int i = 0; s == MSP_OK && i < n; i++) {
        int j = pick[i];
        labels[i] = l.labels[j];
        s = msp_image_load_fit_at(list_path, l.lines[j], l.paths[j], o->w, o->h, o->c, o->resize,
                                  x + (size_t)i * sz, err);
    }
    free(pick);
    listed_free(&l);
    if (s != MSP_OK) {
        free(x);
        free(labels);
        msp_free_strings(names, k);
        return s;
    }
    d->n = n;
    d->w = o->w;
    d->h = o->h;
    d->c = o->c;
    d->n_classes = k;
    d->x = x;
    d->y = labels;
    d->class_names = names;
    return MSP_OK;
}

msp_status msp_imagelist_scan(const char *list_path, const char *names_path,
                              const msp_imagelist_opts *o, int **per_class, int *n_classes,
                              msp_err *err)
{
    *per_class = NULL;
    *n_classes = 0;
    char **names = NULL;
    int k = 0;
    listed l;
    msp_status s = open_list(list_path, names_path, o, &names, &k, &l, err);
    if (s != MSP_OK) return s;
    msp_free_strings(names, k);
    /* One image at a time: a list is checked without holding its images. */
    float *buf = msp_malloc((size_t)o->c * o->h * o->w * sizeof(float));
    int *count = msp_calloc((size_t)k, sizeof(int));
    for (int i = 0; s == MSP_OK && i < l.n; i++) {
        s = msp_image_load_fit_at(list_path, l.lines[i], l.paths[i], o->w, o->h, o->c, o->resize,
                                  buf, err);
        count[l.labels[i]]++;
    }
    free(buf);
    listed_free(&l);
    if (s != MSP_OK) {
        free(count);
        return s;
    }
    *per_class = count;
    *n_classes = k;
    return MSP_OK;
}
