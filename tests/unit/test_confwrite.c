/* test_confwrite.c: string literals in the libconfig-syntax files msprune
 * writes (src/base/confwrite.h): whatever the string holds (quotes, backslashes,
 * newlines, control bytes, UTF-8), libconfig reads back exactly that string;
 * and a device profile with such names survives a write -> load. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/conffile.h"
#include "base/confwrite.h"
#include "engine/devprofile.h"

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/msp-confwrite-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(confwrite, .init = setup, .fini = teardown, .timeout = 60);

/* Write `s = LITERAL;` to a file, read it with libconfig and with
 * msp_conffile_read, and expect s back byte for byte. */
static void expect_round_trip(const char *s)
{
    char path[128];
    snprintf(path, sizeof path, "%s/s.conf", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("s = ", f);
    msp_conf_put_string(f, s);
    fputs(";\n", f);
    cr_assert_eq(fclose(f), 0);

    config_t cf;
    config_init(&cf);
    cr_assert(config_read_file(&cf, path), "libconfig: line %d: %s", config_error_line(&cf),
              config_error_text(&cf));
    const char *back = NULL;
    cr_assert(config_lookup_string(&cf, "s", &back));
    cr_assert_eq(strlen(back), strlen(s));
    cr_assert_str_eq(back, s);
    config_destroy(&cf);

    msp_err err = {{0}};
    config_init(&cf);
    cr_assert_eq(msp_conffile_read(path, "a test file", 1u << 16, &cf, &err), MSP_OK, "%s", err.msg);
    cr_assert(config_lookup_string(&cf, "s", &back));
    cr_assert_str_eq(back, s);
    config_destroy(&cf);
}

Test(confwrite, literal_escapes)
{
    char *q = msp_conf_quote("a\"b\\c\nd\te\ff\rg\x01h\x7fi\xc3\xa9");
    cr_assert_str_eq(q, "\"a\\\"b\\\\c\\nd\\te\\ff\\rg\\x01h\\x7fi\xc3\xa9\"");
    free(q);
    q = msp_conf_quote("");
    cr_assert_str_eq(q, "\"\"");
    free(q);
    /* Plain names are written as they always were. */
    q = msp_conf_quote("family/s0.weights");
    cr_assert_str_eq(q, "\"family/s0.weights\"");
    free(q);
}

Test(confwrite, quotes_backslashes_newlines_utf8_read_back)
{
    expect_round_trip("T-shirt \"top\"");
    expect_round_trip("C:\\nets\\base.cfg");
    expect_round_trip("\\x41 is not A, \\n is not a newline");
    expect_round_trip("two\nlines\r\n\tand a tab");
    expect_round_trip("Ankle boot \xc3\xa9t\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x91\xa2");
    expect_round_trip("ends in a backslash \\");
    expect_round_trip("\"");
    expect_round_trip("");
}

Test(confwrite, every_byte_reads_back)
{
    char all[256];
    for (int i = 1; i < 256; i++) all[i - 1] = (char)i;
    all[255] = '\0';
    expect_round_trip(all);
    /* An escape followed by hex digits: libconfig takes exactly two. */
    expect_round_trip("\x01" "0123\x1f" "ff");
}

Test(confwrite, device_profile_names_round_trip)
{
    char *names[2] = {"s\"0\"", "g\\1 \xc3\xa9"};
    double ms[2] = {0.5, 0.25};
    msp_devprofile p = {.experiment = "exp \"quoted\"", .machine = "vm \\ x86_64 \xe2\x80\x94 caf\xc3\xa9",
                        .n = 2, .names = names, .latency_ms = ms};
    char path[128];
    snprintf(path, sizeof path, "%s/dev.conf", dir);
    msp_err err = {{0}};
    cr_assert_eq(msp_devprofile_write(path, &p, &err), MSP_OK, "%s", err.msg);
    msp_devprofile q;
    cr_assert_eq(msp_devprofile_load(path, &q, &err), MSP_OK, "%s", err.msg);
    cr_assert_str_eq(q.experiment, p.experiment);
    cr_assert_str_eq(q.machine, p.machine);
    cr_assert_eq(q.n, 2);
    for (int j = 0; j < 2; j++) {
        cr_assert_str_eq(q.names[j], names[j]);
        cr_assert_eq(q.latency_ms[j], ms[j]);
    }
    msp_devprofile_free(&q);
}
