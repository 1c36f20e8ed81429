/* stamp.h: what an output was built from, so that a make-like pipeline
 * rebuilds it when (and only when) one of its inputs changed.
 *
 * A stamp is an ordered list of (key, value) pairs: the config values a stage
 * reads ("base.epochs" = "8"), the files it reads by content ("file
 * cfg/base.cfg" = size and CRC-32) or by size and modification time ("image
 * data/train/a/1.png"). A stage builds its stamp before it starts, and writes
 * it beside its output when it succeeds; the next run compares the stamp it
 * would build with the one on disk, and says which input changed.
 *
 * Record format: one "key<TAB>value" line per pair, in order, with tab,
 * newline and backslash escaped as \t, \n, \\. Written atomically. */
#ifndef MSP_STAMP_H
#define MSP_STAMP_H

#include <stddef.h>

#include "status.h"

typedef struct msp_stamp {
    char **key, **value;
    int n, cap;
} msp_stamp;

void msp_stamp_free(msp_stamp *s);

/* Append key = printf(fmt, ...). */
void msp_stamp_add(msp_stamp *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A file by content: "file PATH" = its size and CRC-32, or "missing". */
void msp_stamp_add_file(msp_stamp *s, const char *path);
/* A file by size and modification time: "<kind> PATH" = both, or "missing"
 * (for many large inputs, such as a dataset's images). */
void msp_stamp_add_file_time(msp_stamp *s, const char *kind, const char *path);

typedef enum {
    MSP_STAMP_SAME = 0,    /* every input as recorded */
    MSP_STAMP_CHANGED = 1, /* why says which: "base.epochs changed (2 -> 8)" */
    MSP_STAMP_NONE = 2     /* no record (or an unreadable one) */
} msp_stamp_result;

/* Compare s with the record at path. */
msp_stamp_result msp_stamp_compare(const msp_stamp *s, const char *path, char *why, size_t size);
/* Write s as the record at path (atomically; the folder is created). */
msp_status msp_stamp_write(const msp_stamp *s, const char *path, msp_err *err);

/* Where stage `name`'s record lives: "<output>/stamps/<name>.inputs". */
char *msp_stamp_path(const char *output, const char *name);

#endif
