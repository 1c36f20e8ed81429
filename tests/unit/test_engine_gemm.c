/* test_engine_gemm.c: msp_gemm against a double-precision reference.
 *
 * Every transpose combination, shapes around the kernel's 8x32 tile and the
 * 256 inner-index slice (edges, one row, one column, several slices),
 * padded leading dimensions, narrow products (computed transposed), beta 0
 * (C must not be read: it holds NaN) and beta 1. The same cases run through
 * cblas_sgemm (msp_gemm_force_blas) so both paths are held to the reference.
 * Products split between threads equal the one-thread result bit for bit.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_gemm.h"
#include "engine/engine_pool.h"
#include "base/rng.h"

static float at(const float *X, int ld, int trans, int r, int c)
{
    return trans ? X[(size_t)c * ld + r] : X[(size_t)r * ld + c];
}

static void check_case(int ta, int tb, int M, int N, int K, float beta, msp_rng *r)
{
    /* leading dimensions larger than needed, so row strides are exercised */
    int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 7;
    size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb, nc = (size_t)M * ldc;
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
    float *C = malloc(sizeof(float) * nc), *C0 = malloc(sizeof(float) * nc);
    for (size_t i = 0; i < na; i++) A[i] = (float)msp_rng_uniform(r) - 0.5f;
    for (size_t i = 0; i < nb; i++) B[i] = (float)msp_rng_uniform(r) - 0.5f;
    for (size_t i = 0; i < nc; i++) C0[i] = beta != 0 ? (float)msp_rng_uniform(r) : NAN;
    memcpy(C, C0, sizeof(float) * nc);
    msp_gemm(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double want = beta != 0 ? beta * (double)C0[(size_t)i * ldc + j] : 0, mag = 0;
            for (int p = 0; p < K; p++) {
                double t = (double)at(A, lda, ta, i, p) * at(B, ldb, tb, p, j);
                want += t;
                mag += fabs(t);
            }
            float got = C[(size_t)i * ldc + j];
            cr_assert(fabs(got - want) <= 1e-6 * (mag + 1) && !isnan(got),
                      "ta %d tb %d %dx%dx%d beta %g: C[%d][%d] = %.9g, want %.9g", ta, tb, M, N,
                      K, beta, i, j, got, want);
        }
        /* the padding between rows is never written */
        for (int j = N; j < ldc && i + 1 < M; j++) {
            float c = C[(size_t)i * ldc + j], c0 = C0[(size_t)i * ldc + j];
            cr_assert((isnan(c) && isnan(c0)) || c == c0, "padding C[%d][%d] written", i, j);
        }
    }
    free(A);
    free(B);
    free(C);
    free(C0);
}

static void check_all(void)
{
    static const int shapes[][3] = {{1, 1, 1},    {8, 32, 256}, {7, 31, 5},   {9, 33, 257},
                                    {64, 196, 288}, {10, 49, 128}, {3, 100, 600}, {17, 1, 40},
                                    {1, 70, 9},   {40, 16, 513}, {32, 9, 3000}, {64, 10, 300},
                                    {33, 17, 20}};
    msp_rng r;
    msp_rng_seed(&r, 5);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int ta = 0; ta <= 1; ta++)
            for (int tb = 0; tb <= 1; tb++)
                for (int b = 0; b <= 1; b++)
                    check_case(ta, tb, shapes[s][0], shapes[s][1], shapes[s][2], (float)b, &r);
}

Test(engine_gemm, own_kernel_matches_reference)
{
    msp_gemm_force_blas(0);
    check_all();
    msp_gemm_release();
}

Test(engine_gemm, blas_path_matches_reference)
{
    msp_gemm_force_blas(1);
    cr_assert_eq(msp_gemm_native(), 0);
    check_all();
    msp_gemm_force_blas(0);
}

Test(engine_gemm, empty_shapes_leave_c_alone)
{
    float C[4] = {1, 2, 3, 4}, A[4] = {0}, B[4] = {0};
    msp_gemm(0, 0, 0, 2, 2, A, 2, B, 2, 0, C, 2);
    msp_gemm(0, 0, 2, 0, 2, A, 2, B, 2, 0, C, 2);
    cr_assert(C[0] == 1 && C[1] == 2 && C[2] == 3 && C[3] == 4);
}

/* C of op(A) op(B) + beta C with `threads` threads, into a fresh array. */
static float *product(int threads, int ta, int tb, int M, int N, int K, float beta, uint64_t seed)
{
    int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 7;
    size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb, nc = (size_t)M * ldc;
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
    float *C = malloc(sizeof(float) * nc);
    msp_rng r;
    msp_rng_seed(&r, seed);
    for (size_t i = 0; i < na; i++) A[i] = (float)msp_rng_uniform(&r) - 0.5f;
    for (size_t i = 0; i < nb; i++) B[i] = (float)msp_rng_uniform(&r) - 0.5f;
    for (size_t i = 0; i < nc; i++) C[i] = (float)msp_rng_uniform(&r);
    msp_pool_set_size(threads);
    msp_gemm(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
    msp_pool_set_size(1);
    free(A);
    free(B);
    return C;
}

/* Shapes above the split threshold (2^23 multiply-adds): by columns
 * (uneven last part), by rows (few columns), a narrow product (split after
 * its transpose), and a 3x3 conv's forward, weight-gradient and
 * input-gradient shapes. */
Test(engine_gemm, split_products_equal_one_thread)
{
    if (!msp_gemm_native()) cr_skip_test("no AVX-512 on this CPU: cblas_sgemm path only");
    static const int shapes[][3] = {{64, 1000, 160}, {400, 40, 600}, {4096, 9, 300},
                                    {100, 100, 1000}, {32, 1024, 288}, {32, 288, 1024},
                                    {288, 1024, 32}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 2; t <= 5; t += 3)
            for (int ta = 0; ta <= 1; ta++)
                for (int tb = 0; tb <= 1; tb++) {
                    int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
                    float beta = (float)(s % 2);
                    float *one = product(1, ta, tb, M, N, K, beta, s + 1);
                    unsigned long shared = msp_pool_shared_jobs();
                    float *split = product(t, ta, tb, M, N, K, beta, s + 1);
                    cr_assert_eq(msp_pool_shared_jobs(), shared + 1, "%dx%dx%d was not split", M,
                                 N, K);
                    cr_assert(memcmp(one, split, sizeof(float) * (size_t)M * (N + 7)) == 0,
                              "%d threads, ta %d tb %d %dx%dx%d: differs from one thread", t, ta,
                              tb, M, N, K);
                    free(one);
                    free(split);
                }
    msp_gemm_release();
}

Test(engine_gemm, split_products_match_reference)
{
    msp_gemm_force_blas(0);
    msp_pool_set_size(3);
    check_all();
    msp_rng r;
    msp_rng_seed(&r, 9);
    check_case(0, 0, 64, 1000, 160, 1, &r);
    check_case(1, 0, 400, 40, 600, 0, &r);
    check_case(0, 1, 4096, 9, 300, 1, &r);
    msp_pool_set_size(1);
    msp_gemm_release();
}

typedef struct {
    int runs[8];
    pthread_t who[8];
} parts_seen;

static void note_part(void *arg, int part)
{
    parts_seen *s = arg;
    __atomic_add_fetch(&s->runs[part], 1, __ATOMIC_SEQ_CST);
    s->who[part] = pthread_self();
}

/* Every part runs once, more parts than threads included, and with a pool
 * of 3 the parts run on more than one thread. */
Test(engine_pool, runs_every_part_once)
{
    msp_pool_set_size(3);
    for (int n = 1; n <= 8; n++) {
        parts_seen s;
        memset(&s, 0, sizeof s);
        msp_pool_run(n, note_part, &s);
        int threads = 0;
        for (int p = 0; p < n; p++) {
            cr_assert_eq(s.runs[p], 1, "%d parts: part %d ran %d times", n, p, s.runs[p]);
            int seen = 0;
            for (int q = 0; q < p; q++) seen |= pthread_equal(s.who[p], s.who[q]);
            threads += !seen;
        }
        for (int p = n; p < 8; p++) cr_assert_eq(s.runs[p], 0);
        cr_assert_eq(threads, n < 3 ? n : 3, "%d parts ran on %d threads", n, threads);
    }
    msp_pool_set_size(1);
}
