/* test_textline.c: one bounded line of a text file: exact lines, lengths and
 * messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/textline.h"

Test(textline, lines_lengths_and_end)
{
    static char text[] = "ab\r\n\n  c d\nlast";
    FILE *f = fmemopen(text, strlen(text), "r");
    char *buf = NULL;
    size_t cap = 0, len = 9;
    int got = -1;
    msp_err err = {{0}};
    const char *want[] = {"ab\r", "", "  c d", "last"};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(msp_read_line(f, "t.txt", i + 1, 10, &buf, &cap, &len, &got, &err), MSP_OK);
        cr_assert_eq(got, 1);
        cr_assert_str_eq(buf, want[i]);
        cr_assert_eq(len, strlen(want[i]));
    }
    cr_assert_eq(msp_read_line(f, "t.txt", 5, 10, &buf, &cap, &len, &got, &err), MSP_OK);
    cr_assert_eq(got, 0);
    cr_assert_eq(len, 0u);
    fclose(f);
    free(buf);
}

Test(textline, long_lines_grow_up_to_the_limit)
{
    char text[1002];
    memset(text, 'x', 1000);
    strcpy(text + 1000, "\n");
    FILE *f = fmemopen(text, 1001, "r");
    char *buf = NULL;
    size_t cap = 0, len = 0;
    int got = 0;
    msp_err err = {{0}};
    cr_assert_eq(msp_read_line(f, "t.txt", 1, 1000, &buf, &cap, &len, &got, &err), MSP_OK);
    cr_assert_eq(len, 1000u);
    cr_assert_geq(cap, 1001u);
    cr_assert_eq(strspn(buf, "x"), 1000u);
    rewind(f);
    cr_assert_eq(msp_read_line(f, "t.txt", 7, 999, &buf, &cap, &len, &got, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "t.txt:7: line is longer than 999 bytes");
    fclose(f);
    free(buf);
}

Test(textline, nul_byte_is_refused)
{
    static char text[] = "ok\nb\0d\n";
    FILE *f = fmemopen(text, sizeof text - 1, "r");
    char *buf = NULL;
    size_t cap = 0, len = 0;
    int got = 0;
    msp_err err = {{0}};
    cr_assert_eq(msp_read_line(f, "t.txt", 1, 100, &buf, &cap, &len, &got, &err), MSP_OK);
    cr_assert_eq(msp_read_line(f, "t.txt", 2, 100, &buf, &cap, &len, &got, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "t.txt:2: line contains a NUL byte (is this a text file?)");
    fclose(f);
    free(buf);
}
