/* experiment.h: the data of an experiment config, loaded once and split.
 *
 * The training images are split into train and validation parts with the
 * config's seed (stratified), after an optional subset (train_limit); the
 * test split is the dataset's own test set (optionally limited, test_limit).
 * A limit is a draw stratified by class from a shuffle seeded by the
 * config's seed (msp_stratified_draw); one larger than the data is a
 * warning, and all the data is used. Class names: the dataset's, else the
 * config's data.classes. */
#ifndef MSP_EXPERIMENT_H
#define MSP_EXPERIMENT_H

#include "dataset.h"
#include "expconf.h"
#include "base/base.h"

typedef struct msp_experiment_data {
    msp_dataset train, val, test;
} msp_experiment_data;

typedef enum {
    MSP_SPLIT_TRAIN = 1,
    MSP_SPLIT_VAL = 2,
    MSP_SPLIT_TEST = 4
} msp_split_mask;

/* Load the splits named in mask (others stay empty). */
msp_status msp_experiment_load_data(const msp_expconf *conf, int mask, msp_experiment_data *d,
                                    msp_err *err);
void msp_experiment_data_free(msp_experiment_data *d);

struct msp_stamp;
/* What the splits in mask are made of, appended to a stamp: the seed, the
 * data settings, and the files (IDX files and image files by size and
 * modification time, lists and the names file by content). */
void msp_experiment_stamp_data(const msp_expconf *conf, int mask, struct msp_stamp *s);

/* "<output>/<leaf>" in a new string. */
char *msp_experiment_path(const msp_expconf *conf, const char *leaf);

#endif
