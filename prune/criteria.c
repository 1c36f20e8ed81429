/* criteria.c: importance scores of output channels.
 *
 * Weight-based criteria are computed here from msp_prune_weights; the
 * data-driven ones (apoz, mean-activation, taylor) need a running network and
 * are computed by the caller into msp_prune_scores.layer, then finished here.
 * Raw scores are normalised per layer (divided by the layer's largest) so
 * that one ranking across layers is meaningful; a unit of coupled channels
 * scores the mean of its members.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prune.h"
#include "base/base.h"

static const struct {
    const char *name;
    msp_prune_criterion c;
} names[] = {
    {"l1", MSP_CRIT_L1},
    {"l2", MSP_CRIT_L2},
    {"linf", MSP_CRIT_LINF},
    {"random", MSP_CRIT_RANDOM},
    {"bn-gamma", MSP_CRIT_BN_GAMMA},
    {"apoz", MSP_CRIT_APOZ},
    {"mean-activation", MSP_CRIT_MEAN_ACT},
    {"taylor", MSP_CRIT_TAYLOR},
};
#define N_NAMES (sizeof names / sizeof names[0])

msp_status msp_prune_criterion_parse(const char *name, msp_prune_criterion *out, msp_err *err)
{
    for (size_t i = 0; i < N_NAMES; i++)
        if (name && strcmp(name, names[i].name) == 0) {
            *out = names[i].c;
            return MSP_OK;
        }
    return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                       "unknown pruning criterion '%s': use l1, l2, linf, random, bn-gamma, "
                       "apoz, mean-activation or taylor", name ? name : "");
}

const char *msp_prune_criterion_name(msp_prune_criterion c)
{
    for (size_t i = 0; i < N_NAMES; i++)
        if (names[i].c == c) return names[i].name;
    return "?";
}

int msp_prune_criterion_is_weight_based(msp_prune_criterion c)
{
    return c == MSP_CRIT_L1 || c == MSP_CRIT_L2 || c == MSP_CRIT_LINF || c == MSP_CRIT_RANDOM ||
           c == MSP_CRIT_BN_GAMMA;
}

static int is_producer(const msp_dn_layer *l)
{
    return l->type == MSP_L_CONV || l->type == MSP_L_CONNECTED;
}

void msp_prune_scores_init(const msp_dn_net *net, msp_prune_scores *s)
{
    memset(s, 0, sizeof *s);
    s->n_layers = net->n_layers;
    s->layer = msp_calloc((size_t)(net->n_layers ? net->n_layers : 1), sizeof(float *));
    for (int i = 0; i < net->n_layers; i++)
        if (is_producer(&net->layers[i]))
            s->layer[i] = msp_calloc((size_t)net->layers[i].filters, sizeof(float));
}

void msp_prune_scores_free(msp_prune_scores *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_layers; i++) free(s->layer[i]);
    free(s->layer);
    free(s->unit);
    memset(s, 0, sizeof *s);
}

msp_status msp_prune_scores_finish(const msp_dn_net *net, const msp_prune_groups *g,
                                   msp_prune_scores *s, msp_err *err)
{
    MSP_ASSERT(s->n_layers == net->n_layers && g->n_layers == net->n_layers);
    free(s->unit);
    s->unit = NULL;
    /* Normalised copies, so a failed call leaves the raw scores as given. */
    float *norm = msp_calloc((size_t)g->n_chans + 1, sizeof(float));
    for (int i = 0; i < net->n_layers; i++) {
        const msp_dn_layer *l = &net->layers[i];
        if (!is_producer(l)) continue;
        if (!s->layer[i]) {
            free(norm);
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                               "no scores for layer %d (line %d)", i, l->line);
        }
        float mx = 0;
        for (int c = 0; c < l->filters; c++) {
            float v = s->layer[i][c];
            if (!isfinite(v) || v < 0) {
                free(norm);
                return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                   "layer %d (line %d) channel %d: score %g is not a finite "
                                   "number >= 0", i, l->line, c, (double)v);
            }
            if (v > mx) mx = v;
        }
        for (int c = 0; c < l->filters; c++)
            norm[g->chan_base[i] + c] = mx > 0 ? s->layer[i][c] / mx : 0;
    }
    s->unit = msp_calloc((size_t)g->n_units + 1, sizeof(float));
    for (int u = 0; u < g->n_units; u++) {
        double sum = 0;
        int m = g->unit_base[u + 1] - g->unit_base[u];
        for (int k = g->unit_base[u]; k < g->unit_base[u + 1]; k++) sum += norm[g->unit_member[k]];
        s->unit[u] = (float)(sum / m);
    }
    free(norm);
    return MSP_OK;
}

msp_status msp_prune_score_weights(const msp_dn_net *net, const msp_prune_weights *w,
                                   const msp_prune_groups *g, msp_prune_criterion c,
                                   uint64_t seed, msp_prune_scores *s, msp_err *err)
{
    memset(s, 0, sizeof *s);
    if (!msp_prune_criterion_is_weight_based(c))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "criterion %s needs activations from a dataset, not weights alone",
                           msp_prune_criterion_name(c));
    MSP_ASSERT(w->n_layers == net->n_layers);
    if (c == MSP_CRIT_BN_GAMMA)
        for (int i = 0; i < net->n_layers; i++) {
            const msp_dn_layer *l = &net->layers[i];
            if (!is_producer(l) || l->batch_normalize) continue;
            for (int k = 0; k < l->filters; k++)
                if (g->chan_unit[g->chan_base[i] + k] >= 0)
                    return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                                       "criterion bn-gamma needs batch_normalize=1 on every "
                                       "layer it prunes, but layer %d (line %d) has no batch "
                                       "norm: use l1, l2 or linf", i, l->line);
        }
    msp_prune_scores_init(net, s);
    msp_rng r;
    msp_rng_seed(&r, seed);
    for (int i = 0; i < net->n_layers; i++) {
        const msp_dn_layer *l = &net->layers[i];
        if (!is_producer(l)) continue;
        const msp_prune_layer_w *lw = &w->layers[i];
        size_t per = lw->n_weights / (size_t)l->filters;
        for (int f = 0; f < l->filters; f++) {
            const float *x = lw->weights + (size_t)f * per;
            double v = 0;
            switch (c) {
            case MSP_CRIT_L1:
                for (size_t j = 0; j < per; j++) v += fabs(x[j]);
                break;
            case MSP_CRIT_L2:
                for (size_t j = 0; j < per; j++) v += (double)x[j] * x[j];
                v = sqrt(v);
                break;
            case MSP_CRIT_LINF:
                for (size_t j = 0; j < per; j++) v = fmax(v, fabs(x[j]));
                break;
            case MSP_CRIT_RANDOM:
                v = msp_rng_uniform(&r);
                break;
            case MSP_CRIT_BN_GAMMA:
                v = lw->scales ? fabs(lw->scales[f]) : 0;
                break;
            default:
                MSP_ASSERT(0);
            }
            /* Non-finite weights give non-finite norms; finish rejects them. */
            s->layer[i][f] = (float)v;
        }
    }
    msp_status st = msp_prune_scores_finish(net, g, s, err);
    if (st != MSP_OK) msp_prune_scores_free(s);
    return st;
}
