/* engine_gemm.h: the single-precision matrix product behind the fast engine.
 *
 * C = op(A) op(B) + beta C, row-major, Darknet's gemm argument order with
 * alpha = 1 (ta/tb non-zero: that operand is stored transposed). On x86-64
 * CPUs with AVX-512 it runs msprune's own packed kernel (OpenBLAS 0.3.21
 * does not know recent CPUs such as AMD Zen 5 and falls back to its AVX2
 * kernels there); elsewhere, and when disabled, it calls cblas_sgemm.
 * The own kernel splits products of 2^23 multiply-adds or more between
 * msp_pool_size() threads (msp_engine_set_threads), bit for bit the same
 * result as one thread; cblas_sgemm uses OpenBLAS's own threads. The
 * packing buffers are thread-local: call it from one thread at a time per
 * network.
 */
#ifndef MSP_ENGINE_GEMM_H
#define MSP_ENGINE_GEMM_H

#include <stddef.h>

void msp_gemm(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc);

/* 1 if msp_gemm uses its own kernel on this CPU. */
int msp_gemm_native(void);
/* Force cblas_sgemm (1) or allow the own kernel again (0): tests check
 * both paths. */
void msp_gemm_force_blas(int on);
/* Free this thread's packing buffers. */
void msp_gemm_release(void);

#endif
