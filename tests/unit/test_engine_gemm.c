/* test_engine_gemm.c: msp_gemm against a double-precision reference.
 *
 * Every transpose combination, shapes around the kernel's 8x32 tile and the
 * 256 inner-index slice (edges, one row, one column, several slices),
 * padded leading dimensions, narrow products (computed transposed), beta 0
 * (C must not be read: it holds NaN) and beta 1. The same cases run through
 * cblas_sgemm (msp_gemm_force_blas) so both paths are held to the reference.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_gemm.h"
#include "rng.h"

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
