/* test_json.c: the JSON string writer always writes valid UTF-8 JSON that
 * the project's own strict reader (jsonread.c) accepts: invalid bytes become
 * U+FFFD, control characters are escaped, valid text comes back unchanged.
 * Also the UTF-8 validator (utf8.c) on the classic malformed sequences. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/jsonread.h"
#include "base/utf8.h"

/* msp_json_string(s) into a new string. */
static char *json_of(const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert_not_null(f);
    msp_json_string(f, s);
    cr_assert_eq(fclose(f), 0);
    return buf;
}

/* The writer's output is valid UTF-8 with no raw control byte, the reader
 * accepts it as one string, and that string is want. */
static void round_trip(const char *s, const char *want)
{
    char *out = json_of(s);
    cr_assert_eq(msp_utf8_invalid(out), -1, "not UTF-8: %s", out);
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        cr_assert(*p >= 0x20 && *p != 0x7f, "raw control byte 0x%02x in %s", *p, out);
    msp_jval *v = NULL;
    msp_err err = {{0}};
    cr_assert_eq(msp_jsonread_parse(out, strlen(out), "mem", &v, &err), MSP_OK, "%s: %s", out,
                 err.msg);
    cr_assert_eq(v->type, MSP_JSTRING);
    cr_assert_str_eq(v->str, want, "%s", out);
    msp_jsonread_free(v);
    free(out);
}

Test(json, valid_text_comes_back_unchanged)
{
    round_trip("", "");
    round_trip("T-shirt/top", "T-shirt/top");
    round_trip("quote \" backslash \\ slash /", "quote \" backslash \\ slash /");
    round_trip("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf",
               "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf");
}

Test(json, control_characters_are_escaped)
{
    char s[40];
    for (int c = 1; c < 0x20; c++) s[c - 1] = (char)c;
    s[0x1f] = 0x7f;
    s[0x20] = '\0';
    round_trip(s, s);
    char *out = json_of("a\nb\tc\rd\x01");
    cr_assert_str_eq(out, "\"a\\nb\\tc\\rd\\u0001\"");
    free(out);
}

#define FFFD "\xef\xbf\xbd"

Test(json, invalid_bytes_become_replacement_characters)
{
    struct {
        const char *in, *want;
    } cases[] = {
        {"caf\xe9", "caf" FFFD},                        /* latin-1 */
        {"\x80x\xbf", FFFD "x" FFFD},                   /* lone continuation bytes */
        {"\xc3", FFFD},                                 /* cut short at the end */
        {"\xc3(", FFFD "("},                            /* cut short by ASCII */
        {"\xe2\x82", FFFD FFFD},                        /* 3-byte cut short */
        {"\xf0\x9f\x98", FFFD FFFD FFFD},               /* 4-byte cut short */
        {"\xc0\x80", FFFD FFFD},                        /* overlong NUL */
        {"\xe0\x80\xaf", FFFD FFFD FFFD},               /* overlong '/' */
        {"\xed\xa0\x80", FFFD FFFD FFFD},               /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD},      /* above U+10FFFF */
        {"\xf5\xff\xfe", FFFD FFFD FFFD},               /* never in UTF-8 */
        {"ok\xc3\xa9\xe9\"", "ok\xc3\xa9" FFFD "\""},   /* mixed */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) round_trip(cases[i].in, cases[i].want);
    char *out = json_of("caf\xe9");
    cr_assert_str_eq(out, "\"caf\\ufffd\"");
    free(out);
}

/* Random byte strings (every byte but NUL): always accepted by the reader. */
Test(json, random_bytes_always_make_valid_json)
{
    unsigned long long x = 88172645463325252ULL;
    char s[64];
    for (int t = 0; t < 20000; t++) {
        int n = t % 63;
        for (int i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int b = (int)(x >> 32) & 0xff;
            s[i] = (char)(b ? b : 'a');
        }
        s[n] = '\0';
        char *out = json_of(s);
        cr_assert_eq(msp_utf8_invalid(out), -1);
        msp_jval *v = NULL;
        msp_err err = {{0}};
        cr_assert_eq(msp_jsonread_parse(out, strlen(out), "mem", &v, &err), MSP_OK, "%s", err.msg);
        if (msp_utf8_invalid(s) < 0) cr_assert_str_eq(v->str, s);
        msp_jsonread_free(v);
        free(out);
    }
}

Test(json, utf8_validator)
{
    cr_assert_eq(msp_utf8_invalid("plain ASCII"), -1);
    cr_assert_eq(msp_utf8_invalid("caf\xc3\xa9"), -1);
    cr_assert_eq(msp_utf8_invalid("caf\xe9"), 3);
    cr_assert_eq(msp_utf8_invalid("ab\xc3"), 2);
    cr_assert_eq(msp_utf8_invalid("\xed\xa0\x80"), 0);
    cr_assert_eq(msp_utf8_invalid("\xf4\x8f\xbf\xbf\xf4\x90\x80\x80"), 4);
    const unsigned char e[] = "\xe2\x82\xac";
    cr_assert_eq(msp_utf8_len(e, e + 3), 3);
    cr_assert_eq(msp_utf8_len(e, e + 2), 0); /* the end cuts it short */
    cr_assert_eq(msp_utf8_len(e, e), 0);
}

/* Text shown on a terminal: no control character of any kind, valid UTF-8. */
Test(json, utf8_unprintable)
{
    cr_assert_eq(msp_utf8_unprintable("Ankle boot"), -1);
    cr_assert_eq(msp_utf8_unprintable("T-shirt/top caf\xc3\xa9 \xc2\xa0 \xe2\x82\xac"), -1);
    cr_assert_eq(msp_utf8_unprintable("two\nlines"), 3);
    cr_assert_eq(msp_utf8_unprintable("\x1b[2J"), 0);
    cr_assert_eq(msp_utf8_unprintable("del\x7f"), 3);
    cr_assert_eq(msp_utf8_unprintable("csi \xc2\x9b" "2J"), 4); /* C1: U+009B */
    cr_assert_eq(msp_utf8_unprintable("caf\xe9"), 3);
}
