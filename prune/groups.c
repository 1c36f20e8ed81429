/* groups.c: which output channels can be removed, and which go together.
 *
 * One forward walk over the checked net records, for every layer, the
 * producer channel behind each of its output channels (out_map): producers
 * start new channels, pass-through layers copy their input's map, routes
 * concatenate. A [shortcut] joins channel k of its two inputs in a
 * union-find; consumers that cannot lose input channels lock them. The
 * union-find classes of unlocked channels are the units; producers joined by
 * any class form a group. The rules are in prune.h.
 */
#include <stdlib.h>
#include <string.h>

#include "prune.h"

void msp_prune_opts_default(msp_prune_opts *o)
{
    memset(o, 0, sizeof *o);
    o->protect_first = 1;
}

void msp_prune_groups_free(msp_prune_groups *g)
{
    if (!g) return;
    for (int i = 0; i < g->n_groups; i++) {
        free(g->groups[i].layers);
        free(g->groups[i].units);
    }
    free(g->groups);
    free(g->chan_base);
    free(g->chan_layer);
    free(g->chan_unit);
    free(g->unit_group);
    free(g->unit_base);
    free(g->unit_member);
    free(g->out_base);
    free(g->out_map);
    free(g->why);
    memset(g, 0, sizeof *g);
}

static int is_producer(const msp_dn_layer *l)
{
    return l->type == MSP_L_CONV || l->type == MSP_L_CONNECTED;
}

typedef struct uf {
    int *parent;
    unsigned char *locked;
} uf;

static int uf_find(uf *u, int x)
{
    while (u->parent[x] != x) {
        u->parent[x] = u->parent[u->parent[x]];
        x = u->parent[x];
    }
    return x;
}

static void uf_union(uf *u, int a, int b)
{
    a = uf_find(u, a);
    b = uf_find(u, b);
    if (a == b) return;
    if (a > b) { int t = a; a = b; b = t; } /* the smaller index is the root: stable numbering */
    u->parent[b] = a;
    u->locked[a] |= u->locked[b];
}

typedef struct walk {
    msp_prune_groups *g;
    uf u;
    const char **lock_why; /* per channel: the first reason it was locked */
} walk;

static void lock_chan(walk *w, int ch, const char *why)
{
    if (ch < 0) return;
    if (!w->lock_why[ch]) w->lock_why[ch] = why;
    w->u.locked[uf_find(&w->u, ch)] = 1;
}

/* Lock every producer channel behind layer src's output (src -1: none). */
static void lock_output(walk *w, int src, const char *why)
{
    if (src < 0) return;
    const msp_prune_groups *g = w->g;
    for (int k = g->out_base[src]; k < g->out_base[src + 1]; k++) lock_chan(w, g->out_map[k], why);
}

/* Channel numbering: chan_base (producer channels) and out_base (every
 * layer's output channels), and the arrays sized by them. */
static msp_status alloc_layout(const msp_dn_cfg *cfg, const msp_dn_net *net,
                               msp_prune_groups *g, msp_err *err)
{
    int n = net->n_layers;
    g->n_layers = n;
    g->chan_base = msp_calloc((size_t)n + 1, sizeof(int));
    g->out_base = msp_calloc((size_t)n + 1, sizeof(int));
    size_t nch = 0, nout = 0;
    for (int i = 0; i < n; i++) {
        const msp_dn_layer *l = &net->layers[i];
        g->chan_base[i] = (int)nch;
        g->out_base[i] = (int)nout;
        if (is_producer(l)) nch += (size_t)l->filters;
        nout += (size_t)l->out_c;
        /* Checked nets stay far below this (MSP_DN_MAX_ACTIVATIONS bounds
         * outputs, and out_c <= outputs); the int indices need it. */
        if (nch > (size_t)INT32_MAX / 2 || nout > (size_t)INT32_MAX / 2) {
            msp_prune_groups_free(g);
            return msp_err_set(err, MSP_BAD_INPUT, cfg ? cfg->path : NULL, l->line,
                               "the network has too many channels to prune");
        }
    }
    g->chan_base[n] = (int)nch;
    g->out_base[n] = (int)nout;
    g->n_chans = (int)nch;
    g->chan_layer = msp_malloc((nch ? nch : 1) * sizeof(int));
    g->chan_unit = msp_malloc((nch ? nch : 1) * sizeof(int));
    g->out_map = msp_malloc((nout ? nout : 1) * sizeof(int));
    g->why = msp_calloc((size_t)n, sizeof(char *));
    return MSP_OK;
}

/* A producer starts its own channels; a grouped convolution locks them and
 * its input. */
static void map_producer(walk *w, const msp_dn_layer *l, int i, int *out)
{
    msp_prune_groups *g = w->g;
    for (int c = 0; c < l->filters; c++) {
        g->chan_layer[g->chan_base[i] + c] = i;
        out[c] = g->chan_base[i] + c;
    }
    if (l->type == MSP_L_CONV && l->groups > 1) {
        lock_output(w, i - 1, "feeds a grouped convolution (groups > 1)");
        for (int c = 0; c < l->filters; c++)
            lock_chan(w, out[c], "grouped convolution (groups > 1)");
    }
}

/* A route's output: its sources' maps, one after another. */
static void map_route(walk *w, const msp_dn_layer *l, int *out, int nout_i)
{
    const msp_prune_groups *g = w->g;
    int k = 0;
    for (int r = 0; r < l->n_route_layers; r++) {
        int src = l->route_layers[r];
        int len = g->out_base[src + 1] - g->out_base[src];
        MSP_ASSERT(k + len <= nout_i);
        memcpy(out + k, g->out_map + g->out_base[src], (size_t)len * sizeof(int));
        k += len;
    }
    MSP_ASSERT(k == nout_i);
}

/* A shortcut passes its input's map on and joins the channels it adds. */
static void map_shortcut(walk *w, const msp_dn_layer *l, const int *in, int nin, int *out,
                         int nout_i)
{
    const msp_prune_groups *g = w->g;
    MSP_ASSERT(nin == nout_i);
    memcpy(out, in, (size_t)nout_i * sizeof(int));
    int from = l->from;
    const int *fm = g->out_map + g->out_base[from];
    int nf = g->out_base[from + 1] - g->out_base[from];
    /* Darknet adds from[k] to prev[k] for k < min(c1, c2) only. Coupling
     * that prefix pair by pair keeps it aligned after pruning: pairs go
     * together, so both sides lose the same number of paired channels
     * and the unpaired tail of the larger side stays past the new min. */
    int minc = nf < nin ? nf : nin;
    for (int k = 0; k < minc; k++) {
        if (in[k] < 0 || fm[k] < 0) {
            lock_chan(w, in[k], "added by a [shortcut] to a channel no layer owns");
            lock_chan(w, fm[k], "added by a [shortcut] to a channel no layer owns");
        } else {
            uf_union(&w->u, in[k], fm[k]);
        }
    }
}

/* The forward walk: every layer's out_map, shortcut joins and locks.
 * Returns the first producer layer, or -1. */
static int map_layers(walk *w, const msp_dn_net *net)
{
    msp_prune_groups *g = w->g;
    int first_producer = -1;
    for (int i = 0; i < net->n_layers; i++) {
        const msp_dn_layer *l = &net->layers[i];
        int *out = g->out_map + g->out_base[i];
        int nout_i = l->out_c;
        int prev = i - 1; /* Darknet feeds layer i the output of layer i-1 */
        const int *in = prev >= 0 ? g->out_map + g->out_base[prev] : NULL;
        int nin = prev >= 0 ? g->out_base[prev + 1] - g->out_base[prev] : 0;
        if (is_producer(l)) {
            if (first_producer < 0) first_producer = i;
            map_producer(w, l, i, out);
            continue;
        }
        switch (l->type) {
        case MSP_L_MAXPOOL:
        case MSP_L_AVGPOOL:
        case MSP_L_DROPOUT:
        case MSP_L_BATCHNORM:
        case MSP_L_ACTIVE:
            MSP_ASSERT(nin == nout_i);
            memcpy(out, in, (size_t)nout_i * sizeof(int));
            break;
        case MSP_L_ROUTE: map_route(w, l, out, nout_i); break;
        case MSP_L_SHORTCUT: map_shortcut(w, l, in, nin, out, nout_i); break;
        default: /* softmax, cost, crop, local, reorg, normalization */
            lock_output(w, prev, l->type == MSP_L_SOFTMAX || l->type == MSP_L_COST
                                     ? "feeds the network's output ([softmax]/[cost])"
                                     : "feeds a [crop], [local], [reorg] or [normalization] "
                                       "layer, which pruning does not see through");
            for (int k = 0; k < nout_i; k++) out[k] = -1;
            break;
        }
    }
    return first_producer;
}

/* Units: the union-find classes of unlocked channels, numbered by their
 * smallest channel, with their members; a locked channel's layer gets the
 * reason. */
static void build_units(walk *w)
{
    msp_prune_groups *g = w->g;
    size_t nch = (size_t)g->n_chans;
    /* The reason recorded on any member of a class, kept on its root. */
    for (size_t c = 0; c < nch; c++) {
        int r = uf_find(&w->u, (int)c);
        if (!w->lock_why[r]) w->lock_why[r] = w->lock_why[c];
    }
    int *unit_of_root = msp_malloc((nch ? nch : 1) * sizeof(int));
    int n_units = 0;
    for (size_t c = 0; c < nch; c++) {
        int r = uf_find(&w->u, (int)c);
        if (r == (int)c) unit_of_root[c] = w->u.locked[c] ? -1 : n_units++;
    }
    int *count = msp_calloc((size_t)n_units + 1, sizeof(int));
    for (size_t c = 0; c < nch; c++) {
        int u = unit_of_root[uf_find(&w->u, (int)c)];
        g->chan_unit[c] = u;
        if (u >= 0) count[u]++;
        else {
            int lay = g->chan_layer[c];
            const char *why = w->lock_why[uf_find(&w->u, (int)c)];
            if (!g->why[lay]) g->why[lay] = why ? why : "locked";
        }
    }
    g->n_units = n_units;
    g->unit_base = msp_calloc((size_t)n_units + 1, sizeof(int));
    for (int u = 0; u < n_units; u++) g->unit_base[u + 1] = g->unit_base[u] + count[u];
    g->unit_member = msp_malloc(((size_t)g->unit_base[n_units] + 1) * sizeof(int));
    memset(count, 0, ((size_t)n_units + 1) * sizeof(int));
    for (size_t c = 0; c < nch; c++) {
        int u = g->chan_unit[c];
        if (u >= 0) g->unit_member[g->unit_base[u] + count[u]++] = (int)c;
    }
    free(count);
    free(unit_of_root);
}

/* Groups: producer layers joined through units (a second union-find on
 * layers), numbered in unit order, with their units and layers. */
static void build_groups(msp_prune_groups *g, const msp_dn_net *net)
{
    int n = g->n_layers, n_units = g->n_units;
    uf lu = {msp_malloc((size_t)n * sizeof(int)), msp_calloc((size_t)n, 1)};
    for (int i = 0; i < n; i++) lu.parent[i] = i;
    for (int u = 0; u < n_units; u++)
        for (int k = g->unit_base[u] + 1; k < g->unit_base[u + 1]; k++)
            uf_union(&lu, g->chan_layer[g->unit_member[g->unit_base[u]]],
                     g->chan_layer[g->unit_member[k]]);
    int *group_of_root = msp_malloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++) group_of_root[i] = -1;
    g->unit_group = msp_malloc(((size_t)n_units + 1) * sizeof(int));
    int ng = 0;
    for (int u = 0; u < n_units; u++) {
        int r = uf_find(&lu, g->chan_layer[g->unit_member[g->unit_base[u]]]);
        if (group_of_root[r] < 0) group_of_root[r] = ng++;
        g->unit_group[u] = group_of_root[r];
    }
    g->n_groups = ng;
    g->groups = msp_calloc((size_t)ng + 1, sizeof(msp_prune_group));
    for (int u = 0; u < n_units; u++) g->groups[g->unit_group[u]].n_units++;
    for (int i = 0; i < n; i++)
        if (is_producer(&net->layers[i]) && group_of_root[uf_find(&lu, i)] >= 0)
            g->groups[group_of_root[uf_find(&lu, i)]].n_layers++;
    for (int k = 0; k < ng; k++) {
        g->groups[k].units = msp_malloc((size_t)g->groups[k].n_units * sizeof(int));
        g->groups[k].layers = msp_malloc((size_t)g->groups[k].n_layers * sizeof(int));
        g->groups[k].n_units = g->groups[k].n_layers = 0;
    }
    for (int u = 0; u < n_units; u++) {
        msp_prune_group *gr = &g->groups[g->unit_group[u]];
        gr->units[gr->n_units++] = u;
    }
    for (int i = 0; i < n; i++) {
        if (!is_producer(&net->layers[i])) continue;
        int k = group_of_root[uf_find(&lu, i)];
        if (k >= 0) g->groups[k].layers[g->groups[k].n_layers++] = i;
    }
    free(group_of_root);
    free(lu.parent);
    free(lu.locked);
}

msp_status msp_prune_groups_build(const msp_dn_cfg *cfg, const msp_dn_net *net,
                                  const msp_prune_opts *opts, msp_prune_groups *g, msp_err *err)
{
    (void)cfg;
    memset(g, 0, sizeof *g);
    msp_prune_opts defaults;
    if (!opts) {
        msp_prune_opts_default(&defaults);
        opts = &defaults;
    }
    int n = net->n_layers;
    if (n <= 0)
        return msp_err_set(err, MSP_BAD_INPUT, cfg ? cfg->path : NULL, 0,
                           "the network has no layers to prune");
    msp_status st = alloc_layout(cfg, net, g, err);
    if (st != MSP_OK) return st;
    size_t nch = (size_t)g->n_chans;

    walk w = {.g = g};
    w.u.parent = msp_malloc((nch ? nch : 1) * sizeof(int));
    w.u.locked = msp_calloc(nch ? nch : 1, 1);
    w.lock_why = msp_calloc(nch ? nch : 1, sizeof(char *));
    for (size_t c = 0; c < nch; c++) w.u.parent[c] = (int)c;

    int first_producer = map_layers(&w, net);
    lock_output(&w, n - 1, "its outputs are the network's outputs (the classes)");
    if (first_producer >= 0 && opts->protect_first)
        for (int c = 0; c < net->layers[first_producer].filters; c++)
            lock_chan(&w, g->chan_base[first_producer] + c, "first layer (protect_first)");

    build_units(&w);
    build_groups(g, net);
    free(w.u.parent);
    free(w.u.locked);
    free(w.lock_why);
    return MSP_OK;
}
