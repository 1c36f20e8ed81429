/* fuzz_jsonread.c: libFuzzer harness for the JSON reader: msp_jsonread_parse
 * on the input as text, and msp_jsonread_file on it as a file, which must
 * decide alike. A refused text gives no tree and "fuzz.json:LINE: message"
 * with LINE within the text; an accepted tree keeps the header's promises
 * (finite numbers, valid UTF-8 strings, distinct keys, bounded depth, lines
 * within the text), the typed lookups agree with the node types, and the
 * tree written back as JSON (src/base/json.h) parses to the same tree. */
#include <math.h>

#include "fuzz_common.h"
#include "base/json.h"
#include "base/jsonread.h"
#include "base/utf8.h"

#define PATH "fuzz.json"

static int lines_in(const uint8_t *data, size_t size)
{
    int n = 1;
    for (size_t i = 0; i < size; i++) n += data[i] == '\n';
    return n;
}

/* The node's promises, recursively; depth counts nested arrays/objects. */
static void check_node(const msp_jval *v, int depth, int max_line)
{
    FUZZ_REQUIRE(v->line >= 1 && v->line <= max_line);
    switch (v->type) {
    case MSP_JNULL: break;
    case MSP_JBOOL: FUZZ_REQUIRE(v->num == 0 || v->num == 1); break;
    case MSP_JNUMBER: FUZZ_REQUIRE(isfinite(v->num)); break;
    case MSP_JSTRING:
        FUZZ_REQUIRE(v->str != NULL && msp_utf8_invalid(v->str) < 0);
        break;
    case MSP_JARRAY:
    case MSP_JOBJECT:
        FUZZ_REQUIRE(depth < MSP_JSONREAD_MAX_DEPTH);
        FUZZ_REQUIRE(v->n == 0 || v->kid != NULL);
        for (size_t i = 0; i < v->n; i++) {
            const msp_jval *k = &v->kid[i];
            FUZZ_REQUIRE((v->type == MSP_JOBJECT) == (k->key != NULL));
            FUZZ_REQUIRE(k->line >= v->line);
            if (k->key) {
                FUZZ_REQUIRE(msp_utf8_invalid(k->key) < 0);
                for (size_t j = 0; j < i; j++) FUZZ_REQUIRE(strcmp(v->kid[j].key, k->key) != 0);
                FUZZ_REQUIRE(msp_jsonread_get(v, k->key) == k);
            }
            check_node(k, depth + 1, max_line);
        }
        break;
    default: FUZZ_REQUIRE(0);
    }
}

/* The schema helpers on every member of an object: each succeeds exactly
 * when the member has the asked type (and range), and says why otherwise. */
static void check_lookups(const msp_jval *obj)
{
    for (size_t i = 0; obj->type == MSP_JOBJECT && i < obj->n; i++) {
        const msp_jval *k = &obj->kid[i];
        msp_err err = {{0}};
        double d;
        const char *s;
        const msp_jval *t;
        msp_status st = msp_jsonread_num(obj, k->key, -HUGE_VAL, HUGE_VAL, 1, PATH, &d, &err);
        FUZZ_REQUIRE((st == MSP_OK) == (k->type == MSP_JNUMBER || k->type == MSP_JNULL));
        if (st != MSP_OK) fuzz_check_failure(st, &err);
        st = msp_jsonread_int(obj, k->key, -1e15, 1e15, PATH, &d, &err);
        FUZZ_REQUIRE(st != MSP_OK || (k->type == MSP_JNUMBER && d == floor(d) && d == k->num));
        st = msp_jsonread_str(obj, k->key, PATH, &s, &err);
        FUZZ_REQUIRE((st == MSP_OK) == (k->type == MSP_JSTRING));
        FUZZ_REQUIRE(st != MSP_OK || s == k->str);
        st = msp_jsonread_typed(obj, k->key, k->type, (size_t)-1, PATH, &t, &err);
        FUZZ_REQUIRE(st == MSP_OK && t == k);
    }
    msp_err err = {{0}};
    double d;
    FUZZ_REQUIRE(msp_jsonread_num(obj, "\x01missing", 0, 1, 0, PATH, &d, &err) == MSP_BAD_INPUT);
}

/* Write v back as JSON. */
static void put(FILE *f, const msp_jval *v)
{
    switch (v->type) {
    case MSP_JNULL: fputs("null", f); break;
    case MSP_JBOOL: fputs(v->num ? "true" : "false", f); break;
    case MSP_JNUMBER: fprintf(f, "%.17g", v->num); break;
    case MSP_JSTRING: msp_json_string(f, v->str); break;
    case MSP_JARRAY:
    case MSP_JOBJECT:
        fputc(v->type == MSP_JARRAY ? '[' : '{', f);
        for (size_t i = 0; i < v->n; i++) {
            if (i) fputc(',', f);
            if (v->kid[i].key) {
                msp_json_string(f, v->kid[i].key);
                fputc(':', f);
            }
            put(f, &v->kid[i]);
        }
        fputc(v->type == MSP_JARRAY ? ']' : '}', f);
        break;
    }
}

static int same(const msp_jval *a, const msp_jval *b)
{
    if (a->type != b->type || a->n != b->n) return 0;
    if ((a->key || b->key) && (!a->key || !b->key || strcmp(a->key, b->key))) return 0;
    if (a->type == MSP_JNUMBER || a->type == MSP_JBOOL) return a->num == b->num;
    if (a->type == MSP_JSTRING) return !strcmp(a->str, b->str);
    for (size_t i = 0; i < a->n; i++)
        if (!same(&a->kid[i], &b->kid[i])) return 0;
    return 1;
}

static void check_round_trip(const msp_jval *root)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    FUZZ_REQUIRE(f != NULL);
    put(f, root);
    FUZZ_REQUIRE(fclose(f) == 0);
    msp_jval *again = NULL;
    msp_err err = {{0}};
    msp_status st = msp_jsonread_parse(text, len, PATH, &again, &err);
    if (st != MSP_OK) fprintf(stderr, "written back: %s\nrefused: %s\n", text, err.msg);
    FUZZ_REQUIRE(st == MSP_OK);
    FUZZ_REQUIRE(same(root, again));
    msp_jsonread_free(again);
    free(text);
}

/* msp_jsonread_file on the same text as a file decides alike. */
static void check_file(const uint8_t *data, size_t size, const msp_jval *root)
{
    msp_jval *from_file = (msp_jval *)1;
    msp_err err = {{0}};
    msp_status st = msp_jsonread_file(fuzz_file(PATH, data, size), &from_file, &err);
    FUZZ_REQUIRE((st == MSP_OK) == (root != NULL));
    FUZZ_REQUIRE(st != MSP_OK || same(root, from_file));
    FUZZ_REQUIRE(st == MSP_OK || from_file == NULL);
    msp_jsonread_free(from_file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msp_jval *root = (msp_jval *)1;
    msp_err err = {{0}};
    msp_status st = msp_jsonread_parse((const char *)data, size, PATH, &root, &err);
    check_file(data, size, root);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(root == NULL);
        int line = 0;
        FUZZ_REQUIRE(sscanf(err.msg, PATH ":%d:", &line) == 1);
        FUZZ_REQUIRE(line >= 1 && line <= lines_in(data, size));
        return 0;
    }
    FUZZ_REQUIRE(root != NULL && root->key == NULL);
    check_node(root, 0, lines_in(data, size));
    check_lookups(root);
    check_round_trip(root);
    msp_jsonread_free(root);
    return 0;
}
