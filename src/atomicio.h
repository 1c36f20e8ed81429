/* atomicio.h: files. Every output file is written to a temporary name in the
 * same folder and renamed into place, so a killed run never leaves a
 * half-written file under a final name; input files are opened with checks. */
#ifndef MSP_ATOMICIO_H
#define MSP_ATOMICIO_H

#include <stdint.h>
#include <stdio.h>

#include "status.h"

typedef struct msp_atomic {
    FILE *f;
    char *path;     /* final name */
    char *tmp_path; /* "<path>.tmp.<pid>" */
} msp_atomic;

/* Open a temporary file beside path for writing ("wb"). */
msp_status msp_atomic_open(msp_atomic *a, const char *path, msp_err *err);
/* Flush, fsync, close and rename into place; on any failure the temporary
 * file is removed and MSP_FAIL returned. */
msp_status msp_atomic_commit(msp_atomic *a, msp_err *err);
/* Close and remove the temporary file (safe after a failed open or commit). */
void msp_atomic_abort(msp_atomic *a);

/* A temporary name beside path ("<path>.tmp.<pid>"), owned by the caller. */
char *msp_atomic_tmp_name(const char *path);
/* fsync a file by name, then rename it into place; removes tmp on failure. */
msp_status msp_atomic_rename(const char *tmp, const char *path, msp_err *err);

/* mkdir -p; MSP_FAIL with a message on failure. */
msp_status msp_mkdirs(const char *path, msp_err *err);
/* Open an input file that must be a regular file: the descriptor and its
 * size. Missing, unreadable or not a regular file (a directory, FIFO or
 * device: refused without blocking) -> MSP_BAD_INPUT (a wrong path is bad
 * input, exit 2); fstat failure -> MSP_FAIL. Every input goes through here. */
msp_status msp_open_regular(const char *path, int *fd, uint64_t *size, msp_err *err);
/* The same as a stdio stream ("rb"); size may be NULL. */
msp_status msp_fopen_regular(const char *path, FILE **f, uint64_t *size, msp_err *err);
/* A whole small file as a NUL-terminated string (NUL bytes inside are kept;
 * *len is the byte count). More than max bytes -> MSP_BAD_INPUT naming what
 * the file is ("a bundle manifest"), checked before anything is read. */
msp_status msp_read_small(const char *path, size_t max, const char *what, char **text, size_t *len,
                          msp_err *err);
/* Does a regular, readable file exist at path? */
int msp_file_readable(const char *path);

#endif
