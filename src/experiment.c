/* experiment.c: load and split an experiment's datasets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "log.h"
#include "stamp.h"

static msp_status load_one(const msp_expconf *c, int test, int limit, msp_dataset *out,
                           msp_err *err)
{
    if (c->data.format == MSP_DATA_IDX)
        return msp_idx_load(test ? c->data.test_images : c->data.train_images,
                            test ? c->data.test_labels : c->data.train_labels, c->data.n_classes,
                            limit, out, err);
    return msp_imagelist_load(test ? c->data.test_list : c->data.train_list, c->data.names,
                              c->data.width, c->data.height, c->data.channels, limit, out, err);
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
        msp_dataset all = {0}, sampled = {0};
        st = load_one(c, 0, 0, &all, err);
        if (st != MSP_OK) return st;
        if (c->data.train_limit > 0 && c->data.train_limit < all.n) {
            msp_dataset_sample(&all, c->data.train_limit, c->seed, &sampled);
            msp_dataset_free(&all);
            all = sampled;
        }
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
        st = load_one(c, 1, c->data.test_limit, &d->test, err);
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
