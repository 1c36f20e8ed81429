/* checkpoint.c: save and validate resumable training state.
 *
 * Save order, so that a kill at any instant leaves a resumable checkpoint:
 * the new weights go to checkpoint.next.weights, then the state (holding
 * their CRC) replaces checkpoint.state, then the weights are renamed to
 * checkpoint.weights. A kill before the state's rename leaves the previous
 * pair intact (the .next file is stale); a kill after it leaves the new state
 * with its weights still under the .next name, which msp_checkpoint_settle
 * renames into place before resuming.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/base.h"
#include "checkpoint.h"

#define CKPT_MAGIC "MSPCKPT"
#define CKPT_VERSION 1u
#define CKPT_MAX_FLOATS (1ull << 31)
#define CKPT_MAX_EPOCHS 100000u

char *msp_checkpoint_weights_path(const char *dir) { return msp_strcat3(dir, "/", "checkpoint.weights"); }

msp_status msp_checkpoint_save(const char *dir, msp_net *net, const msp_train_state *s,
                               msp_err *err)
{
    char *wpath = msp_checkpoint_weights_path(dir), *spath = msp_strcat3(dir, "/", "checkpoint.state");
    char *npath = msp_strcat3(dir, "/", "checkpoint.next.weights");
    msp_status st = msp_net_save_weights(net, npath, err);
    uint32_t wcrc = 0;
    if (st == MSP_OK) st = msp_file_crc32(npath, &wcrc, NULL, err);
    if (st != MSP_OK) goto out;

    /* Built in memory, CRC'd, written once. */
    msp_bytebuf b = {0};
    msp_bytebuf_put(&b, CKPT_MAGIC, 8);
    msp_bytebuf_put_u32(&b, CKPT_VERSION);
    msp_bytebuf_put_u64(&b, s->seed);
    msp_bytebuf_put_u32(&b, s->epoch);
    msp_bytebuf_put_u32(&b, s->batch);
    msp_bytebuf_put_u32(&b, s->batch_size);
    msp_bytebuf_put_u64(&b, s->n_train);
    msp_bytebuf_put_u64(&b, msp_net_seen(net));
    msp_bytebuf_put_u32(&b, wcrc);
    uint64_t n_opt = msp_net_optimizer_size(net);
    msp_bytebuf_put_u64(&b, n_opt);
    float *opt = msp_malloc(sizeof(float) * n_opt);
    msp_net_optimizer_get(net, opt);
    for (uint64_t i = 0; i < n_opt; i++) msp_bytebuf_put_f32(&b, opt[i]);
    free(opt);
    msp_bytebuf_put_u32(&b, s->n_hist);
    for (uint32_t i = 0; i < s->n_hist; i++) {
        msp_bytebuf_put_f64(&b, s->hist[i].loss);
        msp_bytebuf_put_f64(&b, s->hist[i].val_top1);
        msp_bytebuf_put_f64(&b, s->hist[i].seconds);
        msp_bytebuf_put_f64(&b, s->hist[i].images_per_s);
    }
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), b.p, (uInt)b.n);
    msp_bytebuf_put_u32(&b, crc);

    msp_testpoint("checkpoint-weights");
    msp_atomic a;
    st = msp_atomic_open(&a, spath, err);
    if (st == MSP_OK) {
        fwrite(b.p, 1, b.n, a.f);
        st = msp_atomic_commit(&a, err);
    }
    free(b.p);
    msp_testpoint("checkpoint-state");
    if (st == MSP_OK) st = msp_atomic_rename(npath, wpath, err);
out:
    free(wpath);
    free(spath);
    free(npath);
    return st;
}

/* A bounds-checked reader over the state bytes. */
typedef struct {
    const unsigned char *p;
    size_t n, off;
} rd_t;

static int get(rd_t *r, void *dst, size_t n)
{
    if (r->n - r->off < n) return 0;
    memcpy(dst, r->p + r->off, n);
    r->off += n;
    return 1;
}

static int get_u32(rd_t *r, uint32_t *v)
{
    if (r->n - r->off < 4) return 0;
    *v = msp_le_u32(r->p + r->off);
    r->off += 4;
    return 1;
}

static int get_u64(rd_t *r, uint64_t *v)
{
    if (r->n - r->off < 8) return 0;
    *v = msp_le_u64(r->p + r->off);
    r->off += 8;
    return 1;
}

static int get_f32s(rd_t *r, float *a, uint64_t n)
{
    if ((r->n - r->off) / 4 < n) return 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t u = msp_le_u32(r->p + r->off + 4 * i);
        memcpy(&a[i], &u, 4);
    }
    r->off += 4 * n;
    return 1;
}

static int get_f64(rd_t *r, double *v)
{
    uint64_t u;
    if (!get_u64(r, &u)) return 0;
    memcpy(v, &u, 8);
    return 1;
}

static msp_status read_all(const char *path, unsigned char **data, size_t *n, msp_err *err)
{
    FILE *f;
    if (access(path, F_OK) != 0) return msp_err_set(err, MSP_BAD_INPUT, path, 0, "no checkpoint to resume from");
    msp_status st = msp_fopen_regular(path, &f, NULL, err);
    if (st != MSP_OK) return st;
    size_t cap = 1 << 16, len = 0;
    unsigned char *p = msp_malloc(cap);
    size_t got;
    while ((got = fread(p + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            if (cap > (CKPT_MAX_FLOATS * 4 + (1 << 20))) break;
            cap *= 2;
            p = msp_realloc(p, cap);
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(p);
        return msp_err_set(err, MSP_FAIL, path, 0, "read error");
    }
    *data = p;
    *n = len;
    return MSP_OK;
}

/* The weights CRC recorded in a complete, intact state file; 0 if none. */
static int state_weights_crc(const char *spath, uint32_t *wcrc)
{
    unsigned char *data = NULL;
    size_t n = 0;
    if (!msp_file_readable(spath) || read_all(spath, &data, &n, NULL) != MSP_OK) return 0;
    uint32_t crc_stored;
    int ok = n >= 52 && memcmp(data, CKPT_MAGIC, 8) == 0;
    if (ok) {
        crc_stored = msp_le_u32(data + n - 4);
        ok = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)(n - 4)) == crc_stored;
    }
    if (ok) *wcrc = msp_le_u32(data + 48); /* after magic, version, seed, epoch, batch, bs, n, seen */
    free(data);
    return ok;
}

msp_status msp_checkpoint_settle(const char *dir, msp_err *err)
{
    char *npath = msp_strcat3(dir, "/", "checkpoint.next.weights");
    char *spath = msp_strcat3(dir, "/", "checkpoint.state"), *wpath = msp_checkpoint_weights_path(dir);
    msp_status st = MSP_OK;
    uint32_t want, have;
    if (msp_file_readable(npath) && state_weights_crc(spath, &want) &&
        msp_file_crc32(npath, &have, NULL, NULL) == MSP_OK && have == want) {
        msp_log(MSP_LOG_INFO, "completing a checkpoint interrupted while it was saved");
        st = msp_atomic_rename(npath, wpath, err);
    }
    free(npath);
    free(spath);
    free(wpath);
    return st;
}

msp_status msp_checkpoint_load(const char *dir, const msp_train_state *expect, size_t n_opt,
                               msp_train_state *s, float **opt, msp_err *err)
{
    memset(s, 0, sizeof *s);
    *opt = NULL;
    char *spath = msp_strcat3(dir, "/", "checkpoint.state"), *wpath = msp_checkpoint_weights_path(dir);
    unsigned char *data = NULL;
    size_t n = 0;
    msp_status st = read_all(spath, &data, &n, err);
    if (st != MSP_OK) goto out;

    rd_t r = {data, n, 0};
    char magic[8];
    uint32_t version = 0, wcrc = 0, crc_stored = 0, wcrc_now = 0;
    uint64_t n_opt_file = 0;
    st = MSP_BAD_INPUT;
    if (n < 12 || !get(&r, magic, 8) || memcmp(magic, CKPT_MAGIC, 8) != 0) {
        msp_err_set(err, st, spath, 0, "not an msprune checkpoint (bad magic)");
        goto out;
    }
    crc_stored = msp_le_u32(data + n - 4);
    if ((uint32_t)crc32(crc32(0L, Z_NULL, 0), data, (uInt)(n - 4)) != crc_stored) {
        msp_err_set(err, st, spath, 0, "checkpoint is corrupt (checksum mismatch)");
        goto out;
    }
    r.n = n - 4;
    if (!get_u32(&r, &version) || version != CKPT_VERSION) {
        msp_err_set(err, st, spath, 0, "checkpoint version %u, this msprune reads version %u",
                    version, CKPT_VERSION);
        goto out;
    }
    if (!get_u64(&r, &s->seed) || !get_u32(&r, &s->epoch) || !get_u32(&r, &s->batch) ||
        !get_u32(&r, &s->batch_size) || !get_u64(&r, &s->n_train) || !get_u64(&r, &s->seen) ||
        !get_u32(&r, &wcrc) || !get_u64(&r, &n_opt_file) || n_opt_file > CKPT_MAX_FLOATS) {
        msp_err_set(err, st, spath, 0, "checkpoint is truncated");
        goto out;
    }
    if (s->seed != expect->seed || s->batch_size != expect->batch_size ||
        s->n_train != expect->n_train || n_opt_file != n_opt) {
        msp_err_set(err, st, spath, 0,
                    "checkpoint belongs to a different run (seed, batch, training-set size or "
                    "network changed); remove it to start afresh");
        goto out;
    }
    *opt = msp_malloc(sizeof(float) * n_opt);
    if (!get_f32s(&r, *opt, n_opt) || !get_u32(&r, &s->n_hist) ||
        s->n_hist > CKPT_MAX_EPOCHS || s->n_hist != s->epoch) {
        msp_err_set(err, st, spath, 0, "checkpoint is truncated or inconsistent");
        goto out;
    }
    s->hist = msp_calloc(s->n_hist, sizeof *s->hist);
    for (uint32_t i = 0; i < s->n_hist; i++)
        if (!get_f64(&r, &s->hist[i].loss) || !get_f64(&r, &s->hist[i].val_top1) ||
            !get_f64(&r, &s->hist[i].seconds) || !get_f64(&r, &s->hist[i].images_per_s)) {
            msp_err_set(err, st, spath, 0, "checkpoint is truncated");
            goto out;
        }
    if (r.off != r.n) {
        msp_err_set(err, st, spath, 0, "checkpoint has trailing bytes");
        goto out;
    }
    st = msp_file_crc32(wpath, &wcrc_now, NULL, err);
    if (st == MSP_OK && wcrc_now != wcrc)
        st = msp_err_set(err, MSP_BAD_INPUT, wpath, 0,
                         "weights do not match checkpoint.state (interrupted while saving?); "
                         "remove the checkpoint files to start afresh");
out:
    if (st != MSP_OK) {
        free(*opt);
        *opt = NULL;
        msp_train_state_free(s);
    }
    free(data);
    free(spath);
    free(wpath);
    return st;
}

void msp_train_state_free(msp_train_state *s)
{
    free(s->hist);
    memset(s, 0, sizeof *s);
}
