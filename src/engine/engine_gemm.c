/* engine_gemm.c: msprune's own sgemm for AVX-512 CPUs, cblas_sgemm elsewhere.
 *
 * Blocking: for each slice of KC inner indices, all of op(A) is packed into
 * 8-row blocks (p-major: 8 values per inner index), then each 32-column
 * panel of op(B) is packed (32 values per inner index) and swept by every
 * 8-row block with an 8x32 kernel (16 zmm accumulators). A panel (KC x 32
 * floats, 32 KiB) stays in L1 while the A blocks stream from L2. Edges are
 * zero-padded in the packed copies and masked at the store, so every shape
 * runs the one kernel. Summation order per element: sequential over the
 * inner index with fused multiply-adds (differs from OpenBLAS in rounding
 * only). Large products are split by columns (or rows) between the threads
 * of the config's `threads` (src/engine/engine_pool.h), with the same result.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "engine_gemm.h"
#include "engine_pool.h"
#include "base/base.h"

static int force_blas;

void msp_gemm_force_blas(int on) { force_blas = on != 0; }

static void blas(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B,
                 int ldb, float beta, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M,
                N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,fma")))
/* 8x32 measured best against 12x32, 8x48 and 6x64 on the conv shapes of
 * scripts/bench; KC x NR floats of B fill half of a 48 KiB L1. */
enum { MR = 8, NV = 2, NR = 16 * NV, KC = 256 };

static _Thread_local struct {
    float *p;
    size_t n;
} pack_buf[3];

/* 64-byte aligned thread-local buffer k of at least n floats. */
static float *pack_scratch(int k, size_t n)
{
    if (pack_buf[k].n < n) {
        free(pack_buf[k].p);
        size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
        pack_buf[k].p = aligned_alloc(64, bytes);
        MSP_ASSERT(pack_buf[k].p != NULL);
        pack_buf[k].n = n;
    }
    return pack_buf[k].p;
}

void msp_gemm_release(void)
{
    for (int k = 0; k < 3; k++) {
        free(pack_buf[k].p);
        pack_buf[k].p = NULL;
        pack_buf[k].n = 0;
    }
}

int msp_gemm_native(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
    }
    return cached && !force_blas;
}

/* dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols: 4x4 blocks in
 * SSE registers (four times fewer loads and stores than element by
 * element), scalar edges. */
static void transpose(const float *src, size_t lds, int rows, int cols, float *dst, size_t ldd)
{
    int r4 = rows & ~3, c4 = cols & ~3;
    for (int r = 0; r < r4; r += 4) {
        const float *s = src + r * lds;
        for (int c = 0; c < c4; c += 4) {
            __m128 x0 = _mm_loadu_ps(s + c), x1 = _mm_loadu_ps(s + lds + c);
            __m128 x2 = _mm_loadu_ps(s + 2 * lds + c), x3 = _mm_loadu_ps(s + 3 * lds + c);
            _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
            float *d = dst + c * ldd + r;
            _mm_storeu_ps(d, x0);
            _mm_storeu_ps(d + ldd, x1);
            _mm_storeu_ps(d + 2 * ldd, x2);
            _mm_storeu_ps(d + 3 * ldd, x3);
        }
        for (int c = c4; c < cols; c++)
            for (int i = 0; i < 4; i++) dst[c * ldd + r + i] = s[i * lds + c];
    }
    for (int r = r4; r < rows; r++)
        for (int c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
}

static inline __mmask16 cols_mask(int n) { return n >= 16 ? 0xffff : (__mmask16)((1u << n) - 1); }

/* op(A) rows [m0, m0+MR), inner [k0, k0+kc) into ap[p*MR + i], zero rows
 * past M. */
TARGET static void pack_a(int ta, const float *A, int lda, int M, int m0, int k0, int kc,
                          float *ap)
{
    int mr = M - m0 < MR ? M - m0 : MR;
    if (ta) {
        /* masked loads: rows past M read as zero, nothing past them is read */
        __mmask16 km = cols_mask(mr), all = cols_mask(MR);
        for (int p = 0; p < kc; p++) {
            __m512 v = _mm512_maskz_loadu_ps(km, A + (size_t)(k0 + p) * lda + m0);
            _mm512_mask_storeu_ps(ap + (size_t)p * MR, all, v);
        }
        return;
    }
    if (mr < MR) memset(ap, 0, sizeof(float) * MR * (size_t)kc);
    transpose(A + (size_t)m0 * lda + k0, (size_t)lda, mr, kc, ap, MR);
}

/* op(B) inner [k0, k0+kc), columns [n0, n0+NR) into bp[p*NR + j], zero
 * columns past N. */
TARGET static void pack_b(int tb, const float *B, int ldb, int N, int n0, int k0, int kc,
                          float *bp)
{
    int nr = N - n0 < NR ? N - n0 : NR;
    if (tb) {
        if (nr < NR) memset(bp, 0, sizeof(float) * NR * (size_t)kc);
        transpose(B + (size_t)n0 * ldb + k0, (size_t)ldb, nr, kc, bp, NR);
        return;
    }
    __mmask16 km[NV];
    for (int v = 0; v < NV; v++) km[v] = cols_mask(nr - 16 * v > 0 ? nr - 16 * v : 0);
    for (int p = 0; p < kc; p++) {
        const float *s = B + (size_t)(k0 + p) * ldb + n0;
        float *d = bp + (size_t)p * NR;
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
            _mm512_store_ps(d + 16 * v, _mm512_maskz_loadu_ps(km[v], s + 16 * v));
    }
}

/* C[mr x nr] = A bp + beta C (beta 0: C is not read), where A(i, p) is
 * ap[i*rs + p*cs]: op(A) read in place, or a packed edge block. */
TARGET static void kernel(int kc, const float *ap, size_t rs, size_t cs, const float *bp,
                          float *C, int ldc, int mr, int nr, float beta)
{
    __m512 c[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) c[i][v] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m512 b[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) b[v] = _mm512_load_ps(bp + 16 * v);
#pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            __m512 a = _mm512_set1_ps(ap[i * rs]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++) c[i][v] = _mm512_fmadd_ps(a, b[v], c[i][v]);
        }
        ap += cs;
        bp += NR;
    }
    __mmask16 km[NV];
    for (int v = 0; v < NV; v++) km[v] = cols_mask(nr - 16 * v > 0 ? nr - 16 * v : 0);
    __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
        if (i >= mr) break;
        float *row = C + (size_t)i * ldc;
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) {
            __m512 r = c[i][v];
            if (beta != 0) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(km[v], row + 16 * v), r);
            _mm512_mask_storeu_ps(row + 16 * v, km[v], r);
        }
    }
}

/* op(A) is packed into 8-row blocks when many column panels reuse it; for
 * narrow products (batch-1 inference: N = 49..196) its full blocks are
 * read in place instead (8 sequential streams, or 8 adjacent floats per
 * inner index when transposed), and only a partial last block is packed. */
static void native(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B,
                   int ldb, float beta, float *C, int ldc)
{
    int mblocks = (M + MR - 1) / MR, in_place = N < 4 * NR;
    size_t rs = ta ? 1 : (size_t)lda, cs = ta ? (size_t)lda : 1;
    /* equal slices: a short last slice would pay the C update for few FMAs */
    int slices = (K + KC - 1) / KC, kstep = (K + slices - 1) / slices;
    for (int k0 = 0; k0 < K; k0 += kstep) {
        int kc = K - k0 < kstep ? K - k0 : kstep;
        float b = k0 == 0 ? beta : 1.0f;
        float *bp = pack_scratch(1, (size_t)NR * kc);
        float *ap = pack_scratch(0, (size_t)mblocks * MR * kc);
        for (int mb = 0; mb < mblocks; mb++)
            if (!in_place || M - mb * MR < MR)
                pack_a(ta, A, lda, M, mb * MR, k0, kc, ap + (size_t)mb * MR * kc);
        for (int n0 = 0; n0 < N; n0 += NR) {
            int nr = N - n0 < NR ? N - n0 : NR;
            pack_b(tb, B, ldb, N, n0, k0, kc, bp);
            for (int mb = 0; mb < mblocks; mb++) {
                int m0 = mb * MR, mr = M - m0 < MR ? M - m0 : MR;
                float *c = C + (size_t)m0 * ldc + n0;
                if (in_place && mr == MR)
                    kernel(kc, A + m0 * rs + k0 * cs, rs, cs, bp, c, ldc, mr, nr, b);
                else
                    kernel(kc, ap + (size_t)mb * MR * kc, 1, MR, bp, c, ldc, mr, nr, b);
            }
        }
    }
}

/* Products of at least this many multiply-adds are split between the
 * threads of msp_pool_size(). Measured on 2 cores (AVX-512), one thread vs
 * two: 64x1024x64 (4.2M) 0.9x, 32x288x1024 (9.4M) 1.3x, 64x1024x288 (19M)
 * 1.6x, 128x1024x576 (75M) 1.75x: below a few tens of microseconds, waking
 * a worker costs what it saves. */
#define SPLIT_MIN_FMAS (1 << 23)

typedef struct {
    int ta, tb, M, N, K;
    const float *A;
    int lda;
    const float *B;
    int ldb;
    float beta;
    float *C;
    int ldc;
    int by_cols, step; /* part p: columns (or rows) [p * step, (p + 1) * step) */
} split_job;

/* One slice of C. Every element sums the same products in the same order
 * as the whole product would (the inner slices depend on K only), so a
 * split product equals the unsplit one bit for bit. */
static void run_part(void *arg, int part)
{
    const split_job *j = arg;
    int lo = part * j->step, total = j->by_cols ? j->N : j->M;
    if (lo >= total) return;
    int n = total - lo < j->step ? total - lo : j->step;
    if (j->by_cols)
        native(j->ta, j->tb, j->M, n, j->K, j->A, j->lda,
               j->tb ? j->B + (size_t)lo * j->ldb : j->B + lo, j->ldb, j->beta, j->C + lo, j->ldc);
    else
        native(j->ta, j->tb, n, j->N, j->K, j->ta ? j->A + lo : j->A + (size_t)lo * j->lda, j->lda,
               j->B, j->ldb, j->beta, j->C + (size_t)lo * j->ldc, j->ldc);
}

static int round_up(int x, int to) { return (x + to - 1) / to * to; }

/* native, split by column panels (or, for few columns, row blocks). */
static void native_split(int ta, int tb, int M, int N, int K, const float *A, int lda,
                         const float *B, int ldb, float beta, float *C, int ldc)
{
    int t = msp_pool_size();
    split_job j = {ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc, 0, 0};
    if (t > 1 && (double)M * N * K >= SPLIT_MIN_FMAS) {
        if (N >= 2 * NR) {
            j.by_cols = 1;
            j.step = round_up((N + t - 1) / t, NR);
        } else if (M >= 2 * MR) {
            j.step = round_up((M + t - 1) / t, MR);
        }
    }
    if (!j.step) {
        native(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    int total = j.by_cols ? N : M;
    msp_pool_run((total + j.step - 1) / j.step, run_part, &j);
}

/* A product at most 16 columns wide and at least twice as tall would use
 * under half of each 32-column tile (a 3x3 conv's weight gradient on one
 * input channel: 32 x 9): compute C' = op(B)' op(A)' into a scratch, whose
 * tiles are full, and add it back transposed. */
static int narrow(int M, int N) { return N <= NR / 2 && M >= 2 * N; }

static void native_transposed(int ta, int tb, int M, int N, int K, const float *A, int lda,
                              const float *B, int ldb, float beta, float *C, int ldc)
{
    float *T = pack_scratch(2, (size_t)N * M);
    native_split(!tb, !ta, N, M, K, B, ldb, A, lda, 0, T, M);
    for (int i = 0; i < M; i++) {
        float *c = C + (size_t)i * ldc;
        for (int j = 0; j < N; j++)
            c[j] = T[(size_t)j * M + i] + (beta != 0 ? beta * c[j] : 0);
    }
}

void msp_gemm(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || !msp_gemm_native()) {
        blas(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    if (narrow(M, N))
        native_transposed(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
    else
        native_split(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

#else /* no AVX-512 kernel on this architecture */

int msp_gemm_native(void) { return 0; }
void msp_gemm_release(void) {}

void msp_gemm(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0) return;
    blas(ta, tb, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

#endif
