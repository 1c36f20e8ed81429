/* train.c: the epoch loop, validation, checkpoints and the training log. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "checkpoint.h"
#include "dncfg/dncfg.h"
#include "engine/engine.h"
#include "evaluate.h"
#include "data/data.h"
#include "train.h"

void msp_train_request_stop(void) { msp_stop_request(); }

static uint64_t mix(uint64_t seed, uint64_t a, uint64_t b)
{
    msp_rng r;
    msp_rng_seed(&r, seed ^ (a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL));
    return msp_rng_next(&r);
}

static msp_status write_log_to(const char *path, const msp_train_job *j,
                               const msp_train_state *s, msp_err *err)
{
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    FILE *f = a.f;
    fprintf(f, "{\n  \"name\": ");
    msp_json_string(f, j->name);
    fprintf(f, ",\n  \"cfg\": ");
    msp_json_string(f, j->cfg);
    fprintf(f, ",\n  \"init_weights\": ");
    if (j->init_weights) msp_json_string(f, j->init_weights);
    else fputs("null", f);
    fprintf(f, ",\n  \"seed\": %llu,\n  \"batch\": %u,\n  \"train_images\": %llu,\n  \"epochs\": [",
            (unsigned long long)s->seed, s->batch_size, (unsigned long long)s->n_train);
    for (uint32_t i = 0; i < s->n_hist; i++) {
        const msp_epoch_stats *e = &s->hist[i];
        fprintf(f, "%s\n    {\"epoch\": %u, \"loss\": ", i ? "," : "", i + 1);
        msp_json_number(f, e->loss);
        fprintf(f, ", \"val_top1\": ");
        msp_json_number(f, e->val_top1);
        fprintf(f, ", \"seconds\": ");
        msp_json_number(f, e->seconds);
        fprintf(f, ", \"images_per_s\": ");
        msp_json_number(f, e->images_per_s);
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]\n}\n");
    return msp_atomic_commit(&a, err);
}

/* <dir>/train.json: the run's settings and one entry per finished epoch. */
static msp_status write_log(const msp_train_job *j, const msp_train_state *s, msp_err *err)
{
    char *path = msp_strcat3(j->dir, "/", "train.json");
    msp_status st = write_log_to(path, j, s, err);
    free(path);
    return st;
}

/* Batch-norm statistics from the first batches of this epoch's order
 * (see msp_net_recalibrate_bn); dropout draws from a seeded rand(). */
#define BN_CALIBRATION_BATCHES 50

static void recalibrate(msp_net *net, const msp_dataset *tr, const int *order, int per_epoch,
                        int bs, uint64_t seed, const char *label)
{
    int nb = per_epoch < BN_CALIBRATION_BATCHES ? per_epoch : BN_CALIBRATION_BATCHES;
    msp_progress pr;
    msp_progress_start(&pr, label, (int64_t)nb * bs);
    size_t in = (size_t)msp_net_inputs(net);
    float *x = msp_malloc(sizeof(float) * in * (size_t)bs * (size_t)nb);
    for (int j = 0; j < nb * bs; j++)
        memcpy(x + (size_t)j * in, tr->x + (size_t)order[j] * in, sizeof(float) * in);
    msp_engine_seed(seed);
    msp_net_recalibrate_bn(net, x, nb, &pr);
    free(x);
}

/* Save a checkpoint, then (once per run) the record of its inputs: a kill
 * between the two leaves a record that no longer matches, so the
 * checkpoint is not resumed; never one that matches an older checkpoint. */
static msp_status save_checkpoint(const msp_train_job *j, msp_net *net, const msp_train_state *s,
                                  int *recorded, msp_err *err)
{
    msp_status st = msp_checkpoint_save(j->dir, net, s, err);
    if (st != MSP_OK || !j->inputs || *recorded) return st;
    char *rec = msp_strcat3(j->dir, "/", "checkpoint.inputs");
    st = msp_stamp_write(j->inputs, rec, err);
    free(rec);
    *recorded = st == MSP_OK;
    return st;
}

static double validate(msp_net *net, const msp_dataset *val, const char *label)
{
    msp_progress pr;
    msp_progress_start(&pr, label, val->n);
    return msp_eval_top1_progress(net, val, &pr);
}

void msp_augment_image(const float *src, float *dst, int w, int h, int c, int dx, int dy,
                       int flip)
{
    for (int ch = 0; ch < c; ch++)
        for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++) {
                int sx = xx - dx, sy = yy - dy;
                if (flip) sx = w - 1 - sx;
                float v = sx >= 0 && sx < w && sy >= 0 && sy < h
                              ? src[((size_t)ch * h + (size_t)sy) * w + (size_t)sx]
                              : 0.0f;
                dst[((size_t)ch * h + (size_t)yy) * w + (size_t)xx] = v;
            }
}

void msp_train_job_augment(msp_train_job *j, const msp_expconf *conf)
{
    j->augment_shift = conf->augment.shift;
    j->augment_flip = conf->augment.flip;
}

/* Image k of the training set into dst, augmented as the job says with
 * draws from rng. */
static void put_image(const msp_train_job *j, msp_rng *rng, int k, size_t in, float *dst)
{
    const msp_dataset *tr = j->train;
    const float *src = tr->x + (size_t)k * in;
    if (!j->augment_shift && !j->augment_flip) {
        memcpy(dst, src, sizeof(float) * in);
        return;
    }
    int span = 2 * j->augment_shift + 1;
    int dx = (int)msp_rng_below(rng, (uint64_t)span) - j->augment_shift;
    int dy = (int)msp_rng_below(rng, (uint64_t)span) - j->augment_shift;
    int flip = j->augment_flip && msp_rng_below(rng, 2);
    msp_augment_image(src, dst, tr->w, tr->h, tr->c, dx, dy, flip);
}

/* The images order[0..batch) into x (augmented with draws seeded by seed),
 * their labels into y and, when distilling, their targets into truth. */
static void fill_batch(const msp_train_job *j, const int *order, size_t in, uint64_t seed,
                       float *x, int *y, float *truth)
{
    const msp_dataset *tr = j->train;
    int nc = tr->n_classes;
    msp_rng rng;
    msp_rng_seed(&rng, seed);
    for (int i = 0; i < j->batch; i++) {
        int k = order[i];
        put_image(j, &rng, k, in, x + (size_t)i * in);
        y[i] = tr->y[k];
        if (truth) {
            float *t = truth + (size_t)i * nc;
            const float *soft = j->soft + (size_t)k * nc;
            for (int c = 0; c < nc; c++) t[c] = j->soft_weight * soft[c];
            t[y[i]] += 1 - j->soft_weight;
        }
    }
}

/* The trained weights to path, its folder made first. */
static msp_status save_result(msp_net *net, const char *path, msp_err *err)
{
    char *dir = msp_strdup(path), *slash = strrchr(dir, '/');
    msp_status st = MSP_OK;
    if (slash) {
        *slash = 0;
        st = msp_mkdirs(dir, err);
    }
    free(dir);
    if (st == MSP_OK) st = msp_net_save_weights(net, path, err);
    if (st == MSP_OK) msp_log(MSP_LOG_INFO, "wrote %s", path);
    return st;
}

/* After an epoch's last batch (batches first..end, started at t0): batch-norm
 * statistics, the epoch's numbers and validation, reported as
 * "epoch N/M: ..." until the epoch's bar is finished. */
static void close_epoch(msp_net *net, const msp_train_job *j, msp_train_state *s,
                        const int *order, uint32_t first, double loss_sum, double t0,
                        const char *label)
{
    int bs = j->batch, per_epoch = j->train->n / bs;
    char after[96];
    snprintf(after, sizeof after, "%s: batch-norm statistics", label);
    recalibrate(net, j->train, order, per_epoch, bs, mix(j->seed, s->epoch, 0xb4), after);
    double secs = msp_now() - t0;
    msp_epoch_stats *e = &s->hist[s->epoch];
    e->loss = loss_sum / (per_epoch - first);
    e->seconds = secs;
    e->images_per_s = (per_epoch - first) * (double)bs / secs;
    snprintf(after, sizeof after, "%s: validation", label);
    e->val_top1 = j->val->n ? validate(net, j->val, after) : NAN;
    s->n_hist = s->epoch + 1;
}

static const char *extra_of(const msp_epoch_stats *e, char *buf, size_t size)
{
    snprintf(buf, size, "loss %.4f val top-1 %.2f%%", e->loss, 100 * e->val_top1);
    return buf;
}

/* The network to train: the checkpoint's in j->dir when resuming (*s and
 * *opt get its state), else j->init_weights with a fresh schedule; either
 * way it must fit the data. */
static msp_status open_net(const msp_train_job *j, const msp_train_opts *opts,
                           const msp_net_opts *no, const char *ckpt_w, msp_net **net,
                           msp_train_state *s, float **opt, msp_err *err)
{
    const msp_dataset *tr = j->train;
    msp_status st;
    if (opts->resume) {
        msp_train_state want = *s;
        st = msp_checkpoint_settle(j->dir, err);
        if (st != MSP_OK) return st;
        if (!msp_file_readable(ckpt_w))
            return msp_err_set(err, MSP_BAD_INPUT, ckpt_w, 0, "no checkpoint to resume from");
        /* The weights are size-checked by the load; the state is checked
         * against them (CRC) and against the network's optimiser size. */
        st = msp_net_load(j->cfg, ckpt_w, no, net, err);
        if (st == MSP_OK)
            st = msp_checkpoint_load(j->dir, &want, msp_net_optimizer_size(*net), s, opt, err);
        if (st != MSP_OK) return st;
        msp_net_optimizer_set(*net, *opt);
        msp_net_set_seen(*net, s->seen);
        msp_log(MSP_LOG_INFO, "resuming at epoch %u batch %u of %d", s->epoch + 1, s->batch + 1,
                tr->n / j->batch);
    } else {
        st = msp_net_load(j->cfg, j->init_weights, no, net, err);
        if (st != MSP_OK) return st;
        /* Fine-tuning starts a new schedule from the loaded weights. */
        msp_net_set_seen(*net, 0);
    }
    if (msp_net_inputs(*net) != tr->w * tr->h * tr->c || msp_net_classes(*net) != tr->n_classes)
        return msp_err_set(err, MSP_BAD_INPUT, j->cfg, 0,
                           "network takes %d inputs and has %d outputs, but the data has "
                           "%dx%dx%d images and %d classes",
                           msp_net_inputs(*net), msp_net_classes(*net), tr->w, tr->h, tr->c,
                           tr->n_classes);
    return MSP_OK;
}

/* One batch's images, labels and targets, and the epoch's image order. */
typedef struct batch_bufs {
    float *x, *truth;
    int *y, *order;
} batch_bufs;

static void bufs_alloc(batch_bufs *b, const msp_train_job *j, size_t in)
{
    size_t bs = (size_t)j->batch;
    b->x = msp_malloc(sizeof(float) * in * bs);
    b->y = msp_malloc(sizeof(int) * bs);
    b->truth = j->soft ? msp_malloc(sizeof(float) * bs * (size_t)j->train->n_classes) : NULL;
    b->order = msp_malloc(sizeof(int) * (size_t)j->train->n);
}

static void bufs_free(batch_bufs *b)
{
    free(b->x);
    free(b->y);
    free(b->truth);
    free(b->order);
}

/* The order of the training images in an epoch, drawn from (seed, epoch)
 * so that a resumed run sees the same. */
static void epoch_order(uint64_t seed, uint32_t epoch, int *order, int n)
{
    msp_rng rng;
    msp_rng_seed(&rng, mix(seed, epoch, 0x5eed));
    for (int i = 0; i < n; i++) order[i] = i;
    msp_rng_shuffle(&rng, order, n);
}

/* One step on batch s->batch of the epoch's order, with Darknet's rand()
 * reseeded from (seed, epoch, batch) so that a resumed run repeats it. */
static float train_batch(const msp_train_job *j, msp_net *net, const msp_train_state *s,
                         const batch_bufs *b, size_t in)
{
    /* The augmentation's draws: a stream of their own, apart from Darknet's. */
    uint64_t augment_seed = mix(j->seed, s->epoch, s->batch + 0xa5a5);
    fill_batch(j, b->order + (size_t)s->batch * j->batch, in, augment_seed, b->x, b->y, b->truth);
    msp_engine_seed(mix(j->seed, s->epoch, s->batch + 1));
    return b->truth ? msp_net_train_batch_truth(net, b->x, b->truth)
                    : msp_net_train_batch(net, b->x, b->y);
}

/* After an epoch's last batch: a checkpoint that resumes at the next
 * epoch, then train.json from it. */
static msp_status checkpoint_epoch(const msp_train_job *j, msp_net *net, const msp_train_state *s,
                                   int *recorded, msp_err *err)
{
    msp_train_state next = *s;
    next.epoch++;
    next.batch = 0;
    msp_status st = save_checkpoint(j, net, &next, recorded, err);
    msp_testpoint("train-checkpoint");
    if (st == MSP_OK) st = write_log(j, &next, err);
    return st;
}

msp_status msp_train_run(const msp_train_job *j, const msp_train_opts *opts, msp_err *err)
{
    int epochs = j->epochs, bs = j->batch;
    const msp_dataset *tr = j->train, *val = j->val;
    if (tr->n < bs)
        return msp_err_set(err, MSP_BAD_INPUT, j->cfg, 0,
                           "batch %d is larger than the training split (%d images)", bs, tr->n);
    int per_epoch = tr->n / bs;
    uint64_t seed = j->seed;
    msp_status st;

    msp_net *net = NULL;
    msp_train_state s = {.seed = seed, .batch_size = (uint32_t)bs, .n_train = (uint64_t)tr->n};
    float *opt = NULL;
    int recorded = 0;
    char *ckpt_w = msp_checkpoint_weights_path(j->dir);
    msp_net_opts no = {.batch = bs,
                       .max_batches = epochs * per_epoch,
                       .learning_rate = j->learning_rate,
                       .engine = opts->engine,
                       .verbose = opts->verbose};

    st = msp_mkdirs(j->dir, err);
    if (st != MSP_OK) goto out;
    msp_engine_seed(seed);
    st = open_net(j, opts, &no, ckpt_w, &net, &s, &opt, err);
    if (st != MSP_OK) goto out;
    msp_log(MSP_LOG_INFO, "training %s on %d images (%d validation), batch %d, %d epochs",
            j->cfg, tr->n, val->n, bs, epochs);

    msp_stop_signals saved; /* SIGINT, SIGTERM: stop at the next batch, saving a checkpoint */
    msp_stop_signals_catch(&saved);
    size_t in = (size_t)msp_net_inputs(net);
    batch_bufs b;
    bufs_alloc(&b, j, in);
    s.hist = msp_realloc(s.hist, sizeof *s.hist * (size_t)(epochs > (int)s.n_hist ? epochs : (int)s.n_hist));

    for (; (int)s.epoch < epochs && st == MSP_OK; s.epoch++, s.batch = 0) {
        epoch_order(seed, s.epoch, b.order, tr->n);
        char label[64], extra[96];
        snprintf(label, sizeof label, "epoch %u/%d", s.epoch + 1, epochs);
        msp_progress pr;
        msp_progress_start(&pr, label, (int64_t)per_epoch * bs);
        double loss_sum = 0, t0 = msp_now();
        uint32_t first = s.batch;
        for (; (int)s.batch < per_epoch; s.batch++) {
            if (msp_stop_requested()) break;
            float loss = train_batch(j, net, &s, &b, in);
            if (!isfinite(loss)) {
                st = msp_err_set(err, MSP_FAIL, j->cfg, 0,
                                 "training diverged (loss %g at epoch %u batch %u); lower "
                                 "learning_rate in the cfg",
                                 loss, s.epoch + 1, s.batch + 1);
                break;
            }
            loss_sum += loss;
            msp_testpoint("train-batch");
            if (msp_progress_due(&pr)) {
                snprintf(extra, sizeof extra, "loss %.4f lr %.3g",
                         loss_sum / (s.batch - first + 1), msp_net_learning_rate(net));
                msp_progress_update(&pr, (int64_t)(s.batch + 1) * bs, extra);
            }
        }
        if (st != MSP_OK) break;
        if (msp_stop_requested()) {
            st = save_checkpoint(j, net, &s, &recorded, err);
            if (st == MSP_OK) {
                /* the command says how to continue: its own way */
                msp_log(MSP_LOG_WARN, "interrupted: checkpoint saved at epoch %u batch %u",
                        s.epoch + 1, s.batch + 1);
                st = MSP_INTERRUPTED;
            }
            break;
        }
        close_epoch(net, j, &s, b.order, first, loss_sum, t0, label);
        msp_progress_finish(&pr, (int64_t)per_epoch * bs, extra_of(&s.hist[s.epoch], extra, sizeof extra));
        st = checkpoint_epoch(j, net, &s, &recorded, err);
    }
    /* A run killed between its last checkpoint and train.json resumes with
     * no epoch left to run: write the log from the checkpoint's history. */
    if (st == MSP_OK && s.n_hist && (int)s.n_hist == epochs) st = write_log(j, &s, err);
    msp_testpoint("train-final");
    msp_stop_signals_release(&saved);
    bufs_free(&b);

    if (st == MSP_OK) st = save_result(net, j->out_weights, err);
out:
    free(opt);
    free(ckpt_w);
    msp_train_state_free(&s);
    msp_net_free(net);
    return st;
}

/* The ladder network called name, NULL for the base ("base" or NULL). */
static msp_status find_net(const msp_expconf *c, const char *name, const msp_ladder_net **ln,
                           msp_err *err)
{
    *ln = NULL;
    if (!name || !strcmp(name, "base")) return MSP_OK;
    for (int i = 0; i < c->n_ladder; i++)
        if (!strcmp(c->ladder[i].name, name)) *ln = &c->ladder[i];
    if (*ln) return MSP_OK;
    return msp_err_set(err, MSP_BAD_INPUT, c->path, 0, "no network '%s': the config has 'base'%s",
                       name, c->n_ladder ? " and its ladder networks" : " only");
}

static int net_epochs(const msp_expconf *c, const msp_ladder_net *ln, int override)
{
    if (override > 0) return override;
    return ln && ln->epochs > 0 ? ln->epochs : c->base.epochs;
}

static void train_inputs(const msp_expconf *c, const msp_ladder_net *ln, int epochs, msp_stamp *s)
{
    msp_experiment_stamp_data(c, MSP_SPLIT_TRAIN | MSP_SPLIT_VAL, s);
    char key[96];
    snprintf(key, sizeof key, "%s%s.epochs", ln ? "ladder." : "base", ln ? ln->name : "");
    msp_stamp_add(s, key, "%d", epochs);
    msp_stamp_add(s, "base.batch", "%d", c->base.batch);
    /* the path first: a switched cfg is named as such */
    snprintf(key, sizeof key, "%s%s.cfg", ln ? "ladder." : "base", ln ? ln->name : "");
    msp_stamp_add(s, key, "%s", ln ? ln->cfg : c->base.cfg);
    msp_stamp_add_file(s, ln ? ln->cfg : c->base.cfg);
    msp_expconf_stamp_augment(c, s);
}

msp_status msp_train_inputs(const msp_expconf *c, const char *net, msp_stamp *s, msp_err *err)
{
    const msp_ladder_net *ln;
    msp_status st = find_net(c, net, &ln, err);
    if (st == MSP_OK) train_inputs(c, ln, net_epochs(c, ln, 0), s);
    return st;
}

char *msp_train_record_path(const msp_expconf *c, const char *net)
{
    char name[MSP_EXPCONF_NAME_MAX + 8];
    snprintf(name, sizeof name, "train-%s", net ? net : "base");
    return msp_stamp_path(c->output, name);
}

/* May the checkpoint in dir be resumed? Not when it was made from other
 * inputs: the run starts afresh, and says why. */
static int resumable(const char *dir, const msp_stamp *in)
{
    char *rec = msp_strcat3(dir, "/", "checkpoint.inputs");
    char why[512];
    int ok = msp_stamp_compare(in, rec, why, sizeof why) != MSP_STAMP_CHANGED;
    if (!ok)
        msp_log(MSP_LOG_WARN, "not resuming the checkpoint in %s: it was made from other inputs "
                              "(%s); training from the start", dir, why);
    free(rec);
    return ok;
}

msp_status msp_train_base(const msp_expconf *c, const msp_train_opts *opts, msp_err *err)
{
    const msp_ladder_net *ln;
    msp_status st = find_net(c, opts->net, &ln, err);
    if (st != MSP_OK) return st;
    /* what the data is before it is read: a change while it is read shows
     * next time */
    int epochs = net_epochs(c, ln, opts->epochs);
    msp_stamp in = {0};
    train_inputs(c, ln, epochs, &in);
    msp_experiment_data data;
    st = msp_experiment_load_data(c, MSP_SPLIT_TRAIN | MSP_SPLIT_VAL, &data, err);
    if (st != MSP_OK) {
        msp_stamp_free(&in);
        return st;
    }
    char *dir = ln ? msp_strcat3(c->output, "/ladder/", ln->name) : msp_strdup(c->output);
    msp_train_opts o = *opts;
    o.resume = o.resume && resumable(dir, &in);
    msp_train_job j = {.name = ln ? ln->name : c->name,
                       .cfg = ln ? ln->cfg : c->base.cfg,
                       .out_weights = ln ? ln->weights : c->base.weights,
                       .dir = dir,
                       .epochs = epochs,
                       .batch = c->base.batch,
                       .seed = c->seed,
                       .train = &data.train,
                       .val = &data.val,
                       .inputs = &in};
    msp_train_job_augment(&j, c);
    st = msp_train_run(&j, &o, err);
    if (st == MSP_OK) {
        char *rec = msp_train_record_path(c, ln ? ln->name : NULL);
        st = msp_stamp_write(&in, rec, err);
        free(rec);
    }
    msp_stamp_free(&in);
    free(dir);
    msp_experiment_data_free(&data);
    return st;
}

/* Batches used to re-estimate batch-norm statistics after pruning. */
#define RECALIBRATION_BATCHES 50

msp_status msp_train_recalibrate_files(const char *cfg, const char *in_weights,
                                       const char *out_weights, const msp_dataset *train,
                                       int batch, uint64_t seed, msp_engine_kind engine,
                                       msp_err *err)
{
    msp_net *net = NULL;
    msp_net_opts o = {.batch = batch, .engine = engine};
    msp_status st = msp_net_load(cfg, in_weights, &o, &net, err);
    if (st != MSP_OK) return st;
    int nb = train->n / batch < RECALIBRATION_BATCHES ? train->n / batch : RECALIBRATION_BATCHES;
    msp_engine_seed(seed);
    msp_net_recalibrate_bn(net, train->x, nb, NULL);
    st = msp_net_save_weights(net, out_weights, err);
    msp_net_free(net);
    return st;
}

static float cfg_learning_rate(const char *cfg_path)
{
    msp_dn_cfg cfg = {0};
    msp_err err;
    float lr = 0.001f;
    if (msp_dncfg_read(cfg_path, &cfg, &err) == MSP_OK) {
        const char *v = msp_dncfg_get(&cfg.sec[0], "learning_rate");
        if (v) lr = strtof(v, NULL);
    }
    msp_dncfg_free(&cfg);
    return lr;
}

float msp_train_finetune_lr(const char *cfg_path, double chosen)
{
    return chosen > 0 ? (float)chosen : 0.2f * cfg_learning_rate(cfg_path);
}
