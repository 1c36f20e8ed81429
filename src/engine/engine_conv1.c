/* engine_conv1.c: first-layer features for the premodel: run layer 0 of the
 * base network alone (what Darknet's forward_network does for i = 0, without
 * the other layers) and average each output channel over its positions.
 * Limits: layer 0 must be a convolution; batches of the network's size. */
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

#include "engine_conv1.h"

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
    layer *l = &dn->layers[0];
    int channels = l->out_c;
    size_t hw = (size_t)l->out_h * (size_t)l->out_w, in = (size_t)dn->inputs;
    int batch = dn->batch;
    float *x = msp_calloc((size_t)batch * in, sizeof(float));
    float *e = msp_malloc(sizeof(float) * (size_t)d->n * (size_t)channels);
    /* A copy of the network struct, as forward_network passes it to layers. */
    network tmp = *dn;
    tmp.input = x;
    tmp.truth = NULL;
    tmp.train = 0;
    tmp.index = 0;
    for (int start = 0; start < d->n; start += batch) {
        int k = d->n - start < batch ? d->n - start : batch;
        memcpy(x, d->x + (size_t)start * in, sizeof(float) * in * (size_t)k);
        if (k < batch) memset(x + (size_t)k * in, 0, sizeof(float) * in * (size_t)(batch - k));
        l->forward(*l, tmp);
        for (int j = 0; j < k; j++) {
            const float *o = l->output + (size_t)j * (size_t)l->outputs;
            float *row = e + (size_t)(start + j) * (size_t)channels;
            for (int c = 0; c < channels; c++) {
                double s = 0;
                for (size_t p = 0; p < hw; p++) s += o[(size_t)c * hw + p];
                row[c] = (float)(s / (double)hw);
            }
        }
    }
    free(x);
    *out = e;
    *dim = channels;
    return MSP_OK;
}
