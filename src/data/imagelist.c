/* imagelist.c: the text side of Darknet-style image-list datasets: the
 * class-names file, the list's lines, and the class a path names (a folder,
 * else a word of the file name). No pixels: imagelist_load.c decodes the
 * images, so that what reads only names (the config) needs no image code.
 *
 * Limits: MSP_DATASET_MAX_EXAMPLES lines, MSP_DATASET_MAX_PATH bytes per line,
 * MSP_DATASET_MAX_CLASSES names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset.h"
#include "base/base.h"

typedef struct line_reader {
    FILE *f;
    const char *path;
    int line;  /* number of the line in buf */
    char *buf; /* owned */
    size_t cap;
} line_reader;

/* Read the next line into r->buf, trimmed of surrounding whitespace.
 * *have = 0 at end of file. */
static msp_status next_line(line_reader *r, int *have, msp_err *err)
{
    size_t len;
    int any;
    *have = 0;
    msp_status st = msp_read_line(r->f, r->path, r->line + 1, MSP_DATASET_MAX_PATH, &r->buf,
                                  &r->cap, &len, &any, err);
    if (st != MSP_OK) return st;
    if (!any) return MSP_OK;
    if (r->line >= MSP_DATASET_MAX_EXAMPLES)
        return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line + 1,
                           "file has more than %d lines", MSP_DATASET_MAX_EXAMPLES);
    r->line++;
    while (len > 0 && strchr(" \t\r\v\f", r->buf[len - 1])) len--;
    r->buf[len] = '\0';
    size_t lead = strspn(r->buf, " \t\r\v\f");
    memmove(r->buf, r->buf + lead, len - lead + 1);
    *have = 1;
    return MSP_OK;
}

/* Keep a copy of r's current line and its number (texts and lines grow together). */
static void push_line(char ***texts, int **lines, int *n, int *cap, const line_reader *r)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *texts = msp_realloc(*texts, (size_t)*cap * sizeof **texts);
        *lines = msp_realloc(*lines, (size_t)*cap * sizeof **lines);
    }
    (*lines)[*n] = r->line;
    (*texts)[(*n)++] = msp_strdup(r->buf);
}

static msp_status open_text(line_reader *r, const char *path, const char *what, msp_err *err)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    struct stat st;
    if (stat(path, &st) != 0)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "cannot open %s: %s", what,
                           strerror(errno));
    if (!S_ISREG(st.st_mode))
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "%s is not a regular file", what);
    r->f = fopen(path, "r");
    if (!r->f)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "cannot open %s: %s", what,
                           strerror(errno));
    return MSP_OK;
}

typedef struct name_ref {
    const char *name;
    int line;
} name_ref;

static int cmp_name_ref(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Class names, one per line, in UTF-8. Blank lines are errors: Darknet would
 * take an empty name as a class that matches every path. */
static msp_status load_names(const char *path, char ***out, int *n_out, msp_err *err)
{
    *out = NULL;
    *n_out = 0;
    line_reader *r = msp_malloc(sizeof *r);
    msp_status s = open_text(r, path, "class names file", err);
    char **names = NULL;
    int n = 0, cap = 0, have = 1;
    int *lines = NULL;
    while (s == MSP_OK) {
        s = next_line(r, &have, err);
        if (s != MSP_OK || !have) break;
        if (r->buf[0] == '\0') {
            s = msp_err_set(err, MSP_BAD_INPUT, path, r->line,
                            "empty class name (remove the blank line: Darknet would match it "
                            "against every image path)");
            break;
        }
        long bad = msp_utf8_invalid(r->buf);
        if (bad >= 0) {
            s = msp_err_set(err, MSP_BAD_INPUT, path, r->line,
                            "class name is not valid UTF-8 (byte 0x%02x at position %ld): save "
                            "the file as UTF-8", (unsigned char)r->buf[bad], bad + 1);
            break;
        }
        if (msp_utf8_unprintable(r->buf) >= 0) {
            /* names are shown on terminals and carried into bundles */
            s = msp_err_set(err, MSP_BAD_INPUT, path, r->line, "class name contains a control character");
            break;
        }
        if (n == MSP_DATASET_MAX_CLASSES) {
            s = msp_err_set(err, MSP_BAD_INPUT, path, r->line, "more than %d class names",
                            MSP_DATASET_MAX_CLASSES);
            break;
        }
        push_line(&names, &lines, &n, &cap, r);
    }
    if (s == MSP_OK && n == 0)
        s = msp_err_set(err, MSP_BAD_INPUT, path, 0, "no class names (one name per line)");
    if (s == MSP_OK) {
        name_ref *sorted = msp_malloc((size_t)n * sizeof *sorted);
        for (int i = 0; i < n; i++) sorted[i] = (name_ref){names[i], lines[i]};
        qsort(sorted, (size_t)n, sizeof *sorted, cmp_name_ref);
        for (int i = 1; i < n && s == MSP_OK; i++)
            if (strcmp(sorted[i - 1].name, sorted[i].name) == 0)
                s = msp_err_set(err, MSP_BAD_INPUT, path, sorted[i].line,
                                "class name '%s' repeats line %d", sorted[i].name,
                                sorted[i - 1].line);
        free(sorted);
    }
    if (r->f) fclose(r->f);
    free(r->buf);
    free(r);
    free(lines);
    if (s != MSP_OK) {
        msp_free_strings(names, n);
        return s;
    }
    *out = names;
    *n_out = n;
    return MSP_OK;
}

/* ---- which class a path names ---- */

/* Part of a word: ASCII letters and digits, and every byte of a multi-byte
 * UTF-8 character (so a non-ASCII name is never split). */
static int word_char(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           ch >= 0x80;
}

/* The class whose name equals a folder of p (every component but the last):
 * *found = -1 if none, else the class; *other >= 0 when a second folder names
 * a different class. */
static void class_of_folders(const char *p, char *const *names, int k, int *found, int *other)
{
    *found = *other = -1;
    const char *base = strrchr(p, '/');
    for (const char *q = p; base && q < base;) {
        const char *slash = strchr(q, '/');
        size_t len = (size_t)(slash - q);
        for (int i = 0; i < k && len > 0; i++) {
            if (strlen(names[i]) != len || memcmp(q, names[i], len) != 0) continue;
            if (*found < 0) *found = i;
            else if (*found != i && *other < 0) *other = i;
        }
        q = slash + 1;
    }
}

typedef struct word_match {
    int cls;
    size_t at, len;
} word_match;

/* Every occurrence of a class name in file name f bounded on both sides by
 * the name's ends or a character that is not a letter or digit. */
static int find_words(const char *f, char *const *names, int k, word_match **out)
{
    word_match *m = NULL;
    int n = 0, cap = 0;
    for (int i = 0; i < k; i++) {
        size_t len = strlen(names[i]);
        for (const char *q = strstr(f, names[i]); q; q = strstr(q + 1, names[i])) {
            if ((q > f && word_char((unsigned char)q[-1])) || word_char((unsigned char)q[len]))
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 8;
                m = msp_realloc(m, (size_t)cap * sizeof *m);
            }
            m[n++] = (word_match){i, (size_t)(q - f), len};
        }
    }
    *out = m;
    return n;
}

/* The class a file name names: of overlapping matches the longer wins
 * ("t-shirt" over "shirt" in "t-shirt_3.png"); *other >= 0 when a match
 * that no longer one overlaps names a second class. */
static void class_of_file(const char *f, char *const *names, int k, int *found, int *other)
{
    word_match *m;
    int n = find_words(f, names, k, &m);
    *found = *other = -1;
    for (int i = 0; i < n; i++) {
        int beaten = 0;
        for (int j = 0; j < n && !beaten; j++)
            beaten = m[j].len > m[i].len && m[j].at < m[i].at + m[i].len &&
                     m[i].at < m[j].at + m[j].len;
        if (beaten) continue;
        if (*found < 0) *found = m[i].cls;
        else if (*found != m[i].cls && *other < 0) *other = m[i].cls;
    }
    free(m);
}

msp_status msp_imagelist_class_of(const char *lpath, int line, const char *p, char *const *names,
                                  int k, const char *names_path, int *label, msp_err *err)
{
    int found, other;
    class_of_folders(p, names, k, &found, &other);
    if (other >= 0)
        return msp_err_set(err, MSP_BAD_INPUT, lpath, line,
                           "image path '%s' is ambiguous: its folders name two classes, '%s' and "
                           "'%s' (%s)",
                           p, names[found], names[other], MSP_IMAGELIST_CLASS_RULE);
    if (found < 0) {
        const char *slash = strrchr(p, '/');
        const char *file = slash ? slash + 1 : p;
        class_of_file(file, names, k, &found, &other);
        if (other >= 0)
            return msp_err_set(err, MSP_BAD_INPUT, lpath, line,
                               "image path '%s' is ambiguous: its file name names two classes, "
                               "'%s' and '%s' (%s)",
                               p, names[found], names[other], MSP_IMAGELIST_CLASS_RULE);
    }
    if (found < 0)
        return msp_err_set(err, MSP_BAD_INPUT, lpath, line,
                           "image path '%s' names no class of %s (%s)", p, names_path,
                           MSP_IMAGELIST_CLASS_RULE);
    *label = found;
    return MSP_OK;
}

msp_status msp_imagelist_paths(const char *list_path, char ***paths, int **lines, int *n_out,
                               msp_err *err)
{
    *paths = NULL;
    *lines = NULL;
    *n_out = 0;
    line_reader *r = msp_malloc(sizeof *r);
    msp_status s = open_text(r, list_path, "image list", err);
    char **p = NULL;
    int *l = NULL, n = 0, cap = 0, have = 1;
    while (s == MSP_OK) {
        s = next_line(r, &have, err);
        if (s != MSP_OK || !have) break;
        if (r->buf[0] == '\0') continue;
        push_line(&p, &l, &n, &cap, r);
    }
    if (r->f) fclose(r->f);
    free(r->buf);
    free(r);
    if (s != MSP_OK) {
        msp_free_strings(p, n);
        free(l);
        return s;
    }
    *paths = p;
    *lines = l;
    *n_out = n;
    return MSP_OK;
}

msp_status msp_imagelist_names(const char *names_path, char ***names, int *n_classes, msp_err *err)
{
    return load_names(names_path, names, n_classes, err);
}
