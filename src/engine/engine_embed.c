/* engine_embed.c: per-image embeddings from a hidden layer, for clustering
 * inputs by what the base network sees in them (specialise/). */
#include <stdlib.h>
#include <string.h>

#include "darknet.h"

#include "engine_stats.h"

/* The input of the output layer: the layer before the last conv/connected. */
static int default_layer(const network *dn)
{
    for (int i = dn->n - 1; i > 0; i--)
        if (dn->layers[i].type == CONVOLUTIONAL || dn->layers[i].type == CONNECTED) return i - 1;
    return -1;
}

/* The whole network runs; the embedding is one layer's output. */
typedef struct {
    msp_net *net;
    const layer *l;
} embed_run;

static const float *run_whole(void *ctx, float *x, int k)
{
    (void)k;
    embed_run *r = ctx;
    msp_net_predict(r->net, x);
    return r->l->output;
}

msp_status msp_net_embedding(msp_net *net, const msp_dataset *d, int index, float **out, int *dim,
                             msp_err *err)
{
    *out = NULL;
    *dim = 0;
    network *dn = msp_net_darknet(net);
    if (index < 0) index = default_layer(dn);
    if (index < 0 || index >= dn->n)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "embedding: no layer %d (the network has %d layers)", index, dn->n);
    if (!d || d->n <= 0 || msp_dataset_example_size(d) != (size_t)dn->inputs)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "embedding: the images do not match the network input (%d values)",
                           dn->inputs);
    const layer *l = &dn->layers[index];
    /* Image-shaped outputs average each channel over its positions; flat
     * ones (connected, softmax) are their own embedding. */
    int channels = l->out_c > 0 && l->out_w > 0 && l->out_h > 0 ? l->out_c : l->outputs;
    size_t in = (size_t)dn->inputs;
    embed_run r = {net, l};
    *out = msp_batch_channel_means(d, dn->batch, in, (size_t)l->outputs, channels, run_whole, &r);
    *dim = channels;
    return MSP_OK;
}

float *msp_batch_channel_means(const msp_dataset *d, int batch, size_t in, size_t outputs,
                               int channels, msp_batch_run run, void *ctx)
{
    size_t hw = outputs / (size_t)channels;
    float *x = msp_calloc((size_t)batch * in, sizeof(float));
    float *e = msp_malloc(sizeof(float) * (size_t)d->n * (size_t)channels);
    for (int start = 0; start < d->n; start += batch) {
        int k = d->n - start < batch ? d->n - start : batch;
        memcpy(x, d->x + (size_t)start * in, sizeof(float) * in * (size_t)k);
        const float *y = run(ctx, x, k);
        for (int j = 0; j < k; j++) {
            const float *o = y + (size_t)j * outputs;
            float *row = e + (size_t)(start + j) * (size_t)channels;
            for (int c = 0; c < channels; c++) {
                double s = 0;
                for (size_t p = 0; p < hw; p++) s += o[(size_t)c * hw + p];
                row[c] = (float)(s / (double)hw);
            }
        }
    }
    free(x);
    return e;
}
