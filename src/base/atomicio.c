/* atomicio.c: temp-file + fsync + rename writes, and mkdir -p. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "atomicio.h"
#include "testpoint.h"

char *msp_atomic_tmp_name(const char *path)
{
    size_t n = strlen(path) + 32;
    char *t = msp_malloc(n);
    snprintf(t, n, "%s.tmp.%ld", path, (long)getpid());
    return t;
}

const char *msp_file_type_name(unsigned mode)
{
    if (S_ISREG(mode)) return "a file";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

msp_status msp_atomic_check_target(const char *path, msp_err *err)
{
    struct stat sb;
    /* Missing: a new name. Any other failure (ENOTDIR, EACCES) comes back
     * as the write's own error, with its reason. */
    if (lstat(path, &sb) != 0 || S_ISREG(sb.st_mode)) return MSP_OK;
    if (S_ISLNK(sb.st_mode))
        return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                           "is a symbolic link: msprune neither writes through nor replaces "
                           "one; name the file it points to, or remove the link");
    return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                       "is %s: msprune writes only to a regular file or a new name",
                       msp_file_type_name(sb.st_mode));
}

/* The temporary file's stream writes through a cookie that keeps the errno
 * of the first failed write: stdio only keeps a flag, and by commit time
 * errno says something else (ENOTTY from stdio's own isatty, say). */
typedef struct sink {
    int fd;
    int err; /* errno of the first failed write or close, 0 if none */
} sink;

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
    sink *s = cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(s->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (!s->err) s->err = w < 0 ? errno : EIO;
            break;
        }
        done += (size_t)w;
    }
    return (ssize_t)done; /* short: stdio marks the stream as failed */
}

static int sink_close(void *cookie)
{
    sink *s = cookie;
    int rc = close(s->fd);
    if (rc != 0 && !s->err) s->err = errno;
    free(s);
    return rc;
}

/* Create tmp for writing, never through a symbolic link or into an existing
 * file: a leftover of a killed run with our pid (pids repeat, in containers
 * above all) is removed first. */
static int create_tmp(const char *tmp)
{
    for (int tries = 0;; tries++) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST || tries > 0) return fd;
        if (unlink(tmp) != 0) return -1;
    }
}

msp_status msp_atomic_open(msp_atomic *a, const char *path, msp_err *err)
{
    memset(a, 0, sizeof *a);
    msp_status st = msp_atomic_check_target(path, err);
    if (st != MSP_OK) return st;
    char *tmp = msp_atomic_tmp_name(path);
    int fd = create_tmp(tmp);
    if (fd < 0) {
        st = msp_err_set(err, MSP_FAIL, path, 0, "cannot write: %s", strerror(errno));
        free(tmp);
        return st;
    }
    sink *s = msp_malloc(sizeof *s);
    s->fd = fd;
    s->err = 0;
    cookie_io_functions_t io = {.write = sink_write, .close = sink_close};
    a->f = fopencookie(s, "w", io);
    MSP_ASSERT(a->f != NULL); /* fails only without memory */
    a->sink = s;
    a->tmp_path = tmp;
    a->path = msp_strdup(path);
    return MSP_OK;
}

static msp_status fsync_path(const char *p, msp_err *err, const char *shown)
{
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        msp_status st = msp_err_set(err, MSP_FAIL, shown, 0, "cannot sync: %s", strerror(errno));
        if (fd >= 0) close(fd);
        return st;
    }
    close(fd);
    return MSP_OK;
}

/* Rename tmp onto path, which must still be missing or a regular file (it
 * may have changed since the file was opened); tmp is removed on failure. */
static msp_status put_in_place(const char *tmp, const char *path, msp_err *err)
{
    msp_status st = msp_atomic_check_target(path, err);
    if (st == MSP_OK && rename(tmp, path) != 0)
        st = msp_err_set(err, MSP_FAIL, path, 0, "cannot rename into place: %s", strerror(errno));
    if (st != MSP_OK) unlink(tmp);
    return st;
}

msp_status msp_atomic_rename(const char *tmp, const char *path, msp_err *err)
{
    if (fsync_path(tmp, err, path) != MSP_OK) {
        unlink(tmp);
        return MSP_FAIL;
    }
    msp_status st = put_in_place(tmp, path, err);
    if (st == MSP_OK) msp_testpoint("commit");
    return st;
}

/* Flush, sync and close a's stream: 0, or the errno of what failed. */
static int finish_stream(msp_atomic *a)
{
    sink *s = a->sink;
    int bad = ferror(a->f) || fflush(a->f) != 0;
    if (!bad && fsync(s->fd) != 0 && !s->err) s->err = errno;
    int e = s->err ? s->err : bad ? EIO : 0;
    if (fclose(a->f) != 0 && !e) e = errno ? errno : EIO; /* frees s */
    a->f = NULL;
    a->sink = NULL;
    return e;
}

msp_status msp_atomic_commit(msp_atomic *a, msp_err *err)
{
    msp_status st = MSP_OK;
    int e = finish_stream(a);
    if (e) {
        st = msp_err_set(err, MSP_FAIL, a->path, 0, "write failed: %s", strerror(e));
        unlink(a->tmp_path);
    } else {
        st = put_in_place(a->tmp_path, a->path, err);
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

msp_status msp_fsync(const char *path, msp_err *err)
{
    return fsync_path(path, err, path);
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
    /* Something else already at path is bad input, as for a file output. */
    struct stat sb;
    if (stat(path, &sb) != 0) return msp_err_set(err, MSP_FAIL, path, 0, "not a folder");
    if (!S_ISDIR(sb.st_mode))
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "is %s, not a folder",
                           msp_file_type_name(sb.st_mode));
    return MSP_OK;
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
    else if (!S_ISREG(sb.st_mode)) st = msp_err_set(err, MSP_BAD_INPUT, path, 0, "is %s, not a regular file",
                                                    msp_file_type_name(sb.st_mode));
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

/* Copy what fd reads to out (NULL: nowhere) until end of file, with its
 * size and CRC-32. A failed write stops it (the caller's commit reports
 * it); a read error is MSP_FAIL naming path. */
static msp_status crc_copy(int fd, const char *path, FILE *out, uint64_t *size, uint32_t *crc,
                           msp_err *err)
{
    unsigned char *buf = msp_malloc(1 << 16);
    uLong c = crc32(0L, Z_NULL, 0);
    uint64_t total = 0;
    size_t got;
    int bad;
    while (!(bad = msp_read_full(fd, buf, 1 << 16, &got)) && got > 0) {
        c = crc32(c, buf, (uInt)got);
        total += got;
        if (out && fwrite(buf, 1, got, out) != got) break;
    }
    int read_errno = bad ? errno : 0;
    free(buf);
    if (bad) return msp_err_set(err, MSP_FAIL, path, 0, "read error: %s", strerror(read_errno));
    if (size) *size = total;
    if (crc) *crc = (uint32_t)c;
    return MSP_OK;
}

msp_status msp_file_crc32(const char *path, uint32_t *crc, uint64_t *size, msp_err *err)
{
    int fd;
    uint64_t ignore;
    msp_status st = msp_open_regular(path, &fd, &ignore, err);
    if (st != MSP_OK) return st;
    st = crc_copy(fd, path, NULL, size, crc, err);
    close(fd);
    return st;
}

msp_status msp_copy_file(const char *src, const char *dst, uint64_t *size, uint32_t *crc,
                         msp_err *err)
{
    int fd;
    uint64_t ignore;
    msp_status st = msp_open_regular(src, &fd, &ignore, err);
    if (st != MSP_OK) return st;
    msp_atomic a;
    st = msp_atomic_open(&a, dst, err);
    if (st != MSP_OK) {
        close(fd);
        return st;
    }
    st = crc_copy(fd, src, a.f, size, crc, err);
    close(fd);
    if (st == MSP_OK) return msp_atomic_commit(&a, err);
    msp_atomic_abort(&a);
    return st;
}

int msp_read_full(int fd, void *buf, size_t n, size_t *got)
{
    unsigned char *p = buf;
    *got = 0;
    while (*got < n) {
        size_t want = n - *got;
        if (want > ((size_t)1 << 30)) want = (size_t)1 << 30; /* read() caps a call below 2 GiB */
        ssize_t r = read(fd, p + *got, want);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        *got += (size_t)r;
    }
    return 0;
}

msp_status msp_temp_make(const char *stem, int folder, char *path, size_t size, msp_err *err)
{
    const char *dir = getenv("TMPDIR");
    int n = snprintf(path, size, "%s/msprune-%s-XXXXXX", dir && *dir ? dir : "/tmp", stem);
    if (n < 0 || (size_t)n >= size)
        return msp_err_set(err, MSP_FAIL, NULL, 0, "TMPDIR is too long a path");
    int ok;
    if (folder) {
        ok = mkdtemp(path) != NULL;
    } else {
        int fd = mkstemp(path);
        ok = fd >= 0 && close(fd) == 0;
    }
    if (!ok)
        return msp_err_set(err, MSP_FAIL, path, 0, "cannot create a temporary %s: %s",
                           folder ? "folder" : "file", strerror(errno));
    return MSP_OK;
}
