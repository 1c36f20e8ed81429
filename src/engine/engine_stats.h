/* engine_stats.h: per-channel activation statistics of a network over a
 * dataset, for the data-driven pruning criteria (apoz, mean-activation,
 * taylor).
 *
 * For every [convolutional] and [connected] layer l and each output channel
 * k (filter / output neuron), over the first min(n, max_images) images of the
 * dataset in FULL batches of the network's batch size (a last partial batch
 * is DROPPED; fewer images than one batch is MSP_BAD_INPUT):
 *  - MSP_STAT_APOZ: fraction of the layer's outputs (post-batch-norm,
 *    post-activation, as Darknet stores them in l.output after an
 *    inference-mode forward pass) that are <= 0, per channel, averaged over
 *    images and spatial positions. "<= 0", not "== 0": a leaky unit never
 *    outputs exactly 0 for a negative input, so counting exact zeros would
 *    make leaky networks look dense. In [0, 1].
 *  - MSP_STAT_MEAN_ACT: mean of the layer's output per channel (inference
 *    mode, averaged over images and positions). May be negative.
 *  - MSP_STAT_TAYLOR: Molchanov et al. 2017 first-order Taylor: per image,
 *    | mean over positions of activation x dLoss/dactivation |, averaged over
 *    images. Loss: Darknet's softmax cross-entropy against one-hot labels.
 *    Computed with a training-mode forward + backward pass (so batch norm
 *    uses batch statistics, as in fine-tuning) WITHOUT any weight update;
 *    dropout is switched off for the pass (as at inference) so the result
 *    is deterministic. The network is left exactly as it was: weights,
 *    batch-norm rolling statistics and momentum buffers are restored
 *    bit for bit. >= 0.
 * The dataset's image size must match the network input and its labels must
 * be below the network's output count (taylor only).
 *
 * Ownership: msp_net_stats owns its arrays; msp_net_stats_free is safe on a
 * zeroed struct and zeroes it. On error the output is left zeroed.
 */
#ifndef MSP_ENGINE_STATS_H
#define MSP_ENGINE_STATS_H

#include "data/data.h"
#include "engine.h"
#include "base/base.h"

typedef enum msp_stat_kind { MSP_STAT_APOZ, MSP_STAT_MEAN_ACT, MSP_STAT_TAYLOR } msp_stat_kind;

typedef struct msp_net_stats {
    int n_layers;    /* of the network */
    int *n_channels; /* owned, n_layers: channels of layer l, 0 for layers without */
    float **layer;   /* owned, n_layers: layer[l] holds n_channels[l] values, or NULL */
    int n_images;    /* images used (a multiple of the batch size) */
} msp_net_stats;

/* max_images <= 0: the whole dataset. */
msp_status msp_net_channel_stats(msp_net *net, const msp_dataset *d, int max_images,
                                 msp_stat_kind kind, msp_net_stats *out, msp_err *err);
void msp_net_stats_free(msp_net_stats *s);

/* Per-image embedding (engine_embed.c): for every image of d (inference
 * mode, all images, the last batch padded), the spatial mean of each channel
 * of layer `index`'s output; flat outputs are taken as they are. index < 0
 * picks the input of the output layer (the layer before the last
 * convolutional or connected layer): the base network's penultimate
 * representation. *out: d->n x *dim floats, owned by the caller. */
msp_status msp_net_embedding(msp_net *net, const msp_dataset *d, int index, float **out, int *dim,
                             msp_err *err);

/* The loop under msp_net_embedding and msp_net_conv1_features: every image
 * of d a batch at a time through run(ctx, x, k), which gets x holding k
 * images (k <= batch, in values each; past them, what the previous batch
 * left, or zeros) and returns the layer's output for the batch (outputs
 * values per image, channels x hw); each image's channel means become a
 * row of the result, owned n x channels. */
typedef const float *(*msp_batch_run)(void *ctx, float *x, int k);
float *msp_batch_channel_means(const msp_dataset *d, int batch, size_t in, size_t outputs,
                               int channels, msp_batch_run run, void *ctx);

#endif
