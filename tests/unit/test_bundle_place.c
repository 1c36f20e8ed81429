/* test_bundle_place.c: a bundle folder replaced as a whole (bundle_place.c):
 * which folders deploy may replace, the swap over a previous bundle, and
 * the removal of what killed deploys left: only their own folders, only
 * when their process is gone, and never a folder holding other files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/atomicio.h"
#include "runtime/bundle.h"

static char dir[64];

static char *in_dir(const char *leaf)
{
    static char p[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, leaf);
    return p[k];
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/msp-place-XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(bundle_place, .init = setup, .fini = teardown);

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static char *get(const char *path)
{
    static char s[64];
    memset(s, 0, sizeof s);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t n = fread(s, 1, sizeof s - 1, f);
    s[n] = '\0';
    fclose(f);
    return s;
}

/* A small bundle-shaped folder whose manifest says `tag`. */
static void fake_bundle(const char *path, const char *tag)
{
    msp_err err = {{0}};
    char *nets = msp_strcat3(path, "/", "nets");
    cr_assert_eq(msp_mkdirs(nets, &err), MSP_OK, "%s", err.msg);
    char *p = msp_strcat3(nets, "/", "base.weights");
    put(p, tag);
    free(p);
    free(nets);
    p = msp_strcat3(path, "/", "manifest.conf");
    put(p, tag);
    free(p);
}

static int exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

Test(bundle_place, which_folders_may_be_replaced)
{
    msp_err err = {{0}};
    cr_assert_eq(msp_bundle_check_target(in_dir("new"), &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(mkdir(in_dir("empty"), 0700), 0);
    cr_assert_eq(msp_bundle_check_target(in_dir("empty"), &err), MSP_OK, "%s", err.msg);
    fake_bundle(in_dir("b"), "old");
    put(in_dir("b/README"), "x");
    put(in_dir("b/nets/s0.cfg.tmp.123"), "a killed write");
    cr_assert_eq(msp_bundle_check_target(in_dir("b"), &err), MSP_OK, "%s", err.msg);

    put(in_dir("b/nets/notes.txt"), "mine");
    cr_assert_eq(msp_bundle_check_target(in_dir("b"), &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "b/nets/notes.txt: not a bundle file"), "%s", err.msg);
    put(in_dir("file"), "x");
    cr_assert_eq(msp_bundle_check_target(in_dir("file"), &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "is a file: a bundle is a folder"), "%s", err.msg);
    cr_assert_eq(symlink(in_dir("empty"), in_dir("link")), 0);
    cr_assert_eq(msp_bundle_check_target(in_dir("link"), &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "is a symbolic link"), "%s", err.msg);
    cr_assert_eq(msp_bundle_check_target(in_dir(".."), &err), MSP_BAD_INPUT);
}

Test(bundle_place, swap_over_a_previous_bundle)
{
    msp_err err = {{0}};
    char *out = in_dir("b"), *tmp = NULL;
    fake_bundle(out, "old");
    cr_assert_eq(msp_bundle_tmp_make(out, &tmp, &err), MSP_OK, "%s", err.msg);
    fake_bundle(tmp, "new");
    cr_assert_eq(msp_bundle_swap_in(tmp, out, &err), MSP_OK, "%s", err.msg);
    cr_assert_str_eq(get(in_dir("b/manifest.conf")), "new");
    cr_assert_str_eq(get(in_dir("b/nets/base.weights")), "new");
    cr_assert_not(exists(tmp), "the previous bundle was not removed");
    free(tmp);
    /* Into a new name and into an empty folder. */
    const char *leaves[] = {"fresh", "empty"};
    cr_assert_eq(mkdir(in_dir("empty"), 0700), 0);
    for (int i = 0; i < 2; i++) {
        char *o = msp_strdup(in_dir(leaves[i]));
        cr_assert_eq(msp_bundle_tmp_make(o, &tmp, &err), MSP_OK, "%s", err.msg);
        fake_bundle(tmp, "new");
        cr_assert_eq(msp_bundle_swap_in(tmp, o, &err), MSP_OK, "%s", err.msg);
        char *m = msp_strcat3(o, "/", "manifest.conf");
        cr_assert_str_eq(get(m), "new");
        free(m);
        free(o);
        free(tmp);
    }
}

/* A pid that no process has (a child that has exited and been reaped). */
static long dead_pid(void)
{
    pid_t p = fork();
    if (p == 0) _exit(0);
    cr_assert(p > 0);
    waitpid(p, NULL, 0);
    return (long)p;
}

Test(bundle_place, leftovers_of_killed_deploys)
{
    msp_err err = {{0}};
    char name[128], *tmp = NULL;
    long dead = dead_pid();
    snprintf(name, sizeof name, "b.tmp.%ld", dead);
    fake_bundle(in_dir(name), "half");
    char *gone = msp_strdup(in_dir(name));
    snprintf(name, sizeof name, "b.old.%ld", dead);
    fake_bundle(in_dir(name), "old");
    char *gone_old = msp_strdup(in_dir(name));
    /* Someone else's files under a matching name, and a deploy still running. */
    long dead2 = dead_pid();
    snprintf(name, sizeof name, "b.tmp.%ld", dead2);
    cr_assert_eq(mkdir(in_dir(name), 0700), 0);
    char *stranger = msp_strdup(in_dir(name));
    snprintf(name, sizeof name, "b.tmp.%ld/thesis.tex", dead2);
    put(in_dir(name), "mine");
    snprintf(name, sizeof name, "b.tmp.%ld", (long)getppid());
    fake_bundle(in_dir(name), "running");
    char *running = msp_strdup(in_dir(name));

    cr_assert_eq(msp_bundle_tmp_make(in_dir("b"), &tmp, &err), MSP_OK, "%s", err.msg);
    cr_assert_not(exists(gone));
    cr_assert_not(exists(gone_old));
    cr_assert(exists(stranger));
    cr_assert(exists(running));
    msp_bundle_tmp_remove(tmp);
    cr_assert_not(exists(tmp));
    free(tmp);
    free(gone);
    free(gone_old);
    free(stranger);
    free(running);
}
