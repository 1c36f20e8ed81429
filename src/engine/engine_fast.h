/* engine_fast.h: faster CPU implementations of Darknet's common layers.
 *
 * msp_engine_fast_install swaps the forward/backward/update pointers of the
 * layers it knows (convolutional with groups=1, connected, maxpool, avgpool,
 * softmax without tree, dropout, route, shortcut); any other layer, or a
 * variant it does not handle (binary/xnor conv, grouped conv, 1x1 conv with
 * stride or padding, adam updates, softmax trees), keeps Darknet's own code.
 * Darknet's structs, buffers and training loop are untouched: l.output,
 * l.delta, l.x, l.x_norm, l.mean, l.variance, l.rolling_*, the *_updates
 * momentum buffers and the weights hold what Darknet's code would put there
 * (up to float reordering), so save_weights and checkpoints keep working.
 *
 * Deliberate differences from stock Darknet, all invisible to training:
 *  - dropout draws its mask from xoshiro256+ seeded by one rand() call per
 *    forward pass (Darknet calls rand() per element); the mask is still
 *    stored in l.rand and reproducible from srand();
 *  - in inference mode (net->train == 0) batch-norm layers do not copy their
 *    pre-normalisation output into l.x (only backward reads it);
 *  - Darknet's quirks are kept: a 1x1 convolution overwrites (instead of
 *    adding to) the previous layer's delta; batch-norm forward divides by
 *    sqrt(var) + 1e-6 while backward uses sqrt(var + 1e-5).
 *
 * Scratch buffers (im2col columns, gathered deltas) are thread-local, grown
 * on demand and shared by every fast network of the thread; Darknet's own
 * net->workspace is left alone. msp_engine_fast_release restores Darknet's
 * functions on net and frees the calling thread's scratch; call it before
 * free_network (a later fast pass simply grows the scratch again).
 * Not thread-safe for one network; separate networks in separate threads are.
 */
#ifndef MSP_ENGINE_FAST_H
#define MSP_ENGINE_FAST_H

#include "darknet.h"

/* Swap in the fast functions; call after parse_network_cfg (before or after
 * load_weights: no weights are cached). Idempotent. Returns the number of
 * layers now running fast code (callers may ignore it). */
int msp_engine_fast_install(network *net);
/* Restore Darknet's functions on net and free this thread's scratch. */
void msp_engine_fast_release(network *net);

/* Tuning knob for tests and the benchmark: the conv layers gather images
 * into one gemm until it has at least `cols` columns (0 restores the
 * default; 1 gives one gemm per image, like Darknet). */
void msp_engine_fast_set_gemm_cols(int cols);

#endif
