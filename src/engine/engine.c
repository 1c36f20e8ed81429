/* engine.c: Darknet behind an opaque handle, gemm routed to OpenBLAS. */
#include <cblas.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "darknet.h"

#include "base/base.h"
#include "engine.h"
#include "engine_fast.h"
#include "engine_pool.h"

struct msp_net {
    network *dn;
    msp_dn_net info;
    msp_engine_kind engine;
};

/* Replaces libdarknet's gemm everywhere (its internal calls go through the
 * PLT). Darknet's contract: C = ALPHA * op(A) op(B) + BETA * C, row-major. */
void gemm(int TA, int TB, int M, int N, int K, float ALPHA, float *A, int lda, float *B, int ldb,
          float BETA, float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, TA ? CblasTrans : CblasNoTrans, TB ? CblasTrans : CblasNoTrans, M,
                N, K, ALPHA, A, lda, B, ldb, BETA, C, ldc);
}

void msp_engine_seed(uint64_t seed) { srand((unsigned)(seed ^ (seed >> 32))); }

void msp_engine_set_threads(int n)
{
    openblas_set_num_threads(n > 0 ? n : 1);
    msp_pool_set_size(n);
}

/* The address-space limit (ulimit -v) in bytes, 0 when there is none. */
static double address_space_limit(void)
{
    struct rlimit rl;
    return getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (double)rl.rlim_cur : 0;
}

int msp_engine_exit_status(int status)
{
    if (address_space_limit() > 0) {
        /* OpenBLAS's shutdown joins its threads, and a thread that could not
         * map its buffer under the limit never finishes: leave without it. */
        fflush(NULL);
        _exit(status);
    }
    return status;
}

void msp_engine_default_threads(char **argv)
{
    if (getenv("OPENBLAS_NUM_THREADS")) return;
    if (address_space_limit() > 0) {
        /* OpenBLAS started its threads before main(); under a limit their
         * buffers are worth having back, and only the environment sets their
         * number, so run again with it (once: the variable is set now). */
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
    }
    msp_engine_set_threads(1);
}

/* Darknet prints its layer table and "Loading weights" to stderr; hide it
 * unless asked (opts->verbose, or --verbose's log level, which reaches every
 * command even where no verbose flag is passed down). Returns the saved
 * descriptor, or -1. */
static int stderr_mute(int verbose)
{
    if (verbose || msp_log_get_level() >= MSP_LOG_DEBUG) return -1;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    if (saved < 0 || devnull < 0) {
        if (saved >= 0) close(saved);
        if (devnull >= 0) close(devnull);
        return -1;
    }
    dup2(devnull, STDERR_FILENO);
    close(devnull);
    return saved;
}

static void stderr_restore(int saved)
{
    if (saved < 0) return;
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
}

/* Darknet callocs every buffer unchecked and segfaults when one fails, so a
 * cfg within the checker's caps can still crash it on a smaller machine, or
 * after other networks took the room. What it allocates, from above: the
 * weights, their updates and the fast engine's packed copy; per layer and
 * image at most 4 floats per output (output, delta, and with batch
 * normalisation x and x_norm); one im2col workspace; a little slack. */
static double need_bytes(const msp_dn_net *info, double batch)
{
    double acts = 0, ws = 0;
    for (int i = 0; i < info->n_layers; i++) {
        const msp_dn_layer *l = &info->layers[i];
        acts += l->outputs;
        if (l->type == MSP_L_CONV) {
            double w = (double)l->out_w * l->out_h * l->size * l->size * l->in_c /
                       (l->groups > 0 ? l->groups : 1);
            if (w > ws) ws = w;
        }
    }
    return 4.0 * (3.0 * (double)info->n_weights_floats + 4.0 * acts * batch + ws) + (8 << 20);
}

/* Is there address space for n more bytes? Reserving it (no memory is
 * touched) asks the kernel, which knows the limit and every mapping. */
static int room_for(double n)
{
    if (n >= (double)SIZE_MAX) return 0;
    void *p = mmap(NULL, (size_t)n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return 0;
    munmap(p, (size_t)n);
    return 1;
}

static msp_status check_memory(const char *cfg_path, const msp_dn_net *info, msp_err *err)
{
    double batch = info->subdivisions > 0 ? info->batch / info->subdivisions : info->batch;
    if (batch < 1) batch = 1;
    double need = need_bytes(info, batch);
    double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    const char *what = "physical memory";
    double limit = address_space_limit();
    if (limit > 0 && limit < have) {
        have = limit;
        what = "the address-space limit (ulimit -v)";
    }
    const double gib = 1024.0 * 1024 * 1024, mib = 1024.0 * 1024;
    if (have > 0 && need > have)
        return msp_err_set(err, MSP_BAD_INPUT, cfg_path, 0,
                           "this network needs at least %.1f GiB of memory at batch %.0f, more "
                           "than the %.1f GiB of %s; use a smaller network or batch",
                           need / gib, batch, have / gib, what);
    if (!room_for(need))
        return msp_err_set(err, MSP_FAIL, cfg_path, 0,
                           "not enough memory left to load this network: it needs about %.0f MiB "
                           "at batch %.0f, more than what this run already holds leaves of %s",
                           need / mib, batch, what);
    return MSP_OK;
}

msp_status msp_net_load(const char *cfg_path, const char *weights_path, const msp_net_opts *opts,
                        msp_net **out, msp_err *err)
{
    static const msp_net_opts defaults = {0};
    if (!opts) opts = &defaults;
    *out = NULL;

    msp_dn_cfg cfg = {0};
    msp_dn_net info = {0};
    msp_status st = msp_dncfg_read(cfg_path, &cfg, err);
    if (st != MSP_OK) return st;
    /* Darknet allocates every buffer for the cfg's batch, so the batch is set
     * in the text Darknet parses, not afterwards. */
    msp_dn_section *net_sec = &cfg.sec[0];
    if (opts->batch > 0) {
        msp_dncfg_set_int(net_sec, "batch", opts->batch);
        msp_dncfg_set_int(net_sec, "subdivisions", 1);
    }
    if (opts->max_batches > 0) msp_dncfg_set_int(net_sec, "max_batches", opts->max_batches);
    if (opts->learning_rate > 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.9g", opts->learning_rate);
        msp_dncfg_set(net_sec, "learning_rate", buf);
    }
    st = msp_dncfg_check(&cfg, &info, err);
    if (st == MSP_OK) st = check_memory(cfg_path, &info, err);
    if (st == MSP_OK && weights_path) st = msp_dnweights_check(weights_path, &info, NULL, err);
    if (st != MSP_OK) goto fail;

    /* Darknet reads the normalised text from a private temporary file. */
    char tmpl[4096];
    st = msp_temp_make("cfg", 0, tmpl, sizeof tmpl, err);
    if (st != MSP_OK) goto fail;
    st = msp_dncfg_write(&cfg, tmpl, err);
    if (st != MSP_OK) {
        unlink(tmpl);
        goto fail;
    }
    int saved = stderr_mute(opts->verbose);
    network *dn = parse_network_cfg(tmpl);
    if (weights_path) load_weights(dn, (char *)weights_path);
    stderr_restore(saved);
    unlink(tmpl);
    msp_dncfg_free(&cfg);

    msp_net *net = msp_calloc(1, sizeof *net);
    net->dn = dn;
    net->info = info;
    net->engine = opts->engine;
    if (opts->engine == MSP_ENGINE_FAST) msp_engine_fast_install(dn);
    *out = net;
    return MSP_OK;

fail:
    msp_dncfg_free(&cfg);
    msp_dnnet_free(&info);
    return st;
}

void msp_net_free(msp_net *net)
{
    if (!net) return;
    if (net->engine == MSP_ENGINE_FAST) msp_engine_fast_release(net->dn);
    free_network(net->dn);
    msp_dnnet_free(&net->info);
    free(net);
}

int msp_net_batch(const msp_net *net) { return net->dn->batch; }
int msp_net_inputs(const msp_net *net) { return net->dn->inputs; }
int msp_net_classes(const msp_net *net) { return net->dn->outputs; }
const msp_dn_net *msp_net_info(const msp_net *net) { return &net->info; }
struct network *msp_net_darknet(msp_net *net) { return net->dn; }

/* One SGD step on the input x and the targets already in dn->truth. */
static float train_step(network *dn, const float *x)
{
    MSP_ASSERT(dn->truths == dn->outputs);
    memcpy(dn->input, x, sizeof(float) * (size_t)dn->batch * (size_t)dn->inputs);
    return train_network_datum(dn) / (float)dn->batch;
}

float msp_net_train_batch(msp_net *net, const float *x, const int *y)
{
    network *dn = net->dn;
    memset(dn->truth, 0, sizeof(float) * (size_t)dn->batch * (size_t)dn->truths);
    for (int i = 0; i < dn->batch; i++) dn->truth[(size_t)i * dn->truths + y[i]] = 1;
    return train_step(dn, x);
}

float msp_net_train_batch_truth(msp_net *net, const float *x, const float *truth)
{
    network *dn = net->dn;
    memcpy(dn->truth, truth, sizeof(float) * (size_t)dn->batch * (size_t)dn->truths);
    return train_step(dn, x);
}

const float *msp_net_predict(msp_net *net, const float *x)
{
    return network_predict(net->dn, (float *)x);
}

/* Channels of a layer's batch-norm statistics, 0 if it has none. */
static int bn_channels(const layer *l)
{
    if (l->type == BATCHNORM) return l->c;
    if (!l->batch_normalize) return 0;
    if (l->type == CONVOLUTIONAL) return l->n;
    if (l->type == CONNECTED) return l->outputs;
    return 0;
}

void msp_net_recalibrate_bn(msp_net *net, const float *x, int n_batches, msp_progress *pr)
{
    network *dn = net->dn;
    size_t total = 0;
    for (int i = 0; i < dn->n; i++) total += (size_t)bn_channels(&dn->layers[i]);
    if (!total || n_batches <= 0) return;
    double *sum = msp_calloc(2 * total, sizeof *sum);
    /* forward_network moves net->input along the layers and computes the
     * cost when truth is set: keep both out of it. */
    float *input = dn->input, *truth = dn->truth;
    dn->truth = NULL;
    dn->train = 1;
    size_t per_batch = (size_t)dn->batch * (size_t)dn->inputs;
    for (int b = 0; b < n_batches; b++) {
        memcpy(input, x + (size_t)b * per_batch, sizeof(float) * per_batch);
        dn->input = input;
        forward_network(dn);
        double *acc = sum;
        for (int i = 0; i < dn->n; i++) {
            const layer *l = &dn->layers[i];
            int c = bn_channels(l);
            for (int k = 0; k < c; k++) {
                acc[k] += l->mean[k];
                acc[total + k] += l->variance[k];
            }
            acc += c;
        }
        if (pr) msp_progress_update(pr, (int64_t)(b + 1) * dn->batch, NULL);
    }
    dn->input = input;
    dn->truth = truth;
    dn->train = 0;
    const double *acc = sum;
    for (int i = 0; i < dn->n; i++) {
        layer *l = &dn->layers[i];
        int c = bn_channels(l);
        for (int k = 0; k < c; k++) {
            l->rolling_mean[k] = (float)(acc[k] / n_batches);
            l->rolling_variance[k] = (float)(acc[total + k] / n_batches);
        }
        acc += c;
    }
    free(sum);
}

float msp_net_learning_rate(msp_net *net) { return get_current_rate(net->dn); }
uint64_t msp_net_seen(const msp_net *net) { return *net->dn->seen; }
void msp_net_set_seen(msp_net *net, uint64_t seen) { *net->dn->seen = (size_t)seen; }

msp_status msp_net_save_weights(msp_net *net, const char *path, msp_err *err)
{
    char *tmp = msp_atomic_tmp_name(path);
    /* Darknet's save_weights calls exit(0) when fopen fails: prove it can't. */
    FILE *probe = fopen(tmp, "wb");
    if (!probe) {
        msp_status st = msp_err_set(err, MSP_FAIL, path, 0, "cannot write: %s", strerror(errno));
        free(tmp);
        return st;
    }
    fclose(probe);
    int saved = stderr_mute(0);
    save_weights(net->dn, tmp);
    stderr_restore(saved);
    /* Darknet does not check its fwrite calls (disk full): check the size. */
    msp_err why = {{0}};
    msp_status st = msp_dnweights_check(tmp, &net->info, NULL, &why);
    if (st != MSP_OK) {
        unlink(tmp);
        free(tmp);
        /* why is a separate buffer: err->msg cannot be an argument of its own format. */
        return msp_err_set(err, MSP_FAIL, path, 0,
                           "writing weights failed (is the disk full?): %s", why.msg);
    }
    st = msp_atomic_rename(tmp, path, err);
    free(tmp);
    return st;
}

/* The momentum buffers of every trainable layer, in layer order. */
typedef struct {
    float *p;
    size_t n;
} span;

static int layer_spans(const layer *l, span s[3])
{
    if (l->type == CONVOLUTIONAL) {
        s[0] = (span){l->bias_updates, (size_t)l->n};
        s[1] = (span){l->weight_updates, (size_t)l->nweights};
        s[2] = (span){l->scale_updates, l->batch_normalize ? (size_t)l->n : 0};
        return 3;
    }
    if (l->type == CONNECTED) {
        s[0] = (span){l->bias_updates, (size_t)l->outputs};
        s[1] = (span){l->weight_updates, (size_t)l->outputs * (size_t)l->inputs};
        s[2] = (span){l->scale_updates, l->batch_normalize ? (size_t)l->outputs : 0};
        return 3;
    }
    return 0;
}

size_t msp_net_optimizer_size(const msp_net *net)
{
    size_t total = 0;
    for (int i = 0; i < net->dn->n; i++) {
        span s[3];
        int k = layer_spans(&net->dn->layers[i], s);
        for (int j = 0; j < k; j++) total += s[j].n;
    }
    return total;
}

static void optimizer_copy(const msp_net *net, float *buf, int to_net)
{
    for (int i = 0; i < net->dn->n; i++) {
        span s[3];
        int k = layer_spans(&net->dn->layers[i], s);
        for (int j = 0; j < k; j++) {
            if (!s[j].n) continue;
            if (to_net) memcpy(s[j].p, buf, s[j].n * sizeof(float));
            else memcpy(buf, s[j].p, s[j].n * sizeof(float));
            buf += s[j].n;
        }
    }
}

void msp_net_optimizer_get(const msp_net *net, float *dst) { optimizer_copy(net, dst, 0); }
void msp_net_optimizer_set(msp_net *net, const float *src) { optimizer_copy(net, (float *)src, 1); }

const char *msp_engine_kind_name(msp_engine_kind e)
{
    return e == MSP_ENGINE_STOCK ? "stock" : "fast";
}
