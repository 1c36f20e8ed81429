/* engine_conv1.c: first-layer features for the premodel: run layer 0 of the
 * base network alone (what Darknet's forward_network does for i = 0, without
 * the other layers) and average each output channel over its positions.
 * Limits: layer 0 must be a convolution; batches of the network's size. */
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

#include "engine_conv1.h"
#include "engine_stats.h"

/* Layer 0 alone, on a batch padded with zeros. */
typedef struct {
    network tmp;
    layer *l;
    int batch;
    size_t in;
} conv1_run;

static const float *run_layer0(void *ctx, float *x, int k)
{
    conv1_run *r = ctx;
    if (k < r->batch)
        memset(x + (size_t)k * r->in, 0, sizeof(float) * r->in * (size_t)(r->batch - k));
    r->tmp.input = x;
    r->l->forward(*r->l, r->tmp);
    return r->l->output;
}

msp_status msp_net_conv1_features(msp_net *net, const msp_dataset *d, float **out, int *dim,
                                  msp_err *err)
{
    *out = NULL;
    *dim = 0;
    network *dn = msp_net_darknet(net);
    if (dn->n < 1 || dn->layers[0].type != CONVOLUTIONAL)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "conv1 features: layer 0 of the network is not [convolutional]");
    if (!d || d->n <= 0 || !d->x || msp_dataset_example_size(d) != (size_t)dn->inputs)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "conv1 features: the images do not match the network input (%d "
                           "values)",
                           dn->inputs);
    conv1_run r = {*dn, &dn->layers[0], dn->batch, (size_t)dn->inputs};
    /* A copy of the network struct, as forward_network passes it to layers. */
    r.tmp.truth = NULL;
    r.tmp.train = 0;
    r.tmp.index = 0;
    const layer *l = r.l;
    *out = msp_batch_channel_means(d, r.batch, r.in, (size_t)l->outputs, l->out_c, run_layer0, &r);
    *dim = l->out_c;
    return MSP_OK;
}
