/* premodel_chain.c: knn-chain, the original research's premodel: networks in
 * ascending cost order (stable; index order without costs), one binary knn
 * per network but the last, trained on "is this network correct on the
 * input?" (data.ok). Prediction walks the chain and takes the first network
 * whose classifier says yes (strictly more yes than no votes: a tie means
 * no, i.e. the safer, more expensive network), else the last one. */
#include <stdlib.h>

#include "premodel_internal.h"

void msp_chain_train(msp_premodel *pm, const msp_premodel_train_set *t, const double *cost)
{
    int m = t->m;
    pm->order = msp_malloc(sizeof(int) * (size_t)m);
    for (int j = 0; j < m; j++) pm->order[j] = j;
    if (cost) /* insertion sort: stable, m is small */
        for (int j = 1; j < m; j++)
            for (int i = j; i > 0 && cost[pm->order[i - 1]] > cost[pm->order[i]]; i--) {
                int tmp = pm->order[i];
                pm->order[i] = pm->order[i - 1];
                pm->order[i - 1] = tmp;
            }
    pm->chain = msp_calloc((size_t)(m > 1 ? m - 1 : 1), sizeof(msp_knn_set));
    int *yb = msp_malloc(sizeof(int) * (size_t)t->n);
    for (int j = 0; j + 1 < m; j++) {
        int net = pm->order[j];
        for (int i = 0; i < t->n; i++) yb[i] = t->ok[(size_t)i * m + net] ? 1 : 0;
        msp_knn_train(t->z, yb, t->n, t->d, pm->p.condense, &pm->chain[j]);
    }
    free(yb);
}

int msp_chain_predict(const msp_premodel *pm, const float *z, double *conf)
{
    double min_no = 1, v[2];
    for (int j = 0; j + 1 < pm->m; j++) {
        int yes = msp_knn_vote(&pm->chain[j], pm->d, 2, pm->p.k, pm->p.weighting, z, v);
        double tot = v[0] + v[1];
        if (yes) {
            *conf = v[1] / tot;
            return pm->order[j];
        }
        double no = tot > 0 ? v[0] / tot : 1;
        if (no < min_no) min_no = no;
    }
    *conf = min_no;
    return pm->order[pm->m - 1];
}
