/* ab.c: two builds of the fast engine, batch by batch in one process.
 *
 * scripts/ab-engine links the engine of another git revision under the
 * ab_old_ prefix (A) next to the working tree's (B). Both train identical
 * copies of a network on the same random batches, alternating A, B / B, A
 * batch by batch, then predict batch 1 the same way. On a shared machine
 * whose speed drifts over seconds, the ratio of adjacent timings is far
 * steadier than timings taken in separate runs. Prints medians and the
 * quartiles of the paired ratios (> 1: B is faster). Timing only.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

#include "bench_util.h"
#include "engine/engine_fast.h"

int ab_old_msp_engine_fast_install(network *net);

void openblas_set_num_threads(int n);

/* Darknet's gemm, for the layers neither engine replaces. */
void gemm(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda, float *B, int ldb,
          float BETA, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, TA ? CblasTrans : CblasNoTrans, TB ? CblasTrans : CblasNoTrans, M,
                N, K, ALPHA, A, lda, B, ldb, BETA, C, ldc);
}

/* a[i] / b[i]: the quartiles printed as "q1 median q3" */
static void report(const char *what, const char *unit, double *a, double *b, int n)
{
    double *r = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) r[i] = a[i] / b[i];
    qsort(r, (size_t)n, sizeof *r, cmp_double);
    double q1 = r[n / 4], q3 = r[(3 * n) / 4], mr = median(r, n);
    double ma = median(a, n), mb = median(b, n);
    printf("  %-22s A %8.3f %s  B %8.3f %s  A/B %.3f (quartiles %.3f %.3f, %d pairs)\n", what, ma,
           unit, mb, unit, mr, q1, q3, n);
    free(r);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ab CFG [batches] [predictions]\n");
        return 2;
    }
    int nb = argc > 2 ? atoi(argv[2]) : 60, np = argc > 3 ? atoi(argv[3]) : 600;
    if (nb < 4) nb = 4;
    if (np < 4) np = 4;
    openblas_set_num_threads(1);
    network *tr[2] = {load(argv[1], 64, 0), load(argv[1], 64, 0)};
    network *inf[2] = {load(argv[1], 1, 0), load(argv[1], 1, 0)};
    ab_old_msp_engine_fast_install(tr[0]);
    ab_old_msp_engine_fast_install(inf[0]);
    msp_engine_fast_install(tr[1]);
    msp_engine_fast_install(inf[1]);
    double *t[2] = {malloc(sizeof(double) * (size_t)(nb + np)),
                    malloc(sizeof(double) * (size_t)(nb + np))};
    size_t nin = (size_t)tr[0]->batch * tr[0]->inputs;
    size_t ntruth = (size_t)tr[0]->batch * tr[0]->truths;
    for (int k = 0; k < 2; k++) train_network_datum(tr[k]); /* warm-up */
    for (int i = 0; i < nb; i++) {
        random_batch(tr[0]);
        memcpy(tr[1]->input, tr[0]->input, sizeof(float) * nin);
        memcpy(tr[1]->truth, tr[0]->truth, sizeof(float) * ntruth);
        for (int j = 0; j < 2; j++) {
            int k = (i + j) % 2; /* A first on even batches, B first on odd */
            double t0 = now();
            train_network_datum(tr[k]);
            t[k][i] = (now() - t0) * 1e3;
        }
    }
    float *x = malloc(sizeof(float) * (size_t)inf[0]->inputs);
    for (int i = 0; i < np; i++) {
        for (int p = 0; p < inf[0]->inputs; p++) x[p] = (float)rand() / RAND_MAX;
        for (int j = 0; j < 2; j++) {
            int k = (i + j) % 2;
            double t0 = now();
            network_predict(inf[k], x);
            t[k][nb + i] = (now() - t0) * 1e3;
        }
    }
    printf("%s: A = old engine, B = working tree\n", argv[1]);
    report("training batch of 64", "ms", t[0], t[1], nb);
    report("batch-1 inference", "ms", t[0] + nb, t[1] + nb, np);
    free(x);
    free(t[0]);
    free(t[1]);
    return 0;
}
