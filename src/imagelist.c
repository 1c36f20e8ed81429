/* imagelist.c: Darknet-style image-list datasets (a file of image paths, a
 * file of class names, label = the class name found in the path).
 *
 * Every line is matched to its class first; then every image is read by
 * msprune's one image decoder (image.c: checked, decoded with a private
 * stb_image, resized with Darknet's resize_image), never by Darknet's path
 * loader. Errors name the list and line.
 *
 * Limits: MSP_DATASET_MAX_EXAMPLES lines, MSP_DATASET_MAX_PATH bytes per line,
 * MSP_DATASET_MAX_CLASSES names, and image.c's limits on source images. With
 * limit > 0, lines after the limit are not read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dataset.h"
#include "utf8.h"

typedef struct line_reader {
    FILE *f;
    const char *path;
    int line; /* number of the line in buf */
    char buf[MSP_DATASET_MAX_PATH + 1];
} line_reader;

/* Read the next line into r->buf, trimmed of surrounding whitespace.
 * *have = 0 at end of file. */
static msp_status next_line(line_reader *r, int *have, msp_err *err)
{
    size_t len = 0;
    int any = 0, ch;
    *have = 0;
    while ((ch = getc(r->f)) != EOF) {
        any = 1;
        if (ch == '\n') break;
        if (ch == '\0')
            return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line + 1,
                               "line contains a NUL byte (is this a text file?)");
        if (len == MSP_DATASET_MAX_PATH)
            return msp_err_set(err, MSP_BAD_INPUT, r->path, r->line + 1,
                               "line is longer than %d bytes", MSP_DATASET_MAX_PATH);
        r->buf[len++] = (char)ch;
    }
    if (ferror(r->f))
        return msp_err_set(err, MSP_FAIL, r->path, r->line + 1, "read error: %s",
                           strerror(errno));
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

static void free_strings(char **s, int n)
{
    if (!s) return;
    for (int i = 0; i < n; i++) free(s[i]);
    free(s);
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
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            names = msp_realloc(names, (size_t)cap * sizeof *names);
            lines = msp_realloc(lines, (size_t)cap * sizeof *lines);
        }
        lines[n] = r->line;
        names[n++] = msp_strdup(r->buf);
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
    free(r);
    free(lines);
    if (s != MSP_OK) {
        free_strings(names, n);
        return s;
    }
    *out = names;
    *n_out = n;
    return MSP_OK;
}

msp_status msp_imagelist_check_names(const char *names_path, int *n_classes, msp_err *err)
{
    char **names;
    msp_status s = load_names(names_path, &names, n_classes, err);
    if (s == MSP_OK) free_strings(names, *n_classes);
    return s;
}

/* The label of `p`: the one class whose name is a substring of it. */
msp_status msp_imagelist_class_of(const char *lpath, int line, const char *p, char *const *names,
                                  int k, const char *names_path, int *label, msp_err *err)
{
    int found = -1;
    for (int i = 0; i < k; i++) {
        if (!strstr(p, names[i])) continue;
        if (found >= 0)
            return msp_err_set(err, MSP_BAD_INPUT, lpath, line,
                               "image path '%s' matches both '%s' and '%s' (class names from %s "
                               "are matched as substrings of the path; exactly one must match)",
                               p, names[found], names[i], names_path);
        found = i;
    }
    if (found < 0)
        return msp_err_set(err, MSP_BAD_INPUT, lpath, line,
                           "image path '%s' matches no class (class names from %s are matched "
                           "as substrings of the path)",
                           p, names_path);
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
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            p = msp_realloc(p, (size_t)cap * sizeof *p);
            l = msp_realloc(l, (size_t)cap * sizeof *l);
        }
        l[n] = r->line;
        p[n++] = msp_strdup(r->buf);
    }
    if (r->f) fclose(r->f);
    free(r);
    if (s != MSP_OK) {
        free_strings(p, n);
        free(l);
        return s;
    }
    *paths = p;
    *lines = l;
    *n_out = n;
    return MSP_OK;
}

msp_status msp_imagelist_load(const char *list_path, const char *names_path, int w, int h, int c,
                              int limit, msp_dataset *d, msp_err *err)
{
    memset(d, 0, sizeof *d);
    if (w < 1 || h < 1 || w > MSP_DATASET_MAX_SIDE || h > MSP_DATASET_MAX_SIDE)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "image size %dx%d is out of range: width and height must be 1 to %d",
                           w, h, MSP_DATASET_MAX_SIDE);
    if (c != 1 && c != 3)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "%d channels requested; image lists support 1 (grey) or 3 (RGB)", c);

    char **names = NULL;
    int k = 0;
    msp_status s = load_names(names_path, &names, &k, err);
    if (s != MSP_OK) return s;

    line_reader *r = msp_malloc(sizeof *r);
    char **paths = NULL;
    int *labels = NULL, *lines = NULL;
    int n = 0, cap = 0, have = 1;
    float *x = NULL;
    s = open_text(r, list_path, "image list", err);
    /* Pass 1: every line's class, before the slow part. */
    while (s == MSP_OK && (limit <= 0 || n < limit)) {
        s = next_line(r, &have, err);
        if (s != MSP_OK || !have) break;
        if (r->buf[0] == '\0') continue;
        int label = -1;
        s = msp_imagelist_class_of(list_path, r->line, r->buf, names, k, names_path, &label, err);
        if (s != MSP_OK) break;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            paths = msp_realloc(paths, (size_t)cap * sizeof *paths);
            labels = msp_realloc(labels, (size_t)cap * sizeof *labels);
            lines = msp_realloc(lines, (size_t)cap * sizeof *lines);
        }
        paths[n] = msp_strdup(r->buf);
        labels[n] = label;
        lines[n++] = r->line;
    }
    if (r->f) fclose(r->f);
    free(r);
    if (s == MSP_OK && n == 0)
        s = msp_err_set(err, MSP_BAD_INPUT, list_path, 0, "image list has no image paths");
    size_t sz = (size_t)c * h * w;
    if (s == MSP_OK && (unsigned long long)n * sz > MSP_DATASET_MAX_VALUES)
        s = msp_err_set(err, MSP_BAD_INPUT, list_path, 0,
                        "%d images of %dx%dx%d are too many to hold (more than %llu values); "
                        "set a smaller limit",
                        n, c, h, w, MSP_DATASET_MAX_VALUES);

    /* Pass 2: the images, each checked and decoded once. */
    if (s == MSP_OK) x = msp_malloc((size_t)n * sz * sizeof(float));
    for (int i = 0; s == MSP_OK && i < n; i++)
        s = msp_image_load_at(list_path, lines[i], paths[i], w, h, c, x + (size_t)i * sz, err);

    free_strings(paths, n);
    free(lines);
    if (s != MSP_OK) {
        free(x);
        free(labels);
        free_strings(names, k);
        return s;
    }
    d->n = n;
    d->w = w;
    d->h = h;
    d->c = c;
    d->n_classes = k;
    d->x = x;
    d->y = labels;
    d->class_names = names;
    return MSP_OK;
}
