/* run_list.h: `msprune run BUNDLE --list FILE`: a Darknet image list read
 * for a bundle (its paths, their classes when the paths name them) and the
 * tally of answers against those classes. The command prints; this reads,
 * checks and counts. */
#ifndef MSP_RUN_LIST_H
#define MSP_RUN_LIST_H

#include <stdint.h>

#include "runtime/msprune.h"
#include "base/base.h"

typedef struct msp_run_list {
    int n;
    char **paths;   /* as written in the list (relative to the working folder) */
    int *lines;     /* each path's line in the list */
    int *labels;    /* each path's class among the bundle's, or NULL when the
                       classes cannot be read from the paths (see why) */
    char why[1024]; /* when labels is NULL: the first line whose class could
                       not be read, and why (LIST:LINE: message) */
} msp_run_list;

/* Read list_path (at most limit paths if limit > 0) and label every path
 * with the bundle's class names by the image lists' rule
 * (msp_imagelist_class_of); names_path names the bundle's classes in
 * messages. A list that cannot be read, or has no path, is MSP_BAD_INPUT. */
msp_status msp_run_list_read(const char *list_path, int limit, const msprune_bundle *b,
                             const char *names_path, msp_run_list *l, msp_err *err);
/* Decode image i of the list into x (the bundle's input shape), with errors
 * at LIST:LINE. */
msp_status msp_run_list_image(const msp_run_list *l, const char *list_path, int i,
                              const msprune_bundle *b, float *x, msp_err *err);
/* Decode every image once, so that a missing or damaged one is refused
 * before any answer is printed or written. */
msp_status msp_run_list_check(const msp_run_list *l, const char *list_path,
                              const msprune_bundle *b, msp_err *err);
void msp_run_list_free(msp_run_list *l);

/* Answers against the list's classes. */
typedef struct msp_run_tally {
    int n_classes;
    int64_t images, correct;
    int64_t *class_images, *class_correct; /* per class of the bundle */
} msp_run_tally;

void msp_run_tally_init(msp_run_tally *t, int n_classes);
/* One answer (class_id -1 = "other": wrong) for an image of class truth. */
void msp_run_tally_add(msp_run_tally *t, int truth, int class_id);
void msp_run_tally_free(msp_run_tally *t);

#endif
