/* checkpoint.h: resumable training state.
 *
 * A checkpoint is two files in the experiment's output folder:
 *   checkpoint.weights  Darknet's own .weights (loadable by any Darknet)
 *   checkpoint.state    msprune's binary state: position in the run
 *                       (epoch, batch), the optimiser's momentum buffers
 *                       (which .weights does not hold), per-epoch history,
 *                       and the CRC-32 of the weights file it belongs to.
 * Both are written atomically: the weights first as checkpoint.next.weights,
 * then the state (with their CRC), then the weights renamed into place, so a
 * kill at any point leaves a checkpoint that msp_checkpoint_settle completes.
 *
 * state format (little-endian, version 1):
 *   "MSPCKPT\0"  u32 version  u64 seed  u32 epoch  u32 batch  u32 batch_size
 *   u64 n_train  u64 seen  u32 weights_crc  u64 n_opt  f32 opt[n_opt]
 *   u32 n_hist  {f64 loss, f64 val_top1, f64 seconds, f64 images_per_s}[n_hist]
 *   u32 crc32 of every byte before it
 */
#ifndef MSP_CHECKPOINT_H
#define MSP_CHECKPOINT_H

#include <stdint.h>

#include "engine/engine.h"
#include "base/base.h"

typedef struct msp_epoch_stats {
    double loss, val_top1, seconds, images_per_s;
} msp_epoch_stats;

typedef struct msp_train_state {
    uint64_t seed;
    uint32_t epoch, batch;   /* next batch to run */
    uint32_t batch_size;
    uint64_t n_train;
    uint64_t seen;
    msp_epoch_stats *hist;   /* one per finished epoch, owned */
    uint32_t n_hist;
} msp_train_state;

/* Write dir/checkpoint.{weights,state}. */
msp_status msp_checkpoint_save(const char *dir, msp_net *net, const msp_train_state *s,
                               msp_err *err);
/* Read and validate dir/checkpoint.state against the run (seed, batch size,
 * n_train, optimiser size) and check the weights' CRC. On success the caller
 * loads dir/checkpoint.weights into a network and then calls
 * msp_checkpoint_restore_optimizer. */
msp_status msp_checkpoint_load(const char *dir, const msp_train_state *expect, size_t n_opt,
                               msp_train_state *s, float **opt, msp_err *err);
void msp_train_state_free(msp_train_state *s);
/* Before resuming: if a save was killed after its state was renamed into
 * place, rename its weights (checkpoint.next.weights) into place too. */
msp_status msp_checkpoint_settle(const char *dir, msp_err *err);

char *msp_checkpoint_weights_path(const char *dir);

#endif
