/* plan.c: which channels to remove for a ratio.
 *
 * Units are removed lowest score first (ties by unit index, so plans are
 * deterministic), either per group (uniform) or across the net (global),
 * skipping any unit whose removal would leave one of its layers with fewer
 * than min_channels channels. Target-FLOPs and target-latency schedules are
 * the caller's loop around this.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prune.h"

void msp_prune_masks_init(const msp_dn_net *net, msp_prune_masks *m)
{
    memset(m, 0, sizeof *m);
    m->n_layers = net->n_layers;
    m->keep = msp_calloc((size_t)(net->n_layers ? net->n_layers : 1), sizeof *m->keep);
    for (int i = 0; i < net->n_layers; i++) {
        const msp_dn_layer *l = &net->layers[i];
        if (l->type != MSP_L_CONV && l->type != MSP_L_CONNECTED) continue;
        m->keep[i] = msp_malloc((size_t)l->filters);
        memset(m->keep[i], 1, (size_t)l->filters);
    }
}

void msp_prune_masks_free(msp_prune_masks *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_layers; i++) free(m->keep[i]);
    free(m->keep);
    memset(m, 0, sizeof *m);
}

typedef struct ranked {
    float score;
    int unit;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return (x->unit > y->unit) - (x->unit < y->unit);
}

/* Remove unit u if every member layer stays at >= min_channels; returns the
 * number of channels removed (0 when skipped). kept[l] counts layer l's
 * remaining channels. A unit may hold several channels of one layer. */
static int try_remove(const msp_prune_groups *g, int u, int min_channels, int *kept,
                      msp_prune_masks *m)
{
    int b = g->unit_base[u], e = g->unit_base[u + 1];
    for (int k = b; k < e; k++) {
        int lay = g->chan_layer[g->unit_member[k]];
        int need = 0;
        for (int j = b; j < e; j++) need += g->chan_layer[g->unit_member[j]] == lay;
        if (kept[lay] - need < min_channels) return 0;
    }
    for (int k = b; k < e; k++) {
        int ch = g->unit_member[k], lay = g->chan_layer[ch];
        kept[lay]--;
        m->keep[lay][ch - g->chan_base[lay]] = 0;
    }
    return e - b;
}

msp_status msp_prune_plan_ratio(const msp_dn_net *net, const msp_prune_groups *g,
                                const msp_prune_scores *s, double ratio, msp_prune_alloc mode,
                                int min_channels, msp_prune_masks *m, msp_err *err)
{
    memset(m, 0, sizeof *m);
    if (!(ratio >= 0 && ratio < 1))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "pruning ratio %g is outside [0, 1): give the fraction of channels "
                           "to remove, e.g. 0.5", ratio);
    if (min_channels < 1)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "min_channels %d: every layer must keep at least 1 channel",
                           min_channels);
    if (mode != MSP_ALLOC_UNIFORM && mode != MSP_ALLOC_GLOBAL)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "unknown allocation mode %d", (int)mode);
    MSP_ASSERT(g->n_layers == net->n_layers);
    if (!s->unit && g->n_units > 0)
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0,
                           "scores are not finished (call msp_prune_scores_finish)");
    msp_prune_masks_init(net, m);
    int *kept = msp_calloc((size_t)net->n_layers, sizeof(int));
    for (int i = 0; i < net->n_layers; i++)
        if (m->keep[i]) kept[i] = net->layers[i].filters;
    ranked *order = msp_malloc(((size_t)g->n_units + 1) * sizeof(ranked));

    if (mode == MSP_ALLOC_UNIFORM) {
        for (int k = 0; k < g->n_groups; k++) {
            const msp_prune_group *gr = &g->groups[k];
            for (int j = 0; j < gr->n_units; j++)
                order[j] = (ranked){s->unit[gr->units[j]], gr->units[j]};
            qsort(order, (size_t)gr->n_units, sizeof *order, cmp_ranked);
            int target = (int)floor(ratio * gr->n_units), done = 0;
            for (int j = 0; j < gr->n_units && done < target; j++)
                done += try_remove(g, order[j].unit, min_channels, kept, m) > 0;
        }
    } else {
        for (int u = 0; u < g->n_units; u++) order[u] = (ranked){s->unit[u], u};
        qsort(order, (size_t)g->n_units, sizeof *order, cmp_ranked);
        long long target = (long long)floor(ratio * (double)g->unit_base[g->n_units]), done = 0;
        for (int j = 0; j < g->n_units && done < target; j++)
            done += try_remove(g, order[j].unit, min_channels, kept, m);
    }
    free(order);
    free(kept);
    return MSP_OK;
}
