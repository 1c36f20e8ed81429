/* experiment.c: load and split an experiment's datasets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "base/base.h"

/* A limit beyond the data is not an error (the same config serves small
 * and full runs), but the user should know what is used instead. */
static void warn_limit(const char *key, int limit, const char *split, int n)
{
    msp_log(MSP_LOG_WARN, "data.%s = %d but the %s has %d images: using all %d", key, limit, split,
            n, n);
}

/* One split, with its limit drawn stratified by class from a shuffle seeded
 * by the config's seed: for lists before decoding, for IDX after reading. */
static msp_status load_one(const msp_expconf *c, int test, msp_dataset *out, msp_err *err)
{
    int limit = test ? c->data.test_limit : c->data.train_limit;
    const char *key = test ? "test_limit" : "train_limit";
    const char *split = test ? "test split" : "training split";
    msp_status st;
    if (c->data.format == MSP_DATA_LIST) {
        msp_imagelist_opts o = {.w = c->data.width, .h = c->data.height, .c = c->data.channels,
                                .resize = c->data.resize, .limit = limit, .seed = c->seed};
        st = msp_imagelist_load(test ? c->data.test_list : c->data.train_list, c->data.names, &o,
                                out, err);
        if (st == MSP_OK && limit > out->n) warn_limit(key, limit, split, out->n);
        return st;
    }
    msp_dataset all = {0};
    st = msp_idx_load(test ? c->data.test_images : c->data.train_images,
                      test ? c->data.test_labels : c->data.train_labels, c->data.n_classes, 0,
                      &all, err);
    if (st != MSP_OK || limit <= 0) {
        *out = all;
        return st;
    }
    if (limit > all.n) warn_limit(key, limit, split, all.n);
    msp_dataset_sample(&all, limit, c->seed, out);
    msp_dataset_free(&all);
    return MSP_OK;
}

static void name_classes(const msp_expconf *c, msp_dataset *ds)
{
    if (ds->class_names || c->data.n_classes != ds->n_classes) return;
    ds->class_names = msp_calloc((size_t)ds->n_classes, sizeof *ds->class_names);
    for (int k = 0; k < ds->n_classes; k++) ds->class_names[k] = msp_strdup(c->data.classes[k]);
}

msp_status msp_experiment_load_data(const msp_expconf *c, int mask, msp_experiment_data *d,
                                    msp_err *err)
{
    memset(d, 0, sizeof *d);
    msp_status st = MSP_OK;
    if (mask & (MSP_SPLIT_TRAIN | MSP_SPLIT_VAL)) {
        msp_dataset all = {0};
        st = load_one(c, 0, &all, err);
        if (st != MSP_OK) return st;
        name_classes(c, &all);
        int *ti = NULL, *vi = NULL, nt = 0, nv = 0;
        st = msp_dataset_split(&all, c->data.validation, c->seed, &ti, &nt, &vi, &nv, err);
        if (st == MSP_OK) {
            if (mask & MSP_SPLIT_TRAIN) msp_dataset_subset(&all, ti, nt, &d->train);
            if (mask & MSP_SPLIT_VAL) msp_dataset_subset(&all, vi, nv, &d->val);
        }
        free(ti);
        free(vi);
        msp_dataset_free(&all);
        if (st != MSP_OK) return st;
    }
    if (mask & MSP_SPLIT_TEST) {
        st = load_one(c, 1, &d->test, err);
        if (st != MSP_OK) {
            msp_experiment_data_free(d);
            return st;
        }
        name_classes(c, &d->test);
    }
    return MSP_OK;
}

void msp_experiment_data_free(msp_experiment_data *d)
{
    msp_dataset_free(&d->train);
    msp_dataset_free(&d->val);
    msp_dataset_free(&d->test);
}

char *msp_experiment_path(const msp_expconf *c, const char *leaf)
{
    return msp_strcat3(c->output, "/", leaf);
}

/* A list by content, its images by size and time: touching an image, or
 * regenerating it, is a change; reading them all would be a training's
 * worth of work on every run. */
static void stamp_list(const char *list, msp_stamp *s)
{
    msp_stamp_add_file(s, list);
    char **paths = NULL;
    int *lines = NULL, n = 0;
    msp_err ignore;
    if (msp_imagelist_paths(list, &paths, &lines, &n, &ignore) != MSP_OK) return;
    for (int i = 0; i < n; i++) {
        msp_stamp_add_file_time(s, "image", paths[i]);
        free(paths[i]);
    }
    free(paths);
    free(lines);
}

void msp_experiment_stamp_data(const msp_expconf *c, int mask, msp_stamp *s)
{
    msp_stamp_add(s, "seed", "%llu", (unsigned long long)c->seed);
    msp_expconf_stamp(c, "data", s);
    int train = mask & (MSP_SPLIT_TRAIN | MSP_SPLIT_VAL), test = mask & MSP_SPLIT_TEST;
    if (c->data.format == MSP_DATA_IDX) {
        if (train) msp_stamp_add_file_time(s, "data", c->data.train_images);
        if (train) msp_stamp_add_file_time(s, "data", c->data.train_labels);
        if (test) msp_stamp_add_file_time(s, "data", c->data.test_images);
        if (test) msp_stamp_add_file_time(s, "data", c->data.test_labels);
        return;
    }
    msp_stamp_add_file(s, c->data.names);
    if (train) stamp_list(c->data.train_list, s);
    if (test) stamp_list(c->data.test_list, s);
}
