/* bundle_place.c: a bundle folder replaced as a whole. deploy builds the new
 * bundle in a sibling temporary folder ("<out>.tmp.<pid>") and swaps it in
 * with one rename, so that a deploy killed at any point leaves at <out>
 * either the complete previous bundle or the complete new one, never a mix.
 *
 * Limits: the swap is one step where the file system has renameat2's
 * RENAME_EXCHANGE (ext4, xfs, btrfs, tmpfs, overlayfs); elsewhere the old
 * folder is first renamed to "<out>.old.<pid>", and a kill between that and
 * the second rename leaves the previous bundle there. Only folders holding
 * nothing but bundle files are ever replaced or removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"
#include "runtime/bundle.h"

/* The pid of a leaf named "<base><infix><pid>" (a deploy's temporary
 * folder), or 0 if leaf is named otherwise. */
static long leftover_pid(const char *leaf, const char *base, const char *infix)
{
    size_t nb = strlen(base), ni = strlen(infix);
    if (strncmp(leaf, base, nb) != 0 || strncmp(leaf + nb, infix, ni) != 0) return 0;
    const char *d = leaf + nb + ni;
    char *end;
    errno = 0;
    long pid = strtol(d, &end, 10);
    if (errno || end == d || *end || pid <= 0 || *d < '0' || *d > '9') return 0;
    return pid;
}

/* A temporary file of an atomic write ("<name>.tmp.<pid>"). */
static int is_atomic_leftover(const char *leaf)
{
    const char *t = strstr(leaf, ".tmp.");
    while (t) {
        const char *d = t + 5, *e = d;
        while (*e >= '0' && *e <= '9') e++;
        if (e > d && !*e) return 1;
        t = strstr(t + 1, ".tmp.");
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

/* May leaf (in a bundle's top folder, or in its nets/ when in_nets) be
 * there? Only what deploy writes. */
static int bundle_entry(const char *leaf, int is_dir, int in_nets)
{
    if (is_atomic_leftover(leaf)) return !is_dir;
    if (in_nets) return !is_dir && (ends_with(leaf, ".cfg") || ends_with(leaf, ".weights"));
    if (!strcmp(leaf, "nets")) return is_dir;
    return !is_dir && (!strcmp(leaf, "manifest.conf") || !strcmp(leaf, "README") ||
                       !strcmp(leaf, "premodel.bin"));
}

/* Does dir hold only bundle files? If not, *stray is the first path that is
 * not one (the caller frees it). */
static msp_status only_bundle_files(const char *dir, int in_nets, char **stray, msp_err *err)
{
    DIR *d = opendir(dir);
    if (!d) return msp_err_set(err, MSP_FAIL, dir, 0, "cannot read folder: %s", strerror(errno));
    msp_status st = MSP_OK;
    struct dirent *e;
    while (st == MSP_OK && !*stray && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char *p = msp_strcat3(dir, "/", e->d_name);
        struct stat sb;
        if (lstat(p, &sb) != 0) {
            st = msp_err_set(err, MSP_FAIL, p, 0, "cannot stat: %s", strerror(errno));
        } else if (!bundle_entry(e->d_name, S_ISDIR(sb.st_mode), in_nets) ||
                   (!S_ISDIR(sb.st_mode) && !S_ISREG(sb.st_mode))) {
            *stray = p;
            p = NULL;
        } else if (S_ISDIR(sb.st_mode)) {
            st = only_bundle_files(p, 1, stray, err);
        }
        free(p);
    }
    closedir(d);
    return st;
}

msp_status msp_bundle_check_target(const char *out, msp_err *err)
{
    struct stat sb;
    const char *leaf = strrchr(out, '/');
    leaf = leaf ? leaf + 1 : out;
    if (!*leaf || !strcmp(leaf, ".") || !strcmp(leaf, ".."))
        return msp_err_set(err, MSP_BAD_INPUT, out, 0,
                           "name the bundle folder itself, not '/', '.' or '..'");
    if (lstat(out, &sb) != 0) return MSP_OK; /* a new folder; other errors show when it is made */
    if (!S_ISDIR(sb.st_mode)) {
        msp_status st = msp_atomic_check_target(out, err); /* names a link, device, FIFO ... */
        if (st != MSP_OK) return st;
        return msp_err_set(err, MSP_BAD_INPUT, out, 0, "is a file: a bundle is a folder");
    }
    char *stray = NULL;
    msp_status st = only_bundle_files(out, 0, &stray, err);
    if (st == MSP_OK && stray)
        st = msp_err_set(err, MSP_BAD_INPUT, stray, 0,
                         "not a bundle file: deploy replaces the whole folder %s; move this "
                         "away or give another --out",
                         out);
    free(stray);
    return st;
}

static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p); /* best effort: what stays is ignored, and retried next time */
    return 0;
}

void msp_bundle_tmp_remove(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Is there no process pid (a killed deploy's leftover)? Our own pid is one
 * that a dead process had before us. */
static int pid_gone(long pid)
{
    return pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

/* Remove the temporary folders ("<out>.tmp.<pid>", "<out>.old.<pid>") of
 * deploys to out that were killed; those holding anything but bundle files
 * are left alone. */
static void remove_leftovers(const char *out)
{
    const char *slash = strrchr(out, '/');
    char *parent = slash ? msp_strdup(out) : msp_strdup(".");
    if (slash) parent[slash == out ? 1 : slash - out] = '\0';
    const char *leaf = slash ? slash + 1 : out;
    DIR *d = opendir(parent);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        long pid = leftover_pid(e->d_name, leaf, ".tmp.");
        if (!pid) pid = leftover_pid(e->d_name, leaf, ".old.");
        if (!pid || !pid_gone(pid)) continue;
        char *p = msp_strcat3(parent, "/", e->d_name), *stray = NULL;
        msp_err ignored;
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode) &&
            only_bundle_files(p, 0, &stray, &ignored) == MSP_OK && !stray)
            msp_bundle_tmp_remove(p);
        free(stray);
        free(p);
    }
    if (d) closedir(d);
    free(parent);
}

msp_status msp_bundle_tmp_make(const char *out, char **tmp, msp_err *err)
{
    remove_leftovers(out);
    *tmp = msp_atomic_tmp_name(out);
    char *nets = msp_strcat3(*tmp, "/", "nets");
    msp_status st = msp_mkdirs(nets, err);
    free(nets);
    if (st != MSP_OK) {
        msp_bundle_tmp_remove(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    return st;
}

/* Replace out by tmp without RENAME_EXCHANGE: out moves aside first. */
static msp_status swap_by_two_renames(const char *tmp, const char *out, char **old, msp_err *err)
{
    size_t n = strlen(out) + 32;
    *old = msp_malloc(n);
    snprintf(*old, n, "%s.old.%ld", out, (long)getpid());
    if (rename(out, *old) != 0)
        return msp_err_set(err, MSP_FAIL, out, 0, "cannot move the previous bundle aside: %s",
                           strerror(errno));
    if (rename(tmp, out) != 0) {
        msp_status st = msp_err_set(err, MSP_FAIL, out, 0, "cannot rename into place: %s",
                                    strerror(errno));
        rename(*old, out); /* put the previous bundle back */
        free(*old);
        *old = NULL;
        return st;
    }
    return MSP_OK;
}

msp_status msp_bundle_swap_in(const char *tmp, const char *out, msp_err *err)
{
    char *nets = msp_strcat3(tmp, "/", "nets");
    msp_status st = msp_fsync(nets, err);
    free(nets);
    if (st == MSP_OK) st = msp_fsync(tmp, err);
    if (st != MSP_OK) return st;
    char *old = NULL;
    /* Missing or an empty folder: a plain rename replaces it in one step. */
    if (rename(tmp, out) == 0) {
        msp_testpoint("commit");
        return MSP_OK;
    }
    if (errno != EEXIST && errno != ENOTEMPTY)
        return msp_err_set(err, MSP_FAIL, out, 0, "cannot rename into place: %s", strerror(errno));
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, out, RENAME_EXCHANGE) == 0) {
        old = msp_strdup(tmp); /* the previous bundle is now at tmp */
    } else if (errno == EINVAL || errno == ENOSYS) {
        st = swap_by_two_renames(tmp, out, &old, err);
    } else {
        st = msp_err_set(err, MSP_FAIL, out, 0, "cannot swap in the new bundle: %s",
                         strerror(errno));
    }
    if (st != MSP_OK) return st;
    msp_testpoint("commit");
    msp_bundle_tmp_remove(old);
    free(old);
    return MSP_OK;
}
