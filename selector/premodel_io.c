/* premodel_io.c: the premodel file (format in premodel.h). Written in memory,
 * CRC'd, then atomically; read whole (after a size check) and validated:
 * magic, version, checksum, then every count against its bound and against
 * the bytes left before anything is allocated, then every value (finite
 * floats, classes and features in range, tree children after their parent,
 * chain order a permutation). Byte order is explicit little-endian. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "base/base.h"
#include "premodel_internal.h"

#define MAGIC "MSPPREM"
#define VERSION 1u
/* magic, version, kind, d_in, d, m, 7 u32 params, 3 f64, u64 seed */
#define HEADER_BYTES (8 + 4 * 5 + 4 * 7 + 8 * 3 + 8)

/* ---- writing ---- */

static void put_f32s(msp_bytebuf *b, const float *a, size_t n)
{
    for (size_t i = 0; i < n; i++) msp_bytebuf_put_f32(b, a[i]);
}

static void put_i32s(msp_bytebuf *b, const int *a, size_t n)
{
    for (size_t i = 0; i < n; i++) msp_bytebuf_put_u32(b, (uint32_t)a[i]);
}

static void put_knn(msp_bytebuf *b, const msp_knn_set *s, int d)
{
    msp_bytebuf_put_u32(b, (uint32_t)s->n);
    put_f32s(b, s->x, (size_t)s->n * d);
    put_i32s(b, s->y, (size_t)s->n);
}

msp_status msp_premodel_save(const msp_premodel *pm, const char *path, msp_err *err)
{
    msp_bytebuf b = {0};
    int d = pm->d, m = pm->m;
    msp_bytebuf_put(&b, MAGIC, 8);
    msp_bytebuf_put_u32(&b, VERSION);
    msp_bytebuf_put_u32(&b, (uint32_t)pm->kind);
    msp_bytebuf_put_u32(&b, (uint32_t)pm->d_in);
    msp_bytebuf_put_u32(&b, (uint32_t)d);
    msp_bytebuf_put_u32(&b, (uint32_t)m);
    const msp_premodel_params *p = &pm->p;
    int ip[7] = {p->k, p->weighting, p->condense, p->max_depth, p->min_leaf, p->epochs, p->batch};
    put_i32s(&b, ip, 7);
    msp_bytebuf_put_f64(&b, p->var_floor);
    msp_bytebuf_put_f64(&b, p->l2);
    msp_bytebuf_put_f64(&b, p->lr);
    msp_bytebuf_put_u64(&b, p->seed);
    put_i32s(&b, pm->feat, (size_t)d);
    put_f32s(&b, pm->mean, (size_t)d);
    put_f32s(&b, pm->sd, (size_t)d);
    switch (pm->kind) {
    case MSP_PREMODEL_KNN: put_knn(&b, &pm->knn, d); break;
    case MSP_PREMODEL_KNN_CHAIN:
        put_i32s(&b, pm->order, (size_t)m);
        for (int j = 0; j + 1 < m; j++) put_knn(&b, &pm->chain[j], d);
        break;
    case MSP_PREMODEL_DTREE:
        msp_bytebuf_put_u32(&b, (uint32_t)pm->nnodes);
        for (int i = 0; i < pm->nnodes; i++) {
            msp_bytebuf_put_u32(&b, (uint32_t)pm->nodes[i].feat);
            msp_bytebuf_put_f32(&b, pm->nodes[i].thr);
            msp_bytebuf_put_u32(&b, (uint32_t)pm->nodes[i].left);
            msp_bytebuf_put_u32(&b, (uint32_t)pm->nodes[i].right);
            put_f32s(&b, pm->node_prob + (size_t)i * m, (size_t)m);
        }
        break;
    case MSP_PREMODEL_BAYES:
        for (int c = 0; c < m; c++) msp_bytebuf_put_f64(&b, pm->log_prior[c]);
        put_f32s(&b, pm->nb_mean, (size_t)m * d);
        put_f32s(&b, pm->nb_var, (size_t)m * d);
        break;
    case MSP_PREMODEL_LOGISTIC:
        put_f32s(&b, pm->w, (size_t)m * d);
        put_f32s(&b, pm->b, (size_t)m);
        break;
    case MSP_PREMODEL_GATE_CNN: {
        size_t len, nw;
        const char *cfg = msp_gate_net_cfg(pm->gate, &len);
        const float *w = msp_gate_net_weights(pm->gate, &nw);
        msp_bytebuf_put_u32(&b, (uint32_t)p->gate_epochs);
        msp_bytebuf_put_u32(&b, (uint32_t)p->gate_batch);
        msp_bytebuf_put_f64(&b, p->gate_lr);
        msp_bytebuf_put_u32(&b, (uint32_t)len);
        msp_bytebuf_put(&b, cfg, len);
        msp_bytebuf_put_u32(&b, (uint32_t)nw);
        put_f32s(&b, w, nw);
        break;
    }
    case MSP_PREMODEL_CASCADE: msp_bytebuf_put_u32(&b, (uint32_t)pm->start); break;
    default: MSP_ASSERT(!"a trained model has a valid kind");
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < b.n; off += 1u << 30) { /* uInt lengths */
        size_t len = b.n - off < (1u << 30) ? b.n - off : (1u << 30);
        crc = crc32(crc, b.p + off, (uInt)len);
    }
    msp_bytebuf_put_u32(&b, (uint32_t)crc);

    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st == MSP_OK) {
        if (fwrite(b.p, 1, b.n, a.f) != b.n) {
            msp_atomic_abort(&a);
            st = msp_err_set(err, MSP_FAIL, path, 0, "write failed");
        } else {
            st = msp_atomic_commit(&a, err);
        }
    }
    free(b.p);
    return st;
}

/* ---- reading ---- */

typedef struct {
    const unsigned char *p;
    size_t n, off;
    const char *path;
    msp_err *err;
    int bad; /* an error is already set */
} rbuf;

static int need(rbuf *r, uint64_t bytes, const char *what)
{
    if (r->bad) return 0;
    if (bytes > r->n - r->off) {
        r->bad = 1;
        msp_err_set(r->err, MSP_BAD_INPUT, r->path, 0,
                    "truncated premodel file: %s needs %llu bytes, %llu left; write it again "
                    "with msprune premodel", what, (unsigned long long)bytes,
                    (unsigned long long)(r->n - r->off));
        return 0;
    }
    return 1;
}

static int fail(rbuf *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(rbuf *r, const char *fmt, ...)
{
    if (!r->bad) {
        va_list ap;
        va_start(ap, fmt);
        msp_err_vset(r->err, MSP_BAD_INPUT, r->path, 0, fmt, ap);
        va_end(ap);
    }
    r->bad = 1;
    return 0;
}

static uint32_t get_u32(rbuf *r)
{
    if (!need(r, 4, "a field")) return 0;
    uint32_t v = msp_le_u32(r->p + r->off);
    r->off += 4;
    return v;
}

static uint64_t get_u64(rbuf *r)
{
    uint64_t lo = get_u32(r);
    return lo | (uint64_t)get_u32(r) << 32;
}

static float get_f32(rbuf *r)
{
    uint32_t v = get_u32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static double get_f64(rbuf *r)
{
    uint64_t v = get_u64(r);
    double f;
    memcpy(&f, &v, 8);
    return f;
}

/* n floats, all finite, into a new array; NULL on error. */
static float *get_f32s(rbuf *r, size_t n, const char *what)
{
    if (!need(r, (uint64_t)n * 4, what)) return NULL;
    float *a = msp_malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        a[i] = get_f32(r);
        if (!isfinite(a[i])) {
            free(a);
            fail(r, "%s: value %zu is not finite; the file is corrupt", what, i);
            return NULL;
        }
    }
    return a;
}

/* n ints in [lo, hi] into a new array; NULL on error. */
static int *get_i32s(rbuf *r, size_t n, int lo, int hi, const char *what)
{
    if (!need(r, (uint64_t)n * 4, what)) return NULL;
    int *a = msp_malloc(sizeof(int) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        int32_t v = (int32_t)get_u32(r);
        if (v < lo || v > hi) {
            free(a);
            fail(r, "%s: entry %zu is %d, outside %d to %d; the file is corrupt", what, i, v, lo,
                 hi);
            return NULL;
        }
        a[i] = v;
    }
    return a;
}

static int get_knn(rbuf *r, msp_knn_set *s, int d, int ncls)
{
    uint32_t n = get_u32(r);
    if (r->bad) return 0;
    if (n < 1 || n > MSP_PREMODEL_MAX_N || (uint64_t)n * d > MSP_PREMODEL_MAX_VALUES)
        return fail(r, "knn reference set of %u points is out of range (1 to %d)", n,
                    MSP_PREMODEL_MAX_N);
    if (!need(r, (uint64_t)n * ((uint64_t)d + 1) * 4, "the knn reference set")) return 0;
    s->x = get_f32s(r, (size_t)n * d, "knn reference points");
    s->y = get_i32s(r, n, 0, ncls - 1, "knn reference classes");
    s->n = (int)n;
    return !r->bad;
}

/* gate-cnn: training params, cfg text, weights; the network is checked by
 * msp_gate_net_make (dncfg.h's checker, shapes, weight count), never by
 * Darknet. */
static int read_gate(rbuf *r, msp_premodel *pm)
{
    msp_premodel_params *p = &pm->p;
    p->gate_epochs = (int32_t)get_u32(r);
    p->gate_batch = (int32_t)get_u32(r);
    p->gate_lr = get_f64(r);
    msp_err perr;
    if (!r->bad && msp_premodel_params_check(pm->kind, p, &perr) != MSP_OK)
        return fail(r, "bad parameters: %s", perr.msg);
    uint32_t len = get_u32(r);
    if (r->bad) return 0;
    if (len < 1 || len > MSP_GATE_MAX_CFG)
        return fail(r, "gate-cnn cfg text of %u bytes is out of range (1 to %u); the file is "
                    "corrupt", len, MSP_GATE_MAX_CFG);
    if (!need(r, len, "the gate-cnn cfg text")) return 0;
    const char *cfg = (const char *)r->p + r->off;
    r->off += len;
    uint32_t nw = get_u32(r);
    if (r->bad) return 0;
    if (nw > MSP_GATE_MAX_WEIGHTS)
        return fail(r, "gate-cnn weight count %u is out of range (at most %u); the file is "
                    "corrupt", nw, MSP_GATE_MAX_WEIGHTS);
    float *w = get_f32s(r, nw, "gate-cnn weights");
    if (!w) return 0;
    msp_status st = msp_gate_net_make(cfg, len, w, nw, pm->d, pm->m, r->path, &pm->gate, r->err);
    free(w);
    if (st != MSP_OK) r->bad = 1;
    return st == MSP_OK;
}

static int read_payload(rbuf *r, msp_premodel *pm)
{
    int d = pm->d, m = pm->m;
    size_t md = (size_t)m * d;
    switch (pm->kind) {
    case MSP_PREMODEL_KNN: return get_knn(r, &pm->knn, d, m);
    case MSP_PREMODEL_KNN_CHAIN: {
        pm->order = get_i32s(r, (size_t)m, 0, m - 1, "knn-chain order");
        if (!pm->order) return 0;
        uint8_t seen[MSP_PREMODEL_MAX_NETS] = {0};
        for (int j = 0; j < m; j++) {
            if (seen[pm->order[j]]) return fail(r, "knn-chain order lists network %d twice", pm->order[j]);
            seen[pm->order[j]] = 1;
        }
        pm->chain = msp_calloc((size_t)(m > 1 ? m - 1 : 1), sizeof(msp_knn_set));
        for (int j = 0; j + 1 < m; j++)
            if (!get_knn(r, &pm->chain[j], d, 2)) return 0;
        return 1;
    }
    case MSP_PREMODEL_DTREE: {
        uint32_t nn = get_u32(r);
        if (r->bad) return 0;
        if (nn < 1 || nn > 2u * MSP_PREMODEL_MAX_N)
            return fail(r, "decision tree of %u nodes is out of range (1 to %d)", nn,
                        2 * MSP_PREMODEL_MAX_N);
        if (!need(r, (uint64_t)nn * (16 + 4 * (uint64_t)m), "the decision tree")) return 0;
        pm->nodes = msp_malloc(sizeof(msp_dtree_node) * nn);
        pm->node_prob = msp_malloc(sizeof(float) * nn * (size_t)m);
        pm->nnodes = (int)nn;
        for (uint32_t i = 0; i < nn; i++) {
            msp_dtree_node *q = &pm->nodes[i];
            q->feat = (int32_t)get_u32(r);
            q->thr = get_f32(r);
            q->left = (int32_t)get_u32(r);
            q->right = (int32_t)get_u32(r);
            int leaf = q->feat == -1;
            if (!leaf && (q->feat < 0 || q->feat >= d || !isfinite(q->thr) ||
                          q->left <= (int)i || q->left >= (int)nn || q->right <= (int)i ||
                          q->right >= (int)nn))
                return fail(r, "decision tree node %u is malformed; the file is corrupt", i);
            for (int c = 0; c < m; c++) {
                float v = get_f32(r);
                if (!(v >= 0 && v <= 1))
                    return fail(r, "decision tree node %u has class fraction %g; the file is "
                                "corrupt", i, v);
                pm->node_prob[(size_t)i * m + c] = v;
            }
        }
        return 1;
    }
    case MSP_PREMODEL_BAYES: {
        if (!need(r, (uint64_t)m * 8 + md * 8, "naive-bayes statistics")) return 0;
        pm->log_prior = msp_malloc(sizeof(double) * (size_t)m);
        int any = 0;
        for (int c = 0; c < m; c++) {
            double v = get_f64(r);
            if (!(v <= 0) && v != -INFINITY) return fail(r, "naive-bayes prior %d is invalid", c);
            pm->log_prior[c] = v;
            any |= v != -INFINITY;
        }
        if (!any) return fail(r, "naive-bayes has no class with a prior");
        pm->nb_mean = get_f32s(r, md, "naive-bayes means");
        pm->nb_var = get_f32s(r, md, "naive-bayes variances");
        if (r->bad) return 0;
        for (size_t q = 0; q < md; q++)
            if (!(pm->nb_var[q] > 0)) return fail(r, "naive-bayes variance %zu is not positive", q);
        msp_bayes_prepare(pm);
        return 1;
    }
    case MSP_PREMODEL_LOGISTIC:
        if (!need(r, (md + (size_t)m) * 4, "logistic weights")) return 0;
        pm->w = get_f32s(r, md, "logistic weights");
        pm->b = get_f32s(r, (size_t)m, "logistic biases");
        return !r->bad;
    case MSP_PREMODEL_GATE_CNN: return read_gate(r, pm);
    case MSP_PREMODEL_CASCADE:
        pm->start = (int)get_u32(r);
        if (!r->bad && (pm->start < 0 || pm->start >= m))
            return fail(r, "cascade start network %d is out of range (0 to %d); the file is "
                        "corrupt", pm->start, m - 1);
        return !r->bad;
    default: return fail(r, "unknown premodel kind");
    }
}

/* The magic and version are checked before the rest is read, so a wrong
 * file of any size costs 12 bytes of reading, not its size in memory. */
static msp_status check_head(const char *path, const unsigned char *head, uint64_t size, msp_err *err)
{
    if (size < 8 || memcmp(head, MAGIC, 8) != 0)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                           "not a premodel file (bad magic); give a file written by msprune premodel");
    if (size < HEADER_BYTES + 4)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                           "truncated premodel file: %llu bytes, the header alone needs %d; write it "
                           "again with msprune premodel", (unsigned long long)size, HEADER_BYTES + 4);
    if (msp_le_u32(head + 8) != VERSION)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                           "premodel file version %u is not supported (this msprune reads version %u); "
                           "train the premodel again", msp_le_u32(head + 8), VERSION);
    if (size > MSP_PREMODEL_MAX_FILE)
        return msp_err_set(err, MSP_BAD_INPUT, path, 0,
                           "%llu bytes is larger than any premodel file (at most %llu); is this "
                           "the right file?", (unsigned long long)size,
                           (unsigned long long)MSP_PREMODEL_MAX_FILE);
    return MSP_OK;
}

static msp_status read_file(const char *path, unsigned char **data, size_t *n, msp_err *err)
{
    int fd;
    uint64_t size;
    msp_status st = msp_open_regular(path, &fd, &size, err);
    if (st != MSP_OK) return st;
    unsigned char head[12] = { 0 };
    size_t got, rest = 0;
    int bad = msp_read_full(fd, head, sizeof head, &got);
    if ((st = check_head(path, head, got < sizeof head ? got : size, err)) != MSP_OK) {
        close(fd);
        return st;
    }
    unsigned char *p = msp_malloc((size_t)size);
    memcpy(p, head, sizeof head);
    bad |= msp_read_full(fd, p + sizeof head, (size_t)size - sizeof head, &rest);
    close(fd);
    if (bad || got + rest != size) {
        free(p);
        return msp_err_set(err, MSP_FAIL, path, 0, "read error");
    }
    *data = p;
    *n = (size_t)size;
    return MSP_OK;
}

msp_status msp_premodel_load(const char *path, msp_premodel **out, msp_err *err)
{
    *out = NULL;
    unsigned char *data = NULL;
    size_t n = 0;
    msp_status st = read_file(path, &data, &n, err);
    if (st != MSP_OK) return st;
    st = MSP_BAD_INPUT;
    msp_premodel *pm = NULL;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < n - 4; off += 1u << 30) {
        size_t len = n - 4 - off < (1u << 30) ? n - 4 - off : (1u << 30);
        crc = crc32(crc, data + off, (uInt)len);
    }
    if ((uint32_t)crc != msp_le_u32(data + n - 4)) {
        msp_err_set(err, st, path, 0,
                    "premodel file is corrupt or truncated (checksum mismatch); write it again "
                    "with msprune premodel");
        goto out;
    }

    rbuf r = {data, n - 4, 12, path, err, 0};
    pm = msp_premodel_alloc();
    uint32_t kind = get_u32(&r), d_in = get_u32(&r), d = get_u32(&r), m = get_u32(&r);
    if (kind >= MSP_PREMODEL_KIND_COUNT) {
        fail(&r, "unknown premodel kind %u (this msprune knows 0 to %d)", kind,
             MSP_PREMODEL_KIND_COUNT - 1);
        goto out;
    }
    if (d_in < 1 || d_in > MSP_PREMODEL_MAX_DIM) {
        fail(&r, "input width %u is out of range (1 to %d); the file is corrupt", d_in,
             MSP_PREMODEL_MAX_DIM);
        goto out;
    }
    if (kind == MSP_PREMODEL_CASCADE && d != 0) { /* it reads no features */
        fail(&r, "a cascade uses no features, not %u; the file is corrupt", d);
        goto out;
    }
    if (kind != MSP_PREMODEL_CASCADE && (d < 1 || d > d_in)) {
        fail(&r, "%u used features is out of range (1 to the input width %u); the file is "
             "corrupt", d, d_in);
        goto out;
    }
    if (m < 1 || m > MSP_PREMODEL_MAX_NETS) {
        fail(&r, "%u networks is out of range (1 to %d); the file is corrupt", m,
             MSP_PREMODEL_MAX_NETS);
        goto out;
    }
    pm->kind = (msp_premodel_kind)kind;
    pm->d_in = (int)d_in;
    pm->d = (int)d;
    pm->m = (int)m;
    msp_premodel_params *p = &pm->p;
    p->k = (int32_t)get_u32(&r);
    p->weighting = (int32_t)get_u32(&r);
    p->condense = (int32_t)get_u32(&r);
    p->max_depth = (int32_t)get_u32(&r);
    p->min_leaf = (int32_t)get_u32(&r);
    p->epochs = (int32_t)get_u32(&r);
    p->batch = (int32_t)get_u32(&r);
    p->var_floor = get_f64(&r);
    p->l2 = get_f64(&r);
    p->lr = get_f64(&r);
    p->seed = get_u64(&r);
    msp_err perr;
    /* gate-cnn's own params come with its payload (read_gate checks them). */
    if (!r.bad && pm->kind != MSP_PREMODEL_GATE_CNN &&
        msp_premodel_params_check(pm->kind, p, &perr) != MSP_OK) {
        fail(&r, "bad parameters: %s", perr.msg);
        goto out;
    }
    pm->feat = get_i32s(&r, d, 0, (int)d_in - 1, "feature columns");
    pm->mean = get_f32s(&r, d, "feature means");
    pm->sd = get_f32s(&r, d, "feature deviations");
    if (r.bad) goto out;
    for (uint32_t j = 0; j < d; j++) {
        if (!(pm->sd[j] > 0)) {
            fail(&r, "feature deviation %u is not positive; the file is corrupt", j);
            goto out;
        }
        for (uint32_t i = 0; i < j; i++)
            if (pm->feat[i] == pm->feat[j]) {
                fail(&r, "feature column %d is listed twice; the file is corrupt", pm->feat[j]);
                goto out;
            }
    }
    if (!read_payload(&r, pm)) goto out;
    if (r.off != r.n) {
        fail(&r, "%zu trailing bytes after the premodel; the file is corrupt", r.n - r.off);
        goto out;
    }
    *out = pm;
    pm = NULL;
    st = MSP_OK;
out:
    msp_premodel_free(pm);
    free(data);
    return st;
}
