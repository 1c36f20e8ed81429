/* stamp.c: records of what an output was built from (contract in stamp.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicio.h"
#include "stamp.h"

/* Records hold one line per input; a dataset of millions of images fits. */
#define RECORD_MAX ((size_t)1 << 30)
/* Values longer than this are shortened in messages. */
#define SHOWN_MAX 60

void msp_stamp_free(msp_stamp *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->key[i]);
        free(s->value[i]);
    }
    free(s->key);
    free(s->value);
    memset(s, 0, sizeof *s);
}

static void push(msp_stamp *s, char *key, char *value)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        s->key = msp_realloc(s->key, (size_t)s->cap * sizeof *s->key);
        s->value = msp_realloc(s->value, (size_t)s->cap * sizeof *s->value);
    }
    s->key[s->n] = key;
    s->value[s->n++] = value;
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    MSP_ASSERT(n >= 0);
    char *out = msp_malloc((size_t)n + 1);
    vsnprintf(out, (size_t)n + 1, fmt, ap);
    return out;
}

void msp_stamp_add(msp_stamp *s, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push(s, msp_strdup(key), vformat(fmt, ap));
    va_end(ap);
}

void msp_stamp_add_file(msp_stamp *s, const char *path)
{
    char *key = msp_strcat3("file ", "", path);
    uint32_t crc;
    uint64_t size;
    msp_err ignore;
    char v[64];
    if (msp_file_crc32(path, &crc, &size, &ignore) == MSP_OK)
        snprintf(v, sizeof v, "%llu bytes, crc32 %08x", (unsigned long long)size, crc);
    else
        snprintf(v, sizeof v, "%s", access(path, F_OK) != 0 ? "missing" : "unreadable");
    push(s, key, msp_strdup(v));
}

void msp_stamp_add_file_time(msp_stamp *s, const char *kind, const char *path)
{
    char *key = msp_strcat3(kind, " ", path);
    struct stat st;
    char v[96];
    if (stat(path, &st) != 0) snprintf(v, sizeof v, "missing");
    else
        snprintf(v, sizeof v, "%llu bytes, modified %lld.%09ld", (unsigned long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    push(s, key, msp_strdup(v));
}

static void put_escaped(FILE *f, const char *t)
{
    for (; *t; t++) {
        if (*t == '\t') fputs("\\t", f);
        else if (*t == '\n') fputs("\\n", f);
        else if (*t == '\\') fputs("\\\\", f);
        else putc(*t, f);
    }
}

msp_status msp_stamp_write(const msp_stamp *s, const char *path, msp_err *err)
{
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        char *dir = msp_strdup(path);
        dir[slash - path] = '\0';
        msp_status st = msp_mkdirs(dir, err);
        free(dir);
        if (st != MSP_OK) return st;
    }
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    for (int i = 0; i < s->n; i++) {
        put_escaped(a.f, s->key[i]);
        putc('\t', a.f);
        put_escaped(a.f, s->value[i]);
        putc('\n', a.f);
    }
    return msp_atomic_commit(&a, err);
}

/* Unescape one field of a record line in place; *next is where the next
 * field starts (after the tab or newline that ends this one). */
static char *field(char *p, char end, char **next)
{
    char *out = p, *w = p;
    while (*p && *p != end) {
        if (*p == '\\' && p[1]) {
            p++;
            *w++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
        } else {
            *w++ = *p;
        }
        p++;
    }
    if (*p) p++;
    *w = '\0';
    *next = p;
    return out;
}

static void shown(char *dst, size_t size, const char *v)
{
    if (strlen(v) <= SHOWN_MAX) snprintf(dst, size, "%s", v);
    else snprintf(dst, size, "%.*s...", SHOWN_MAX, v);
}

/* The message for a pair that differs: files by name, values with both. */
static void describe(const char *key, const char *was, const char *now, char *why, size_t size)
{
    const char *space = strchr(key, ' ');
    if (space) { /* "file PATH", "image PATH": name the file */
        snprintf(why, size, "%s %s", space + 1,
                 !strcmp(now, "missing") ? "is gone" : !strcmp(was, "missing") ? "appeared"
                                                                                 : "changed");
        return;
    }
    char a[SHOWN_MAX + 4], b[SHOWN_MAX + 4];
    shown(a, sizeof a, was);
    shown(b, sizeof b, now);
    snprintf(why, size, "%s changed (%s -> %s)", key, a, b);
}

msp_stamp_result msp_stamp_compare(const msp_stamp *s, const char *path, char *why, size_t size)
{
    char *text = NULL;
    size_t len = 0;
    msp_err ignore;
    if (msp_read_small(path, RECORD_MAX, "an inputs record", &text, &len, &ignore) != MSP_OK)
        return MSP_STAMP_NONE;
    msp_stamp_result r = MSP_STAMP_SAME;
    char *p = text;
    int i = 0;
    for (; *p && r == MSP_STAMP_SAME; i++) {
        char *key = field(p, '\t', &p);
        char *value = field(p, '\n', &p);
        if (i >= s->n) {
            snprintf(why, size, "%s is no longer an input", key);
            r = MSP_STAMP_CHANGED;
        } else if (strcmp(key, s->key[i]) != 0) {
            snprintf(why, size, "the inputs changed (%s where there was %s)", s->key[i], key);
            r = MSP_STAMP_CHANGED;
        } else if (strcmp(value, s->value[i]) != 0) {
            describe(key, value, s->value[i], why, size);
            r = MSP_STAMP_CHANGED;
        }
    }
    if (r == MSP_STAMP_SAME && i < s->n) {
        snprintf(why, size, "%s is a new input", s->key[i]);
        r = MSP_STAMP_CHANGED;
    }
    free(text);
    return r;
}

char *msp_stamp_path(const char *output, const char *name)
{
    char *dir = msp_strcat3(output, "/stamps/", name);
    char *path = msp_strcat3(dir, ".inputs", "");
    free(dir);
    return path;
}
