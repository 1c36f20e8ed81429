/* test_stamp.c: records of what an output was built from: the exact
 * messages that name a change, and the round trip through the file. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/stamp.h"

static char dir[] = "/tmp/msp-test-stamp-XXXXXX";
static char rec[128], input[128];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    snprintf(rec, sizeof rec, "%s/stamps/x.inputs", dir);
    snprintf(input, sizeof input, "%s/in.cfg", dir);
    FILE *f = fopen(input, "w");
    fputs("[net]\nwidth=28\n", f);
    fclose(f);
}

static void teardown(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(stamp, .init = setup, .fini = teardown);

static void build(msp_stamp *s, int epochs)
{
    msp_stamp_add(s, "base.epochs", "%d", epochs);
    msp_stamp_add(s, "data.classes", "%s", "a\tb\nc\\d"); /* escaped in the file */
    msp_stamp_add_file(s, input);
    msp_stamp_add_file_time(s, "image", input);
}

static msp_stamp_result compare(int epochs, char *why, size_t size)
{
    msp_stamp s = {0};
    build(&s, epochs);
    msp_stamp_result r = msp_stamp_compare(&s, rec, why, size);
    msp_stamp_free(&s);
    return r;
}

static void record(int epochs)
{
    msp_stamp s = {0};
    msp_err err;
    build(&s, epochs);
    cr_assert_eq(msp_stamp_write(&s, rec, &err), MSP_OK, "%s", err.msg);
    msp_stamp_free(&s);
}

Test(stamp, no_record_then_same_after_writing)
{
    char why[256] = "";
    cr_assert_eq(compare(2, why, sizeof why), MSP_STAMP_NONE);
    record(2);
    cr_assert_eq(compare(2, why, sizeof why), MSP_STAMP_SAME, "%s", why);
}

Test(stamp, a_changed_value_names_both_values)
{
    char why[256] = "";
    record(2);
    cr_assert_eq(compare(8, why, sizeof why), MSP_STAMP_CHANGED);
    cr_assert_str_eq(why, "base.epochs changed (2 -> 8)");
}

Test(stamp, a_changed_file_is_named)
{
    char why[256] = "", want[256];
    record(2);
    FILE *f = fopen(input, "a");
    fputs("height=28\n", f);
    fclose(f);
    cr_assert_eq(compare(2, why, sizeof why), MSP_STAMP_CHANGED);
    snprintf(want, sizeof want, "%s changed", input);
    cr_assert_str_eq(why, want);
}

Test(stamp, a_touched_file_counts_by_time_only_where_asked)
{
    char why[256] = "", want[256];
    record(2);
    struct timespec t[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    cr_assert_eq(utimensat(AT_FDCWD, input, t, 0), 0);
    /* same content: the file by CRC is unchanged; the image by time is not */
    cr_assert_eq(compare(2, why, sizeof why), MSP_STAMP_CHANGED);
    snprintf(want, sizeof want, "%s changed", input);
    cr_assert_str_eq(why, want);
    msp_stamp s = {0};
    msp_stamp_add(&s, "base.epochs", "%d", 2);
    msp_stamp_add(&s, "data.classes", "%s", "a\tb\nc\\d");
    msp_stamp_add_file(&s, input);
    msp_err err;
    cr_assert_eq(msp_stamp_write(&s, rec, &err), MSP_OK);
    cr_assert_eq(utimensat(AT_FDCWD, input, NULL, 0), 0);
    cr_assert_eq(msp_stamp_compare(&s, rec, why, sizeof why), MSP_STAMP_SAME, "%s", why);
    msp_stamp_free(&s);
}

Test(stamp, a_removed_file_is_named)
{
    char why[256] = "", want[256];
    record(2);
    cr_assert_eq(unlink(input), 0);
    cr_assert_eq(compare(2, why, sizeof why), MSP_STAMP_CHANGED);
    snprintf(want, sizeof want, "%s is gone", input);
    cr_assert_str_eq(why, want);
}

Test(stamp, a_new_input_is_named)
{
    char why[256] = "";
    record(2);
    msp_stamp s = {0};
    build(&s, 2);
    msp_stamp_add(&s, "specialise.k", "%d", 3);
    cr_assert_eq(msp_stamp_compare(&s, rec, why, sizeof why), MSP_STAMP_CHANGED);
    cr_assert_str_eq(why, "specialise.k is a new input");
    msp_stamp_free(&s);
}

Test(stamp, record_file_format_escapes)
{
    record(3);
    FILE *f = fopen(rec, "r");
    cr_assert_not_null(f);
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, "base.epochs\t3\n");
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_assert_str_eq(line, "data.classes\ta\\tb\\nc\\\\d\n");
    fclose(f);
}

Test(stamp, long_values_are_shortened_in_messages)
{
    char why[512] = "";
    char longv[200];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    msp_stamp s = {0};
    msp_err err;
    msp_stamp_add(&s, "selector.features", "%s", "all");
    cr_assert_eq(msp_stamp_write(&s, rec, &err), MSP_OK);
    msp_stamp_free(&s);
    msp_stamp_add(&s, "selector.features", "%s", longv);
    cr_assert_eq(msp_stamp_compare(&s, rec, why, sizeof why), MSP_STAMP_CHANGED);
    char want[512];
    snprintf(want, sizeof want, "selector.features changed (all -> %.60s...)", longv);
    cr_assert_str_eq(why, want);
    msp_stamp_free(&s);
}
