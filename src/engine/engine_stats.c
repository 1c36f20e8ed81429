/* engine_stats.c: per-channel activation statistics through Darknet (see
 * engine_stats.h for the definitions).
 *
 * apoz and mean-activation read l.output of every producer after
 * network_predict. taylor runs forward_network in training mode and then a
 * copy of Darknet's backward_network loop that, just before each layer's
 * backward starts, reads l.output x l.delta: at that moment l.delta holds
 * dLoss/d(output) (Darknet's sign: the negative gradient; the absolute value
 * makes it irrelevant), and the layer's own backward then overwrites it in
 * place (activation gradient, batch-norm backward). The copied loop is
 * backward_network's own (same order, same stopbackward rule, same net.input
 * / net.delta hand-over); test_engine_stats checks that it produces exactly
 * the gradients Darknet's backward_network produces.
 *
 * Training mode has side effects that are undone: batch-norm rolling
 * statistics (updated by every training forward) and the gradient
 * accumulators (bias/weight/scale updates, which double as momentum
 * buffers) are saved and restored; dropout layers are bypassed (their
 * forward is swapped for a no-op while the pass runs, which is exact as
 * Darknet's dropout works in place on its input) so that no rand() is drawn
 * and the criterion sees the network as deployed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

#include "engine_stats.h"

void msp_net_stats_free(msp_net_stats *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_layers; i++) free(s->layer ? s->layer[i] : NULL);
    free(s->layer);
    free(s->n_channels);
    memset(s, 0, sizeof *s);
}

static int has_channels(const layer *l) { return l->type == CONVOLUTIONAL || l->type == CONNECTED; }

/* ---- saving what a training pass changes ---------------------------- */

typedef struct saved_span {
    float *p;
    size_t n;
    float *copy;
} saved_span;

typedef struct saved_state {
    saved_span *s;
    int n, cap;
    void (**fwd)(struct layer, struct network); /* per layer, original forward */
    float cost;
    int train;
    float *input, *truth;
} saved_state;

static void save_span(saved_state *st, float *p, size_t n)
{
    if (!p || !n) return;
    if (st->n == st->cap) {
        st->cap = st->cap ? 2 * st->cap : 16;
        st->s = msp_realloc(st->s, (size_t)st->cap * sizeof *st->s);
    }
    float *copy = msp_malloc(n * sizeof(float));
    memcpy(copy, p, n * sizeof(float));
    st->s[st->n++] = (saved_span){p, n, copy};
}

/* Channels of a layer's batch-norm arrays, 0 if it has none. */
static size_t bn_channels(const layer *l)
{
    if (l->type == BATCHNORM) return (size_t)l->c;
    if (!l->batch_normalize) return 0;
    if (l->type == CONVOLUTIONAL) return (size_t)l->n;
    if (l->type == CONNECTED) return (size_t)l->outputs;
    return 0;
}

static void noop_forward(struct layer l, struct network net)
{
    (void)l;
    (void)net;
}

static void state_save(network *dn, saved_state *st)
{
    memset(st, 0, sizeof *st);
    st->fwd = msp_calloc((size_t)dn->n, sizeof *st->fwd);
    for (int i = 0; i < dn->n; i++) {
        layer *l = &dn->layers[i];
        size_t c = bn_channels(l);
        save_span(st, l->rolling_mean, c);
        save_span(st, l->rolling_variance, c);
        save_span(st, l->scale_updates, c);
        if (l->type == CONVOLUTIONAL) {
            save_span(st, l->bias_updates, (size_t)l->n);
            save_span(st, l->weight_updates, (size_t)l->nweights);
        } else if (l->type == CONNECTED) {
            save_span(st, l->bias_updates, (size_t)l->outputs);
            save_span(st, l->weight_updates, (size_t)l->outputs * (size_t)l->inputs);
        } else if (l->type == BATCHNORM) {
            save_span(st, l->bias_updates, c);
        } else if (l->type == DROPOUT) {
            st->fwd[i] = l->forward;
            l->forward = noop_forward;
        }
    }
    st->cost = dn->cost ? *dn->cost : 0;
    st->train = dn->train;
    st->input = dn->input;
    st->truth = dn->truth;
}

static void state_restore(network *dn, saved_state *st)
{
    for (int k = 0; k < st->n; k++) {
        memcpy(st->s[k].p, st->s[k].copy, st->s[k].n * sizeof(float));
        free(st->s[k].copy);
    }
    for (int i = 0; i < dn->n; i++)
        if (st->fwd[i]) dn->layers[i].forward = st->fwd[i];
    if (dn->cost) *dn->cost = st->cost;
    dn->train = st->train;
    dn->input = st->input;
    dn->truth = st->truth;
    free(st->s);
    free(st->fwd);
    memset(st, 0, sizeof *st);
}

/* ---- the passes ----------------------------------------------------- */

/* Darknet's backward_network, with acc[] += per-image |mean(a * g)| of every
 * producer taken as its backward begins. Dropout layers are skipped (their
 * forward was a no-op too, so their backward would be the identity). */
static void backward_taylor(network *netp, double **acc)
{
    network net = *netp;
    network orig = net;
    for (int i = net.n - 1; i >= 0; --i) {
        layer l = net.layers[i];
        if (l.stopbackward) break;
        if (i == 0) {
            net = orig;
        } else {
            layer prev = net.layers[i - 1];
            net.input = prev.output;
            net.delta = prev.delta;
        }
        net.index = i;
        if (acc[i]) {
            size_t hw = (size_t)l.out_h * (size_t)l.out_w;
            for (int b = 0; b < l.batch; b++)
                for (int k = 0; k < l.out_c; k++) {
                    size_t o = (size_t)b * (size_t)l.outputs + (size_t)k * hw;
                    double s = 0;
                    for (size_t p = 0; p < hw; p++) s += (double)l.output[o + p] * l.delta[o + p];
                    acc[i][k] += fabs(s / (double)hw);
                }
        }
        if (l.type == DROPOUT) continue;
        l.backward(l, net);
    }
}

static void accumulate_forward(network *dn, msp_stat_kind kind, double **acc)
{
    for (int i = 0; i < dn->n; i++) {
        if (!acc[i]) continue;
        const layer *l = &dn->layers[i];
        size_t hw = (size_t)l->out_h * (size_t)l->out_w;
        for (int b = 0; b < l->batch; b++)
            for (int k = 0; k < l->out_c; k++) {
                const float *o = l->output + (size_t)b * (size_t)l->outputs + (size_t)k * hw;
                double s = 0;
                for (size_t p = 0; p < hw; p++)
                    s += kind == MSP_STAT_APOZ ? (o[p] <= 0) : (double)o[p];
                acc[i][k] += s / (double)hw;
            }
    }
}

msp_status msp_net_channel_stats(msp_net *net, const msp_dataset *d, int max_images,
                                 msp_stat_kind kind, msp_net_stats *out, msp_err *err)
{
    memset(out, 0, sizeof *out);
    network *dn = msp_net_darknet(net);
    if (kind != MSP_STAT_APOZ && kind != MSP_STAT_MEAN_ACT && kind != MSP_STAT_TAYLOR)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "unknown statistic %d", (int)kind);
    if (!d || d->n <= 0 || !d->x)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "no images to compute channel statistics on");
    if (msp_dataset_example_size(d) != (size_t)dn->inputs)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "the images are %dx%dx%d (%zu values) but the network takes %d "
                           "values per image", d->w, d->h, d->c, msp_dataset_example_size(d),
                           dn->inputs);
    int batch = dn->batch;
    int n_use = max_images > 0 && max_images < d->n ? max_images : d->n;
    int n_batches = batch > 0 ? n_use / batch : 0;
    if (n_batches == 0)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "%d image(s) do not fill one batch of %d: statistics use full "
                           "batches only; give more images or load the network with a smaller "
                           "batch", n_use, batch);
    if (kind == MSP_STAT_TAYLOR) {
        if (!dn->truth || dn->truths != dn->outputs)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "taylor needs a network whose last layer gives the class "
                               "scores (%d truths, %d outputs)", dn->truths, dn->outputs);
        for (int i = 0; i < n_batches * batch; i++)
            if (!d->y || d->y[i] < 0 || d->y[i] >= dn->truths)
                return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                   "image %d has label %d but the network has %d classes", i,
                                   d->y ? d->y[i] : -1, dn->truths);
    }

    double **acc = msp_calloc((size_t)dn->n, sizeof *acc);
    for (int i = 0; i < dn->n; i++)
        if (has_channels(&dn->layers[i]))
            acc[i] = msp_calloc((size_t)dn->layers[i].out_c, sizeof **acc);
    size_t in = (size_t)dn->inputs;
    for (int b = 0; b < n_batches; b++) {
        const float *x = d->x + (size_t)b * (size_t)batch * in;
        if (kind != MSP_STAT_TAYLOR) {
            msp_net_predict(net, x);
            accumulate_forward(dn, kind, acc);
            continue;
        }
        saved_state st;
        state_save(dn, &st);
        memcpy(dn->input, x, sizeof(float) * (size_t)batch * in);
        memset(dn->truth, 0, sizeof(float) * (size_t)batch * (size_t)dn->truths);
        for (int j = 0; j < batch; j++)
            dn->truth[(size_t)j * (size_t)dn->truths + (size_t)d->y[b * batch + j]] = 1;
        dn->train = 1;
        forward_network(dn);
        backward_taylor(dn, acc);
        state_restore(dn, &st);
    }

    int n_images = n_batches * batch;
    out->n_layers = dn->n;
    out->n_images = n_images;
    out->n_channels = msp_calloc((size_t)dn->n, sizeof(int));
    out->layer = msp_calloc((size_t)dn->n, sizeof(float *));
    for (int i = 0; i < dn->n; i++) {
        if (!acc[i]) continue;
        int c = dn->layers[i].out_c;
        out->n_channels[i] = c;
        out->layer[i] = msp_malloc((size_t)c * sizeof(float));
        for (int k = 0; k < c; k++) out->layer[i][k] = (float)(acc[i][k] / n_images);
        free(acc[i]);
    }
    free(acc);
    return MSP_OK;
}
