/* premodel_dtree.c: CART classification tree with Gini impurity.
 *
 * A node becomes a leaf when it is pure, at max_depth, or holds fewer than
 * 2 * min_leaf inputs. Otherwise the split (feature, threshold) with the
 * lowest weighted child Gini impurity among those leaving >= min_leaf inputs
 * on each side is taken, even when it does not lower the impurity (so XOR-like
 * data, where no single split helps, still gets split); the node stays a leaf
 * only when no valid split exists. Thresholds lie midway between consecutive
 * distinct values; z <= thr goes left. Ties: lowest feature, then lowest
 * threshold. Nodes are stored in preorder, so children follow their parent.
 * Cost: O(d * c log c) per node of c inputs. */
#include <stdlib.h>
#include <string.h>

#include "premodel_internal.h"

typedef struct {
    float v;
    int i;
} vi_t;

static int cmp_vi(const void *a, const void *b)
{
    const vi_t *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

typedef struct {
    msp_premodel *pm;
    const msp_premodel_train_set *t;
    int cap;
    vi_t *vi;          /* scratch, n */
    int *tmp;          /* scratch, n */
    double *cl, *cr;   /* scratch class counts, m each */
} builder;

static int new_node(builder *b)
{
    msp_premodel *pm = b->pm;
    if (pm->nnodes == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        pm->nodes = msp_realloc(pm->nodes, sizeof(msp_dtree_node) * (size_t)b->cap);
        pm->node_prob = msp_realloc(pm->node_prob, sizeof(float) * (size_t)b->cap * (size_t)pm->m);
    }
    int id = pm->nnodes++;
    pm->nodes[id] = (msp_dtree_node){-1, 0, -1, -1};
    return id;
}

static int build(builder *b, int *idx, int cnt, int depth)
{
    const msp_premodel_train_set *t = b->t;
    msp_premodel *pm = b->pm;
    int m = t->m, d = t->d, minl = pm->p.min_leaf;
    int id = new_node(b);
    double *tot = b->cl; /* reused as the left counts below */
    memset(tot, 0, sizeof(double) * (size_t)m);
    for (int r = 0; r < cnt; r++) tot[t->y[idx[r]]] += 1;
    int classes = 0;
    double ss_tot = 0;
    for (int c = 0; c < m; c++) {
        pm->node_prob[(size_t)id * m + c] = (float)(tot[c] / cnt);
        classes += tot[c] > 0;
        ss_tot += tot[c] * tot[c];
    }
    if (classes <= 1 || depth >= pm->p.max_depth || cnt < 2 * minl) return id;

    /* Weighted impurity of a split, times cnt: nl - ssl/nl + nr - ssr/nr. */
    int best_f = -1;
    float best_thr = 0;
    double best_imp = 0;
    double *cl = b->cl, *cr = b->cr;
    for (int f = 0; f < d; f++) {
        for (int r = 0; r < cnt; r++) b->vi[r] = (vi_t){t->z[(size_t)idx[r] * d + f], idx[r]};
        qsort(b->vi, (size_t)cnt, sizeof(vi_t), cmp_vi);
        memset(cl, 0, sizeof(double) * (size_t)m);
        for (int c = 0; c < m; c++) cr[c] = 0;
        for (int r = 0; r < cnt; r++) cr[t->y[b->vi[r].i]] += 1;
        double ssl = 0, ssr = ss_tot;
        for (int s = 1; s < cnt; s++) { /* left = first s */
            int c = t->y[b->vi[s - 1].i];
            ssl += 2 * cl[c] + 1;
            cl[c] += 1;
            ssr -= 2 * cr[c] - 1;
            cr[c] -= 1;
            if (s < minl || cnt - s < minl || !(b->vi[s - 1].v < b->vi[s].v)) continue;
            double imp = (s - ssl / s) + ((cnt - s) - ssr / (cnt - s));
            if (best_f < 0 || imp < best_imp - 1e-12 * cnt) {
                float lo = b->vi[s - 1].v, hi = b->vi[s].v;
                float thr = lo + (hi - lo) * 0.5f;
                if (!(thr < hi)) thr = lo;
                best_f = f;
                best_thr = thr;
                best_imp = imp;
            }
        }
    }
    if (best_f < 0) return id;

    int nl = 0, nr = 0;
    for (int r = 0; r < cnt; r++)
        if (t->z[(size_t)idx[r] * d + best_f] <= best_thr) idx[nl++] = idx[r];
        else b->tmp[nr++] = idx[r];
    memcpy(idx + nl, b->tmp, sizeof(int) * (size_t)nr);
    int left = build(b, idx, nl, depth + 1);
    int right = build(b, idx + nl, nr, depth + 1);
    pm->nodes[id].feat = best_f;
    pm->nodes[id].thr = best_thr;
    pm->nodes[id].left = left;
    pm->nodes[id].right = right;
    return id;
}

void msp_dtree_train(msp_premodel *pm, const msp_premodel_train_set *t)
{
    builder b = {pm, t, 0, NULL, NULL, NULL, NULL};
    b.vi = msp_malloc(sizeof(vi_t) * (size_t)t->n);
    b.tmp = msp_malloc(sizeof(int) * (size_t)t->n);
    b.cl = msp_malloc(sizeof(double) * (size_t)t->m);
    b.cr = msp_malloc(sizeof(double) * (size_t)t->m);
    int *idx = msp_malloc(sizeof(int) * (size_t)t->n);
    for (int i = 0; i < t->n; i++) idx[i] = i;
    build(&b, idx, t->n, 0);
    free(idx);
    free(b.vi);
    free(b.tmp);
    free(b.cl);
    free(b.cr);
}

int msp_dtree_predict(const msp_premodel *pm, const float *z, double *conf)
{
    int id = 0;
    while (pm->nodes[id].feat >= 0)
        id = z[pm->nodes[id].feat] <= pm->nodes[id].thr ? pm->nodes[id].left : pm->nodes[id].right;
    const float *p = pm->node_prob + (size_t)id * pm->m;
    int best = 0;
    for (int c = 1; c < pm->m; c++)
        if (p[c] > p[best]) best = c;
    *conf = p[best];
    return best;
}
