/* surgery.c: cut the chosen channels out of a network and write the result.
 *
 * The new cfg is the old one with filters= / output= lowered (no layer is
 * added or removed, so route and shortcut indices stay valid); it is checked
 * again with msp_dncfg_check, and the new weights are copied float by float
 * from the old ones in Darknet's order, skipping removed output channels
 * and, per consumer, removed input channels (conv: weights[:, k]; connected:
 * the h*w columns of channel k; batchnorm: its arrays at k). A channel kept
 * everywhere copies bytes unchanged, so nothing removed means the same file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "prune.h"

static int is_producer(const msp_dn_layer *l)
{
    return l->type == MSP_L_CONV || l->type == MSP_L_CONNECTED;
}

/* Masks against groups; fills keep (per global channel). */
static msp_status check_masks(const msp_dn_cfg *cfg, const msp_dn_net *net,
                              const msp_prune_groups *g, const msp_prune_masks *m,
                              unsigned char *keep, msp_err *err)
{
    if (m->n_layers != net->n_layers || g->n_layers != net->n_layers)
        return msp_err_set(err, MSP_BAD_INPUT, cfg->path, 0,
                           "the masks (%d layers) or groups (%d) do not belong to this "
                           "network (%d layers)", m->n_layers, g->n_layers, net->n_layers);
    for (int i = 0; i < net->n_layers; i++) {
        const msp_dn_layer *l = &net->layers[i];
        if (!is_producer(l)) continue;
        int kept = 0;
        for (int c = 0; c < l->filters; c++) {
            int ch = g->chan_base[i] + c;
            keep[ch] = !m->keep[i] || m->keep[i][c];
            kept += keep[ch];
            if (!keep[ch] && g->chan_unit[ch] < 0)
                return msp_err_set(err, MSP_BAD_INPUT, cfg->path, l->line,
                                   "layer %d channel %d cannot be removed: %s", i, c,
                                   g->why[i] ? g->why[i] : "locked");
        }
        if (kept == 0)
            return msp_err_set(err, MSP_BAD_INPUT, cfg->path, l->line,
                               "layer %d would lose all its %d channels; keep at least one", i,
                               l->filters);
    }
    for (int u = 0; u < g->n_units; u++) {
        int b = g->unit_base[u];
        for (int k = b + 1; k < g->unit_base[u + 1]; k++) {
            int c0 = g->unit_member[b], c1 = g->unit_member[k];
            if (keep[c0] != keep[c1]) {
                int l0 = g->chan_layer[c0], l1 = g->chan_layer[c1];
                return msp_err_set(err, MSP_BAD_INPUT, cfg->path, net->layers[l1].line,
                                   "layer %d channel %d and layer %d channel %d are added "
                                   "together by a [shortcut]: remove both or neither", l0,
                                   c0 - g->chan_base[l0], l1, c1 - g->chan_base[l1]);
            }
        }
    }
    return MSP_OK;
}

/* Indices of the kept entries of layer src's output (src -1: the input image,
 * all n kept). Returns the count. */
static int kept_inputs(const msp_prune_groups *g, int src, int n, const unsigned char *keep,
                       int *idx)
{
    int k = 0;
    for (int c = 0; c < n; c++) {
        int ch = src >= 0 ? g->out_map[g->out_base[src] + c] : -1;
        if (ch < 0 || keep[ch]) idx[k++] = c;
    }
    return k;
}

static float *copy_sel(float *dst, const float *src, const int *idx, int n)
{
    for (int k = 0; k < n; k++) *dst++ = src[idx[k]];
    return dst;
}

msp_status msp_prune_surgery_start(const msp_dn_cfg *cfg, const msp_dn_net *net,
                                   const msp_prune_weights *w, msp_dn_cfg *out_cfg,
                                   msp_dn_net *out_net, msp_prune_weights *out_w, msp_err *err)
{
    memset(out_cfg, 0, sizeof *out_cfg);
    memset(out_net, 0, sizeof *out_net);
    memset(out_w, 0, sizeof *out_w);
    if (w->n_layers != net->n_layers || w->n_floats != net->n_weights_floats)
        return msp_err_set(err, MSP_BAD_INPUT, cfg->path, 0,
                           "the weights (%zu floats) do not belong to this network (%zu)",
                           w->n_floats, net->n_weights_floats);
    return MSP_OK;
}

msp_status msp_prune_surgery_rebuild(const msp_dn_net *net, const msp_prune_weights *w,
                                     msp_dn_cfg *out_cfg, msp_dn_net *out_net,
                                     msp_prune_weights *out_w, msp_err *err)
{
    msp_status st;
    if ((st = msp_dncfg_check(out_cfg, out_net, err)) != MSP_OK ||
        (st = msp_prune_weights_init(out_cfg, out_net, &w->hdr, out_w, err)) != MSP_OK) {
        msp_dncfg_free(out_cfg);
        msp_dnnet_free(out_net);
        return st;
    }
    MSP_ASSERT(out_net->n_layers == net->n_layers);
    return MSP_OK;
}

msp_status msp_prune_apply(const msp_dn_cfg *cfg, const msp_dn_net *net,
                           const msp_prune_groups *g, const msp_prune_weights *w,
                           const msp_prune_masks *m, msp_dn_cfg *out_cfg, msp_dn_net *out_net,
                           msp_prune_weights *out_w, msp_err *err)
{
    msp_status st = msp_prune_surgery_start(cfg, net, w, out_cfg, out_net, out_w, err);
    if (st != MSP_OK) return st;
    unsigned char *keep = msp_calloc((size_t)g->n_chans + 1, 1);
    st = check_masks(cfg, net, g, m, keep, err);
    if (st != MSP_OK) {
        free(keep);
        return st;
    }

    msp_dncfg_copy(cfg, out_cfg);
    for (int i = 0; i < net->n_layers; i++) {
        const msp_dn_layer *l = &net->layers[i];
        if (!is_producer(l)) continue;
        int kept = 0;
        for (int c = 0; c < l->filters; c++) kept += keep[g->chan_base[i] + c];
        if (kept == l->filters) continue; /* untouched: the cfg text stays as written */
        msp_dncfg_set_int(&out_cfg->sec[l->section], l->type == MSP_L_CONV ? "filters" : "output",
                          kept);
    }
    if ((st = msp_prune_surgery_rebuild(net, w, out_cfg, out_net, out_w, err)) != MSP_OK) {
        free(keep);
        return st;
    }

    int maxc = 1;
    for (int i = 0; i < net->n_layers; i++) {
        if (net->layers[i].in_c > maxc) maxc = net->layers[i].in_c;
        if (net->layers[i].filters > maxc) maxc = net->layers[i].filters;
    }
    int *in_idx = msp_malloc((size_t)maxc * sizeof(int));
    int *out_idx = msp_malloc((size_t)maxc * sizeof(int));
    for (int i = 0; i < net->n_layers; i++) {
        const msp_dn_layer *l = &net->layers[i];
        const msp_prune_layer_w *a = &w->layers[i];
        const msp_prune_layer_w *b = &out_w->layers[i];
        if (l->type != MSP_L_CONV && l->type != MSP_L_CONNECTED && l->type != MSP_L_BATCHNORM)
            continue;
        int prev_n = i > 0 ? g->out_base[i] - g->out_base[i - 1] : l->in_c;
        MSP_ASSERT(prev_n == l->in_c);
        int nin = kept_inputs(g, i - 1, l->in_c, keep, in_idx);
        if (l->type == MSP_L_BATCHNORM) {
            MSP_ASSERT(b->n_bn == (size_t)nin);
            copy_sel(b->scales, a->scales, in_idx, nin);
            copy_sel(b->rolling_mean, a->rolling_mean, in_idx, nin);
            copy_sel(b->rolling_variance, a->rolling_variance, in_idx, nin);
            continue;
        }
        int nout = 0;
        for (int c = 0; c < l->filters; c++)
            if (keep[g->chan_base[i] + c]) out_idx[nout++] = c;
        MSP_ASSERT(b->n_biases == (size_t)nout);
        copy_sel(b->biases, a->biases, out_idx, nout);
        if (a->n_bn) {
            copy_sel(b->scales, a->scales, out_idx, nout);
            copy_sel(b->rolling_mean, a->rolling_mean, out_idx, nout);
            copy_sel(b->rolling_variance, a->rolling_variance, out_idx, nout);
        }
        float *dst = b->weights;
        if (l->type == MSP_L_CONV) {
            size_t ss = (size_t)l->size * (size_t)l->size;
            size_t cpf = (size_t)(l->in_c / l->groups); /* input channels per filter */
            /* Grouped convs are locked on both sides: whole filters move. */
            MSP_ASSERT(l->groups == 1 || (nin == l->in_c && nout == l->filters));
            for (int f = 0; f < nout; f++) {
                const float *filt = a->weights + (size_t)out_idx[f] * cpf * ss;
                if (l->groups > 1) {
                    memcpy(dst, filt, cpf * ss * sizeof(float));
                    dst += cpf * ss;
                    continue;
                }
                for (int k = 0; k < nin; k++) {
                    memcpy(dst, filt + (size_t)in_idx[k] * ss, ss * sizeof(float));
                    dst += ss;
                }
            }
        } else {
            size_t hw = (size_t)l->in_w * (size_t)l->in_h;
            MSP_ASSERT(hw * (size_t)l->in_c == (size_t)l->inputs);
            for (int o = 0; o < nout; o++) {
                const float *row = a->weights + (size_t)out_idx[o] * (size_t)l->inputs;
                for (int k = 0; k < nin; k++) {
                    memcpy(dst, row + (size_t)in_idx[k] * hw, hw * sizeof(float));
                    dst += hw;
                }
            }
        }
        MSP_ASSERT(dst == b->weights + b->n_weights);
    }
    free(in_idx);
    free(out_idx);
    free(keep);
    return MSP_OK;
}

static void json_layer(FILE *f, int i, const msp_dn_layer *a, const msp_dn_layer *b)
{
    fprintf(f, "    {\"index\": %d, \"type\": ", i);
    msp_json_string(f, msp_dn_layer_type_name(a->type));
    fprintf(f, ", \"channels_before\": %d, \"channels_after\": %d, \"params_before\": %zu, "
               "\"params_after\": %zu, \"flops_before\": ",
            a->out_c, b->out_c, a->n_weights_floats, b->n_weights_floats);
    msp_json_number(f, a->flops);
    fputs(", \"flops_after\": ", f);
    msp_json_number(f, b->flops);
    fputc('}', f);
}

static msp_status write_json(const char *path, const msp_dn_net *before, const msp_dn_net *after,
                             const char *note, msp_err *err)
{
    msp_atomic a;
    msp_status st = msp_atomic_open(&a, path, err);
    if (st != MSP_OK) return st;
    FILE *f = a.f;
    fputs("{\n", f);
    if (note) {
        fputs("  \"note\": ", f);
        msp_json_string(f, note);
        fputs(",\n", f);
    }
    fputs("  \"layers\": [\n", f);
    for (int i = 0; i < before->n_layers; i++) {
        json_layer(f, i, &before->layers[i], &after->layers[i]);
        fputs(i + 1 < before->n_layers ? ",\n" : "\n", f);
    }
    fprintf(f, "  ],\n  \"total\": {\"params_before\": %zu, \"params_after\": %zu, "
               "\"flops_before\": ",
            before->n_weights_floats, after->n_weights_floats);
    msp_json_number(f, before->flops);
    fputs(", \"flops_after\": ", f);
    msp_json_number(f, after->flops);
    fputs(", \"flops_ratio\": ", f);
    msp_json_number(f, before->flops > 0 ? after->flops / before->flops : 1.0);
    fputs("}\n}\n", f);
    return msp_atomic_commit(&a, err);
}

msp_status msp_prune_write(const char *prefix, const msp_dn_cfg *cfg, const msp_dn_net *before,
                           const msp_dn_net *after, const msp_prune_weights *w,
                           const char *note, msp_err *err)
{
    if (before->n_layers != after->n_layers)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "before (%d layers) and after (%d layers) are not the same network",
                           before->n_layers, after->n_layers);
    char *pc = msp_strcat3(prefix, ".cfg", ""), *pw = msp_strcat3(prefix, ".weights", ""), *pj = msp_strcat3(prefix, ".json", "");
    msp_status st = msp_dncfg_write(cfg, pc, err);
    if (st == MSP_OK) st = msp_prune_weights_save(w, pw, err);
    if (st == MSP_OK) st = write_json(pj, before, after, note, err);
    free(pc);
    free(pw);
    free(pj);
    return st;
}

msp_status msp_prune_ratio_files(const char *cfg_path, const char *weights_path,
                                 const char *prefix, msp_prune_criterion c, double ratio,
                                 msp_prune_alloc mode, int min_channels,
                                 const msp_prune_opts *opts, uint64_t seed, double *flops_before,
                                 double *flops_after, msp_err *err)
{
    if (flops_before) *flops_before = 0;
    if (flops_after) *flops_after = 0;
    if (!msp_prune_criterion_is_weight_based(c))
        return msp_err_set(err, MSP_BAD_INPUT, cfg_path, 0, "criterion '%s' needs data",
                           msp_prune_criterion_name(c));
    msp_prune_step a = {.in_cfg = cfg_path,
                        .in_weights = weights_path,
                        .out_prefix = prefix,
                        .criterion = c,
                        .budget_kind = MSP_BUDGET_RATIO,
                        .budget = ratio,
                        .alloc = mode,
                        .min_channels = min_channels,
                        .protect_first = opts->protect_first,
                        .seed = seed};
    return msp_prune_step_files(&a, flops_before, flops_after, err);
}
