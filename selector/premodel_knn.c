/* premodel_knn.c: k-nearest neighbours over standardised features, and
 * Hart's condensed nearest neighbour rule (1968) to shrink the reference set.
 *
 * Condensing: the store starts with the first training input; passes over
 * the inputs in index order add every input that the 1-NN rule over the
 * current store misclassifies, until a whole pass adds nothing. Afterwards
 * 1-NN over the store classifies every training input correctly (barring
 * exact duplicates with different labels). The rule is exact for k = 1 only;
 * with k > 1 it is the usual approximation. It costs O(passes * n * kept * d)
 * once, at training; prediction then scans only the kept points.
 * Ties: equal distances go to the earlier stored point, equal votes to the
 * lower class. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "premodel_internal.h"

/* Squared distance, abandoned (returns a value > limit) once it exceeds limit. */
static double dist2_limited(const float *a, const float *b, int d, double limit)
{
    double s = 0;
    for (int j = 0; j < d; j++) {
        double v = (double)a[j] - (double)b[j];
        s += v * v;
        if (s > limit) return s;
    }
    return s;
}

/* Index in pts (npts x d, using only idx[0..npts) when idx != NULL) of the
 * nearest point to z; ties: first. */
static int nearest(const float *pts, const int *idx, int npts, int d, const float *z)
{
    int best = -1;
    double bd = INFINITY;
    for (int i = 0; i < npts; i++) {
        const float *p = pts + (size_t)(idx ? idx[i] : i) * d;
        double s = dist2_limited(p, z, d, bd);
        if (s < bd) {
            bd = s;
            best = i;
        }
    }
    return best;
}

void msp_knn_train(const float *z, const int *y, int n, int d, int condense, msp_knn_set *out)
{
    memset(out, 0, sizeof *out);
    int *keep = msp_malloc(sizeof(int) * (size_t)n);
    int nk = 0;
    if (!condense) {
        for (int i = 0; i < n; i++) keep[nk++] = i;
    } else {
        uint8_t *in = msp_calloc((size_t)n, 1);
        keep[nk++] = 0;
        in[0] = 1;
        for (int added = 1; added;) {
            added = 0;
            for (int i = 0; i < n; i++) {
                if (in[i]) continue;
                int nb = nearest(z, keep, nk, d, z + (size_t)i * d);
                if (y[keep[nb]] != y[i]) {
                    keep[nk++] = i;
                    in[i] = 1;
                    added = 1;
                }
            }
        }
        free(in);
    }
    out->n = nk;
    out->x = msp_malloc(sizeof(float) * (size_t)nk * (size_t)d);
    out->y = msp_malloc(sizeof(int) * (size_t)nk);
    for (int i = 0; i < nk; i++) {
        memcpy(out->x + (size_t)i * d, z + (size_t)keep[i] * d, sizeof(float) * (size_t)d);
        out->y[i] = y[keep[i]];
    }
    free(keep);
}

int msp_knn_vote(const msp_knn_set *s, int d, int ncls, int k, int weighting, const float *z,
                 double *votes)
{
    double bd[MSP_PREMODEL_MAX_K];
    int bi[MSP_PREMODEL_MAX_K];
    if (k > s->n) k = s->n;
    int have = 0;
    for (int i = 0; i < s->n; i++) {
        double limit = have < k ? INFINITY : bd[k - 1];
        double dd = dist2_limited(s->x + (size_t)i * d, z, d, limit);
        if (!(dd < limit)) continue;
        /* Insert after every equal distance: earlier points win ties. */
        int pos = have < k ? have++ : k - 1;
        while (pos > 0 && bd[pos - 1] > dd) {
            bd[pos] = bd[pos - 1];
            bi[pos] = bi[pos - 1];
            pos--;
        }
        bd[pos] = dd;
        bi[pos] = i;
    }
    for (int c = 0; c < ncls; c++) votes[c] = 0;
    for (int r = 0; r < have; r++) {
        int c = s->y[bi[r]];
        votes[c] += weighting == MSP_KNN_DISTANCE ? 1.0 / (sqrt(bd[r]) + 1e-6) : 1.0;
    }
    int best = 0;
    for (int c = 1; c < ncls; c++)
        if (votes[c] > votes[best]) best = c;
    return best;
}
