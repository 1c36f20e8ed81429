/* premodel_gate.c: training of the gate-cnn premodel: a tiny Darknet CNN over
 * the standardised 14x14 `pixels` grid that predicts the label (the network
 * index). The cfg is generated here; the network is trained through
 * src/engine/engine.h with the fast engine (SGD, momentum 0.9, decay 5e-4, poly
 * power 2 from params.gate_lr down to 0 over gate_epochs passes of
 * gate_batch images; the last partial batch of each shuffled pass is
 * skipped), then its batch-norm statistics are recalibrated on the training
 * inputs and its weights read back into the model (premodel_gate_net.c runs
 * it). Deterministic: Darknet's initial weights come from
 * msp_engine_seed(params.seed), the batch order from an msp_rng with the
 * same seed. Inputs fewer than one batch are repeated to fill it. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "dncfg/dncfg.h"
#include "engine/engine.h"
#include "premodel_internal.h"

#define GRID MSP_FEATURES_PIXELS_GRID

char *msp_gate_cfg_text(int m)
{
    char *s = msp_malloc(1024);
    snprintf(s, 1024,
             "[net]\nbatch=32\nsubdivisions=1\nwidth=%d\nheight=%d\nchannels=1\n"
             "momentum=0.9\ndecay=0.0005\nlearning_rate=0.05\npolicy=poly\npower=2\n"
             "max_batches=1000\n\n"
             "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\nstride=1\npad=1\n"
             "activation=leaky\n\n"
             "[maxpool]\nsize=2\nstride=2\n\n"
             "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=3\nstride=1\npad=1\n"
             "activation=leaky\n\n"
             "[maxpool]\nsize=2\nstride=2\n\n"
             "[connected]\noutput=%d\nactivation=linear\n\n"
             "[softmax]\ngroups=1\n",
             GRID, GRID, m);
    return s;
}

/* Write text to a private temporary file; the caller unlinks it once
 * Darknet has read it. */
static msp_status temp_file(const char *text, size_t len, char *path, size_t n, msp_err *err)
{
    msp_status st = msp_temp_make("gate", 0, path, n, err);
    if (st != MSP_OK) return st;
    int fd = open(path, O_WRONLY | O_TRUNC);
    if (fd < 0) {
        unlink(path);
        return msp_err_set(err, MSP_FAIL, path, 0, "cannot write a temporary file: %s",
                           strerror(errno));
    }
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, text + done, len - done);
        if (k <= 0) break;
        done += (size_t)k;
    }
    if (close(fd) != 0 || done != len) {
        unlink(path);
        return msp_err_set(err, MSP_FAIL, path, 0, "cannot write a temporary file");
    }
    return MSP_OK;
}

/* The trained weights, in .weights order without the header. */
static msp_status read_weights(msp_net *net, float **w, size_t *nw, msp_err *err)
{
    char path[4096];
    msp_status st = temp_file("", 0, path, sizeof path, err);
    if (st != MSP_OK) return st;
    st = msp_net_save_weights(net, path, err);
    msp_dn_weights_header h;
    if (st == MSP_OK) st = msp_dnweights_check(path, msp_net_info(net), &h, err);
    size_t n = msp_net_info(net)->n_weights_floats;
    float *a = msp_malloc(sizeof(float) * (n ? n : 1));
    FILE *f = st == MSP_OK ? fopen(path, "rb") : NULL;
    if (st == MSP_OK && (!f || fseek(f, (long)h.header_bytes, SEEK_SET) != 0 ||
                         fread(a, sizeof(float), n, f) != n))
        st = msp_err_set(err, MSP_FAIL, path, 0, "cannot read back the gate-cnn weights");
    if (f) fclose(f);
    unlink(path);
    if (st != MSP_OK) {
        free(a);
        return st;
    }
    *w = a;
    *nw = n;
    return MSP_OK;
}

msp_status msp_gate_train(msp_premodel *pm, const msp_premodel_train_set *t, msp_err *err)
{
    const msp_premodel_params *p = &pm->p;
    int n = t->n, d = t->d, bs = p->gate_batch;
    MSP_ASSERT(d == GRID * GRID);
    int per_epoch = n >= bs ? n / bs : 1;
    long steps = (long)per_epoch * p->gate_epochs;
    if (steps > 1000000000L) steps = 1000000000L;
    char *cfg = msp_gate_cfg_text(t->m), path[4096];
    msp_status st = temp_file(cfg, strlen(cfg), path, sizeof path, err);
    msp_net *net = NULL;
    if (st == MSP_OK) {
        msp_engine_seed(p->seed);
        msp_net_opts o = {.batch = bs, .max_batches = (int)steps,
                          .learning_rate = (float)p->gate_lr, .engine = MSP_ENGINE_FAST};
        st = msp_net_load(path, NULL, &o, &net, err);
        unlink(path);
    }
    if (st != MSP_OK) {
        free(cfg);
        return st;
    }
    msp_rng rng;
    msp_rng_seed(&rng, p->seed ^ 0x6a7eull);
    int *order = msp_malloc(sizeof(int) * (size_t)n), *yb = msp_malloc(sizeof(int) * (size_t)bs);
    float *xb = msp_malloc(sizeof(float) * (size_t)bs * d);
    for (int i = 0; i < n; i++) order[i] = i;
    for (int e = 0; e < p->gate_epochs; e++) {
        msp_rng_shuffle(&rng, order, n);
        for (int b = 0; b < per_epoch; b++) {
            for (int r = 0; r < bs; r++) {
                int i = order[((size_t)b * bs + r) % (size_t)n];
                memcpy(xb + (size_t)r * d, t->z + (size_t)i * d, sizeof(float) * (size_t)d);
                yb[r] = t->y[i];
            }
            msp_net_train_batch(net, xb, yb);
        }
    }
    /* Batch-norm statistics of the final weights, over up to 64 batches. */
    int nb = per_epoch < 64 ? per_epoch : 64;
    float *all = msp_malloc(sizeof(float) * (size_t)nb * bs * d);
    for (size_t q = 0; q < (size_t)nb * bs; q++)
        memcpy(all + q * d, t->z + (size_t)order[q % (size_t)n] * d, sizeof(float) * (size_t)d);
    msp_net_recalibrate_bn(net, all, nb, NULL);
    free(all);
    free(order);
    free(yb);
    free(xb);
    float *w = NULL;
    size_t nw = 0;
    st = read_weights(net, &w, &nw, err);
    msp_net_free(net);
    for (size_t q = 0; st == MSP_OK && q < nw; q++)
        if (!isfinite(w[q]))
            st = msp_err_set(err, MSP_FAIL, NULL, 0,
                             "gate-cnn: training diverged (non-finite weights); lower the "
                             "learning rate (selector.gate_lr, now %g)", p->gate_lr);
    if (st == MSP_OK)
        st = msp_gate_net_make(cfg, strlen(cfg), w, nw, d, t->m, "gate-cnn", &pm->gate, err);
    free(w);
    free(cfg);
    return st;
}
