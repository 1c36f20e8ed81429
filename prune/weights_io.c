/* weights_io.c: a Darknet .weights file as per-layer float arrays.
 *
 * The whole payload is read into one buffer in file order and each layer's
 * arrays point into it, so saving unchanged weights gives back the same
 * bytes. The layout is Darknet's load_weights for the layers msprune checks
 * (see prune.h); switches that make the file hold less than every layer
 * (dontload, dontloadscales, numload), flipped convolutions and transposed
 * files are refused because surgery could not map them. Little-endian host,
 * as dnweights.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "prune.h"

msp_status msp_prune_net_open(const char *cfg_path, const char *weights_path, uint64_t seed,
                              msp_prune_net *p, msp_err *err)
{
    memset(p, 0, sizeof *p);
    msp_status st = msp_dncfg_read(cfg_path, &p->cfg, err);
    if (st == MSP_OK) st = msp_dncfg_check(&p->cfg, &p->net, err);
    if (st == MSP_OK)
        st = weights_path ? msp_prune_weights_load(weights_path, &p->cfg, &p->net, &p->w, err)
                          : msp_prune_weights_random(&p->cfg, &p->net, seed, &p->w, err);
    if (st != MSP_OK) msp_prune_net_free(p);
    return st;
}

void msp_prune_net_free(msp_prune_net *p)
{
    msp_prune_weights_free(&p->w);
    msp_dnnet_free(&p->net);
    msp_dncfg_free(&p->cfg);
}

void msp_prune_weights_free(msp_prune_weights *w)
{
    if (!w) return;
    free(w->data);
    free(w->layers);
    memset(w, 0, sizeof *w);
}

static int flag_on(const msp_dn_cfg *cfg, const msp_dn_layer *l, const char *key)
{
    const char *v = msp_dncfg_get(&cfg->sec[l->section], key);
    return v && strtol(v, NULL, 10) != 0;
}

/* Per-layer pointers into w->data (already sized n_floats); refuses the
 * switches surgery cannot follow. */
static msp_status layout(const msp_dn_cfg *cfg, const msp_dn_net *net, int transposed,
                         msp_prune_weights *w, msp_err *err)
{
    w->layers = msp_calloc((size_t)(net->n_layers ? net->n_layers : 1), sizeof *w->layers);
    w->n_layers = net->n_layers;
    size_t off = 0;
    for (int i = 0; i < net->n_layers; i++) {
        const msp_dn_layer *l = &net->layers[i];
        msp_prune_layer_w *lw = &w->layers[i];
        if (l->dontload || l->dontloadscales || (l->numload && l->numload != l->filters))
            return msp_err_set(err, MSP_BAD_INPUT, cfg->path, l->line,
                               "layer %d: dontload=, dontloadscales= and numload= leave "
                               "weights out of the file, which pruning needs in full; remove "
                               "them", i);
        size_t n = 0, per = 0, need = 0;
        int bn = l->batch_normalize;
        if (l->type == MSP_L_CONV) {
            if (flag_on(cfg, l, "flipped"))
                return msp_err_set(err, MSP_BAD_INPUT, cfg->path, l->line,
                                   "layer %d: flipped=1 convolutions are not supported by "
                                   "pruning", i);
            n = (size_t)l->filters;
            per = (size_t)(l->in_c / l->groups) * (size_t)l->size * (size_t)l->size;
        } else if (l->type == MSP_L_CONNECTED) {
            if (transposed)
                return msp_err_set(err, MSP_BAD_INPUT, cfg->path, l->line,
                                   "layer %d: the weights file's version (major or minor > "
                                   "1000) stores [connected] weights transposed, which "
                                   "pruning does not support", i);
            n = (size_t)l->filters;
            per = (size_t)l->inputs;
        } else if (l->type == MSP_L_BATCHNORM) {
            n = (size_t)l->out_c;
            bn = 1;
        }
        if (l->type == MSP_L_CONV || l->type == MSP_L_CONNECTED) need = n + n * per;
        if (bn) need += 3 * n;
        if (need != l->n_weights_floats || need > w->n_floats - off)
            return msp_err_set(err, MSP_BAD_INPUT, cfg->path, l->line,
                               "layer %d: %zu weight floats where pruning expects %zu", i,
                               l->n_weights_floats, need);
        float *p = w->data + off;
        if (l->type == MSP_L_CONV || l->type == MSP_L_CONNECTED) {
            lw->biases = p;
            lw->n_biases = n;
            p += n;
            if (l->type == MSP_L_CONNECTED) { /* connected: weights before the BN arrays */
                lw->weights = p;
                lw->n_weights = n * per;
                p += n * per;
            }
        }
        if (bn) {
            lw->scales = p;
            lw->rolling_mean = p + n;
            lw->rolling_variance = p + 2 * n;
            lw->n_bn = n;
            p += 3 * n;
        }
        if (l->type == MSP_L_CONV) {
            lw->weights = p;
            lw->n_weights = n * per;
        }
        off += need;
    }
    MSP_ASSERT(off == w->n_floats);
    return MSP_OK;
}

msp_status msp_prune_weights_load(const char *path, const msp_dn_cfg *cfg, const msp_dn_net *net,
                                  msp_prune_weights *w, msp_err *err)
{
    memset(w, 0, sizeof *w);
    msp_dn_weights_header hdr;
    msp_status st = msp_dnweights_check(path, net, &hdr, err);
    if (st != MSP_OK) return st;
    int fd;
    uint64_t size;
    if ((st = msp_open_regular(path, &fd, &size, err)) != MSP_OK) return st;
    w->hdr = hdr;
    w->n_floats = net->n_weights_floats;
    w->data = msp_malloc(w->n_floats ? w->n_floats * sizeof(float) : 1);
    size_t got = 0;
    errno = 0; /* a short read sets none */
    if (size != hdr.header_bytes + 4 * (uint64_t)w->n_floats ||
        lseek(fd, (off_t)hdr.header_bytes, SEEK_SET) < 0 ||
        msp_read_full(fd, w->data, w->n_floats * sizeof(float), &got) != 0 ||
        got != w->n_floats * sizeof(float)) {
        int e = errno;
        close(fd);
        msp_prune_weights_free(w);
        return msp_err_set(err, MSP_FAIL, path, 0, "cannot read the weights: %s",
                           e ? strerror(e) : "the file changed while being read");
    }
    close(fd);
    int transposed = hdr.major > 1000 || hdr.minor > 1000;
    if ((st = layout(cfg, net, transposed, w, err)) != MSP_OK) {
        msp_prune_weights_free(w);
        return st;
    }
    return MSP_OK;
}

static void fill_uniform(msp_rng *r, float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * msp_rng_uniform(r));
}

msp_status msp_prune_weights_init(const msp_dn_cfg *cfg, const msp_dn_net *net,
                                  const msp_dn_weights_header *hdr, msp_prune_weights *w,
                                  msp_err *err)
{
    memset(w, 0, sizeof *w);
    if (hdr) {
        w->hdr = *hdr;
    } else {
        w->hdr.minor = 2;
        w->hdr.header_bytes = 20;
    }
    w->n_floats = net->n_weights_floats;
    w->data = msp_calloc(w->n_floats ? w->n_floats : 1, sizeof(float));
    msp_status st = layout(cfg, net, w->hdr.major > 1000 || w->hdr.minor > 1000, w, err);
    if (st != MSP_OK) msp_prune_weights_free(w);
    return st;
}

msp_status msp_prune_weights_random(const msp_dn_cfg *cfg, const msp_dn_net *net, uint64_t seed,
                                    msp_prune_weights *w, msp_err *err)
{
    msp_status st = msp_prune_weights_init(cfg, net, NULL, w, err);
    if (st != MSP_OK) return st;
    msp_rng r;
    msp_rng_seed(&r, seed);
    for (int i = 0; i < net->n_layers; i++) {
        msp_prune_layer_w *lw = &w->layers[i];
        if (lw->n_weights) {
            size_t fan_in = lw->n_weights / lw->n_biases;
            double a = sqrt(3.0 / (double)(fan_in ? fan_in : 1)); /* variance 1/fan_in */
            fill_uniform(&r, lw->weights, lw->n_weights, -a, a);
        }
        if (lw->n_biases) fill_uniform(&r, lw->biases, lw->n_biases, -0.1, 0.1);
        if (lw->n_bn) {
            fill_uniform(&r, lw->scales, lw->n_bn, 0.5, 1.5);
            fill_uniform(&r, lw->rolling_mean, lw->n_bn, -0.1, 0.1);
            fill_uniform(&r, lw->rolling_variance, lw->n_bn, 0.5, 1.5);
        }
    }
    return MSP_OK;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

msp_status msp_prune_weights_save(const msp_prune_weights *w, const char *path, msp_err *err)
{
    unsigned char hdr[20];
    put32(hdr, (uint32_t)w->hdr.major);
    put32(hdr + 4, (uint32_t)w->hdr.minor);
    put32(hdr + 8, (uint32_t)w->hdr.revision);
    put32(hdr + 12, (uint32_t)w->hdr.seen);
    put32(hdr + 16, (uint32_t)(w->hdr.seen >> 32));
    size_t hb = w->hdr.header_bytes == 16 ? 16 : 20;
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    if (fwrite(hdr, 1, hb, a.f) != hb ||
        (w->n_floats && fwrite(w->data, sizeof(float), w->n_floats, a.f) != w->n_floats)) {
        msp_atomic_abort(&a);
        return msp_err_set(err, MSP_FAIL, path, 0, "cannot write: %s", strerror(errno));
    }
    return msp_atomic_commit(&a, err);
}
