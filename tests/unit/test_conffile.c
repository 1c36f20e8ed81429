/* test_conffile.c: reading libconfig-syntax files safely (src/base/conffile.h):
 * what libconfig would block on, leak on, wrap, open by itself or take
 * quadratic time over is refused, with the line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/conffile.h"

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/msp-conffile-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(conffile, .init = setup, .fini = teardown, .timeout = 60);

/* Parse text; returns the status and leaves the message in err. */
static msp_status parse(const char *text, msp_err *err)
{
    config_t cf;
    config_init(&cf);
    msp_status st = msp_conffile_parse("t.conf", "a test file", text, strlen(text), &cf, err);
    config_destroy(&cf);
    return st;
}

static void expect_bad(const char *text, const char *want)
{
    msp_err err = {{0}};
    cr_assert_eq(parse(text, &err), MSP_BAD_INPUT, "accepted: %.80s", text);
    cr_assert_str_eq(err.msg, want);
}

/* n settings "k0 = 0; k1 = 1; ..." inside prefix ... suffix. */
static char *settings(const char *prefix, int n, const char *suffix)
{
    size_t cap = strlen(prefix) + strlen(suffix) + 24 * (size_t)n + 1, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t + len, cap - len, "%s", prefix);
    for (int i = 0; i < n; i++) len += (size_t)snprintf(t + len, cap - len, "k%d = %d;\n", i, i);
    snprintf(t + len, cap - len, "%s", suffix);
    return t;
}

Test(conffile, group_size_is_bounded)
{
    msp_err err = {{0}};
    char *t = settings("", 1000, "");
    cr_assert_eq(parse(t, &err), MSP_OK, "%s", err.msg);
    free(t);
    t = settings("", 1001, "");
    expect_bad(t, "t.conf:1001: more than 1000 settings in one group");
    free(t);
    /* the limit is per group: 1000 in each of two groups is fine */
    char *a = settings("a = {\n", 1000, "};\n"), *b = settings("b = {\n", 1000, "};\n");
    char *ab = malloc(strlen(a) + strlen(b) + 1);
    strcpy(ab, a);
    strcat(ab, b);
    cr_assert_eq(parse(ab, &err), MSP_OK, "%s", err.msg);
    free(a);
    free(b);
    free(ab);
}

Test(conffile, nesting_is_bounded)
{
    char t[512] = "x = ";
    for (int i = 0; i < 33; i++) strcat(t, "(");
    strcat(t, "1");
    for (int i = 0; i < 33; i++) strcat(t, ")");
    strcat(t, ";\n");
    expect_bad(t, "t.conf:1: nested deeper than 32 levels");
}

Test(conffile, include_is_refused_before_libconfig_opens_it)
{
    expect_bad("a = 1;\n@include \"/usr/share\"\n", "t.conf:2: @include is not supported; put the "
                                                    "settings in this file");
    expect_bad("@include \"/dev/stdin\"\n", "t.conf:1: @include is not supported; put the settings "
                                             "in this file");
    msp_err err = {{0}};
    cr_assert_eq(parse("s = \"@include is only text here\";\n# @include in a comment\n", &err),
                 MSP_OK, "%s", err.msg);
}

Test(conffile, silent_acceptances_refused)
{
    static const char nul[] = "a = 1;\nb = \"x\0y\";\n";
    msp_err err = {{0}};
    config_t cf;
    config_init(&cf);
    cr_assert_eq(msp_conffile_parse("t.conf", "a test file", nul, sizeof nul - 1, &cf, &err),
                 MSP_BAD_INPUT);
    config_destroy(&cf);
    cr_assert_str_eq(err.msg, "t.conf:2: NUL byte in the file; a test file must be text");
    expect_bad("a = 1;\nb = 4294967296;\n", "t.conf:2: integer 4294967296 does not fit in 32 bits "
                                            "(libconfig would wrap it); write 4294967296L for a "
                                            "64-bit integer");
    expect_bad("a = 1;\nb = \"open\n", "t.conf:2: unterminated string (no closing \")");
}

/* A FIFO, a directory or a device is refused by name without waiting for a
 * writer (the suite's timeout turns a hang into a failure). */
Test(conffile, only_regular_files_are_read)
{
    char p[128];
    snprintf(p, sizeof p, "%s/fifo.conf", dir);
    cr_assert_eq(mkfifo(p, 0600), 0);
    const char *paths[] = {p, dir, "/dev/zero"};
    const char *want[] = {"is a FIFO (named pipe), not a regular file",
                          "is a directory, not a regular file",
                          "is a character device, not a regular file"};
    for (int i = 0; i < 3; i++) {
        msp_err err = {{0}};
        config_t cf;
        config_init(&cf);
        cr_assert_eq(msp_conffile_read(paths[i], "a test file", 1 << 20, &cf, &err), MSP_BAD_INPUT);
        config_destroy(&cf);
        char expect[256];
        snprintf(expect, sizeof expect, "%s: %s", paths[i], want[i]);
        cr_assert_str_eq(err.msg, expect);
    }
}

Test(conffile, size_limit_checked_before_reading)
{
    char p[128];
    snprintf(p, sizeof p, "%s/big.conf", dir);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    cr_assert_eq(ftruncate(fileno(f), 2 << 20), 0);
    fclose(f);
    msp_err err = {{0}};
    config_t cf;
    config_init(&cf);
    cr_assert_eq(msp_conffile_read(p, "a test file", 1 << 20, &cf, &err), MSP_BAD_INPUT);
    config_destroy(&cf);
    char expect[256];
    snprintf(expect, sizeof expect, "%s: too large: 2097152 bytes; a test file is at most 1048576", p);
    cr_assert_str_eq(err.msg, expect);
}

/* The manifest readers' shared checks: the exact message, file and line. */
Test(conffile, reader_known_keys_and_bad)
{
    const char *text = "a = 1;\ng = { x = 2;\n  y = 3; };\n";
    config_t cf;
    config_init(&cf);
    msp_err err = {0};
    cr_assert_eq(msp_conffile_parse("m.conf", "a test file", text, strlen(text), &cf, &err), MSP_OK);
    msp_conf_reader r = {"m.conf", &err};
    const config_setting_t *root = config_root_setting(&cf), *g = config_lookup(&cf, "g");
    static const char *const top[] = {"a", "g", NULL}, *const only_x[] = {"x", NULL};
    cr_assert_eq(msp_conf_known_keys(&r, root, NULL, top), MSP_OK);
    cr_assert_eq(msp_conf_known_keys(&r, g, "g", only_x), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "m.conf:3: unknown key 'y' in g");
    cr_assert_eq(msp_conf_known_keys(&r, root, NULL, only_x), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "m.conf:1: unknown key 'a'");
    cr_assert_eq(msp_conf_bad(&r, NULL, "no %s", "setting"), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "m.conf:1: no setting");
    config_destroy(&cf);
}
