/* run_list.c: an image list read for a bundle, and the answers' tally. */
#include <stdlib.h>
#include <string.h>

#include "data/data.h"
#include "base/base.h"
#include "runtime/run_list.h"
#include "runtime/runtime_int.h"

void msp_run_list_free(msp_run_list *l)
{
    msp_free_strings(l->paths, l->n);
    free(l->lines);
    free(l->labels);
    memset(l, 0, sizeof *l);
}

/* Keep the first limit paths (all if limit <= 0). */
static void truncate_list(msp_run_list *l, int limit)
{
    if (limit <= 0 || limit >= l->n) return;
    for (int i = limit; i < l->n; i++) free(l->paths[i]);
    l->n = limit;
}

/* Every path's class, or none and the first reason why not. */
static void label_paths(msp_run_list *l, const char *list_path, const msprune_bundle *b,
                        const char *names_path)
{
    const msp_bundle_manifest *m = msp_runtime_manifest(b);
    int *labels = msp_malloc(sizeof(int) * (size_t)l->n);
    for (int i = 0; i < l->n; i++) {
        msp_err why = {{0}};
        if (msp_imagelist_class_of(list_path, l->lines[i], l->paths[i], m->classes, m->n_classes,
                                   names_path, &labels[i], &why) != MSP_OK) {
            snprintf(l->why, sizeof l->why, "%s", why.msg);
            free(labels);
            return;
        }
    }
    l->labels = labels;
}

msp_status msp_run_list_read(const char *list_path, int limit, const msprune_bundle *b,
                             const char *names_path, msp_run_list *l, msp_err *err)
{
    memset(l, 0, sizeof *l);
    msp_status st = msp_imagelist_paths(list_path, &l->paths, &l->lines, &l->n, err);
    if (st != MSP_OK) return st;
    if (l->n == 0) {
        msp_run_list_free(l);
        return msp_err_set(err, MSP_BAD_INPUT, list_path, 0, "image list has no image paths");
    }
    truncate_list(l, limit);
    label_paths(l, list_path, b, names_path);
    return MSP_OK;
}

msp_status msp_run_list_image(const msp_run_list *l, const char *list_path, int i,
                              const msprune_bundle *b, float *x, msp_err *err)
{
    int c, h, w;
    msprune_input_shape(b, &c, &h, &w);
    return msp_image_load_at(list_path, l->lines[i], l->paths[i], w, h, c, x, err);
}

msp_status msp_run_list_check(const msp_run_list *l, const char *list_path,
                              const msprune_bundle *b, msp_err *err)
{
    int c, h, w;
    msprune_input_shape(b, &c, &h, &w);
    float *x = msp_malloc(sizeof(float) * (size_t)c * (size_t)h * (size_t)w);
    msp_progress pr;
    msp_progress_start(&pr, "checking images", l->n);
    msp_status st = MSP_OK;
    for (int i = 0; i < l->n && st == MSP_OK; i++) {
        st = msp_run_list_image(l, list_path, i, b, x, err);
        msp_progress_update(&pr, i + 1, NULL);
    }
    if (st == MSP_OK && pr.t_last > pr.t_start) msp_progress_finish(&pr, l->n, NULL);
    free(x);
    return st;
}

void msp_run_tally_init(msp_run_tally *t, int n_classes)
{
    memset(t, 0, sizeof *t);
    t->n_classes = n_classes;
    t->class_images = msp_calloc((size_t)n_classes + 1, sizeof(int64_t));
    t->class_correct = msp_calloc((size_t)n_classes + 1, sizeof(int64_t));
}

void msp_run_tally_add(msp_run_tally *t, int truth, int class_id)
{
    MSP_ASSERT(truth >= 0 && truth < t->n_classes);
    int ok = class_id == truth;
    t->images++;
    t->correct += ok;
    t->class_images[truth]++;
    t->class_correct[truth] += ok;
}

void msp_run_tally_free(msp_run_tally *t)
{
    free(t->class_images);
    free(t->class_correct);
    memset(t, 0, sizeof *t);
}
