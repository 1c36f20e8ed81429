/* runtime.c: the public runtime (runtime/msprune.h): open a verified bundle,
 * classify one image (features of the groups the premodel reads, premodel,
 * chosen network, safety net as in selector/label.h), close.
 * A handle holds Darknet networks, which keep activations inside them: one
 * handle per thread. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "base/base.h"
#include "runtime/bundle.h"
#include "runtime/msprune.h"
#include "runtime/runtime_int.h"
#include "selector/premodel.h"

struct msprune_bundle {
    msp_bundle_manifest m;
    msp_premodel *pm;
    msp_net **nets;
    msp_fset used;      /* groups the premodel reads (a subset of m.features) */
    void *scratch;
    size_t scratch_n;
    float *part, *full; /* features of `used`; scattered into the full set */
};

static void copy_err(const msp_err *e, char *err, size_t n)
{
    if (!err || !n) return;
    snprintf(err, n, "%s", e->msg);
}

const msp_bundle_manifest *msp_runtime_manifest(const msprune_bundle *b) { return &b->m; }
msp_net *msp_runtime_net(msprune_bundle *b, int j) { return b->nets[j]; }

msp_status msp_runtime_open(const char *dir, msprune_bundle **out, msp_err *err)
{
    *out = NULL;
    msprune_bundle *b = msp_calloc(1, sizeof *b);
    msp_status st = msp_bundle_manifest_load(dir, &b->m, err);
    if (st != MSP_OK) {
        free(b);
        return st;
    }
    msp_bundle_manifest *m = &b->m;
    char *pm_path = msp_strcat3(dir, "/", m->premodel_file);
    if ((st = msp_premodel_load(pm_path, &b->pm, err)) == MSP_OK) {
        int d_in, d, mm;
        msp_premodel_dims(b->pm, &d_in, &d, &mm);
        if (d_in != msp_features_dim(m->features) || mm != m->n_nets ||
            strcmp(msp_premodel_kind_name(msp_premodel_get_kind(b->pm)), m->premodel_kind))
            st = msp_err_set(err, MSP_BAD_INPUT, pm_path, 0,
                             "a %s premodel for %d features and %d networks, but the manifest "
                             "says %s, %d features (%s) and %d networks",
                             msp_premodel_kind_name(msp_premodel_get_kind(b->pm)), d_in, mm,
                             m->premodel_kind, msp_features_dim(m->features), "premodel.features",
                             m->n_nets);
    }
    free(pm_path);
    b->nets = msp_calloc((size_t)m->n_nets, sizeof *b->nets);
    msp_net_opts no = {.batch = 1, .engine = MSP_ENGINE_FAST};
    for (int j = 0; j < m->n_nets && st == MSP_OK; j++) {
        char *cfg = msp_strcat3(dir, "/", m->nets[j].cfg), *w = msp_strcat3(dir, "/", m->nets[j].weights);
        st = msp_net_load(cfg, w, &no, &b->nets[j], err);
        if (st == MSP_OK) {
            const msp_dn_net *info = msp_net_info(b->nets[j]);
            if (info->w != m->width || info->h != m->height || info->c != m->channels)
                st = msp_err_set(err, MSP_BAD_INPUT, cfg, 0,
                                 "input %dx%dx%d, but the manifest's input is %dx%dx%d", info->w,
                                 info->h, info->c, m->width, m->height, m->channels);
            else if (msp_net_classes(b->nets[j]) != m->nets[j].n_outputs)
                st = msp_err_set(err, MSP_BAD_INPUT, cfg, 0, "%d outputs, but the manifest maps %d",
                                 msp_net_classes(b->nets[j]), m->nets[j].n_outputs);
        }
        free(cfg);
        free(w);
    }
    if (st == MSP_OK) {
        b->used = msp_premodel_groups(b->pm, m->features);
        st = msp_features_check_shape(m->channels, m->height, m->width, err);
    }
    if (st == MSP_OK) {
        b->scratch_n = msp_features_scratch_size(b->used, m->channels, m->height, m->width);
        b->scratch = msp_malloc(b->scratch_n + 1);
        b->part = msp_calloc((size_t)msp_features_dim(b->used) + 1, sizeof(float));
        b->full = msp_calloc((size_t)msp_features_dim(m->features) + 1, sizeof(float));
    }
    if (st != MSP_OK) {
        msprune_close(b);
        return st;
    }
    *out = b;
    return MSP_OK;
}

int msprune_open(const char *dir, msprune_bundle **out, char *err, size_t err_size)
{
    msp_err e = {{0}};
    msp_status st = msp_runtime_open(dir, out, &e);
    if (st != MSP_OK) copy_err(&e, err, err_size);
    return (int)st;
}

void msprune_close(msprune_bundle *b)
{
    if (!b) return;
    for (int j = 0; b->nets && j < b->m.n_nets; j++) msp_net_free(b->nets[j]);
    free(b->nets);
    msp_premodel_free(b->pm);
    free(b->scratch);
    free(b->part);
    free(b->full);
    msp_bundle_manifest_free(&b->m);
    free(b);
}

void msprune_input_shape(const msprune_bundle *b, int *channels, int *height, int *width)
{
    *channels = b->m.channels;
    *height = b->m.height;
    *width = b->m.width;
}

int msprune_classes(const msprune_bundle *b) { return b->m.n_classes; }
int msprune_networks(const msprune_bundle *b) { return b->m.n_nets; }

const char *msprune_class_name(const msprune_bundle *b, int i)
{
    return i >= 0 && i < b->m.n_classes ? b->m.classes[i] : NULL;
}

const char *msprune_network_name(const msprune_bundle *b, int j)
{
    return j >= 0 && j < b->m.n_nets ? b->m.nets[j].name : NULL;
}

/* Run network j; its answer as a class (-1 = other) and top-1 probability. */
static const float *run_net(msprune_bundle *b, int j, const float *x, int *cls, float *prob, double *ms)
{
    double t0 = msp_now();
    const float *s = msp_net_predict(b->nets[j], x);
    *ms = (msp_now() - t0) * 1e3;
    int a = msp_argmax(s, b->m.nets[j].n_outputs);
    *cls = b->m.nets[j].outputs[a];
    *prob = s[a] < 0 ? 0 : s[a] > 1 ? 1 : s[a];
    return s;
}

int msprune_classify(msprune_bundle *b, const float *pixels, int c, int h, int w,
                     msprune_result *r, float *probs, char *err, size_t err_size)
{
    msp_err e = {{0}};
    if (r) memset(r, 0, sizeof *r);
    if (!b || !pixels || !r) {
        msp_err_set(&e, MSP_BAD_INPUT, NULL, 0, "msprune_classify: NULL bundle, pixels or result");
        copy_err(&e, err, err_size);
        return MSPRUNE_BAD_INPUT;
    }
    const msp_bundle_manifest *m = &b->m;
    if (c != m->channels || h != m->height || w != m->width) {
        msp_err_set(&e, MSP_BAD_INPUT, NULL, 0,
                    "image is %dx%dx%d (c x h x w), but the bundle's networks take %dx%dx%d: resize it first",
                    c, h, w, m->channels, m->height, m->width);
        copy_err(&e, err, err_size);
        return MSPRUNE_BAD_INPUT;
    }
    double t0 = msp_now();
    if (msp_features_compute(b->used, pixels, c, h, w, b->part, b->scratch, b->scratch_n, &e) != MSP_OK) {
        copy_err(&e, err, err_size);
        return MSPRUNE_BAD_INPUT;
    }
    msp_features_scatter(m->features, b->used, b->part, b->full);
    double t1 = msp_now();
    double conf = 0;
    int chosen = msp_premodel_predict(b->pm, b->full, &conf);
    double t2 = msp_now();
    r->features_ms = (t1 - t0) * 1e3;
    r->premodel_ms = (t2 - t1) * 1e3;
    r->chosen = chosen;
    r->premodel_confidence = conf;
    const msp_safety *sn = &m->safety;
    int fb = sn->fallback, cls;
    float prob;
    const float *s;
    int used = chosen;
    if (fb >= 0 && chosen != fb && sn->min_confidence > 0 && conf < sn->min_confidence) {
        /* Rule 1: decided before any network runs; only the fallback runs. */
        s = run_net(b, fb, pixels, &cls, &prob, &r->fallback_ms);
        used = fb;
        r->fallback = 1;
    } else {
        s = run_net(b, chosen, pixels, &cls, &prob, &r->network_ms);
        /* Rules 2 and 3 hand the input along the chain, and at its end to the fallback. */
        while (fb >= 0 && used != fb &&
               ((sn->on_other && cls < 0) || (sn->min_prob[used] > 0 && prob < sn->min_prob[used]))) {
            used = msp_safety_next(sn, used);
            double ms;
            s = run_net(b, used, pixels, &cls, &prob, &ms);
            *(used == fb ? &r->fallback_ms : &r->network_ms) += ms;
            r->fallback = used == fb;
        }
    }
    r->network = used;
    r->class_id = cls;
    r->confidence = cls >= 0 ? prob : 0;
    if (probs) {
        memset(probs, 0, sizeof(float) * (size_t)m->n_classes);
        for (int k = 0; k < m->nets[used].n_outputs; k++)
            if (m->nets[used].outputs[k] >= 0) probs[m->nets[used].outputs[k]] = s[k];
    }
    r->total_ms = (msp_now() - t0) * 1e3;
    return MSPRUNE_OK;
}
