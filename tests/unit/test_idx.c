/* test_idx.c: the IDX loader on the real Fashion-MNIST files (checked against
 * bytes read independently with gzip -dc) and on fixtures written at test
 * time into a mkdtemp directory: valid raw/gzip pairs and every malformation
 * the loader must reject with a message naming the file. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include "data/dataset.h"

#define FM "/usr/share/datasets/fashion-mnist/"
#define FM_TRAIN_IMG FM "train-images-idx3-ubyte.gz"
#define FM_TRAIN_LAB FM "train-labels-idx1-ubyte.gz"
#define FM_TEST_IMG FM "t10k-images-idx3-ubyte.gz"
#define FM_TEST_LAB FM "t10k-labels-idx1-ubyte.gz"

/* ---- helpers ---- */

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/msp-idx-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0]) cr_assert_eq(system(cmd), 0);
}

TestSuite(idx, .init = make_tmpdir, .fini = remove_tmpdir);

static const char *tpath(const char *name)
{
    static char buf[8][128];
    static int i;
    char *p = buf[i++ % 8];
    snprintf(p, 128, "%s/%s", tmpdir, name);
    return p;
}

static void write_raw(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile g = gzopen(path, "wb");
    cr_assert_not_null(g);
    if (n) cr_assert_eq(gzwrite(g, data, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(g), Z_OK);
}

static size_t put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

/* The tiny valid fixture: 3 images of 2 rows x 3 cols, labels 0 2 1. */
enum { T_N = 3, T_ROWS = 2, T_COLS = 3, T_IMG_LEN = 16 + T_N * T_ROWS * T_COLS, T_LAB_LEN = 8 + T_N };
static const unsigned char t_pix[T_N * T_ROWS * T_COLS] = {
    0, 1, 2, 3, 4, 5, 255, 254, 128, 127, 64, 32, 10, 20, 30, 40, 50, 60,
};
static const unsigned char t_lab[T_N] = {0, 2, 1};

static size_t img_header(unsigned char *b, uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols)
{
    size_t k = put32(b, magic);
    k += put32(b + k, n);
    k += put32(b + k, rows);
    k += put32(b + k, cols);
    return k;
}

static size_t tiny_images(unsigned char *b)
{
    size_t k = img_header(b, 0x803, T_N, T_ROWS, T_COLS);
    memcpy(b + k, t_pix, sizeof t_pix);
    return k + sizeof t_pix;
}

static size_t tiny_labels(unsigned char *b)
{
    size_t k = put32(b, 0x801);
    k += put32(b + k, T_N);
    memcpy(b + k, t_lab, sizeof t_lab);
    return k + sizeof t_lab;
}

static void write_tiny(void)
{
    unsigned char b[64];
    write_raw(tpath("img"), b, tiny_images(b));
    write_gz(tpath("img.gz"), b, tiny_images(b));
    write_raw(tpath("lab"), b, tiny_labels(b));
    write_gz(tpath("lab.gz"), b, tiny_labels(b));
}

static void assert_zeroed(const msp_dataset *d)
{
    cr_assert_eq(d->n, 0);
    cr_assert_null(d->x);
    cr_assert_null(d->y);
    cr_assert_null(d->class_names);
}

/* Load expecting MSP_BAD_INPUT and a message containing each of the strings. */
static void expect_bad(const char *img, const char *lab, int hint, int limit, const char *want1,
                       const char *want2)
{
    msp_dataset d;
    msp_err err = {{0}};
    msp_status s = msp_idx_load(img, lab, hint, limit, &d, &err);
    cr_assert_eq(s, MSP_BAD_INPUT, "status %d, message: %s", s, err.msg);
    cr_assert_not_null(strstr(err.msg, want1), "message '%s' lacks '%s'", err.msg, want1);
    if (want2) cr_assert_not_null(strstr(err.msg, want2), "message '%s' lacks '%s'", err.msg, want2);
    assert_zeroed(&d);
}

/* n bytes of a gzip file from offset, decompressed by gzip(1), not by msprune. */
static void gunzip_bytes(const char *path, long offset, unsigned char *buf, size_t n)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' | tail -c +%ld | head -c %zu", path, offset + 1, n);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    cr_assert_eq(fread(buf, 1, n, p), n);
    cr_assert_eq(pclose(p), 0);
}

/* ---- the real Fashion-MNIST ---- */

Test(idx, fashion_mnist_train)
{
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(msp_idx_load(FM_TRAIN_IMG, FM_TRAIN_LAB, 0, 0, &d, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(d.n, 60000);
    cr_assert_eq(d.w, 28);
    cr_assert_eq(d.h, 28);
    cr_assert_eq(d.c, 1);
    cr_assert_eq(d.n_classes, 10);
    cr_assert_null(d.class_names);

    unsigned char lab[1];
    gunzip_bytes(FM_TRAIN_LAB, 8, lab, 1);
    cr_assert_eq(lab[0], 9); /* the first training label of Fashion-MNIST */
    cr_assert_eq(d.y[0], 9);

    /* Image 0 and the last image, pixel by pixel, against gzip -dc. */
    unsigned char px[784];
    gunzip_bytes(FM_TRAIN_IMG, 16, px, 784);
    long sum = 0;
    double xsum = 0;
    for (int j = 0; j < 784; j++) {
        sum += px[j];
        xsum += d.x[j];
        cr_assert_float_eq(d.x[j], px[j] / 255., 1e-7, "pixel %d", j);
    }
    cr_assert_eq(sum, 76247); /* computed once with gzip -dc | od | awk */
    cr_assert_eq(lround(xsum * 255), sum);
    gunzip_bytes(FM_TRAIN_IMG, 16 + 59999L * 784, px, 784);
    for (int j = 0; j < 784; j++)
        cr_assert_float_eq(d.x[59999L * 784 + j], px[j] / 255., 1e-7, "last image pixel %d", j);
    unsigned char last[1];
    gunzip_bytes(FM_TRAIN_LAB, 8 + 59999, last, 1);
    cr_assert_eq(d.y[59999], last[0]);

    int count[10] = {0};
    for (int i = 0; i < d.n; i++) {
        cr_assert(d.y[i] >= 0 && d.y[i] < 10);
        count[d.y[i]]++;
    }
    for (int c = 0; c < 10; c++) cr_assert_eq(count[c], 6000, "class %d", c);
    msp_dataset_free(&d);
    assert_zeroed(&d);
    msp_dataset_free(&d); /* safe twice */
}

Test(idx, fashion_mnist_test_with_hint_and_limit)
{
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(msp_idx_load(FM_TEST_IMG, FM_TEST_LAB, 10, 0, &d, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(d.n, 10000);
    cr_assert_eq(d.n_classes, 10);
    unsigned char lab[3];
    gunzip_bytes(FM_TEST_LAB, 8, lab, 3);
    cr_assert_eq(lab[0], 9); /* the first test label of Fashion-MNIST */
    for (int i = 0; i < 3; i++) cr_assert_eq(d.y[i], lab[i]);
    msp_dataset e;
    cr_assert_eq(msp_idx_load(FM_TEST_IMG, FM_TEST_LAB, 0, 100, &e, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(e.n, 100);
    cr_assert_eq(e.n_classes, 10); /* classes counted over the whole file */
    cr_assert_eq(memcmp(e.x, d.x, 100 * 784 * sizeof(float)), 0);
    cr_assert_eq(memcmp(e.y, d.y, 100 * sizeof(int)), 0);
    msp_dataset_free(&d);
    msp_dataset_free(&e);
}

Test(idx, images_and_labels_swapped)
{
    expect_bad(FM_TEST_LAB, FM_TEST_IMG, 0, 0, FM_TEST_LAB ": bad magic number 0x00000801",
               "this looks like an IDX label file");
}

/* ---- generated fixtures ---- */

Test(idx, tiny_raw_and_gzip_identical)
{
    write_tiny();
    msp_dataset a, b, c;
    msp_err err = {{0}};
    cr_assert_eq(msp_idx_load(tpath("img"), tpath("lab"), 0, 0, &a, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_idx_load(tpath("img.gz"), tpath("lab.gz"), 0, 0, &b, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(msp_idx_load(tpath("img.gz"), tpath("lab"), 0, 0, &c, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(a.n, 3);
    cr_assert_eq(a.w, T_COLS);
    cr_assert_eq(a.h, T_ROWS);
    cr_assert_eq(a.c, 1);
    cr_assert_eq(a.n_classes, 3); /* max label 2 + 1 */
    for (int i = 0; i < T_N * T_ROWS * T_COLS; i++)
        cr_assert_eq(a.x[i], (float)(t_pix[i] / 255.), "value %d", i);
    cr_assert_eq(a.x[6], 1.0f);
    cr_assert_eq(a.x[0], 0.0f);
    for (int i = 0; i < T_N; i++) cr_assert_eq(a.y[i], t_lab[i]);
    const msp_dataset *o[2] = {&b, &c};
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(o[k]->n, a.n);
        cr_assert_eq(o[k]->n_classes, a.n_classes);
        cr_assert_eq(memcmp(o[k]->x, a.x, sizeof(float) * T_N * T_ROWS * T_COLS), 0);
        cr_assert_eq(memcmp(o[k]->y, a.y, sizeof(int) * T_N), 0);
    }
    msp_dataset_free(&a);
    msp_dataset_free(&b);
    msp_dataset_free(&c);
}

Test(idx, limit_keeps_first_but_validates_whole_file)
{
    write_tiny();
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(msp_idx_load(tpath("img"), tpath("lab"), 5, 2, &d, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(d.n, 2);
    cr_assert_eq(d.n_classes, 5);
    cr_assert_eq(d.y[1], 2);
    cr_assert_eq(d.x[11], (float)(32 / 255.));
    msp_dataset_free(&d);
    /* A limit does not excuse a damaged tail. */
    unsigned char b[64];
    size_t n = tiny_images(b);
    write_raw(tpath("short"), b, n - 1);
    expect_bad(tpath("short"), tpath("lab"), 0, 1, "short: truncated: expected 34 bytes", NULL);
}

Test(idx, wrong_magic)
{
    write_tiny();
    unsigned char b[64];
    size_t n = tiny_images(b);
    b[3] = 0x04;
    write_raw(tpath("bad"), b, n);
    expect_bad(tpath("bad"), tpath("lab"), 0, 0,
               "bad: bad magic number 0x00000804: expected 0x00000803 (IDX unsigned-byte images, "
               "3 dimensions)",
               NULL);
    b[2] = 0x0d; /* float data */
    b[3] = 0x03;
    write_raw(tpath("float"), b, n);
    expect_bad(tpath("float"), tpath("lab"), 0, 0, "float: bad magic number 0x00000d03",
               "only unsigned-byte (type 0x08) IDX data is supported");
    /* Label file with an image magic. */
    write_raw(tpath("lab2"), b, tiny_images(b));
    expect_bad(tpath("img"), tpath("lab2"), 0, 0, "lab2: bad magic number 0x00000803",
               "looks like an IDX image file");
}

Test(idx, truncated_header)
{
    write_tiny();
    unsigned char b[64];
    tiny_images(b);
    write_raw(tpath("h10"), b, 10);
    expect_bad(tpath("h10"), tpath("lab"), 0, 0,
               "h10: truncated header: expected 16 bytes, file has 10", NULL);
    write_gz(tpath("h10.gz"), b, 10);
    expect_bad(tpath("h10.gz"), tpath("lab"), 0, 0,
               "h10.gz: truncated header: expected 16 decompressed bytes, file has 10", NULL);
    tiny_labels(b);
    write_raw(tpath("l6"), b, 6);
    expect_bad(tpath("img"), tpath("l6"), 0, 0, "l6: truncated header: expected 8 bytes, file has 6",
               NULL);
}

Test(idx, truncated_payload)
{
    write_tiny();
    unsigned char b[64];
    size_t n = tiny_images(b);
    write_raw(tpath("img30"), b, 30);
    expect_bad(tpath("img30"), tpath("lab"), 0, 0,
               "img30: truncated: expected 34 bytes (16-byte header + 3 images of 2x3), file has 30",
               NULL);
    write_gz(tpath("img30.gz"), b, 30);
    expect_bad(tpath("img30.gz"), tpath("lab"), 0, 0,
               "img30.gz: truncated: expected 34 decompressed bytes (16-byte header + 3 images of "
               "2x3), file has 30",
               NULL);
    n = tiny_labels(b);
    write_raw(tpath("lab10"), b, n - 1);
    expect_bad(tpath("img"), tpath("lab10"), 0, 0,
               "lab10: truncated: expected 11 bytes (8-byte header + 3 labels), file has 10", NULL);
}

Test(idx, gzip_stream_cut_short)
{
    write_tiny();
    /* A gzip file cut before its end: zlib sees a stream that stops early. */
    unsigned char big[16 + 3 * 64 * 64];
    size_t k = img_header(big, 0x803, 3, 64, 64);
    for (size_t i = k; i < sizeof big; i++) big[i] = (unsigned char)(i * 7919u >> 3);
    write_gz(tpath("full.gz"), big, sizeof big);
    FILE *f = fopen(tpath("full.gz"), "rb");
    cr_assert_not_null(f);
    unsigned char gz[sizeof big + 1024];
    size_t gn = fread(gz, 1, sizeof gz, f);
    fclose(f);
    cr_assert_gt(gn, 40);
    write_raw(tpath("cut.gz"), gz, gn / 2);
    expect_bad(tpath("cut.gz"), tpath("lab"), 0, 0, "cut.gz: truncated: expected 12304 decompressed",
               "(the gzip stream ends early)");
}

Test(idx, corrupt_gzip)
{
    write_tiny();
    unsigned char b[64];
    size_t n = tiny_images(b);
    write_gz(tpath("c.gz"), b, n);
    FILE *f = fopen(tpath("c.gz"), "rb");
    unsigned char gz[256];
    size_t gn = fread(gz, 1, sizeof gz, f);
    fclose(f);
    for (size_t i = 10; i < gn - 8; i++) gz[i] ^= 0xa5; /* mangle the deflate data */
    write_raw(tpath("c.gz"), gz, gn);
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(msp_idx_load(tpath("c.gz"), tpath("lab"), 0, 0, &d, &err), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "c.gz: "), "%s", err.msg);
    assert_zeroed(&d);
}

Test(idx, trailing_bytes)
{
    write_tiny();
    unsigned char b[64];
    size_t n = tiny_images(b);
    b[n] = b[n + 1] = b[n + 2] = 7;
    write_raw(tpath("long"), b, n + 3);
    expect_bad(tpath("long"), tpath("lab"), 0, 0,
               "long: file is longer than its header says: expected 34 bytes (16-byte header + 3 "
               "images of 2x3), found 37 (3 trailing bytes)",
               NULL);
    write_gz(tpath("long.gz"), b, n + 3);
    expect_bad(tpath("long.gz"), tpath("lab"), 0, 0, "long.gz: file is longer than its header says",
               "expected 34 decompressed bytes");
    n = tiny_labels(b);
    b[n] = 0;
    write_raw(tpath("lablong"), b, n + 1);
    expect_bad(tpath("img"), tpath("lablong"), 0, 0,
               "lablong: file is longer than its header says: expected 11 bytes (8-byte header + 3 "
               "labels), found 12 (1 trailing bytes)",
               NULL);
}

Test(idx, count_mismatch)
{
    write_tiny();
    unsigned char b[64];
    size_t k = put32(b, 0x801);
    k += put32(b + k, 2);
    b[k++] = 0;
    b[k++] = 1;
    write_raw(tpath("lab2"), b, k);
    char want[256];
    snprintf(want, sizeof want, "lab2: has 2 labels but the image file %s has 3 images", tpath("img"));
    expect_bad(tpath("img"), tpath("lab2"), 0, 0, want, NULL);
}

Test(idx, label_out_of_range_with_hint)
{
    write_tiny();
    expect_bad(tpath("img"), tpath("lab"), 2, 0,
               "lab: label 2 at index 1 is out of range: there are 2 classes (labels 0..1)", NULL);
    expect_bad(tpath("img"), tpath("lab"), 2, 1, "label 2 at index 1", NULL); /* limit too */
    expect_bad(tpath("img"), tpath("lab"), MSP_DATASET_MAX_CLASSES + 1, 0,
               "lab: number of classes 100001 exceeds the limit 100000", NULL);
}

Test(idx, zero_dims)
{
    write_tiny();
    unsigned char b[64];
    const char *names[3] = {"image count 0", "rows 0", "cols 0"};
    for (int z = 0; z < 3; z++) {
        uint32_t dims[3] = {T_N, T_ROWS, T_COLS};
        dims[z] = 0;
        size_t k = img_header(b, 0x803, dims[0], dims[1], dims[2]);
        write_raw(tpath("z"), b, k);
        expect_bad(tpath("z"), tpath("lab"), 0, 0, names[z], "in the header is out of range [1, ");
    }
    size_t k = put32(b, 0x801);
    k += put32(b + k, 0);
    write_raw(tpath("l0"), b, k);
    expect_bad(tpath("img"), tpath("l0"), 0, 0,
               "l0: label count 0 in the header is out of range [1, 10000000]", NULL);
}

Test(idx, huge_dims_without_giant_allocation)
{
    write_tiny();
#ifndef __SANITIZE_ADDRESS__
    /* Fail loudly (msp_malloc aborts) if anything tries to allocate ~GiBs. */
    struct rlimit rl = {1UL << 30, 1UL << 30};
    cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
#endif
    unsigned char b[64];
    size_t k = img_header(b, 0x803, 3, 5000, 2);
    write_raw(tpath("rows"), b, k);
    expect_bad(tpath("rows"), tpath("lab"), 0, 0,
               "rows: rows 5000 in the header is out of range [1, 4096]", NULL);
    k = img_header(b, 0x803, 20000000, 28, 28);
    write_raw(tpath("many"), b, k);
    expect_bad(tpath("many"), tpath("lab"), 0, 0,
               "many: image count 20000000 in the header is out of range [1, 10000000]", NULL);
    /* Within each bound but 10M x 4096 x 4096 in total: refused up front. */
    k = img_header(b, 0x803, 10000000, 4096, 4096);
    write_raw(tpath("total"), b, k);
    unsigned char l[16];
    size_t lk = put32(l, 0x801);
    lk += put32(l + lk, 10000000);
    gzFile g = gzopen(tpath("lab10m.gz"), "wb");
    gzwrite(g, l, (unsigned)lk);
    unsigned char zeros[4096] = {0};
    for (int i = 0; i < 10000000 / 4096; i++) gzwrite(g, zeros, sizeof zeros);
    gzwrite(g, zeros, 10000000 % 4096);
    gzclose(g);
    expect_bad(tpath("total"), tpath("lab10m.gz"), 0, 0,
               "total: 10000000 images of 4096x4096 are too many to hold", "set a smaller limit");
    /* 1000 images of 1000x1000 (4 GB of floats) claimed, one and a bit
     * present: memory follows the data, so this is a plain truncation error
     * (sizing x from the header would trip the address-space limit above). */
    k = img_header(b, 0x803, 1000, 1000, 1000);
    FILE *f = fopen(tpath("liar"), "wb");
    cr_assert_not_null(f);
    fwrite(b, 1, k, f);
    unsigned char *img = calloc(1000100, 1);
    cr_assert_not_null(img);
    fwrite(img, 1, 1000100, f);
    free(img);
    cr_assert_eq(fclose(f), 0);
    size_t kl = put32(l, 0x801);
    kl += put32(l + kl, 1000);
    g = gzopen(tpath("lab1000.gz"), "wb");
    gzwrite(g, l, (unsigned)kl);
    gzwrite(g, zeros, 1000);
    gzclose(g);
    expect_bad(tpath("liar"), tpath("lab1000.gz"), 0, 0,
               "liar: truncated: expected 1000000016 bytes (16-byte header + 1000 images of "
               "1000x1000), file has 1000116",
               NULL);
}

Test(idx, empty_and_garbage_and_missing)
{
    write_tiny();
    write_raw(tpath("empty"), "", 0);
    expect_bad(tpath("empty"), tpath("lab"), 0, 0, "empty: empty file (expected an IDX images file)",
               NULL);
    write_gz(tpath("empty.gz"), "", 0);
    expect_bad(tpath("empty.gz"), tpath("lab"), 0, 0, "empty.gz: empty file", NULL);
    const char junk[] = "this is not an IDX file, nor gzip\n";
    write_raw(tpath("junk"), junk, sizeof junk - 1);
    expect_bad(tpath("junk"), tpath("lab"), 0, 0, "junk: bad magic number 0x74686973", NULL);
    expect_bad(tpath("img"), tpath("junk"), 0, 0, "junk: bad magic number 0x74686973",
               "expected 0x00000801 (IDX unsigned-byte labels, 1 dimension)");
    expect_bad(tpath("nope"), tpath("lab"), 0, 0, "nope: cannot open IDX file: No such file", NULL);
    expect_bad(tpath("img"), tpath("nope"), 0, 0, "nope: cannot open IDX file: No such file", NULL);
    expect_bad(tmpdir, tpath("lab"), 0, 0, "not a regular file", NULL);
}

/* Every single-byte truncation and a spread of byte flips of the tiny pair:
 * each load either succeeds with sane contents or fails cleanly. */
Test(idx, mangled_files_never_crash)
{
    write_tiny();
    unsigned char b[64];
    size_t n = tiny_images(b);
    for (size_t cut = 0; cut < n; cut++) {
        write_raw(tpath("m"), b, cut);
        msp_dataset d;
        msp_err err = {{0}};
        cr_assert_eq(msp_idx_load(tpath("m"), tpath("lab"), 0, 0, &d, &err), MSP_BAD_INPUT,
                     "cut at %zu", cut);
        cr_assert_not_null(strstr(err.msg, tpath("m")));
        assert_zeroed(&d);
    }
    for (size_t pos = 0; pos < n; pos++) {
        for (int bit = 0; bit < 8; bit++) {
            unsigned char m[64];
            memcpy(m, b, n);
            m[pos] ^= (unsigned char)(1u << bit);
            write_gz(tpath("m.gz"), m, n);
            msp_dataset d;
            msp_err err = {{0}};
            msp_status s = msp_idx_load(tpath("m.gz"), tpath("lab"), 0, 0, &d, &err);
            if (pos < 16) {
                cr_assert_eq(s, MSP_BAD_INPUT, "header byte %zu bit %d", pos, bit);
                assert_zeroed(&d);
            } else {
                cr_assert_eq(s, MSP_OK, "pixel byte %zu bit %d: %s", pos, bit, err.msg);
                cr_assert_eq(d.x[pos - 16], (float)(m[pos] / 255.));
                msp_dataset_free(&d);
            }
        }
    }
}
