/* criteria_data.c: pruning scores from data-driven channel statistics.
 *
 * Turns per-channel statistics (engine_stats.h, or any caller's arrays of the
 * same shape) into msp_prune_scores for a data-driven criterion, so that
 * higher = keep: apoz -> 1 - apoz (a channel that is almost never active goes
 * first), mean-activation -> |mean|, taylor -> the value itself. The result
 * is finished (normalised per layer, unit means) like the weight-based scores.
 */
#include <math.h>
#include <string.h>

#include "engine/engine.h"
#include "prune.h"

static msp_status bad(msp_prune_scores *s, msp_err *err, int layer, const char *what)
{
    msp_prune_scores_free(s);
    return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "layer %d: %s", layer, what);
}

msp_status msp_prune_scores_from_stats(const msp_dn_net *net, const msp_prune_groups *g,
                                       msp_prune_criterion c, int n_layers,
                                       const int *n_channels, const float *const *values,
                                       msp_prune_scores *s, msp_err *err)
{
    memset(s, 0, sizeof *s);
    if (c != MSP_CRIT_APOZ && c != MSP_CRIT_MEAN_ACT && c != MSP_CRIT_TAYLOR)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "criterion '%s' is not computed from data: use apoz, "
                           "mean-activation or taylor here", msp_prune_criterion_name(c));
    if (n_layers != net->n_layers)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "the statistics cover %d layers but the network has %d: they were "
                           "computed on another network", n_layers, net->n_layers);
    msp_prune_scores_init(net, s);
    for (int i = 0; i < net->n_layers; i++) {
        if (!s->layer[i]) continue;
        int f = net->layers[i].filters;
        if (!values[i] || n_channels[i] != f)
            return bad(s, err, i, "the statistics do not have one value per output channel "
                                  "(computed on another network?)");
        for (int k = 0; k < f; k++) {
            float v = values[i][k];
            if (!isfinite(v)) return bad(s, err, i, "non-finite channel statistic");
            if (c == MSP_CRIT_APOZ) {
                if (v < 0 || v > 1) return bad(s, err, i, "apoz outside [0, 1]");
                v = 1 - v;
            } else if (c == MSP_CRIT_MEAN_ACT) {
                v = fabsf(v);
            } else if (v < 0) {
                return bad(s, err, i, "negative taylor value");
            }
            s->layer[i][k] = v;
        }
    }
    msp_status st = msp_prune_scores_finish(net, g, s, err);
    if (st != MSP_OK) msp_prune_scores_free(s);
    return st;
}

msp_status msp_prune_score_data(msp_net *dn, const msp_dataset *d, int max_images,
                                const msp_dn_net *net, const msp_prune_groups *g,
                                msp_prune_criterion c, msp_prune_scores *s, msp_err *err)
{
    memset(s, 0, sizeof *s);
    msp_stat_kind kind;
    switch (c) {
    case MSP_CRIT_APOZ: kind = MSP_STAT_APOZ; break;
    case MSP_CRIT_MEAN_ACT: kind = MSP_STAT_MEAN_ACT; break;
    case MSP_CRIT_TAYLOR: kind = MSP_STAT_TAYLOR; break;
    default:
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "criterion '%s' is not computed from data: use apoz, "
                           "mean-activation or taylor here", msp_prune_criterion_name(c));
    }
    msp_net_stats st = {0};
    msp_status rc = msp_net_channel_stats(dn, d, max_images, kind, &st, err);
    if (rc != MSP_OK) return rc;
    rc = msp_prune_scores_from_stats(net, g, c, st.n_layers, st.n_channels,
                                     (const float *const *)st.layer, s, err);
    msp_net_stats_free(&st);
    return rc;
}
