/* atomicio.c: temp-file + fsync + rename writes, and mkdir -p. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicio.h"
#include "testpoint.h"

char *msp_atomic_tmp_name(const char *path)
{
    size_t n = strlen(path) + 32;
    char *t = msp_malloc(n);
    snprintf(t, n, "%s.tmp.%ld", path, (long)getpid());
    return t;
}

msp_status msp_atomic_open(msp_atomic *a, const char *path, msp_err *err)
{
    memset(a, 0, sizeof *a);
    a->tmp_path = msp_atomic_tmp_name(path);
    a->f = fopen(a->tmp_path, "wb");
    if (!a->f) {
        msp_status st = msp_err_set(err, MSP_FAIL, path, 0, "cannot write: %s", strerror(errno));
        free(a->tmp_path);
        a->tmp_path = NULL;
        return st;
    }
    a->path = msp_strdup(path);
    return MSP_OK;
}

static msp_status fsync_path(const char *p, msp_err *err, const char *shown)
{
    int fd = open(p, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        msp_status st = msp_err_set(err, MSP_FAIL, shown, 0, "cannot sync: %s", strerror(errno));
        if (fd >= 0) close(fd);
        return st;
    }
    close(fd);
    return MSP_OK;
}

msp_status msp_atomic_rename(const char *tmp, const char *path, msp_err *err)
{
    if (fsync_path(tmp, err, path) != MSP_OK) {
        unlink(tmp);
        return MSP_FAIL;
    }
    if (rename(tmp, path) != 0) {
        msp_status st = msp_err_set(err, MSP_FAIL, path, 0, "cannot rename into place: %s",
                                    strerror(errno));
        unlink(tmp);
        return st;
    }
    msp_testpoint("commit");
    return MSP_OK;
}

msp_status msp_atomic_commit(msp_atomic *a, msp_err *err)
{
    msp_status st = MSP_OK;
    int bad = ferror(a->f) || fflush(a->f) != 0 || fsync(fileno(a->f)) != 0;
    int saved = errno;
    if (fclose(a->f) != 0) bad = 1;
    a->f = NULL;
    if (bad) {
        st = msp_err_set(err, MSP_FAIL, a->path, 0, "write failed: %s", strerror(saved));
        unlink(a->tmp_path);
    } else if (rename(a->tmp_path, a->path) != 0) {
        st = msp_err_set(err, MSP_FAIL, a->path, 0, "cannot rename into place: %s",
                         strerror(errno));
        unlink(a->tmp_path);
    }
    free(a->tmp_path);
    free(a->path);
    memset(a, 0, sizeof *a);
    if (st == MSP_OK) msp_testpoint("commit");
    return st;
}

void msp_atomic_abort(msp_atomic *a)
{
    if (a->f) fclose(a->f);
    if (a->tmp_path) unlink(a->tmp_path);
    free(a->tmp_path);
    free(a->path);
    memset(a, 0, sizeof *a);
}

msp_status msp_mkdirs(const char *path, msp_err *err)
{
    char *p = msp_strdup(path);
    for (char *s = p + 1;; s++) {
        char c = *s;
        if (c != '/' && c != '\0') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            msp_status st = msp_err_set(err, MSP_FAIL, p, 0, "cannot create folder: %s",
                                        strerror(errno));
            free(p);
            return st;
        }
        *s = c;
        if (c == '\0') break;
    }
    free(p);
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return msp_err_set(err, MSP_FAIL, path, 0, "not a folder");
    return MSP_OK;
}

static const char *not_regular(mode_t m)
{
    if (S_ISDIR(m)) return "is a directory, not a regular file";
    if (S_ISFIFO(m)) return "is a FIFO (named pipe), not a regular file";
    if (S_ISCHR(m) || S_ISBLK(m)) return "is a device, not a regular file";
    if (S_ISSOCK(m)) return "is a socket, not a regular file";
    return "not a regular file";
}

msp_status msp_open_regular(const char *path, int *fd, uint64_t *size, msp_err *err)
{
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer forever, before fstat could refuse it. It is cleared again
     * because it means nothing for a regular file. */
    *fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (*fd < 0) return msp_err_set(err, MSP_BAD_INPUT, path, 0, "cannot open: %s", strerror(errno));
    struct stat sb;
    msp_status st = MSP_OK;
    if (fstat(*fd, &sb) != 0) st = msp_err_set(err, MSP_FAIL, path, 0, "cannot stat: %s", strerror(errno));
    else if (!S_ISREG(sb.st_mode)) st = msp_err_set(err, MSP_BAD_INPUT, path, 0, "%s", not_regular(sb.st_mode));
    else if (fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK) != 0)
        st = msp_err_set(err, MSP_FAIL, path, 0, "cannot read: %s", strerror(errno));
    if (st != MSP_OK) {
        close(*fd);
        *fd = -1;
        return st;
    }
    *size = (uint64_t)sb.st_size;
    return MSP_OK;
}

msp_status msp_fopen_regular(const char *path, FILE **f, uint64_t *size, msp_err *err)
{
    int fd;
    uint64_t sz;
    *f = NULL;
    msp_status st = msp_open_regular(path, &fd, &sz, err);
    if (st != MSP_OK) return st;
    *f = fdopen(fd, "rb");
    if (!*f) {
        st = msp_err_set(err, MSP_FAIL, path, 0, "cannot read: %s", strerror(errno));
        close(fd);
        return st;
    }
    if (size) *size = sz;
    return MSP_OK;
}

msp_status msp_read_small(const char *path, size_t max, const char *what, char **text, size_t *len,
                          msp_err *err)
{
    *text = NULL;
    uint64_t size;
    FILE *f;
    msp_status st = msp_fopen_regular(path, &f, &size, err);
    if (st != MSP_OK) return st;
    if (size > max) {
        fclose(f);
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "too large: %" PRIu64 " bytes; %s is at most %zu",
                           size, what, max);
    }
    /* The size may change while reading: never read more than max + 1. */
    char *buf = msp_malloc((size_t)size + 2);
    size_t n = fread(buf, 1, (size_t)size + 1, f);
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (read_errno) {
        free(buf);
        return msp_err_set(err, MSP_FAIL, path, 0, "cannot read: %s", strerror(read_errno));
    }
    if (n != size) {
        free(buf);
        return msp_err_set(err, MSP_FAIL, path, 0, "changed size while being read");
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return MSP_OK;
}

int msp_file_readable(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, R_OK) == 0;
}
