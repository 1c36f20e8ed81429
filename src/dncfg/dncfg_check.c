/* dncfg_check.c: meaning of a Darknet cfg: known sections and keys, strict
 * values and ranges, and shape inference exactly as Darknet's parser.c
 * (pjreddie, 2018) computes it, plus the float count its load_weights reads.
 *
 * Limits: classifier layers only (see the tables below); detector and
 * recurrent sections are refused. Where Darknet would accept a value but then
 * crash or misbehave (route to a later layer, groups not dividing channels,
 * a crop larger than its input, ...) the cfg is refused with the line to fix.
 * Every size is bounded by the MSP_DN_MAX_* caps of dncfg.h before use, and
 * all products are computed in saturating 64-bit arithmetic.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dncfg.h"
#include "base/base.h"

/* ---- tables ------------------------------------------------------------ */

/* Keys parse_network_cfg reads for every layer section. */
static const char *const common_keys[] = {"truth", "onlyforward", "stopbackward", "dontsave",
                                          "dontload", "numload", "dontloadscales",
                                          "learning_rate", "smooth", NULL};

static const char *const net_keys[] = {
    "batch", "learning_rate", "momentum", "decay", "subdivisions", "time_steps", "notruth",
    "random", "adam", "B1", "B2", "eps", "height", "width", "channels", "inputs", "max_crop",
    "min_crop", "max_ratio", "min_ratio", "center", "clip", "angle", "aspect", "saturation",
    "exposure", "hue", "policy", "burn_in", "power", "step", "scale", "steps", "scales",
    "gamma", "max_batches", NULL};
static const char *const conv_keys[] = {"filters", "size", "stride", "pad", "padding",
                                        "groups", "activation", "batch_normalize", "binary",
                                        "xnor", "flipped", "dot", NULL};
static const char *const connected_keys[] = {"output", "activation", "batch_normalize", NULL};
static const char *const maxpool_keys[] = {"stride", "size", "padding", NULL};
static const char *const none_keys[] = {NULL};
static const char *const softmax_keys[] = {"groups", "temperature", "tree", "spatial",
                                           "noloss", NULL};
static const char *const dropout_keys[] = {"probability", NULL};
static const char *const route_keys[] = {"layers", NULL};
static const char *const shortcut_keys[] = {"from", "activation", "alpha", "beta", NULL};
static const char *const cost_keys[] = {"type", "scale", "ratio", "noobj", "thresh", NULL};
static const char *const crop_keys[] = {"crop_height", "crop_width", "flip", "angle",
                                        "saturation", "exposure", "noadjust", "shift", NULL};
static const char *const local_keys[] = {"filters", "size", "stride", "pad", "activation",
                                         NULL};
static const char *const activation_keys[] = {"activation", NULL};
static const char *const reorg_keys[] = {"stride", "reverse", "flatten", "extra", NULL};
static const char *const norm_keys[] = {"alpha", "beta", "kappa", "size", NULL};

typedef struct sec_kind {
    const char *name;
    int type; /* msp_layer_type; -1 for [net] */
    const char *const *keys;
} sec_kind;

static const sec_kind kinds[] = {
    {"net", -1, net_keys},
    {"network", -1, net_keys},
    {"convolutional", MSP_L_CONV, conv_keys},
    {"conv", MSP_L_CONV, conv_keys},
    {"connected", MSP_L_CONNECTED, connected_keys},
    {"conn", MSP_L_CONNECTED, connected_keys},
    {"maxpool", MSP_L_MAXPOOL, maxpool_keys},
    {"max", MSP_L_MAXPOOL, maxpool_keys},
    {"avgpool", MSP_L_AVGPOOL, none_keys},
    {"avg", MSP_L_AVGPOOL, none_keys},
    {"softmax", MSP_L_SOFTMAX, softmax_keys},
    {"soft", MSP_L_SOFTMAX, softmax_keys},
    {"dropout", MSP_L_DROPOUT, dropout_keys},
    {"route", MSP_L_ROUTE, route_keys},
    {"shortcut", MSP_L_SHORTCUT, shortcut_keys},
    {"batchnorm", MSP_L_BATCHNORM, none_keys},
    {"cost", MSP_L_COST, cost_keys},
    {"crop", MSP_L_CROP, crop_keys},
    {"local", MSP_L_LOCAL, local_keys},
    {"activation", MSP_L_ACTIVE, activation_keys},
    {"reorg", MSP_L_REORG, reorg_keys},
    {"normalization", MSP_L_NORMALIZATION, norm_keys},
    {"lrn", MSP_L_NORMALIZATION, norm_keys},
};
#define N_KINDS ((int)(sizeof kinds / sizeof kinds[0]))

/* Sections Darknet knows but msprune does not handle. */
static const char *const unsupported[] = {"region", "yolo", "detection", "iseg", "rnn",
                                          "gru", "lstm", "crnn", "upsample",
                                          "deconvolutional", "deconv", "logistic", "l2norm",
                                          NULL};

static const char *const activations[] = {"logistic", "loggy", "relu", "elu", "selu",
                                          "relie", "plse", "hardtan", "lhtan", "linear",
                                          "ramp", "leaky", "tanh", "stair", NULL};
static const char *const policies[] = {"constant", "step", "exp", "poly", "steps",
                                       "sigmoid", "random", NULL};
static const char *const cost_types[] = {"sse", "masked", "L1", "seg", "smooth", "wgan", NULL};

const char *msp_dn_layer_type_name(msp_layer_type t)
{
    switch (t) {
    case MSP_L_CONV: return "convolutional";
    case MSP_L_CONNECTED: return "connected";
    case MSP_L_MAXPOOL: return "maxpool";
    case MSP_L_AVGPOOL: return "avgpool";
    case MSP_L_SOFTMAX: return "softmax";
    case MSP_L_DROPOUT: return "dropout";
    case MSP_L_ROUTE: return "route";
    case MSP_L_SHORTCUT: return "shortcut";
    case MSP_L_BATCHNORM: return "batchnorm";
    case MSP_L_COST: return "cost";
    case MSP_L_CROP: return "crop";
    case MSP_L_LOCAL: return "local";
    case MSP_L_ACTIVE: return "activation";
    case MSP_L_REORG: return "reorg";
    case MSP_L_NORMALIZATION: return "normalization";
    }
    return "?";
}

/* ---- suggestions ------------------------------------------------------- */

static int in_list(const char *word, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(word, *list) == 0) return 1;
    return 0;
}

/* ---- checked values ---------------------------------------------------- */

typedef struct ctx {
    msp_dn_cfg *cfg;
    const char *path;
    msp_err *err;
    msp_dn_section *s; /* section being checked */
} ctx;

static msp_dn_kv *find_kv(msp_dn_section *s, const char *key)
{
    for (int i = 0; i < s->n_kv; i++)
        if (strcmp(s->kv[i].key, key) == 0) return &s->kv[i];
    return NULL;
}

static int parse_long(const char *s, long *v)
{
    if (!*s) return 0;
    errno = 0;
    char *end;
    long x = strtol(s, &end, 10);
    if (errno || *end) return 0;
    *v = x;
    return 1;
}

static int parse_double(const char *s, double *v)
{
    if (!*s) return 0;
    errno = 0;
    char *end;
    double x = strtod(s, &end);
    if (errno || *end || !isfinite(x)) return 0;
    *v = x;
    return 1;
}

/* Integer key in [lo, hi]; def when absent. */
static msp_status get_int(ctx *c, const char *key, int def, long lo, long hi, int *out)
{
    msp_dn_kv *kv = find_kv(c->s, key);
    if (!kv) {
        *out = def;
        return MSP_OK;
    }
    long v;
    if (!parse_long(kv->value, &v))
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "%s='%.64s' is not an integer", key, kv->value);
    if (v < lo || v > hi) {
        if (hi >= (long)MSP_DN_MAX_DIM * 4096)
            return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                               "%s=%ld is out of range: must be >= %ld", key, v, lo);
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "%s=%ld is out of range: must be between %ld and %ld", key, v, lo,
                           hi);
    }
    *out = (int)v;
    return MSP_OK;
}

static msp_status get_flag(ctx *c, const char *key, int *out)
{
    msp_dn_kv *kv = find_kv(c->s, key);
    *out = 0;
    if (!kv) return MSP_OK;
    long v;
    if (!parse_long(kv->value, &v) || (v != 0 && v != 1))
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "%s='%.64s' must be 0 or 1", key, kv->value);
    *out = (int)v;
    return MSP_OK;
}

/* Float key in [lo, hi] (lo excluded when lo_open). */
static msp_status get_float(ctx *c, const char *key, double lo, int lo_open, double hi)
{
    msp_dn_kv *kv = find_kv(c->s, key);
    if (!kv) return MSP_OK;
    double v;
    if (!parse_double(kv->value, &v))
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "%s='%.64s' is not a finite number", key, kv->value);
    if (v < lo || (lo_open && v == lo) || v > hi) {
        if (hi == HUGE_VAL)
            return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                               "%s=%g is out of range: must be %s %g", key, v,
                               lo_open ? ">" : ">=", lo);
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "%s=%g is out of range: must be in %s%g, %g]", key, v,
                           lo_open ? "(" : "[", lo, hi);
    }
    return MSP_OK;
}

#define ANY_FLOAT -HUGE_VAL, 0, HUGE_VAL

/* String key whose value must be one of names; *out gets the static name. */
static msp_status get_name(ctx *c, const char *key, const char *def, const char *const *names,
                           const char *what, const char **out)
{
    msp_dn_kv *kv = find_kv(c->s, key);
    const char *v = kv ? kv->value : def;
    for (const char *const *n = names; *n; n++)
        if (strcmp(v, *n) == 0) {
            *out = *n;
            return MSP_OK;
        }
    const char *near = msp_nearest(v, names);
    if (near)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "unknown %s '%.64s'; did you mean '%s'?", what, v, near);
    char known[512] = "";
    for (const char *const *n = names; *n; n++) {
        if (n != names) strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, *n, sizeof known - strlen(known) - 1);
    }
    return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                       "unknown %s '%.64s'; known: %s", what, v, known);
}

/* ---- arithmetic -------------------------------------------------------- */

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

/* ---- the network ------------------------------------------------------- */

typedef struct state {
    int w, h, c; /* Darknet's params.w/h/c: 0 after a flat layer */
    int inputs;  /* params.inputs */
} state;

static msp_status need_image(ctx *c, const state *st, const char *what)
{
    if (st->w && st->h && st->c) return MSP_OK;
    return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                       "[%s] needs an image input (w x h x c), but the layer before gives a "
                       "flat vector of %d values", what, st->inputs);
}

/* Output size of a sliding window: (in + extra - size)/stride + 1, refusing
 * windows that do not fit (Darknet's C division would round them to 1). */
static msp_status window_out(ctx *c, const char *what, int in, long extra, int size,
                             int stride, int *out)
{
    long num = (long)in + extra - size;
    if (num < 0)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                           "[%s] output would be empty: window size=%d does not fit input %d "
                           "with padding %ld; reduce size or add padding", what, size, in,
                           extra);
    *out = (int)(num / stride + 1);
    return MSP_OK;
}

static msp_status check_elems(ctx *c, const char *what, uint64_t n)
{
    if (n <= MSP_DN_MAX_LAYER_ELEMS) return MSP_OK;
    return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                       "%s needs %llu floats, over the cap of %llu; reduce width/height, "
                       "filters or size", what, (unsigned long long)n,
                       (unsigned long long)MSP_DN_MAX_LAYER_ELEMS);
}

/* Set the layer's output from an image shape, bounded. */
static msp_status set_image_out(ctx *c, msp_dn_layer *l, uint64_t w, uint64_t h, uint64_t ch)
{
    uint64_t n = mul_sat(mul_sat(w, h), ch);
    if (w == 0 || h == 0 || ch == 0)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                           "output would be empty (%llux%llux%llu)", (unsigned long long)w,
                           (unsigned long long)h, (unsigned long long)ch);
    msp_status s = check_elems(c, "the layer output", n);
    if (s) return s;
    l->out_w = (int)w;
    l->out_h = (int)h;
    l->out_c = (int)ch;
    l->outputs = (int)n;
    l->flat = 0;
    return MSP_OK;
}

static void set_flat_out(msp_dn_layer *l, int outputs)
{
    l->out_w = l->out_h = 1;
    l->out_c = outputs;
    l->outputs = outputs;
    l->flat = 1;
}

static msp_status parse_net(ctx *c, msp_dn_net *net)
{
    msp_status s;
    int v, flag;
    if ((s = get_int(c, "batch", 1, 1, MSP_DN_MAX_DIM, &net->batch))) return s;
    if ((s = get_int(c, "subdivisions", 1, 1, net->batch, &net->subdivisions))) return s;
    if ((s = get_int(c, "time_steps", 1, 1, MSP_DN_MAX_DIM, &v))) return s;
    if ((s = get_flag(c, "notruth", &flag)) || (s = get_flag(c, "random", &flag)) ||
        (s = get_flag(c, "adam", &flag)) || (s = get_flag(c, "center", &flag)))
        return s;
    if ((s = get_float(c, "learning_rate", 0, 0, HUGE_VAL)) ||
        (s = get_float(c, "momentum", 0, 0, 1)) || (s = get_float(c, "decay", 0, 0, HUGE_VAL)) ||
        (s = get_float(c, "B1", 0, 0, 1)) || (s = get_float(c, "B2", 0, 0, 1)) ||
        (s = get_float(c, "eps", 0, 1, HUGE_VAL)) || (s = get_float(c, "clip", 0, 0, HUGE_VAL)) ||
        (s = get_float(c, "angle", ANY_FLOAT)) || (s = get_float(c, "aspect", 0, 1, HUGE_VAL)) ||
        (s = get_float(c, "saturation", 0, 1, HUGE_VAL)) ||
        (s = get_float(c, "exposure", 0, 1, HUGE_VAL)) || (s = get_float(c, "hue", 0, 0, 1)) ||
        (s = get_float(c, "max_ratio", 0, 1, HUGE_VAL)) ||
        (s = get_float(c, "min_ratio", 0, 1, HUGE_VAL)) || (s = get_float(c, "power", ANY_FLOAT)) ||
        (s = get_float(c, "scale", ANY_FLOAT)) || (s = get_float(c, "gamma", ANY_FLOAT)))
        return s;

    static const char *const dims[3] = {"width", "height", "channels"};
    int *dst[3] = {&net->w, &net->h, &net->c};
    for (int i = 0; i < 3; i++) {
        if (!find_kv(c->s, dims[i]))
            return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                               "[%s] has no %s=; a classifier needs width, height and "
                               "channels", c->s->type, dims[i]);
        if ((s = get_int(c, dims[i], 0, 1, MSP_DN_MAX_DIM, dst[i]))) return s;
    }
    uint64_t in = mul_sat(mul_sat((uint64_t)net->w, (uint64_t)net->h), (uint64_t)net->c);
    if ((s = check_elems(c, "the input image (width x height x channels)", in))) return s;
    msp_dn_kv *kv = find_kv(c->s, "inputs");
    if (kv) {
        if ((s = get_int(c, "inputs", 0, 1, INT32_MAX, &v))) return s;
        if ((uint64_t)v != in)
            return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                               "inputs=%d differs from width x height x channels = %llu", v,
                               (unsigned long long)in);
    }
    if ((s = get_int(c, "max_crop", net->w * 2, 1, MSP_DN_MAX_DIM, &v)) ||
        (s = get_int(c, "min_crop", net->w, 1, MSP_DN_MAX_DIM, &v)) ||
        (s = get_int(c, "burn_in", 0, 0, INT32_MAX, &v)) ||
        (s = get_int(c, "step", 1, 1, INT32_MAX, &v)) ||
        (s = get_int(c, "max_batches", 0, 0, INT32_MAX, &net->max_batches)))
        return s;

    const char *policy;
    if ((s = get_name(c, "policy", "constant", policies, "learning-rate policy", &policy)))
        return s;
    msp_dn_kv *steps = find_kv(c->s, "steps"), *scales = find_kv(c->s, "scales");
    if (strcmp(policy, "steps") == 0 && (!steps || !scales))
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, find_kv(c->s, "policy")->line,
                           "policy=steps needs both steps= and scales=");
    int n_steps = 0, n_scales = 0;
    for (int which = 0; which < 2; which++) {
        msp_dn_kv *list = which ? scales : steps;
        if (!list) continue;
        int n = 0;
        const char *p = list->value;
        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            char item[64];
            long iv;
            double dv;
            int ok = len > 0 && len < sizeof item;
            if (ok) {
                memcpy(item, p, len);
                item[len] = '\0';
                ok = which ? parse_double(item, &dv) : parse_long(item, &iv) && iv >= 0 &&
                                                           iv <= INT32_MAX;
            }
            if (!ok)
                return msp_err_set(c->err, MSP_BAD_INPUT, c->path, list->line,
                                   "%s: entry %d '%.*s' is not %s", list->key, n + 1,
                                   (int)(len > 64 ? 64 : len), p,
                                   which ? "a finite number" : "a non-negative integer");
            if (++n > MSP_DN_MAX_KEYS)
                return msp_err_set(c->err, MSP_BAD_INPUT, c->path, list->line,
                                   "%s has more than %d entries", list->key, MSP_DN_MAX_KEYS);
            if (!comma) break;
            p = comma + 1;
        }
        if (which) n_scales = n;
        else n_steps = n;
    }
    if (steps && scales && n_steps != n_scales)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, scales->line,
                           "scales has %d entries but steps (line %d) has %d; give one scale "
                           "per step", n_scales, steps->line, n_steps);
    return MSP_OK;
}

/* Resolve a layer reference the way Darknet does (negative = relative). */
static msp_status resolve_ref(ctx *c, msp_dn_kv *kv, const char *item, int index, int *out)
{
    long v;
    if (!parse_long(item, &v))
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "%s: '%.64s' is not a layer index", kv->key, item);
    long abs_i = v < 0 ? index + v : v;
    if (abs_i < 0 || abs_i >= index) {
        if (index == 0)
            return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                               "%s=%ld: this is layer 0, there is no earlier layer to refer to",
                               kv->key, v);
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "%s=%ld refers to layer %ld, which is not an earlier layer: this is "
                           "layer %d, so use -1..-%d or 0..%d", kv->key, v, abs_i, index,
                           index, index - 1);
    }
    *out = (int)abs_i;
    return MSP_OK;
}

/* Darknet's own view of an earlier layer's output shape (0 when flat). */
static int dk_w(const msp_dn_layer *l) { return l->flat ? 0 : l->out_w; }
static int dk_h(const msp_dn_layer *l) { return l->flat ? 0 : l->out_h; }
static int dk_c(const msp_dn_layer *l) { return l->flat ? 0 : l->out_c; }

/* What a layer's check adds to its section's counts: the parameters it
 * has, the floats load_weights reads for it, its im2col workspace. */
typedef struct layer_counts {
    uint64_t nparam, nload, work;
} layer_counts;

static msp_status check_convolutional(ctx *c, const state *st, msp_dn_layer *l, layer_counts *cnt)
{
    msp_status s;
    int flag;
    const char *tname = msp_dn_layer_type_name(l->type);
    int n, size, stride, pad, padding, groups, bn;
    if ((s = need_image(c, st, tname))) return s;
    if ((s = get_int(c, "filters", 1, 1, MSP_DN_MAX_DIM, &n)) ||
        (s = get_int(c, "size", 1, 1, MSP_DN_MAX_DIM, &size)) ||
        (s = get_int(c, "stride", 1, 1, MSP_DN_MAX_DIM, &stride)) ||
        (s = get_flag(c, "pad", &pad)) ||
        (s = get_int(c, "padding", 0, 0, MSP_DN_MAX_DIM, &padding)) ||
        (s = get_int(c, "groups", 1, 1, MSP_DN_MAX_DIM, &groups)) ||
        (s = get_flag(c, "batch_normalize", &bn)) || (s = get_flag(c, "binary", &flag)) ||
        (s = get_flag(c, "xnor", &flag)) || (s = get_flag(c, "flipped", &flag)) ||
        (s = get_float(c, "dot", ANY_FLOAT)) ||
        (s = get_name(c, "activation", "logistic", activations, "activation",
                      &l->activation)) ||
        (s = get_int(c, "numload", 0, 0, n, &l->numload)))
        return s;
    if (st->c % groups || n % groups) {
        msp_dn_kv *kv = find_kv(c->s, "groups");
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv ? kv->line : c->s->line,
                           "groups=%d must divide both the input channels (%d) and "
                           "filters (%d)", groups, st->c, n);
    }
    if (pad) padding = size / 2; /* Darknet: pad=1 overrides padding= */
    int ow = 0, oh = 0; /* window_out sets both; gcc cannot see it once inlined */
    if ((s = window_out(c, tname, st->w, 2L * padding, size, stride, &ow)) ||
        (s = window_out(c, tname, st->h, 2L * padding, size, stride, &oh)) ||
        (s = set_image_out(c, l, (uint64_t)ow, (uint64_t)oh, (uint64_t)n)))
        return s;
    l->filters = n;
    l->size = size;
    l->stride = stride;
    l->pad = padding;
    l->groups = groups;
    l->batch_normalize = bn;
    uint64_t per_filter = mul_sat(mul_sat((uint64_t)(st->c / groups), size), size);
    cnt->work = mul_sat(mul_sat((uint64_t)ow, oh), per_filter);
    cnt->nparam = add_sat(mul_sat(per_filter, n), (uint64_t)n * (bn ? 4 : 1));
    int nl = l->numload ? l->numload : n; /* load_convolutional_weights: l.n = numload */
    cnt->nload = add_sat(mul_sat(per_filter, nl),
                         (uint64_t)nl * (bn && !l->dontloadscales ? 4 : 1));
    l->flops = 2.0 * n * size * size * (double)(st->c / groups) * oh * ow;
    return MSP_OK;
}

static msp_status check_connected(ctx *c, const state *st, msp_dn_layer *l, layer_counts *cnt)
{
    msp_status s;
    int out, bn;
    if ((s = get_int(c, "output", 1, 1, (long)MSP_DN_MAX_LAYER_ELEMS, &out)) ||
        (s = get_flag(c, "batch_normalize", &bn)) ||
        (s = get_name(c, "activation", "logistic", activations, "activation",
                      &l->activation)))
        return s;
    if ((s = set_image_out(c, l, 1, 1, (uint64_t)out))) return s;
    l->filters = out;
    l->batch_normalize = bn;
    cnt->nparam = add_sat(mul_sat((uint64_t)st->inputs, out), (uint64_t)out * (bn ? 4 : 1));
    cnt->nload = add_sat(mul_sat((uint64_t)st->inputs, out),
                         (uint64_t)out * (bn && !l->dontloadscales ? 4 : 1));
    l->flops = 2.0 * st->inputs * (double)out;
    return MSP_OK;
}

static msp_status check_maxpool(ctx *c, const state *st, msp_dn_layer *l)
{
    msp_status s;
    const char *tname = msp_dn_layer_type_name(l->type);
    int stride, size, padding;
    int ow = 0, oh = 0; /* window_out sets both; gcc cannot see it once inlined */
    if ((s = need_image(c, st, tname))) return s;
    if ((s = get_int(c, "stride", 1, 1, MSP_DN_MAX_DIM, &stride)) ||
        (s = get_int(c, "size", stride, 1, MSP_DN_MAX_DIM, &size)) ||
        (s = get_int(c, "padding", size - 1, 0, MSP_DN_MAX_DIM, &padding)))
        return s;
    if ((s = window_out(c, tname, st->w, padding, size, stride, &ow)) ||
        (s = window_out(c, tname, st->h, padding, size, stride, &oh)) ||
        (s = set_image_out(c, l, (uint64_t)ow, (uint64_t)oh, (uint64_t)st->c)))
        return s;
    l->size = size;
    l->stride = stride;
    l->pad = padding;
    return MSP_OK;
}

static msp_status check_avgpool(ctx *c, const state *st, msp_dn_layer *l)
{
    msp_status s;
    if ((s = need_image(c, st, msp_dn_layer_type_name(l->type)))) return s;
    return set_image_out(c, l, 1, 1, (uint64_t)st->c);
}

static msp_status check_softmax(ctx *c, const state *st, msp_dn_layer *l)
{
    msp_status s;
    int flag, groups;
    if ((s = get_int(c, "groups", 1, 1, MSP_DN_MAX_DIM, &groups)) ||
        (s = get_float(c, "temperature", 0, 1, HUGE_VAL)) ||
        (s = get_float(c, "spatial", ANY_FLOAT)) || (s = get_flag(c, "noloss", &flag)))
        return s;
    if (st->inputs % groups) {
        msp_dn_kv *kv = find_kv(c->s, "groups");
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "groups=%d does not divide the %d inputs", groups, st->inputs);
    }
    msp_dn_kv *tree = find_kv(c->s, "tree");
    /* Darknet exits with status 0 when the tree file is missing. */
    if (tree && access(tree->value, R_OK) != 0)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, tree->line,
                           "tree=%s: cannot read it (%s)", tree->value, strerror(errno));
    l->groups = groups;
    set_flat_out(l, st->inputs);
    return MSP_OK;
}

/* [dropout] and [activation]: the shape passes unchanged. */
static msp_status pass_shape(ctx *c, const state *st, msp_dn_layer *l)
{
    if (st->w) return set_image_out(c, l, (uint64_t)st->w, (uint64_t)st->h, (uint64_t)st->c);
    set_flat_out(l, st->inputs);
    return MSP_OK;
}

static msp_status check_dropout(ctx *c, const state *st, msp_dn_layer *l)
{
    msp_status s;
    if ((s = get_float(c, "probability", 0, 0, nextafter(1.0, 0.0)))) return s;
    return pass_shape(c, st, l);
}

static msp_status check_activation(ctx *c, const state *st, msp_dn_layer *l)
{
    msp_status s;
    if ((s = get_name(c, "activation", "linear", activations, "activation", &l->activation)))
        return s;
    return pass_shape(c, st, l);
}

/* layers= of a [route]: every entry resolved to an earlier layer. */
static msp_status read_route_layers(ctx *c, msp_dn_kv *kv, int index, msp_dn_layer *l)
{
    msp_status s;
    int n = 1;
    for (const char *p = kv->value; *p; p++) n += *p == ',';
    l->route_layers = msp_calloc((size_t)n, sizeof(int));
    l->n_route_layers = n;
    const char *p = kv->value;
    for (int i = 0; i < n; i++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[32];
        if (len == 0 || len >= sizeof item)
            return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                               "layers: entry %d '%.*s' is not a layer index", i + 1,
                               (int)(len > 32 ? 32 : len), p);
        memcpy(item, p, len);
        item[len] = '\0';
        if ((s = resolve_ref(c, kv, item, index, &l->route_layers[i]))) return s;
        p = comma ? comma + 1 : p + len;
    }
    return MSP_OK;
}

static msp_status check_route(ctx *c, const msp_dn_net *net, int index, msp_dn_layer *l)
{
    msp_status s;
    msp_dn_kv *kv = find_kv(c->s, "layers");
    if (!kv || !*kv->value)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv ? kv->line : c->s->line,
                           "[route] needs layers= (e.g. layers=-1,-3)");
    if ((s = read_route_layers(c, kv, index, l))) return s;
    int n = l->n_route_layers;
    /* Darknet: channels add up while w,h match; otherwise 0x0x0. We
     * refuse the mismatch: a layer after it would read garbage. */
    const msp_dn_layer *first = &net->layers[l->route_layers[0]];
    uint64_t outputs = 0, ch = 0;
    for (int i = 0; i < n; i++) {
        const msp_dn_layer *o = &net->layers[l->route_layers[i]];
        if (dk_w(o) != dk_w(first) || dk_h(o) != dk_h(first))
            return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                               "layers=: layer %d outputs %dx%dx%d but layer %d outputs "
                               "%dx%dx%d; a route needs equal width and height",
                               l->route_layers[0], dk_w(first), dk_h(first), dk_c(first),
                               l->route_layers[i], dk_w(o), dk_h(o), dk_c(o));
        outputs += (uint64_t)o->outputs;
        ch += (uint64_t)dk_c(o);
    }
    if ((s = check_elems(c, "the route output", outputs))) return s;
    if (first->flat) set_flat_out(l, (int)outputs);
    else if ((s = set_image_out(c, l, (uint64_t)first->out_w, (uint64_t)first->out_h, ch)))
        return s;
    l->inputs = (int)outputs; /* Darknet: route inputs = outputs */
    return MSP_OK;
}

static msp_status check_shortcut(ctx *c, const msp_dn_net *net, int index, const state *st,
                                 msp_dn_layer *l)
{
    msp_status s;
    msp_dn_kv *kv = find_kv(c->s, "from");
    if (!kv)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                           "[shortcut] needs from= (e.g. from=-3)");
    if ((s = resolve_ref(c, kv, kv->value, index, &l->from)) ||
        (s = get_name(c, "activation", "linear", activations, "activation",
                      &l->activation)) ||
        (s = get_float(c, "alpha", ANY_FLOAT)) || (s = get_float(c, "beta", ANY_FLOAT)) ||
        (s = need_image(c, st, msp_dn_layer_type_name(l->type))))
        return s;
    const msp_dn_layer *f = &net->layers[l->from];
    int w1 = dk_w(f), h1 = dk_h(f), w2 = st->w, h2 = st->h;
    /* shortcut_cpu asserts these at run time; it adds min(c1,c2) channels. */
    if (!w1 || !h1 || !dk_c(f) || w1 / w2 != h1 / h2 || w2 / w1 != h2 / h1)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "from=%s: layer %d outputs %dx%dx%d, which cannot be added to "
                           "the %dx%dx%d input of this shortcut (width and height must "
                           "scale by the same whole factor)", kv->value, l->from, w1, h1,
                           dk_c(f), w2, h2, st->c);
    return set_image_out(c, l, (uint64_t)w2, (uint64_t)h2, (uint64_t)st->c);
}

static msp_status check_batchnorm(ctx *c, const state *st, msp_dn_layer *l, layer_counts *cnt)
{
    msp_status s;
    if ((s = need_image(c, st, msp_dn_layer_type_name(l->type))) ||
        (s = set_image_out(c, l, (uint64_t)st->w, (uint64_t)st->h, (uint64_t)st->c)))
        return s;
    cnt->nparam = cnt->nload = 3 * (uint64_t)st->c;
    return MSP_OK;
}

static msp_status check_cost(ctx *c, const state *st, msp_dn_layer *l)
{
    msp_status s;
    const char *type;
    if ((s = get_name(c, "type", "sse", cost_types, "cost type", &type)) ||
        (s = get_float(c, "scale", ANY_FLOAT)) || (s = get_float(c, "ratio", ANY_FLOAT)) ||
        (s = get_float(c, "noobj", ANY_FLOAT)) || (s = get_float(c, "thresh", ANY_FLOAT)))
        return s;
    set_flat_out(l, st->inputs);
    return MSP_OK;
}

static msp_status check_crop(ctx *c, const state *st, msp_dn_layer *l)
{
    msp_status s;
    int flag, ch, cw;
    if ((s = need_image(c, st, msp_dn_layer_type_name(l->type)))) return s;
    if ((s = get_int(c, "crop_height", 1, 1, MSP_DN_MAX_DIM, &ch)) ||
        (s = get_int(c, "crop_width", 1, 1, MSP_DN_MAX_DIM, &cw)) ||
        (s = get_flag(c, "flip", &flag)) || (s = get_flag(c, "noadjust", &flag)) ||
        (s = get_float(c, "angle", ANY_FLOAT)) ||
        (s = get_float(c, "saturation", 0, 1, HUGE_VAL)) ||
        (s = get_float(c, "exposure", 0, 1, HUGE_VAL)) ||
        (s = get_float(c, "shift", ANY_FLOAT)))
        return s;
    if (ch > st->h || cw > st->w)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                           "[crop] %dx%d is larger than its %dx%d input", cw, ch, st->w,
                           st->h);
    return set_image_out(c, l, (uint64_t)cw, (uint64_t)ch, (uint64_t)st->c);
}

static msp_status check_local(ctx *c, const state *st, msp_dn_layer *l, layer_counts *cnt)
{
    msp_status s;
    const char *tname = msp_dn_layer_type_name(l->type);
    int n, size, stride, pad;
    int ow = 0, oh = 0; /* window_out sets both; gcc cannot see it once inlined */
    if ((s = need_image(c, st, tname))) return s;
    if ((s = get_int(c, "filters", 1, 1, MSP_DN_MAX_DIM, &n)) ||
        (s = get_int(c, "size", 1, 1, MSP_DN_MAX_DIM, &size)) ||
        (s = get_int(c, "stride", 1, 1, MSP_DN_MAX_DIM, &stride)) ||
        (s = get_flag(c, "pad", &pad)) ||
        (s = get_name(c, "activation", "logistic", activations, "activation",
                      &l->activation)))
        return s;
    /* Darknet sizes the output as if pad=1 meant size 3 with padding 1
     * but im2col pads by 1 pixel: anything else overruns its buffers. */
    if (pad && size != 3)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, find_kv(c->s, "pad")->line,
                           "[local] with pad=1 needs size=3 (Darknet miscomputes other "
                           "sizes); use pad=0");
    long extra = pad ? size - 1 : 0; /* (h - 1) or (h - size), as Darknet */
    if ((s = window_out(c, tname, st->w, extra, size, stride, &ow)) ||
        (s = window_out(c, tname, st->h, extra, size, stride, &oh)) ||
        (s = set_image_out(c, l, (uint64_t)ow, (uint64_t)oh, (uint64_t)n)))
        return s;
    l->filters = n;
    l->size = size;
    l->stride = stride;
    l->pad = pad;
    uint64_t locations = (uint64_t)ow * (uint64_t)oh;
    uint64_t per = mul_sat(mul_sat((uint64_t)size * size, st->c), n);
    cnt->work = mul_sat(mul_sat(locations, (uint64_t)size * size), st->c);
    cnt->nparam = cnt->nload = add_sat(mul_sat(per, locations), (uint64_t)l->outputs);
    l->flops = 2.0 * (double)per * (double)locations;
    return MSP_OK;
}

static msp_status check_reorg(ctx *c, const state *st, msp_dn_layer *l)
{
    msp_status s;
    int stride, reverse, flatten, extra;
    if ((s = need_image(c, st, msp_dn_layer_type_name(l->type)))) return s;
    if ((s = get_int(c, "stride", 1, 1, MSP_DN_MAX_DIM, &stride)) ||
        (s = get_flag(c, "reverse", &reverse)) || (s = get_flag(c, "flatten", &flatten)) ||
        (s = get_int(c, "extra", 0, 0, MSP_DN_MAX_DIM, &extra)))
        return s;
    l->stride = stride;
    l->reverse = reverse;
    l->extra = extra;
    if (extra) { /* Darknet: a flat copy of the input plus extra values */
        if ((s = check_elems(c, "the reorg output", (uint64_t)st->inputs + extra))) return s;
        set_flat_out(l, st->inputs + extra);
        return MSP_OK;
    }
    uint64_t s2 = (uint64_t)stride * stride;
    if (st->c % s2 || (!reverse && (st->w % stride || st->h % stride)))
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                           "[reorg] stride=%d needs channels (%d) divisible by %llu%s "
                           "(input %dx%dx%d)", stride, st->c, (unsigned long long)s2,
                           reverse ? "" : " and width, height divisible by the stride",
                           st->w, st->h, st->c);
    if (reverse)
        return set_image_out(c, l, (uint64_t)st->w * stride, (uint64_t)st->h * stride,
                             st->c / s2);
    return set_image_out(c, l, st->w / stride, st->h / stride, st->c * s2);
}

static msp_status check_normalization(ctx *c, const state *st, msp_dn_layer *l)
{
    msp_status s;
    int size;
    if ((s = need_image(c, st, msp_dn_layer_type_name(l->type)))) return s;
    if ((s = get_int(c, "size", 5, 1, MSP_DN_MAX_DIM, &size)) ||
        (s = get_float(c, "alpha", ANY_FLOAT)) || (s = get_float(c, "beta", ANY_FLOAT)) ||
        (s = get_float(c, "kappa", ANY_FLOAT)))
        return s;
    l->size = size;
    return set_image_out(c, l, (uint64_t)st->w, (uint64_t)st->h, (uint64_t)st->c);
}

/* One layer section: the keys every layer may have, then its type's own
 * check, then the caps on what it needs. *params gets its parameter count
 * (whether or not load_weights reads them). */
static msp_status parse_layer(ctx *c, msp_dn_net *net, int index, const state *st,
                              msp_dn_layer *l, uint64_t *params)
{
    msp_status s;
    int flag;
    layer_counts cnt = {0, 0, 0};
    l->in_w = st->w ? st->w : 1;
    l->in_h = st->h ? st->h : 1;
    l->in_c = st->c ? st->c : st->inputs;
    l->inputs = st->inputs;
    l->from = -1;

    if ((s = get_int(c, "truth", 0, 0, INT32_MAX, &flag)) || (s = get_flag(c, "onlyforward", &flag)) ||
        (s = get_flag(c, "stopbackward", &flag)) || (s = get_flag(c, "dontsave", &flag)) ||
        (s = get_flag(c, "dontload", &l->dontload)) ||
        (s = get_flag(c, "dontloadscales", &l->dontloadscales)) ||
        (s = get_float(c, "learning_rate", 0, 0, HUGE_VAL)) ||
        (s = get_float(c, "smooth", ANY_FLOAT)))
        return s;
    if (l->type != MSP_L_CONV && find_kv(c->s, "numload"))
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, find_kv(c->s, "numload")->line,
                           "numload= only applies to [convolutional] layers");

    /* One check per layer type, as Darknet's parser has one parse function
     * per type. */
    switch (l->type) {
    case MSP_L_CONV: s = check_convolutional(c, st, l, &cnt); break;
    case MSP_L_CONNECTED: s = check_connected(c, st, l, &cnt); break;
    case MSP_L_MAXPOOL: s = check_maxpool(c, st, l); break;
    case MSP_L_AVGPOOL: s = check_avgpool(c, st, l); break;
    case MSP_L_SOFTMAX: s = check_softmax(c, st, l); break;
    case MSP_L_DROPOUT: s = check_dropout(c, st, l); break;
    case MSP_L_ROUTE: s = check_route(c, net, index, l); break;
    case MSP_L_SHORTCUT: s = check_shortcut(c, net, index, st, l); break;
    case MSP_L_BATCHNORM: s = check_batchnorm(c, st, l, &cnt); break;
    case MSP_L_COST: s = check_cost(c, st, l); break;
    case MSP_L_CROP: s = check_crop(c, st, l); break;
    case MSP_L_LOCAL: s = check_local(c, st, l, &cnt); break;
    case MSP_L_ACTIVE: s = check_activation(c, st, l); break;
    case MSP_L_REORG: s = check_reorg(c, st, l); break;
    case MSP_L_NORMALIZATION: s = check_normalization(c, st, l); break;
    }
    if (s) return s;
    if ((s = check_elems(c, "the layer's im2col workspace", cnt.work)) ||
        (s = check_elems(c, "the layer's input", (uint64_t)l->inputs)))
        return s;
    if (cnt.nparam > MSP_DN_MAX_PARAMS)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                           "[%s] has %llu weights, over the cap of %llu", c->s->type,
                           (unsigned long long)cnt.nparam, (unsigned long long)MSP_DN_MAX_PARAMS);
    l->n_weights_floats = l->dontload ? 0 : (size_t)cnt.nload;
    *params = cnt.nparam;
    return MSP_OK;
}

void msp_dnnet_free(msp_dn_net *net)
{
    if (!net) return;
    for (int i = 0; i < net->n_layers; i++) free(net->layers[i].route_layers);
    free(net->layers);
    memset(net, 0, sizeof *net);
}

/* Section kind, or an error naming the nearest known section. */
static msp_status find_kind(ctx *c, const sec_kind **out)
{
    const char *t = c->s->type;
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(t, kinds[i].name) == 0) {
            *out = &kinds[i];
            return MSP_OK;
        }
    if (in_list(t, unsupported) || strcasecmp(t, "Gaussian_yolo") == 0)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                           "section [%s] is not supported: msprune handles classifiers "
                           "(no detector, recurrent or upsampling layers)", t);
    const char *names[N_KINDS + 1];
    for (int i = 0; i < N_KINDS; i++) names[i] = kinds[i].name;
    names[N_KINDS] = NULL;
    const char *near = msp_nearest(t, names);
    if (near)
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                           "unknown section [%s]; did you mean [%s]?", t, near);
    return msp_err_set(c->err, MSP_BAD_INPUT, c->path, c->s->line,
                       "unknown section [%s]; msprune knows [net], [convolutional], "
                       "[connected], [maxpool], [avgpool], [softmax], [dropout], [route], "
                       "[shortcut], [batchnorm], [cost], [crop], [local], [activation], "
                       "[reorg], [normalization]", t);
}

/* Every key must be one Darknet reads for this section. */
static msp_status check_keys(ctx *c, const sec_kind *k)
{
    for (int i = 0; i < c->s->n_kv; i++) {
        msp_dn_kv *kv = &c->s->kv[i];
        if (in_list(kv->key, k->keys) || (k->type >= 0 && in_list(kv->key, common_keys))) {
            kv->used = 1;
            continue;
        }
        const char *cand[64];
        int n = 0;
        for (const char *const *p = k->keys; *p; p++) cand[n++] = *p;
        if (k->type >= 0)
            for (const char *const *p = common_keys; *p; p++) cand[n++] = *p;
        cand[n] = NULL;
        const char *near = msp_nearest(kv->key, cand);
        if (near)
            return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                               "unknown key '%.64s' in [%s]; did you mean '%s'?", kv->key,
                               c->s->type, near);
        return msp_err_set(c->err, MSP_BAD_INPUT, c->path, kv->line,
                           "unknown key '%.64s' in [%s]: Darknet would ignore it; remove it "
                           "or fix its name", kv->key, c->s->type);
    }
    return MSP_OK;
}

msp_status msp_dncfg_check(msp_dn_cfg *cfg, msp_dn_net *out, msp_err *err)
{
    memset(out, 0, sizeof *out);
    const char *path = cfg->path ? cfg->path : "<cfg>";
    if (cfg->n_sec < 1)
        return msp_err_set(err, MSP_BAD_INPUT, path, 1, "no sections: the cfg is empty");
    ctx c = {cfg, path, err, &cfg->sec[0]};
    msp_dn_net net = {0};
    msp_status s;
    const sec_kind *k;
    if ((s = find_kind(&c, &k))) return s;
    if (k->type != -1)
        return msp_err_set(err, MSP_BAD_INPUT, path, c.s->line,
                           "first section is [%s]; it must be [net] (or [network])",
                           c.s->type);
    /* A detector or recurrent net is refused as such, before [net] is
     * judged by a classifier's needs (rnn.cfg has no width=). */
    for (int i = 1; i < cfg->n_sec; i++) {
        c.s = &cfg->sec[i];
        if (in_list(c.s->type, unsupported) && (s = find_kind(&c, &k))) return s;
    }
    c.s = &cfg->sec[0];
    if ((s = check_keys(&c, k)) || (s = parse_net(&c, &net))) return s;
    if (cfg->n_sec < 2)
        return msp_err_set(err, MSP_BAD_INPUT, path, cfg->sec[0].line,
                           "[%s] is followed by no layer", cfg->sec[0].type);

    net.layers = msp_calloc((size_t)(cfg->n_sec - 1), sizeof *net.layers);
    state st = {net.w, net.h, net.c, net.w * net.h * net.c};
    uint64_t params = 0, acts = 0;
    uint64_t batch_eff = (uint64_t)(net.batch / net.subdivisions);
    for (int i = 1; i < cfg->n_sec; i++) {
        c.s = &cfg->sec[i];
        if ((s = find_kind(&c, &k))) goto fail;
        if (k->type == -1) {
            s = msp_err_set(err, MSP_BAD_INPUT, path, c.s->line,
                            "[%s] may only be the first section", c.s->type);
            goto fail;
        }
        if ((s = check_keys(&c, k))) goto fail;
        int index = net.n_layers;
        msp_dn_layer *l = &net.layers[index];
        net.n_layers++; /* counted now so that a failure frees its route list */
        l->type = (msp_layer_type)k->type;
        l->section = i;
        l->line = c.s->line;
        uint64_t p = 0;
        if ((s = parse_layer(&c, &net, index, &st, l, &p))) goto fail;
        params = add_sat(params, p);
        if (params > MSP_DN_MAX_PARAMS) {
            s = msp_err_set(err, MSP_BAD_INPUT, path, c.s->line,
                            "the network reaches %llu weights at this layer, over the cap of "
                            "%llu", (unsigned long long)params,
                            (unsigned long long)MSP_DN_MAX_PARAMS);
            goto fail;
        }
        acts = add_sat(acts, mul_sat((uint64_t)l->outputs, batch_eff));
        if (acts > MSP_DN_MAX_ACTIVATIONS) {
            s = msp_err_set(err, MSP_BAD_INPUT, path, c.s->line,
                            "layer outputs x batch/subdivisions reach %llu floats at this "
                            "layer, over the cap of %llu; lower batch or raise subdivisions",
                            (unsigned long long)acts,
                            (unsigned long long)MSP_DN_MAX_ACTIVATIONS);
            goto fail;
        }
        net.n_weights_floats += l->n_weights_floats;
        net.flops += l->flops;
        st.w = l->flat ? 0 : l->out_w;
        st.h = l->flat ? 0 : l->out_h;
        st.c = l->flat ? 0 : l->out_c;
        st.inputs = l->outputs;
    }
    /* Darknet's get_network_output_layer skips trailing [cost] layers. */
    for (int i = net.n_layers - 1; i >= 0; i--)
        if (net.layers[i].type != MSP_L_COST) {
            net.classes = net.layers[i].outputs;
            break;
        }
    if (!net.classes) net.classes = net.layers[net.n_layers - 1].outputs;
    *out = net;
    return MSP_OK;
fail:
    msp_dnnet_free(&net);
    return s;
}
