/* bench.c: stock Darknet vs msprune's fast engine (run by scripts/bench).
 *
 * For each model: training images/s (random data and labels, batch 64) and
 * batch-1 inference latency, engines timed alternately batch by batch and
 * prediction by prediction so that machine noise hits all of them alike;
 * medians are printed. Then, for each conv layer of the first model, the
 * fast forward pass in GFLOP/s next to a single cblas_sgemm of the same M, N, K (the practical ceiling).
 * "darknet-naive" is Darknet's layers with its original gemm_cpu instead of
 * OpenBLAS: this program defines gemm itself and switches between the two.
 * Timing only; no thresholds. Usage: bench [rounds] (default 7).
 * Developer mode: bench loop CFG BATCHES [side] trains (or, with
 * BENCH_INFER=1, predicts batch 1 with) the fast engine only, for perf;
 * BENCH_STOCK=1 uses stock Darknet, BENCH_COLS=n sets the columns per conv
 * sgemm, BENCH_LAYERS=1 prints per-layer forward/backward times.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

#include "bench_util.h"
#include "engine/engine_fast.h"

void gemm_cpu(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda, float *B,
              int ldb, float BETA, float *C, int ldc);
void openblas_set_num_threads(int n);

static int use_naive;

void gemm(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda, float *B, int ldb,
          float BETA, float *C, int ldc)
{
    if (use_naive) {
        gemm_cpu(TA, TB, M, N, K, ALPHA, A, lda, B, ldb, BETA, C, ldc);
        return;
    }
    cblas_sgemm(CblasRowMajor, TA ? CblasTrans : CblasNoTrans, TB ? CblasTrans : CblasNoTrans, M,
                N, K, ALPHA, A, lda, B, ldb, BETA, C, ldc);
}

enum { STOCK, FAST, NAIVE, N_ENG };
static const char *eng_name[N_ENG] = {"stock", "fast", "darknet-naive"};

typedef struct {
    const char *name, *path;
    int side; /* 0 = the cfg's own input size */
} model;

#define MAX_SAMPLES 4096

static void bench_model(const model *m, int rounds, int train_batches, int predicts,
                        int with_naive)
{
    network *tr[N_ENG] = {0}, *inf[N_ENG] = {0};
    for (int e = 0; e < N_ENG; e++) {
        if (e == NAIVE && !with_naive) continue;
        tr[e] = load(m->path, 64, m->side);
        inf[e] = load(m->path, 1, m->side);
        if (e == FAST) {
            msp_engine_fast_install(tr[e]);
            msp_engine_fast_install(inf[e]);
        }
    }
    static double ips[N_ENG][MAX_SAMPLES], lat[N_ENG][MAX_SAMPLES];
    int n_ips[N_ENG] = {0}, n_lat[N_ENG] = {0};
    float *x = malloc(sizeof(float) * (size_t)inf[STOCK]->inputs);
    size_t nin = (size_t)tr[STOCK]->batch * tr[STOCK]->inputs;
    size_t ntruth = (size_t)tr[STOCK]->batch * tr[STOCK]->truths;
    for (int e = 0; e < N_ENG; e++) {
        if (!tr[e]) continue;
        use_naive = e == NAIVE;
        train_network_datum(tr[e]); /* warm-up */
    }
    /* stock and fast alternate batch by batch and prediction by prediction,
     * so a drift in the machine's speed (seconds long here) hits both; the
     * naive engine is 10x slower: one batch and predicts/10 + 1 predictions
     * in each of the first three rounds */
    for (int r = 0; r < rounds; r++) {
        for (int b = 0; b < train_batches; b++) {
            random_batch(tr[STOCK]);
            for (int e = 0; e < N_ENG; e++) {
                if (!tr[e] || (e == NAIVE && (b > 0 || r >= 3))) continue;
                use_naive = e == NAIVE;
                if (e != STOCK) {
                    memcpy(tr[e]->input, tr[STOCK]->input, sizeof(float) * nin);
                    memcpy(tr[e]->truth, tr[STOCK]->truth, sizeof(float) * ntruth);
                }
                double t0 = now();
                train_network_datum(tr[e]);
                ips[e][n_ips[e]++] = tr[e]->batch / (now() - t0);
            }
        }
        for (int p = 0; p < predicts && n_lat[STOCK] < MAX_SAMPLES; p++) {
            for (int i = 0; i < inf[STOCK]->inputs; i++) x[i] = (float)rand() / RAND_MAX;
            for (int e = 0; e < N_ENG; e++) {
                if (!inf[e] || (e == NAIVE && (p > predicts / 10 || r >= 3))) continue;
                use_naive = e == NAIVE;
                double t0 = now();
                network_predict(inf[e], x);
                lat[e][n_lat[e]++] = (now() - t0) * 1e3;
            }
        }
    }
    use_naive = 0;
    double mi[N_ENG], ml[N_ENG];
    for (int e = 0; e < N_ENG; e++) {
        if (!tr[e]) continue;
        mi[e] = median(ips[e], n_ips[e]);
        ml[e] = median(lat[e], n_lat[e]);
    }
    printf("\n%s (%dx%dx%d input, %d layers)\n", m->name, tr[STOCK]->w, tr[STOCK]->h,
           tr[STOCK]->c, tr[STOCK]->n);
    printf("  %-14s %14s %10s %18s %10s\n", "engine", "train img/s", "x stock", "infer b=1 ms",
           "x stock");
    for (int e = 0; e < N_ENG; e++) {
        if (!tr[e]) continue;
        printf("  %-14s %14.1f %9.2fx %18.3f %9.2fx\n", eng_name[e], mi[e], mi[e] / mi[STOCK],
               ml[e], ml[STOCK] / ml[e]);
    }
    if (tr[NAIVE])
        printf("  fast vs darknet-naive: training %.1fx, inference %.1fx\n", mi[FAST] / mi[NAIVE],
               ml[NAIVE] / ml[FAST]);
    printf("  (samples: %d training batches of 64 and %d predictions per engine; "
           "naive: %d and %d)\n",
           n_ips[STOCK], n_lat[STOCK], tr[NAIVE] ? n_ips[NAIVE] : 0, tr[NAIVE] ? n_lat[NAIVE] : 0);
    fflush(stdout);
    for (int e = 0; e < N_ENG; e++) {
        if (!tr[e]) continue;
        if (e == FAST) {
            msp_engine_fast_release(tr[e]);
            msp_engine_fast_release(inf[e]);
        }
        free_network(tr[e]);
        free_network(inf[e]);
    }
    free(x);
}

/* Fast conv forward (training mode, batch 64) vs one sgemm of the same size
 * (M = filters, N = batch x output pixels, K = size^2 x channels). */
static void bench_conv_layers(const model *m, int reps)
{
    network *net = load(m->path, 64, m->side), *stock = load(m->path, 64, m->side);
    msp_engine_fast_install(net);
    random_batch(net);
    net->train = stock->train = 1;
    forward_network(net); /* realistic inputs in every layer */
    printf("\n%s conv layers, batch 64, forward in training mode (median of %d):\n", m->name,
           reps);
    printf("  %-5s %-22s %6s %7s %5s %9s %9s %9s %7s\n", "layer", "shape", "M", "N", "K",
           "stock", "fast", "sgemm", "fast/");
    printf("  %-5s %-22s %6s %7s %5s %9s %9s %9s %7s\n", "", "", "", "", "", "GFLOP/s",
           "GFLOP/s", "GFLOP/s", "sgemm");
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->layers[i], *ls = &stock->layers[i];
        if (l->type != CONVOLUTIONAL) continue;
        network n = *net, ns = *stock;
        n.input = ns.input = i ? net->layers[i - 1].output : net->input;
        int M = l->n, K = l->size * l->size * l->c, N = l->out_h * l->out_w * l->batch;
        double flops = 2.0 * M * K * N;
        float *A = calloc((size_t)M * K, sizeof(float)), *B = calloc((size_t)K * N, sizeof(float));
        float *C = calloc((size_t)M * N, sizeof(float));
        double tf[64], ts[64], tg[64];
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            ls->forward(*ls, ns);
            ts[r] = now() - t0;
            t0 = now();
            l->forward(*l, n);
            tf[r] = now() - t0;
            t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1, A, K, B, N, 0, C,
                        N);
            tg[r] = now() - t0;
        }
        double gs = flops / median(ts, reps) * 1e-9, gf = flops / median(tf, reps) * 1e-9;
        double gg = flops / median(tg, reps) * 1e-9;
        char shape[64];
        snprintf(shape, sizeof shape, "%dx%dx%d %dx%d/%d", l->w, l->h, l->c, l->size, l->size,
                 l->stride);
        printf("  %-5d %-22s %6d %7d %5d %9.1f %9.1f %9.1f %6.0f%%\n", i, shape, M, N, K, gs, gf,
               gg, 100 * gf / gg);
        free(A);
        free(B);
        free(C);
    }
    msp_engine_fast_release(net);
    free_network(net);
    free_network(stock);
}

int main(int argc, char **argv)
{
    if (argc > 3 && !strcmp(argv[1], "loop")) {
        /* bench loop CFG BATCHES [side]: train the fast engine only, for perf */
        openblas_set_num_threads(1);
        int infer = getenv("BENCH_INFER") != NULL;
        network *net = load(argv[2], infer ? 1 : 64, argc > 4 ? atoi(argv[4]) : 0);
        if (!getenv("BENCH_STOCK")) msp_engine_fast_install(net);
        if (getenv("BENCH_COLS")) msp_engine_fast_set_gemm_cols(atoi(getenv("BENCH_COLS")));
        int nb = atoi(argv[3]);
        if (getenv("BENCH_LAYERS")) {
            /* per-layer forward/backward CPU time (median over batches) */
            static double tf[64][256], tb[64][256];
            if (nb > 256) nb = 256;
            for (int b = 0; b < nb; b++) {
                random_batch(net);
                network n = *net;
                n.train = !infer;
                for (int i = 0; i < net->n; i++) {
                    layer *l = &net->layers[i];
                    if (l->delta) memset(l->delta, 0, sizeof(float) * l->outputs * l->batch);
                    double t0 = now();
                    l->forward(*l, n);
                    tf[i][b] = now() - t0;
                    n.input = l->output;
                    if (l->truth) n.truth = l->output;
                }
                for (int i = net->n - 1; i >= 0 && !infer; i--) {
                    layer *l = &net->layers[i];
                    network m = *net;
                    m.train = 1;
                    if (i > 0) m.input = net->layers[i - 1].output, m.delta = net->layers[i - 1].delta;
                    double t0 = now();
                    l->backward(*l, m);
                    tb[i][b] = now() - t0;
                }
            }
            for (int i = 0; i < net->n; i++)
                printf("layer %2d type %2d fwd %7.3f ms bwd %7.3f ms\n", i, net->layers[i].type,
                       median(tf[i], nb) * 1e3, median(tb[i], nb) * 1e3);
            return 0;
        }
        double *t = calloc((size_t)nb + 1, sizeof *t);
        for (int b = 0; b < nb; b++) {
            random_batch(net);
            double t0 = now();
            if (infer) network_predict(net, net->input);
            else train_network_datum(net);
            t[b] = now() - t0;
        }
        printf("median %.3f ms per batch of %d\n", median(t, nb) * 1e3, net->batch);
        free(t);
        return 0;
    }
    int rounds = argc > 1 ? atoi(argv[1]) : 7;
    if (rounds < 1) rounds = 1;
    openblas_set_num_threads(1);
    const model models[] = {
        {"cfg/fashion-base.cfg", "cfg/fashion-base.cfg", 0},
        {"darknet tiny.cfg at 64x64", "/usr/share/darknet/cfg/tiny.cfg", 64},
    };
    printf("msprune bench: stock = Darknet's layers + OpenBLAS gemm (msprune --engine stock),\n"
           "fast = msprune's engine, darknet-naive = Darknet's layers + its own gemm_cpu.\n"
           "OpenBLAS 1 thread; engines alternate batch by batch, %d rounds; times are this\n"
           "thread's CPU time (robust to other processes on a shared machine).\n",
           rounds);
    bench_model(&models[0], rounds, 4, 40, 1);
    bench_model(&models[1], rounds, 2, 10, 1);
    bench_conv_layers(&models[0], 15);
    bench_conv_layers(&models[1], 5);
    return 0;
}
