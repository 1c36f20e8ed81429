/* imagelist.c: Darknet-style image-list datasets (a file of image paths, a
 * file of class names, label = the class name found in the path).
 *
 * Darknet's loader is not safe on bad input: on an image OpenCV cannot read
 * it runs system("echo PATH >> bad.list") and carries on with a blank 10x10
 * image. So every line is validated first (class match, file exists, bounded
 * size, decodes completely with stb_image) and only then does Darknet's
 * load_image see it. stb is more lenient than OpenCV's readers in three ways,
 * each checked here: it ignores PNG chunk CRCs (libpng does not), and it
 * reads past the end of truncated PNM and BMP pixel data (OpenCV fails).
 * As a last line of defence, the size Darknet returns is compared with the
 * size stb read, which catches the blank image of a failure in most cases.
 * stb_image is compiled in here, private (STB_IMAGE_STATIC) and restricted
 * to PNG, JPEG, BMP and binary PNM, the formats both it and Darknet's OpenCV
 * reader decode. Darknet's libdarknet.so exports its own older stbi_*
 * symbols; a private copy keeps the two from interposing on each other.
 *
 * Darknet is always asked for 3 channels: in Debian's OpenCV build,
 * load_image(.., c = 1) runs rgbgr_image on a 1-channel buffer and writes
 * past its end. Grey (c = 1) is derived here from the RGB result.
 *
 * Limits: MSP_DATASET_MAX_EXAMPLES lines, MSP_DATASET_MAX_PATH bytes per line,
 * MSP_DATASET_MAX_CLASSES names, source images up to IMG_MAX_SIDE per side and
 * IMG_MAX_PIXELS pixels. With limit > 0, lines after the limit are not read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "darknet.h"
#include "dataset.h"
#include "utf8.h"

#define IMG_MAX_SIDE (1 << 14)
#define IMG_MAX_PIXELS (1 << 25)

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_MAX_DIMENSIONS IMG_MAX_SIDE
/* Unused-function stays off for the whole file: with STBI_ONLY_*, stb leaves
 * static prototypes undefined and GCC reports them at the end of the file. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

/* Characters refused in image paths: Darknet hands a failing path to the
 * shell unquoted, so these could run commands if an image ever failed. */
#define SHELL_CHARS "`$;|&<>"

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
static msp_status match_class(const char *lpath, int line, const char *p, char **names, int k,
                              const char *names_path, int *label, msp_err *err)
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

/* Container checks for what stb tolerates and OpenCV does not. Each returns
 * NULL when fine, else why not. f is positioned at 0 on entry. */

static int is_pnm_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

static int pnm_int(FILE *f, long *v)
{
    int ch;
    for (;;) {
        ch = getc(f);
        if (ch == '#')
            while (ch != '\n' && ch != EOF) ch = getc(f);
        else if (!is_pnm_space(ch))
            break;
    }
    if (ch < '0' || ch > '9') return 0;
    *v = 0;
    for (int digits = 0; ch >= '0' && ch <= '9'; ch = getc(f)) {
        if (++digits > 9) return 0;
        *v = *v * 10 + (ch - '0');
    }
    /* The single whitespace after the last number starts the pixel data. */
    return is_pnm_space(ch);
}

static const char *check_pnm(FILE *f, long long size)
{
    int p = getc(f), kind = getc(f);
    long w, h, maxval;
    if (p != 'P' || (kind != '5' && kind != '6')) return "not a binary PGM/PPM";
    if (!pnm_int(f, &w) || !pnm_int(f, &h) || !pnm_int(f, &maxval) || maxval < 1 ||
        maxval > 65535 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE)
        return "bad PGM/PPM header";
    long long need = ftell(f) + (long long)w * h * (kind == '6' ? 3 : 1) * (maxval > 255 ? 2 : 1);
    return size < need ? "PGM/PPM pixel data is truncated" : NULL;
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static const char *check_bmp(FILE *f, long long size)
{
    unsigned char b[34];
    if (fread(b, 1, sizeof b, f) != sizeof b) return "BMP header is truncated";
    uint32_t off = le32(b + 10), dib = le32(b + 14), comp = 0;
    long long w, h, bpp;
    if (dib == 12) {
        w = b[18] | b[19] << 8;
        h = b[20] | b[21] << 8;
        bpp = b[24] | b[25] << 8;
    } else {
        w = (int32_t)le32(b + 18);
        h = (int32_t)le32(b + 22);
        bpp = b[28] | b[29] << 8;
        comp = le32(b + 30);
    }
    if (w < 0) w = -w;
    if (h < 0) h = -h;
    if (w > IMG_MAX_SIDE || h > IMG_MAX_SIDE) return "bad BMP header";
    /* RLE (1, 2) stb refuses itself; any other value it reads as
     * uncompressed, padding a short file with zeros (found by fuzzing). */
    if (comp == 1 || comp == 2) return NULL;
    if (comp != 0 && comp != 3 && comp != 6) return "unsupported BMP compression";
    long long need = (long long)off + ((bpp * w + 31) / 32) * 4 * h;
    return size < need ? "BMP pixel data is truncated" : NULL;
}

static const char *check_png(FILE *f)
{
    unsigned char buf[1 << 14];
    if (fread(buf, 1, 8, f) != 8) return "PNG signature is truncated";
    for (;;) {
        if (fread(buf, 1, 8, f) != 8) return "PNG ends without an IEND chunk";
        uint32_t len = be32(buf);
        if (len > 0x7fffffffu) return "PNG chunk length is out of range";
        uLong crc = crc32(crc32(0L, Z_NULL, 0), buf + 4, 4);
        int iend = memcmp(buf + 4, "IEND", 4) == 0;
        while (len > 0) {
            size_t want = len < sizeof buf ? len : sizeof buf;
            if (fread(buf, 1, want, f) != want) return "PNG chunk is truncated";
            crc = crc32(crc, buf, (uInt)want);
            len -= (uint32_t)want;
        }
        if (fread(buf, 1, 4, f) != 4) return "PNG chunk CRC is truncated";
        if (be32(buf) != (uint32_t)crc) return "PNG chunk CRC mismatch: the file is corrupt";
        if (iend) return NULL;
    }
}

static const char *check_container(FILE *f, long long size)
{
    unsigned char m[2] = {0, 0};
    if (fread(m, 1, 2, f) != 2) return "file is too short";
    rewind(f);
    if (m[0] == 'P') return check_pnm(f, size);
    if (m[0] == 'B' && m[1] == 'M') return check_bmp(f, size);
    if (m[0] == 0x89 && m[1] == 'P') return check_png(f);
    return NULL; /* JPEG: libjpeg is at least as lenient as stb */
}

/* The file must exist and decode completely; Darknet must never see a bad one.
 * The image's size is returned in *iw, *ih. */
static msp_status check_image(const char *lpath, int line, const char *p, int *iw, int *ih,
                              msp_err *err)
{
    size_t bad = strcspn(p, SHELL_CHARS);
    if (p[bad])
        return msp_err_set(err, MSP_BAD_INPUT, lpath, line,
                           "image path '%s' contains '%c', which msprune refuses in image paths "
                           "(Darknet passes paths to the shell); rename the file",
                           p, p[bad]);
    for (const char *q = p; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            return msp_err_set(err, MSP_BAD_INPUT, lpath, line,
                               "image path contains a control character (byte 0x%02x)",
                               (unsigned char)*q);
    struct stat st;
    if (stat(p, &st) != 0)
        return msp_err_set(err, MSP_BAD_INPUT, lpath, line, "cannot open image '%s': %s", p,
                           strerror(errno));
    if (!S_ISREG(st.st_mode))
        return msp_err_set(err, MSP_BAD_INPUT, lpath, line, "image '%s' is not a regular file", p);
    FILE *f = fopen(p, "rb");
    if (!f)
        return msp_err_set(err, MSP_BAD_INPUT, lpath, line, "cannot open image '%s': %s", p,
                           strerror(errno));
    int comp;
    msp_status s = MSP_OK;
    /* stb's PNM header reader overflows an int on a long number (undefined
     * behaviour, found by fuzzing): the bounded parse here goes first. */
    const char *pnm_bad = NULL;
    int first = getc(f);
    rewind(f);
    if (first == 'P') pnm_bad = check_pnm(f, (long long)st.st_size);
    rewind(f);
    if (pnm_bad) {
        s = msp_err_set(err, MSP_BAD_INPUT, lpath, line, "image '%s' cannot be decoded (%s)", p,
                        pnm_bad);
    } else if (!stbi_info_from_file(f, iw, ih, &comp)) {
        s = msp_err_set(err, MSP_BAD_INPUT, lpath, line,
                        "'%s' is not a readable PNG, JPEG, BMP or binary PGM/PPM image (%s)", p,
                        stbi_failure_reason());
    } else if (*iw < 1 || *ih < 1 || *iw > IMG_MAX_SIDE || *ih > IMG_MAX_SIDE ||
               (long long)*iw * *ih > IMG_MAX_PIXELS) {
        s = msp_err_set(err, MSP_BAD_INPUT, lpath, line,
                        "image '%s' is %dx%d; supported sizes are 1 to %d per side and at most "
                        "%d pixels",
                        p, *iw, *ih, IMG_MAX_SIDE, IMG_MAX_PIXELS);
    } else {
        /* stbi_info reads only the header: decode all of it to catch damage. */
        rewind(f);
        const char *why = check_container(f, (long long)st.st_size);
        if (!why) {
            int dw, dh;
            rewind(f);
            unsigned char *px = stbi_load_from_file(f, &dw, &dh, &comp, 0);
            if (!px) why = stbi_failure_reason();
            if (!px && (!why || !*why)) why = "corrupt image data";
            stbi_image_free(px);
        }
        if (why)
            s = msp_err_set(err, MSP_BAD_INPUT, lpath, line, "image '%s' cannot be decoded (%s)",
                            p, why);
    }
    fclose(f);
    return s;
}

/* One example into dst (c*h*w floats, CHW) via Darknet's own loader. This is
 * load_image(p, w, h, 3) in its two steps (load, then resize exactly as it
 * does), so the decoded size can be compared with what stb saw (iw x ih;
 * swapped if OpenCV applied a JPEG's EXIF rotation): a mismatch means OpenCV
 * failed and Darknet substituted its blank 10x10 image. */
static msp_status load_one(const char *lpath, int line, const char *p, int iw, int ih, int w,
                           int h, int c, float *dst, msp_err *err)
{
    char *mp = msp_strdup(p); /* load_image takes char * */
    image im = load_image(mp, 0, 0, 3);
    free(mp);
    int same = (im.w == iw && im.h == ih) || (im.w == ih && im.h == iw);
    if (!im.data || im.c != 3 || !same) {
        free_image(im);
        return msp_err_set(err, MSP_FAIL, lpath, line,
                           "Darknet could not load image '%s' (did it change since it was "
                           "checked?)",
                           p);
    }
    if (im.w != w || im.h != h) {
        image resized = resize_image(im, w, h);
        free_image(im);
        im = resized;
    }
    MSP_ASSERT(im.data && im.w == w && im.h == h && im.c == 3);
    size_t plane = (size_t)w * h;
    if (c == 3) {
        memcpy(dst, im.data, 3 * plane * sizeof(float));
    } else {
        const float *r = im.data, *g = r + plane, *b = g + plane;
        /* Darknet's grey weights; exact when the source is grey already. */
        for (size_t i = 0; i < plane; i++)
            dst[i] = (r[i] == g[i] && g[i] == b[i]) ? r[i]
                                                     : 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
    }
    free_image(im);
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
    int *labels = NULL, *lines = NULL, *sizes = NULL;
    int n = 0, cap = 0, have = 1;
    float *x = NULL;
    s = open_text(r, list_path, "image list", err);
    /* Pass 1: validate every line before Darknet sees any image. */
    while (s == MSP_OK && (limit <= 0 || n < limit)) {
        s = next_line(r, &have, err);
        if (s != MSP_OK || !have) break;
        if (r->buf[0] == '\0') continue;
        int label = -1, iw = 0, ih = 0;
        s = match_class(list_path, r->line, r->buf, names, k, names_path, &label, err);
        if (s == MSP_OK) s = check_image(list_path, r->line, r->buf, &iw, &ih, err);
        if (s != MSP_OK) break;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            paths = msp_realloc(paths, (size_t)cap * sizeof *paths);
            labels = msp_realloc(labels, (size_t)cap * sizeof *labels);
            lines = msp_realloc(lines, (size_t)cap * sizeof *lines);
            sizes = msp_realloc(sizes, 2 * (size_t)cap * sizeof *sizes);
        }
        paths[n] = msp_strdup(r->buf);
        labels[n] = label;
        sizes[2 * n] = iw;
        sizes[2 * n + 1] = ih;
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

    /* Pass 2: Darknet's loader, so pixels are what Darknet itself would feed. */
    if (s == MSP_OK) x = msp_malloc((size_t)n * sz * sizeof(float));
    for (int i = 0; s == MSP_OK && i < n; i++)
        s = load_one(list_path, lines[i], paths[i], sizes[2 * i], sizes[2 * i + 1], w, h, c,
                     x + (size_t)i * sz, err);

    free_strings(paths, n);
    free(lines);
    free(sizes);
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

msp_status msp_image_load(const char *path, int w, int h, int c, float *dst, msp_err *err)
{
    if (w < 1 || h < 1 || w > MSP_DATASET_MAX_SIDE || h > MSP_DATASET_MAX_SIDE || (c != 1 && c != 3))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "cannot load an image as %dx%dx%d", c, h, w);
    int iw = 0, ih = 0;
    msp_status s = check_image(NULL, 0, path, &iw, &ih, err);
    if (s == MSP_OK) s = load_one(NULL, 0, path, iw, ih, w, h, c, dst, err);
    return s;
}
