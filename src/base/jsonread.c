/* jsonread.c: strict recursive-descent JSON parser with bounded depth and
 * size, line numbers on every node, and typed lookup helpers. See jsonread.h
 * for the accepted language and limits. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicio.h"
#include "jsonread.h"
#include "utf8.h"

typedef struct {
    const unsigned char *p, *end;
    int line;
    const char *path;
    msp_err *err;
} parser;

static msp_status fail(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static msp_status fail(parser *ps, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msp_err_vset(ps->err, MSP_BAD_INPUT, ps->path, ps->line, fmt, ap);
    va_end(ap);
    return MSP_BAD_INPUT;
}

/* A printable description of the next byte for messages. */
static const char *next_desc(parser *ps, char buf[16])
{
    if (ps->p >= ps->end) return "end of file";
    unsigned char c = *ps->p;
    if (c >= 0x21 && c < 0x7f) snprintf(buf, 16, "'%c'", c);
    else snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end) {
        unsigned char c = *ps->p;
        if (c == '\n') ps->line++;
        else if (c != ' ' && c != '\t' && c != '\r') break;
        ps->p++;
    }
}

static void node_free(msp_jval *v)
{
    free(v->str);
    free(v->key);
    for (size_t i = 0; i < v->n; i++) node_free(&v->kid[i]);
    free(v->kid);
    memset(v, 0, sizeof *v);
}

static int hex4(const unsigned char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* At the opening quote. The decoded string is never longer than its source. */
static msp_status parse_string(parser *ps, char **out)
{
    const unsigned char *s = ++ps->p;
    const unsigned char *q = s;
    while (q < ps->end && *q != '"') q += (*q == '\\' && q + 1 < ps->end) ? 2 : 1;
    if (q >= ps->end) return fail(ps, "unterminated string");
    char *o = msp_malloc((size_t)(q - s) + 1);
    size_t n = 0;
    while (ps->p < q) {
        unsigned char c = *ps->p;
        if (c < 0x20) {
            free(o);
            return fail(ps, "raw control character in a string (write it as \\n, \\t or \\u00XX)");
        }
        if (c >= 0x80) {
            size_t k = msp_utf8_len(ps->p, q);
            if (!k) {
                free(o);
                return fail(ps, "invalid UTF-8 in a string");
            }
            memcpy(o + n, ps->p, k);
            n += k;
            ps->p += k;
            continue;
        }
        if (c != '\\') {
            o[n++] = (char)c;
            ps->p++;
            continue;
        }
        unsigned char e = ps->p[1];
        ps->p += 2;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            o[n++] = map[simple - "\"\\/bfnrt"];
            continue;
        }
        unsigned cp, lo;
        if (e != 'u' || q - ps->p < 4 || !hex4(ps->p, &cp)) {
            free(o);
            return fail(ps, "bad escape in a string (use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)");
        }
        ps->p += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (q - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' || !hex4(ps->p + 2, &lo) ||
                lo < 0xdc00 || lo > 0xdfff) {
                free(o);
                return fail(ps, "unpaired UTF-16 surrogate in a \\u escape");
            }
            ps->p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            free(o);
            return fail(ps, "unpaired UTF-16 surrogate in a \\u escape");
        } else if (cp == 0) {
            free(o);
            return fail(ps, "\\u0000 in a string is not supported");
        }
        n += put_utf8(o + n, cp);
    }
    o[n] = 0;
    ps->p = q + 1;
    *out = o;
    return MSP_OK;
}

static msp_status parse_number(parser *ps, double *out)
{
    const unsigned char *s = ps->p, *q = s;
    if (q < ps->end && *q == '-') q++;
    if (q < ps->end && *q == '0') q++;
    else if (q < ps->end && *q >= '1' && *q <= '9')
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    else return fail(ps, "bad number: a digit must follow '-'");
    if (q < ps->end && *q == '.') {
        q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "bad number: a digit must follow '.'");
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < ps->end && (*q == '+' || *q == '-')) q++;
        if (q >= ps->end || *q < '0' || *q > '9')
            return fail(ps, "bad number: a digit must follow the exponent");
        while (q < ps->end && *q >= '0' && *q <= '9') q++;
    }
    if (q < ps->end && *q >= '0' && *q <= '9')
        return fail(ps, "bad number: no leading zeros");
    size_t len = (size_t)(q - s);
    if (len > 400) return fail(ps, "number too long (over 400 characters)");
    char buf[401];
    memcpy(buf, s, len);
    buf[len] = 0;
    errno = 0;
    double v = strtod(buf, NULL);
    if (!isfinite(v)) return fail(ps, "number %s is out of range", buf);
    *out = v;
    ps->p = q;
    return MSP_OK;
}

static int cmp_keys(const void *a, const void *b)
{
    const msp_jval *x = *(const msp_jval *const *)a, *y = *(const msp_jval *const *)b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return (x > y) - (x < y);
}

/* Duplicate keys: sort pointers by (key, position); report the later one. */
static msp_status check_dups(parser *ps, msp_jval *obj)
{
    if (obj->n < 2) return MSP_OK;
    const msp_jval **v = msp_malloc(obj->n * sizeof *v);
    for (size_t i = 0; i < obj->n; i++) v[i] = &obj->kid[i];
    qsort(v, obj->n, sizeof *v, cmp_keys);
    const msp_jval *dup = NULL;
    for (size_t i = 1; i < obj->n; i++)
        if (!strcmp(v[i - 1]->key, v[i]->key) && (!dup || v[i] < dup)) dup = v[i];
    msp_status st = MSP_OK;
    if (dup) {
        ps->line = dup->line;
        st = msp_err_set(ps->err, MSP_BAD_INPUT, ps->path, dup->line, "duplicate key '%s'",
                         dup->key);
    }
    free(v);
    return st;
}

static msp_status parse_value(parser *ps, msp_jval *v, int depth);

static void push(msp_jval *parent, size_t *cap, msp_jval *kid)
{
    if (parent->n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        parent->kid = msp_realloc(parent->kid, *cap * sizeof *parent->kid);
    }
    parent->kid[parent->n++] = *kid;
    memset(kid, 0, sizeof *kid);
}

static msp_status parse_container(parser *ps, msp_jval *v, int depth)
{
    int is_obj = *ps->p == '{';
    char close = is_obj ? '}' : ']', nb[16];
    if (depth >= MSP_JSONREAD_MAX_DEPTH)
        return msp_err_set(ps->err, MSP_BAD_INPUT, ps->path, ps->line,
                           "nesting deeper than %d levels", MSP_JSONREAD_MAX_DEPTH);
    v->type = is_obj ? MSP_JOBJECT : MSP_JARRAY;
    ps->p++;
    size_t cap = 0;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return MSP_OK;
    }
    for (;;) {
        msp_jval kid = {0};
        msp_status st;
        skip_ws(ps);
        if (is_obj) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, "expected a quoted key, found %s", next_desc(ps, nb));
            char *key;
            if ((st = parse_string(ps, &key)) != MSP_OK) return st;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                free(key);
                return fail(ps, "expected ':' after a key, found %s", next_desc(ps, nb));
            }
            ps->p++;
            skip_ws(ps);
            st = parse_value(ps, &kid, depth + 1);
            kid.key = key;
            if (st != MSP_OK) {
                node_free(&kid);
                return st;
            }
        } else if ((st = parse_value(ps, &kid, depth + 1)) != MSP_OK) {
            node_free(&kid);
            return st;
        }
        push(v, &cap, &kid);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == close)
                return fail(ps, "trailing comma before %s", is_obj ? "'}'" : "']'");
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return is_obj ? check_dups(ps, v) : MSP_OK;
        }
        if (ps->p >= ps->end)
            return fail(ps, "unexpected end of file: missing %s", is_obj ? "'}'" : "']'");
        return msp_err_set(ps->err, MSP_BAD_INPUT, ps->path, ps->line,
                           "expected ',' or '%c', found %s", close, next_desc(ps, nb));
    }
}

static int literal(parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n)) return 0;
    ps->p += n;
    return 1;
}

static msp_status parse_value(parser *ps, msp_jval *v, int depth)
{
    char nb[16];
    v->line = ps->line;
    if (ps->p >= ps->end) return fail(ps, "unexpected end of file: expected a value");
    unsigned char c = *ps->p;
    if (c == '{' || c == '[') return parse_container(ps, v, depth);
    if (c == '"') {
        v->type = MSP_JSTRING;
        return parse_string(ps, &v->str);
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        v->type = MSP_JNUMBER;
        return parse_number(ps, &v->num);
    }
    if (literal(ps, "true")) return v->type = MSP_JBOOL, v->num = 1, MSP_OK;
    if (literal(ps, "false")) return v->type = MSP_JBOOL, v->num = 0, MSP_OK;
    if (literal(ps, "null")) return v->type = MSP_JNULL, MSP_OK;
    return fail(ps, "expected a value, found %s", next_desc(ps, nb));
}

msp_status msp_jsonread_parse(const char *text, size_t len, const char *path, msp_jval **root,
                              msp_err *err)
{
    *root = NULL;
    if (!path) path = "<json>";
    if (len > MSP_JSONREAD_MAX_BYTES)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "larger than %u MiB; not a msprune file?",
                           MSP_JSONREAD_MAX_BYTES >> 20);
    parser ps = {(const unsigned char *)text, (const unsigned char *)text + len, 1, path, err};
    /* A UTF-8 byte order mark is tolerated, nothing else before the value. */
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) ps.p += 3;
    msp_jval *v = msp_calloc(1, sizeof *v);
    skip_ws(&ps);
    msp_status st = parse_value(&ps, v, 0);
    if (st == MSP_OK) {
        skip_ws(&ps);
        char nb[16];
        if (ps.p < ps.end) st = fail(&ps, "unexpected %s after the end of the document", next_desc(&ps, nb));
    }
    if (st != MSP_OK) {
        msp_jsonread_free(v);
        return st;
    }
    *root = v;
    return MSP_OK;
}

msp_status msp_jsonread_file(const char *path, msp_jval **root, msp_err *err)
{
    *root = NULL;
    int fd;
    uint64_t size;
    msp_status st = msp_open_regular(path, &fd, &size, err);
    if (st != MSP_OK) return st;
    if (size > MSP_JSONREAD_MAX_BYTES) {
        close(fd);
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "larger than %u MiB; not a msprune file?",
                           MSP_JSONREAD_MAX_BYTES >> 20);
    }
    char *buf = msp_malloc((size_t)size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, (size_t)size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != size) {
        free(buf);
        return msp_err_set(err, MSP_FAIL, path, 0, "read failed (%zu of %llu bytes)", got,
                           (unsigned long long)size);
    }
    st = msp_jsonread_parse(buf, got, path, root, err);
    free(buf);
    return st;
}

void msp_jsonread_free(msp_jval *root)
{
    if (!root) return;
    node_free(root);
    free(root);
}

const char *msp_jsonread_type_name(msp_jtype t)
{
    static const char *const names[] = {"null", "boolean", "number", "string", "array", "object"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}

const msp_jval *msp_jsonread_get(const msp_jval *obj, const char *key)
{
    if (!obj || obj->type != MSP_JOBJECT) return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->kid[i].key, key)) return &obj->kid[i];
    return NULL;
}

/* obj.key must exist (or be allowed missing) with the wanted type. */
static msp_status need(const msp_jval *obj, const char *key, msp_jtype type, int nullable,
                       const char *path, const msp_jval **out, msp_err *err)
{
    *out = NULL;
    if (!obj || obj->type != MSP_JOBJECT)
        return msp_err_set(err, MSP_BAD_INPUT, path, obj ? obj->line : 0,
                           "expected an object holding '%s'", key);
    const msp_jval *v = msp_jsonread_get(obj, key);
    if (!v || (nullable && v->type == MSP_JNULL)) {
        if (nullable) return MSP_OK;
        return msp_err_set(err, MSP_BAD_INPUT, path, obj->line, "missing key '%s' (a %s)", key,
                           msp_jsonread_type_name(type));
    }
    if (v->type != type)
        return msp_err_set(err, MSP_BAD_INPUT, path, v->line, "'%s' must be a%s %s, not %s%s",
                           key, type == MSP_JARRAY || type == MSP_JOBJECT ? "n" : "",
                           msp_jsonread_type_name(type),
                           v->type == MSP_JARRAY || v->type == MSP_JOBJECT ? "an " : "",
                           msp_jsonread_type_name(v->type));
    *out = v;
    return MSP_OK;
}

msp_status msp_jsonread_num(const msp_jval *obj, const char *key, double lo, double hi,
                            int nullable, const char *path, double *out, msp_err *err)
{
    const msp_jval *v;
    *out = NAN;
    msp_status st = need(obj, key, MSP_JNUMBER, nullable, path, &v, err);
    if (st != MSP_OK || !v) return st;
    if (!(v->num >= lo && v->num <= hi))
        return msp_err_set(err, MSP_BAD_INPUT, path, v->line, "'%s' is %g, must be in [%g, %g]",
                           key, v->num, lo, hi);
    *out = v->num;
    return MSP_OK;
}

msp_status msp_jsonread_int(const msp_jval *obj, const char *key, double lo, double hi,
                            const char *path, double *out, msp_err *err)
{
    msp_status st = msp_jsonread_num(obj, key, lo, hi, 0, path, out, err);
    if (st != MSP_OK) return st;
    if (*out != floor(*out)) {
        const msp_jval *v = msp_jsonread_get(obj, key);
        double bad = *out;
        *out = NAN;
        return msp_err_set(err, MSP_BAD_INPUT, path, v->line, "'%s' is %g, must be an integer",
                           key, bad);
    }
    return MSP_OK;
}

msp_status msp_jsonread_str(const msp_jval *obj, const char *key, const char *path,
                            const char **out, msp_err *err)
{
    const msp_jval *v;
    *out = NULL;
    msp_status st = need(obj, key, MSP_JSTRING, 0, path, &v, err);
    if (st == MSP_OK) *out = v->str;
    return st;
}

msp_status msp_jsonread_typed(const msp_jval *obj, const char *key, msp_jtype type, size_t max,
                              const char *path, const msp_jval **out, msp_err *err)
{
    msp_status st = need(obj, key, type, 0, path, out, err);
    if (st != MSP_OK) return st;
    if ((type == MSP_JARRAY || type == MSP_JOBJECT) && (*out)->n > max) {
        int line = (*out)->line;
        size_t n = (*out)->n;
        *out = NULL;
        return msp_err_set(err, MSP_BAD_INPUT, path, line, "'%s' has %zu entries, at most %zu",
                           key, n, max);
    }
    return MSP_OK;
}
