/* test_jsonread.c: the strict JSON reader: valid documents and their line
 * numbers, every rejection with its exact message and line, the typed
 * helpers, and seeded mutation fuzzing (run under ASan with SANITIZE=1). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonread.h"
#include "base/rng.h"

static msp_jval *parse_ok(const char *text)
{
    msp_jval *v;
    msp_err err = {{0}};
    msp_status st = msp_jsonread_parse(text, strlen(text), "t.json", &v, &err);
    cr_assert_eq(st, MSP_OK, "%s", err.msg);
    return v;
}

static void parse_bad(const char *text, const char *want)
{
    msp_jval *v = (msp_jval *)1;
    msp_err err = {{0}};
    msp_status st = msp_jsonread_parse(text, strlen(text), "t.json", &v, &err);
    cr_assert_eq(st, MSP_BAD_INPUT, "accepted: %s", text);
    cr_assert_null(v);
    cr_assert_str_eq(err.msg, want, "for %s", text);
}

Test(jsonread, document_tree_and_lines)
{
    msp_jval *v = parse_ok("{\n  \"a\": [1, -2.5e2, true, false, null],\n  \"b\": {\"c\": \"x\"},\n"
                           "  \"d\": []\n}\n");
    cr_assert_eq(v->type, MSP_JOBJECT);
    cr_assert_eq(v->n, 3);
    const msp_jval *a = msp_jsonread_get(v, "a");
    cr_assert_eq(a->type, MSP_JARRAY);
    cr_assert_eq(a->line, 2);
    cr_assert_eq(a->n, 5);
    cr_assert_eq(a->kid[0].num, 1);
    cr_assert_eq(a->kid[1].num, -250);
    cr_assert_eq(a->kid[2].type, MSP_JBOOL);
    cr_assert_eq(a->kid[2].num, 1);
    cr_assert_eq(a->kid[3].num, 0);
    cr_assert_eq(a->kid[4].type, MSP_JNULL);
    const msp_jval *c = msp_jsonread_get(msp_jsonread_get(v, "b"), "c");
    cr_assert_str_eq(c->str, "x");
    cr_assert_eq(c->line, 3);
    cr_assert_eq(msp_jsonread_get(v, "d")->n, 0);
    cr_assert_eq(msp_jsonread_get(v, "d")->line, 4);
    cr_assert_null(msp_jsonread_get(v, "zz"));
    cr_assert_null(msp_jsonread_get(a, "a"));
    msp_jsonread_free(v);
}

Test(jsonread, scalars_and_escapes)
{
    msp_jval *v = parse_ok(" \"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00 \xc3\xa9\" ");
    cr_assert_str_eq(v->str, "q\"b\\s/\b\f\n\r\t \xc3\xa9 \xf0\x9f\x98\x80 \xc3\xa9");
    msp_jsonread_free(v);
    v = parse_ok("-0.0");
    cr_assert_eq(v->num, 0);
    msp_jsonread_free(v);
    v = parse_ok("1E+2");
    cr_assert_eq(v->num, 100);
    msp_jsonread_free(v);
    v = parse_ok("\xef\xbb\xbf[]");
    cr_assert_eq(v->type, MSP_JARRAY);
    msp_jsonread_free(v);
}

Test(jsonread, rejections_with_line)
{
    parse_bad("", "t.json:1: unexpected end of file: expected a value");
    parse_bad("{\"a\": 1,\n\"b\": 2,\n}", "t.json:3: trailing comma before '}'");
    parse_bad("[1, 2,]", "t.json:1: trailing comma before ']'");
    parse_bad("{\n\"a\" 1}", "t.json:2: expected ':' after a key, found '1'");
    parse_bad("{\"a\": 1,\n\n \"a\": 2}", "t.json:3: duplicate key 'a'");
    parse_bad("{a: 1}", "t.json:1: expected a quoted key, found 'a'");
    parse_bad("[01]", "t.json:1: bad number: no leading zeros");
    parse_bad("[1.]", "t.json:1: bad number: a digit must follow '.'");
    parse_bad("[1e]", "t.json:1: bad number: a digit must follow the exponent");
    parse_bad("[-]", "t.json:1: bad number: a digit must follow '-'");
    parse_bad("[NaN]", "t.json:1: expected a value, found 'N'");
    parse_bad("[1e999]", "t.json:1: number 1e999 is out of range");
    parse_bad("[1 2]", "t.json:1: expected ',' or ']', found '2'");
    parse_bad("[1,\n2", "t.json:2: unexpected end of file: missing ']'");
    parse_bad("\"abc", "t.json:1: unterminated string");
    parse_bad("\"a\tb\"", "t.json:1: raw control character in a string (write it as \\n, \\t or \\u00XX)");
    parse_bad("\"\\x\"", "t.json:1: bad escape in a string (use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)");
    parse_bad("\"\\u12\"", "t.json:1: bad escape in a string (use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)");
    parse_bad("\"\\ud83d\"", "t.json:1: unpaired UTF-16 surrogate in a \\u escape");
    parse_bad("\"\\ude00\"", "t.json:1: unpaired UTF-16 surrogate in a \\u escape");
    parse_bad("\"\\u0000\"", "t.json:1: \\u0000 in a string is not supported");
    parse_bad("\"\xc0\xaf\"", "t.json:1: invalid UTF-8 in a string");
    parse_bad("\"\xed\xa0\x80\"", "t.json:1: invalid UTF-8 in a string");
    parse_bad("{}\n\n{}", "t.json:3: unexpected '{' after the end of the document");
    parse_bad("[tru]", "t.json:1: expected a value, found 't'");
    parse_bad("\n\x01", "t.json:2: expected a value, found byte 0x01");
    /* An embedded NUL is not the end of the text. */
    msp_jval *v;
    msp_err err = {{0}};
    cr_assert_eq(msp_jsonread_parse("[1]\0[2]", 7, "t.json", &v, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "t.json:1: unexpected byte 0x00 after the end of the document");
}

Test(jsonread, depth_limit)
{
    char buf[2 * MSP_JSONREAD_MAX_DEPTH + 8];
    int d = MSP_JSONREAD_MAX_DEPTH;
    memset(buf, '[', (size_t)d);
    memset(buf + d, ']', (size_t)d);
    buf[2 * d] = 0;
    msp_jsonread_free(parse_ok(buf));
    memset(buf, '[', (size_t)d + 1);
    memset(buf + d + 1, ']', (size_t)d + 1);
    buf[2 * d + 2] = 0;
    parse_bad(buf, "t.json:1: nesting deeper than 64 levels");
}

Test(jsonread, typed_helpers)
{
    msp_jval *v = parse_ok("{\"x\": 0.5,\n \"i\": 3.5,\n \"s\": \"hi\",\n \"n\": null,\n \"a\": [1, 2, 3]}");
    msp_err err = {{0}};
    double d;
    const char *s;
    const msp_jval *a;
    cr_assert_eq(msp_jsonread_num(v, "x", 0, 1, 0, "f", &d, &err), MSP_OK);
    cr_assert_eq(d, 0.5);
    cr_assert_eq(msp_jsonread_num(v, "x", 0, 0.4, 0, "f", &d, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "f:1: 'x' is 0.5, must be in [0, 0.4]");
    cr_assert(isnan(d));
    cr_assert_eq(msp_jsonread_int(v, "i", 0, 10, "f", &d, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "f:2: 'i' is 3.5, must be an integer");
    cr_assert_eq(msp_jsonread_num(v, "n", 0, 1, 1, "f", &d, &err), MSP_OK);
    cr_assert(isnan(d));
    cr_assert_eq(msp_jsonread_num(v, "gone", 0, 1, 1, "f", &d, &err), MSP_OK);
    cr_assert_eq(msp_jsonread_num(v, "n", 0, 1, 0, "f", &d, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "f:4: 'n' must be a number, not null");
    cr_assert_eq(msp_jsonread_num(v, "gone", 0, 1, 0, "f", &d, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "f:1: missing key 'gone' (a number)");
    cr_assert_eq(msp_jsonread_str(v, "s", "f", &s, &err), MSP_OK);
    cr_assert_str_eq(s, "hi");
    cr_assert_eq(msp_jsonread_str(v, "a", "f", &s, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "f:5: 'a' must be a string, not an array");
    cr_assert_eq(msp_jsonread_typed(v, "a", MSP_JARRAY, 3, "f", &a, &err), MSP_OK);
    cr_assert_eq(a->n, 3);
    cr_assert_eq(msp_jsonread_typed(v, "a", MSP_JARRAY, 2, "f", &a, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "f:5: 'a' has 3 entries, at most 2");
    cr_assert_null(a);
    cr_assert_eq(msp_jsonread_typed(v, "s", MSP_JOBJECT, 2, "f", &a, &err), MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, "f:3: 's' must be an object, not string");
    msp_jsonread_free(v);
}

Test(jsonread, file_missing_and_present)
{
    char dir[] = "/tmp/msp-jsonread-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/x.json", dir);
    msp_jval *v;
    msp_err err = {{0}};
    cr_assert_eq(msp_jsonread_file(path, &v, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "x.json: cannot open"), "%s", err.msg);
    FILE *f = fopen(path, "w");
    fputs("{\"k\": [1,\n2,\n}", f);
    fclose(f);
    cr_assert_eq(msp_jsonread_file(path, &v, &err), MSP_BAD_INPUT);
    char want[300];
    snprintf(want, sizeof want, "%s:3: expected a value, found '}'", path);
    cr_assert_str_eq(err.msg, want);
    f = fopen(path, "w");
    fputs("{\"k\": [1, 2]}", f);
    fclose(f);
    cr_assert_eq(msp_jsonread_file(path, &v, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_jsonread_get(v, "k")->kid[1].num, 2);
    msp_jsonread_free(v);
    remove(path);
    rmdir(dir);
}

/* Mutated copies of a valid document: every outcome is OK or BAD_INPUT with
 * a "t.json:" message; under ASan also no memory error or leak. */
Test(jsonread, fuzz_mutations)
{
    static const char seed[] =
        "{\"experiment\": \"x\", \"networks\": [{\"name\": \"b\\u00e9\", \"top1\": 0.9,\n"
        "\"flops\": 1.5e6, \"c\": null, \"ok\": true}], \"m\": [[1, 2], [3, -4.25E-3]]}";
    msp_rng r;
    msp_rng_seed(&r, 12345);
    size_t n = sizeof seed - 1;
    char buf[sizeof seed + 8];
    static const char alphabet[] = "{}[],:\"\\-+.0123456789eEtrufalsn \n\xc3\xa9\x80\xff";
    int ok = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, seed, n);
        size_t len = n;
        int edits = 1 + (int)msp_rng_below(&r, 4);
        for (int e = 0; e < edits; e++) {
            size_t at = msp_rng_below(&r, len);
            switch (msp_rng_below(&r, 3)) {
            case 0: buf[at] = alphabet[msp_rng_below(&r, sizeof alphabet - 1)]; break;
            case 1: buf[at] ^= (char)(1u << msp_rng_below(&r, 8)); break;
            default: len = at; break;
            }
            if (!len) break;
        }
        msp_jval *v;
        msp_err err = {{0}};
        msp_status st = msp_jsonread_parse(buf, len, "t.json", &v, &err);
        cr_assert(st == MSP_OK || st == MSP_BAD_INPUT);
        if (st == MSP_OK) {
            ok++;
            msp_jsonread_free(v);
        } else {
            cr_assert(!strncmp(err.msg, "t.json:", 7), "%s", err.msg);
        }
    }
    /* Some mutations keep the document valid (e.g. a digit for a digit). */
    cr_assert_gt(ok, 0);
}
