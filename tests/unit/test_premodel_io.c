/* test_premodel_io.c: the premodel file: save -> load gives identical
 * predictions for every kind; truncated, bit-flipped, wrong-magic,
 * wrong-version, absurd-dims and otherwise mangled files are rejected with
 * MSP_BAD_INPUT and a message (run under ASan by make SANITIZE=1). Files are
 * written into a mkdtemp folder. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include "base/rng.h"
#include "selector/premodel.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    strcpy(dir, "/tmp/msp-premodel-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pm.bin", dir);
}

static void teardown(void)
{
    char p[160];
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    cr_assert_eq(system(p), 0);
}

TestSuite(premodel_io, .init = setup, .fini = teardown);

/* 3 overlapping classes in 4 features (so the models are not trivial),
 * a nested ok matrix and costs. */
static float X[200 * 4];
static int Y[200];
static uint8_t OK[200 * 3];
static double COST[3] = {1, 2, 5};

static msp_premodel_data data(void)
{
    msp_rng r;
    msp_rng_seed(&r, 5);
    for (int i = 0; i < 200; i++) {
        Y[i] = (int)msp_rng_below(&r, 3);
        for (int j = 0; j < 4; j++) X[i * 4 + j] = (float)(Y[i] * (j + 1) + 3 * msp_rng_uniform(&r) + 10 * j);
        for (int k = 0; k < 3; k++) OK[i * 3 + k] = k >= Y[i] || msp_rng_uniform(&r) < 0.2;
    }
    return (msp_premodel_data){200, 4, 3, X, Y, OK, COST};
}

static unsigned char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n);
    cr_assert_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *p, const unsigned char *b, size_t n)
{
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* Recompute the trailing CRC so that a deliberate change reaches the field
 * checks rather than the checksum. */
static void fix_crc(unsigned char *b, size_t n)
{
    uint32_t c = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b, (uInt)(n - 4));
    for (int i = 0; i < 4; i++) b[n - 4 + i] = (unsigned char)(c >> (8 * i));
}

static void put32(unsigned char *b, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++) b[off + i] = (unsigned char)(v >> (8 * i));
}

/* good (n bytes) with the u32 at off set to v, the checksum repaired, as
 * the test file (b: scratch of n bytes). */
static void write_patched(const unsigned char *good, unsigned char *b, size_t n, size_t off,
                          uint32_t v)
{
    memcpy(b, good, n);
    put32(b, off, v);
    fix_crc(b, n);
    spit(path, b, n);
}

/* Load must fail with MSP_BAD_INPUT, a NULL model and a message naming the
 * file and containing want. */
static void expect_bad(const char *want)
{
    msp_premodel *pm = (msp_premodel *)1;
    msp_err err = {{0}};
    cr_assert_eq(msp_premodel_load(path, &pm, &err), MSP_BAD_INPUT, "accepted; wanted '%s'", want);
    cr_assert_null(pm);
    cr_assert(strncmp(err.msg, path, strlen(path)) == 0, "message lacks the path: %s", err.msg);
    cr_assert(strstr(err.msg, want), "message '%s' lacks '%s'", err.msg, want);
}

static msp_premodel *train(msp_premodel_kind kind)
{
    msp_premodel_data t = data();
    msp_premodel_params p;
    msp_premodel_params_default(&p);
    p.epochs = 50;
    msp_premodel *pm;
    msp_err err;
    int feat[3] = {3, 0, 2};
    cr_assert_eq(msp_premodel_train(kind, &p, &t, kind == MSP_PREMODEL_DTREE ? feat : NULL, 3, &pm, &err),
                 MSP_OK, "%s", err.msg);
    return pm;
}

Test(premodel_io, round_trip_every_kind)
{
    for (int k = 0; k < MSP_PREMODEL_KIND_COUNT; k++) {
        if (k == MSP_PREMODEL_GATE_CNN) continue;
        msp_premodel *a = train((msp_premodel_kind)k), *b = NULL;
        msp_err err;
        cr_assert_eq(msp_premodel_save(a, path, &err), MSP_OK, "%s", err.msg);
        cr_assert_eq(msp_premodel_load(path, &b, &err), MSP_OK, "%s: %s", msp_premodel_kind_name(k), err.msg);
        cr_assert_eq(msp_premodel_get_kind(b), (msp_premodel_kind)k);
        int da, db, ma, mb, ia, ib;
        msp_premodel_dims(a, &ia, &da, &ma);
        msp_premodel_dims(b, &ib, &db, &mb);
        cr_assert(ia == ib && da == db && ma == mb);
        cr_assert_eq(msp_premodel_ref_count(a), msp_premodel_ref_count(b));
        msp_rng r;
        msp_rng_seed(&r, 99);
        for (int s = 0; s < 500; s++) {
            float q[4];
            for (int j = 0; j < 4; j++) q[j] = (float)(10 * j + 6 * msp_rng_uniform(&r));
            double ca, cb;
            cr_assert_eq(msp_premodel_predict(a, q, &ca), msp_premodel_predict(b, q, &cb));
            cr_assert_eq(ca, cb, "%s confidence", msp_premodel_kind_name(k));
        }
        /* Saving the loaded model gives the same bytes. */
        size_t n1, n2;
        unsigned char *f1 = slurp(path, &n1);
        cr_assert_eq(msp_premodel_save(b, path, &err), MSP_OK, "%s", err.msg);
        unsigned char *f2 = slurp(path, &n2);
        cr_assert(n1 == n2 && memcmp(f1, f2, n1) == 0);
        free(f1);
        free(f2);
        msp_premodel_free(a);
        msp_premodel_free(b);
    }
}

Test(premodel_io, no_temporary_left_behind)
{
    msp_premodel *a = train(MSP_PREMODEL_LOGISTIC);
    msp_err err;
    cr_assert_eq(msp_premodel_save(a, path, &err), MSP_OK, "%s", err.msg);
    char tmp[200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    cr_assert_eq(access(tmp, F_OK), -1);
    char bad[200];
    snprintf(bad, sizeof bad, "%s/no/such/dir/pm.bin", dir);
    cr_assert_eq(msp_premodel_save(a, bad, &err), MSP_FAIL);
    msp_premodel_free(a);
}

Test(premodel_io, bad_files_rejected)
{
    msp_premodel *a = train(MSP_PREMODEL_KNN);
    msp_err err;
    cr_assert_eq(msp_premodel_save(a, path, &err), MSP_OK, "%s", err.msg);
    msp_premodel_free(a);
    size_t n;
    unsigned char *good = slurp(path, &n);
    unsigned char *b = malloc(n);

    /* Truncated anywhere: inside the header, or later (checksum). */
    size_t cuts[] = {0, 5, 20, 60, 100, n / 2, n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        spit(path, good, cuts[i]);
        expect_bad(cuts[i] < 8 ? "bad magic" : cuts[i] < 100 ? "truncated premodel file" : "corrupt or truncated");
    }
    /* A flipped bit anywhere after the version: checksum. */
    memcpy(b, good, n);
    b[n / 2] ^= 0x10;
    spit(path, b, n);
    expect_bad("premodel file is corrupt or truncated (checksum mismatch)");
    /* Wrong magic. */
    memcpy(b, good, n);
    memcpy(b, "MSPCKPT", 8);
    spit(path, b, n);
    expect_bad("not a premodel file (bad magic); give a file written by msprune premodel");
    /* Wrong version (checked before the checksum). */
    memcpy(b, good, n);
    put32(b, 8, 2);
    spit(path, b, n);
    expect_bad("premodel file version 2 is not supported (this msprune reads version 1)");
    /* Absurd dims with a valid checksum. */
    write_patched(good, b, n, 16, 0xfffffff0u);
    expect_bad("input width 4294967280 is out of range (1 to 4096)");
    write_patched(good, b, n, 24, 100000);
    expect_bad("100000 networks is out of range (1 to 256)");
    write_patched(good, b, n, 12, 7);
    expect_bad("unknown premodel kind 7 (this msprune knows 0 to 6)");
    /* A cascade with features, and another kind with none. */
    write_patched(good, b, n, 12, MSP_PREMODEL_CASCADE);
    expect_bad("a cascade uses no features, not 4");
    write_patched(good, b, n, 20, 0);
    expect_bad("0 used features is out of range (1 to the input width 4)");
    /* Bad parameter inside the file (k = 0). */
    write_patched(good, b, n, 28, 0);
    expect_bad("bad parameters: knn: k = 0 is out of range");
    /* The knn reference count: absurd, then larger than the bytes left. */
    size_t off_n = 8 + 4 * 5 + 4 * 7 + 8 * 4 + 4 * 3 * 4;
    write_patched(good, b, n, off_n, 0x7fffffffu);
    expect_bad("knn reference set of 2147483647 points is out of range");
    write_patched(good, b, n, off_n, 1000000);
    expect_bad("truncated premodel file: the knn reference set needs 20000000 bytes");
    /* A NaN feature mean. */
    write_patched(good, b, n, 8 + 4 * 5 + 4 * 7 + 8 * 4 + 4 * 4, 0x7fc00000u);
    expect_bad("feature means: value 0 is not finite");
    /* Trailing bytes. */
    unsigned char *t = malloc(n + 8);
    memcpy(t, good, n - 4);
    memset(t + n - 4, 0, 8);
    fix_crc(t, n + 4);
    spit(path, t, n + 4);
    expect_bad("4 trailing bytes after the premodel");
    free(t);
    /* Not a regular file, missing file. */
    msp_premodel *pm;
    cr_assert_eq(msp_premodel_load(dir, &pm, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "not a regular file"));
    free(good);
    free(b);
}

/* Every byte of every kind's file changed (with the checksum repaired so the
 * field checks are reached): loading either fails cleanly or gives a model
 * that predicts without crashing (under ASan, any overrun is a failure). */
Test(premodel_io, mangled_bytes_never_crash, .timeout = 120)
{
    for (int k = 0; k < MSP_PREMODEL_KIND_COUNT; k++) {
        if (k == MSP_PREMODEL_GATE_CNN) continue; /* test_premodel_gate.c damages its files */
        msp_premodel_data t = data();
        t.n = 12; /* small files, every byte tried */
        msp_premodel_params p;
        msp_premodel_params_default(&p);
        p.epochs = 5;
        msp_premodel *a;
        msp_err err;
        cr_assert_eq(msp_premodel_train((msp_premodel_kind)k, &p, &t, NULL, 0, &a, &err), MSP_OK, "%s", err.msg);
        cr_assert_eq(msp_premodel_save(a, path, &err), MSP_OK, "%s", err.msg);
        msp_premodel_free(a);
        size_t n;
        unsigned char *good = slurp(path, &n);
        unsigned char *b = malloc(n);
        const unsigned char vals[] = {0x00, 0xff, 0x80};
        for (size_t i = 12; i + 4 < n; i++)
            for (size_t v = 0; v < sizeof vals; v++) {
                memcpy(b, good, n);
                if (b[i] == vals[v]) continue;
                b[i] = vals[v];
                fix_crc(b, n);
                spit(path, b, n);
                msp_premodel *pm = NULL;
                msp_status st = msp_premodel_load(path, &pm, &err);
                cr_assert(st == MSP_OK || st == MSP_BAD_INPUT);
                if (st == MSP_OK) {
                    float q[4] = {1, 12, 23, 35};
                    double conf;
                    int c = msp_premodel_predict(pm, q, &conf);
                    cr_assert(c >= 0 && c < 3 && conf >= 0 && conf <= 1);
                    msp_premodel_free(pm);
                } else {
                    cr_assert_null(pm);
                }
            }
        free(good);
        free(b);
    }
}

Test(premodel_io, cascade_start_checked)
{
    msp_premodel *a = train(MSP_PREMODEL_CASCADE);
    msp_err err;
    cr_assert_eq(msp_premodel_save(a, path, &err), MSP_OK, "%s", err.msg);
    msp_premodel_free(a);
    size_t n;
    unsigned char *good = slurp(path, &n), *b = malloc(n);
    write_patched(good, b, n, n - 8, 3); /* the payload: u32 start, before the CRC */
    expect_bad("cascade start network 3 is out of range (0 to 2)");
    free(good);
    free(b);
}

/* A 3 GiB (sparse) file that is not a premodel is refused from its first
 * bytes, under an address-space limit far below its size: it is never read
 * into memory. AddressSanitizer's reservations rule out the limit there. */
Test(premodel_io, huge_file_refused_before_reading)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "NOTAPREM", 8), 8);
    cr_assert_eq(ftruncate(fd, 3LL << 30), 0);
    close(fd);
#ifndef __SANITIZE_ADDRESS__
    struct rlimit rl = {.rlim_cur = 1ull << 30, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
#endif
    msp_premodel *pm = NULL;
    msp_err err = {{0}};
    cr_assert_eq(msp_premodel_load(path, &pm, &err), MSP_BAD_INPUT, "%s", err.msg);
    cr_assert(strstr(err.msg, "not a premodel file (bad magic)"), "%s", err.msg);
    cr_assert_null(pm);
}
