/* idx.c: strict loader for IDX image/label pairs (the MNIST and
 * Fashion-MNIST format), raw or gzip (zlib's gzread reads both).
 *
 * Only unsigned-byte data is accepted: images 0x00000803 (count, rows, cols),
 * labels 0x00000801 (count), dimensions big-endian. The header is checked
 * before any allocation, and image memory grows only as pixels actually
 * arrive, so a header that lies about its size cannot cause a giant
 * allocation. For gzip files, lengths are decompressed lengths.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dataset.h"

#define IDX_MAGIC_IMAGES 0x00000803u
#define IDX_MAGIC_LABELS 0x00000801u
/* Trailing bytes are counted up to this many, then reported as "at least". */
#define IDX_TRAILING_COUNT_MAX (1u << 20)

typedef struct idx_file {
    const char *path;
    gzFile gz;
    unsigned long long pos; /* decompressed bytes consumed */
} idx_file;

static msp_status idx_open(idx_file *f, const char *path, msp_err *err)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    struct stat st;
    if (stat(path, &st) != 0)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "cannot open IDX file: %s",
                           strerror(errno));
    if (!S_ISREG(st.st_mode))
        return msp_err_set(err, MSP_BAD_INPUT, path, 0, "not a regular file");
    errno = 0;
    f->gz = gzopen(path, "rb");
    if (!f->gz)
        return msp_err_set(err, errno ? MSP_BAD_INPUT : MSP_FAIL, path, 0,
                           "cannot open IDX file: %s", errno ? strerror(errno) : "out of memory");
    return MSP_OK;
}

static void idx_close(idx_file *f)
{
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

/* Read up to n bytes; *got is what arrived before end of file. Errors other
 * than end of file are reported here; a short *got is the caller's to judge. */
static msp_status idx_read(idx_file *f, unsigned char *buf, size_t n, size_t *got, msp_err *err)
{
    *got = 0;
    while (*got < n) {
        size_t want = n - *got;
        if (want > (size_t)INT_MAX) want = (size_t)INT_MAX;
        int r = gzread(f->gz, buf + *got, (unsigned)want);
        if (r < 0) {
            int zerr = 0;
            const char *msg = gzerror(f->gz, &zerr);
            if (zerr == Z_ERRNO)
                return msp_err_set(err, MSP_FAIL, f->path, 0, "read error: %s", strerror(errno));
            return msp_err_set(err, MSP_BAD_INPUT, f->path, 0,
                               "corrupt gzip data after %llu decompressed bytes: %s",
                               f->pos + *got, msg);
        }
        if (r == 0) break;
        *got += (size_t)r;
    }
    f->pos += *got;
    return MSP_OK;
}

/* " (the gzip stream ends early)" when zlib saw a cut-off stream, else "". */
static const char *idx_gzip_note(idx_file *f)
{
    int zerr = 0;
    gzerror(f->gz, &zerr);
    return zerr == Z_BUF_ERROR ? " (the gzip stream ends early)" : "";
}

static const char *idx_len_kind(idx_file *f)
{
    return gzdirect(f->gz) ? "bytes" : "decompressed bytes";
}

/* After the expected payload: any further byte is an error. */
static msp_status idx_expect_end(idx_file *f, unsigned long long expected, const char *what,
                                 msp_err *err)
{
    unsigned char buf[4096];
    unsigned long long extra = 0;
    size_t got;
    do {
        msp_status s = idx_read(f, buf, sizeof buf, &got, err);
        if (s != MSP_OK) return s;
        extra += got;
    } while (got == sizeof buf && extra < IDX_TRAILING_COUNT_MAX);
    if (extra == 0) return MSP_OK;
    return msp_err_set(err, MSP_BAD_INPUT, f->path, 0,
                       "file is longer than its header says: expected %llu %s (%s), found %s%llu "
                       "(%s%llu trailing bytes)",
                       expected, idx_len_kind(f), what, got == sizeof buf ? "at least " : "",
                       expected + extra, got == sizeof buf ? "at least " : "", extra);
}

static msp_status idx_truncated(idx_file *f, unsigned long long expected, const char *what,
                                msp_err *err)
{
    return msp_err_set(err, MSP_BAD_INPUT, f->path, 0,
                       "truncated: expected %llu %s (%s), file has %llu%s", expected,
                       idx_len_kind(f), what, f->pos, idx_gzip_note(f));
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Read and check a header: magic, then ndims big-endian dimensions, each in
 * [1, max[i]]. names[i] says what each dimension is, for messages. */
static msp_status idx_header(idx_file *f, uint32_t magic, int ndims, const char *kind,
                             const char *const *names, const uint32_t *max, uint32_t *dims,
                             msp_err *err)
{
    unsigned char hdr[16];
    size_t len = 4 + 4 * (size_t)ndims, got;
    msp_status s = idx_read(f, hdr, len, &got, err);
    if (s != MSP_OK) return s;
    if (got == 0)
        return msp_err_set(err, MSP_BAD_INPUT, f->path, 0,
                           "empty file (expected an IDX %s file)", kind);
    if (got >= 4 && be32(hdr) != magic) {
        uint32_t m = be32(hdr);
        const char *hint = "";
        if (m == IDX_MAGIC_IMAGES) hint = "; this looks like an IDX image file";
        else if (m == IDX_MAGIC_LABELS) hint = "; this looks like an IDX label file";
        else if ((m >> 16) == 0 && ((m >> 8) & 0xff) != 0x08)
            hint = "; only unsigned-byte (type 0x08) IDX data is supported";
        return msp_err_set(err, MSP_BAD_INPUT, f->path, 0,
                           "bad magic number 0x%08x: expected 0x%08x (IDX unsigned-byte %s, "
                           "%d dimension%s)%s",
                           (unsigned)m, (unsigned)magic, kind, ndims, ndims == 1 ? "" : "s",
                           hint);
    }
    if (got < len)
        return msp_err_set(err, MSP_BAD_INPUT, f->path, 0,
                           "truncated header: expected %zu %s, file has %zu%s", len,
                           idx_len_kind(f), got, idx_gzip_note(f));
    for (int i = 0; i < ndims; i++) {
        dims[i] = be32(hdr + 4 + 4 * i);
        if (dims[i] < 1 || dims[i] > max[i])
            return msp_err_set(err, MSP_BAD_INPUT, f->path, 0,
                               "%s %u in the header is out of range [1, %u]", names[i],
                               (unsigned)dims[i], (unsigned)max[i]);
    }
    return MSP_OK;
}

static msp_status idx_load_labels(idx_file *f, uint32_t count, int hint, int *n_classes,
                                  unsigned char **labels, msp_err *err)
{
    unsigned long long expected = 8ULL + count;
    char what[96];
    snprintf(what, sizeof what, "8-byte header + %u labels", (unsigned)count);
    unsigned char *lab = msp_malloc(count);
    size_t got;
    msp_status s = idx_read(f, lab, count, &got, err);
    if (s == MSP_OK && got < count) s = idx_truncated(f, expected, what, err);
    if (s == MSP_OK) s = idx_expect_end(f, expected, what, err);
    int max = 0;
    for (uint32_t i = 0; s == MSP_OK && i < count; i++) {
        if (hint > 0 && lab[i] >= hint)
            s = msp_err_set(err, MSP_BAD_INPUT, f->path, 0,
                            "label %d at index %u is out of range: there are %d classes "
                            "(labels 0..%d)",
                            lab[i], (unsigned)i, hint, hint - 1);
        if (lab[i] > max) max = lab[i];
    }
    if (s != MSP_OK) {
        free(lab);
        return s;
    }
    *n_classes = hint > 0 ? hint : max + 1;
    *labels = lab;
    return MSP_OK;
}

/* The header dimensions of the two files, as messages name them, and their
 * bounds. */
static const char *const img_names[3] = {"image count", "rows", "cols"};
static const uint32_t img_max[3] = {MSP_DATASET_MAX_EXAMPLES, MSP_DATASET_MAX_SIDE,
                                    MSP_DATASET_MAX_SIDE};
static const char *const lab_names[1] = {"label count"};
static const uint32_t lab_max[1] = {MSP_DATASET_MAX_EXAMPLES};

msp_status msp_idx_load(const char *images_path, const char *labels_path, int n_classes_hint,
                        int limit, msp_dataset *d, msp_err *err)
{
    memset(d, 0, sizeof *d);
    if (n_classes_hint > MSP_DATASET_MAX_CLASSES)
        return msp_err_set(err, MSP_BAD_INPUT, labels_path, 0,
                           "number of classes %d exceeds the limit %d", n_classes_hint,
                           MSP_DATASET_MAX_CLASSES);
    idx_file fi, fl;
    uint32_t idims[3], ldims[1];
    unsigned char *labels = NULL, *pix = NULL;
    float *x = NULL;
    int n_classes = 0;
    memset(&fl, 0, sizeof fl);
    msp_status s = idx_open(&fi, images_path, err);
    if (s == MSP_OK) s = idx_header(&fi, IDX_MAGIC_IMAGES, 3, "images", img_names, img_max,
                                    idims, err);
    if (s == MSP_OK && !labels_path) { /* images only: every label 0 */
        labels = msp_calloc((size_t)idims[0] + 1, 1);
        n_classes = 1;
        goto labelled;
    }
    if (s == MSP_OK) s = idx_open(&fl, labels_path, err);
    if (s == MSP_OK) s = idx_header(&fl, IDX_MAGIC_LABELS, 1, "labels", lab_names, lab_max,
                                    ldims, err);
    if (s == MSP_OK && idims[0] != ldims[0])
        s = msp_err_set(err, MSP_BAD_INPUT, labels_path, 0,
                        "has %u labels but the image file %s has %u images", (unsigned)ldims[0],
                        images_path, (unsigned)idims[0]);
    if (s == MSP_OK)
        s = idx_load_labels(&fl, ldims[0], n_classes_hint, &n_classes, &labels, err);
    idx_close(&fl);
    if (s != MSP_OK) goto out;
labelled:;

    uint32_t count = idims[0], rows = idims[1], cols = idims[2];
    uint32_t keep = limit > 0 && (uint32_t)limit < count ? (uint32_t)limit : count;
    size_t img = (size_t)rows * cols;
    if ((unsigned long long)keep * img > MSP_DATASET_MAX_VALUES) {
        s = msp_err_set(err, MSP_BAD_INPUT, images_path, 0,
                        "%u images of %ux%u are too many to hold (more than %llu values); "
                        "set a smaller limit",
                        (unsigned)keep, (unsigned)rows, (unsigned)cols, MSP_DATASET_MAX_VALUES);
        goto out;
    }
    unsigned long long expected = 16ULL + (unsigned long long)count * img;
    char what[128];
    snprintf(what, sizeof what, "16-byte header + %u images of %ux%u", (unsigned)count,
             (unsigned)rows, (unsigned)cols);

    /* Darknet divides in double and stores float; do the same, once per value. */
    float scale[256];
    for (int v = 0; v < 256; v++) scale[v] = (float)(v / 255.);
    pix = msp_malloc(img);
    uint32_t cap = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t got;
        s = idx_read(&fi, pix, img, &got, err);
        if (s != MSP_OK) goto out;
        if (got < img) {
            s = idx_truncated(&fi, expected, what, err);
            goto out;
        }
        if (i >= keep) continue; /* past the limit: validate length only */
        if (i == cap) {
            /* Grow with the data actually read (from ~4 MiB, doubling), never
             * from the header alone. */
            uint32_t first = (uint32_t)((1u << 20) / img) + 1;
            cap = cap ? (cap > keep / 2 ? keep : cap * 2) : (keep < first ? keep : first);
            x = msp_realloc(x, (size_t)cap * img * sizeof(float));
        }
        float *dst = x + (size_t)i * img;
        for (size_t j = 0; j < img; j++) dst[j] = scale[pix[j]];
    }
    s = idx_expect_end(&fi, expected, what, err);
    if (s != MSP_OK) goto out;

    d->n = (int)keep;
    d->w = (int)cols;
    d->h = (int)rows;
    d->c = 1;
    d->n_classes = n_classes;
    d->x = x;
    d->y = msp_malloc((size_t)keep * sizeof(int));
    for (uint32_t i = 0; i < keep; i++) d->y[i] = labels[i];
    x = NULL;
out:
    idx_close(&fi);
    free(pix);
    free(x);
    free(labels);
    return s;
}

msp_status msp_idx_info(const char *images_path, const char *labels_path, int n_classes_hint,
                        msp_idx_shape *shape, msp_err *err)
{
    memset(shape, 0, sizeof *shape);
    idx_file fi, fl;
    uint32_t idims[3], ldims[1];
    unsigned char *labels = NULL;
    memset(&fl, 0, sizeof fl);
    msp_status s = idx_open(&fi, images_path, err);
    if (s == MSP_OK)
        s = idx_header(&fi, IDX_MAGIC_IMAGES, 3, "images", img_names, img_max, idims, err);
    idx_close(&fi);
    if (s == MSP_OK) s = idx_open(&fl, labels_path, err);
    if (s == MSP_OK)
        s = idx_header(&fl, IDX_MAGIC_LABELS, 1, "labels", lab_names, lab_max, ldims, err);
    if (s == MSP_OK && idims[0] != ldims[0])
        s = msp_err_set(err, MSP_BAD_INPUT, labels_path, 0,
                        "has %u labels but the image file %s has %u images", (unsigned)ldims[0],
                        images_path, (unsigned)idims[0]);
    if (s == MSP_OK)
        s = idx_load_labels(&fl, ldims[0], n_classes_hint, &shape->n_classes, &labels, err);
    idx_close(&fl);
    if (s != MSP_OK) {
        memset(shape, 0, sizeof *shape);
        return s;
    }
    shape->n = (int)idims[0];
    shape->h = (int)idims[1];
    shape->w = (int)idims[2];
    shape->per_class = msp_calloc((size_t)shape->n_classes, sizeof(int));
    for (uint32_t i = 0; i < ldims[0]; i++) shape->per_class[labels[i]]++;
    free(labels);
    return MSP_OK;
}
