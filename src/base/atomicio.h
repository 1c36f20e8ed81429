/* atomicio.h: files. Every output file is written to a temporary name in the
 * same folder and renamed into place, so a killed run never leaves a
 * half-written file under a final name; input files are opened with checks.
 *
 * An output only ever replaces a regular file: a name that is a device, a
 * FIFO, a socket, a folder or a symbolic link is refused (MSP_BAD_INPUT) by
 * msp_atomic_check_target, which msp_atomic_open and the final rename of
 * msp_atomic_commit and msp_atomic_rename all call. A symbolic link is
 * neither followed (a planted link cannot redirect a write) nor silently
 * replaced by a file: the user names its target instead. */
#ifndef MSP_ATOMICIO_H
#define MSP_ATOMICIO_H

#include <stdint.h>
#include <stdio.h>

#include "status.h"

typedef struct msp_atomic {
    FILE *f;
    char *path;     /* final name */
    char *tmp_path; /* "<path>.tmp.<pid>" */
    void *sink;     /* the stream's descriptor and first write error (atomicio.c) */
} msp_atomic;

/* May an output be put at path? MSP_OK if nothing is there or a regular file
 * is; MSP_BAD_INPUT naming what is there otherwise. Commands call it on their
 * output names before doing any work. */
msp_status msp_atomic_check_target(const char *path, msp_err *err);
/* Check path (msp_atomic_check_target), then open a new temporary file
 * beside it for writing (binary; never through a symbolic link). */
msp_status msp_atomic_open(msp_atomic *a, const char *path, msp_err *err);
/* Flush, fsync, close and rename into place; on any failure the temporary
 * file is removed and MSP_FAIL returned. */
msp_status msp_atomic_commit(msp_atomic *a, msp_err *err);
/* Close and remove the temporary file (safe after a failed open or commit). */
void msp_atomic_abort(msp_atomic *a);

/* A temporary name beside path ("<path>.tmp.<pid>"), owned by the caller. */
char *msp_atomic_tmp_name(const char *path);
/* fsync a file by name, check path, then rename it into place; removes tmp
 * on failure. */
msp_status msp_atomic_rename(const char *tmp, const char *path, msp_err *err);

/* fsync a file or folder by name (a folder: the renames into it survive a
 * power cut). */
msp_status msp_fsync(const char *path, msp_err *err);
/* mkdir -p; MSP_FAIL with a message on failure, MSP_BAD_INPUT when path
 * exists and is not a folder (a file, a FIFO, ...). */
msp_status msp_mkdirs(const char *path, msp_err *err);
/* What a file of this st_mode is called in messages: "a directory", "a FIFO
 * (named pipe)", "a character device", ... */
const char *msp_file_type_name(unsigned mode);
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
/* The CRC-32 (zlib's) and size of a whole regular file, as read (size may
 * be NULL). */
msp_status msp_file_crc32(const char *path, uint32_t *crc, uint64_t *size, msp_err *err);
/* Copy the regular file src to dst atomically (msp_atomic_*), with the size
 * and CRC-32 of what was copied (either may be NULL). */
msp_status msp_copy_file(const char *src, const char *dst, uint64_t *size, uint32_t *crc,
                         msp_err *err);
/* Read n bytes from fd (fewer at end of file: *got says how many), retrying
 * interrupted reads. 0, or -1 on a read error (errno set). */
int msp_read_full(int fd, void *buf, size_t n, size_t *got);
/* A new private temporary file (folder = 0) or folder (folder = 1) named
 * "msprune-STEM-XXXXXX" in $TMPDIR, else /tmp: the one place temporary
 * names are made. path gets the name; the caller removes it. */
msp_status msp_temp_make(const char *stem, int folder, char *path, size_t size, msp_err *err);
/* Does a regular, readable file exist at path? */
int msp_file_readable(const char *path);

#endif
