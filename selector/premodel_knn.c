/* premodel_knn.c: k-nearest neighbours over standardised features, and
 * shrinking of the reference set so that prediction scans few points.
 *
 * params.condense:
 *  0  keep every training input;
 *  1  Hart's condensed nearest neighbour rule (1968): the store starts with
 *     the first input; passes over the inputs in index order add every
 *     input that the 1-NN rule over the current store misclassifies, until
 *     a whole pass adds nothing. Afterwards 1-NN over the store classifies
 *     every training input correctly (barring exact duplicates with
 *     different labels);
 *  2  Wilson's editing first (drop every input that the majority of its 3
 *     nearest other inputs labels differently: noise and overlap), then
 *     Hart's rule over what is left. Far fewer points on noisy labels, and
 *     the property above holds for the edited set only.
 * Both rules are exact for k = 1; with k > 1 they are the usual
 * approximation. Costs: editing O(n^2 d), Hart O(passes * n * kept * d),
 * once at training. Ties: equal distances go to the earlier point, equal
 * votes to the lower class. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "premodel_internal.h"

#define EDIT_K 3

/* Squared distance, abandoned (returns a value > limit) once it exceeds
 * limit. Blocks of 8 in float (vectorisable), summed in double. */
static double dist2_limited(const float *a, const float *b, int d, double limit)
{
    double s = 0;
    int j = 0;
    for (; j + 8 <= d; j += 8) {
        float v[8];
        for (int t = 0; t < 8; t++) {
            float u = a[j + t] - b[j + t];
            v[t] = u * u;
        }
        s += (double)(((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7])));
        if (s > limit) return s;
    }
    for (; j < d; j++) {
        double u = (double)a[j] - (double)b[j];
        s += u * u;
    }
    return s;
}

/* The k nearest of npts points (point r is pts[idx ? idx[r] : r]) to z,
 * skipping point number `skip` (-1: none): their squared distances bd and
 * numbers bi, nearest first; returns how many (min(k, points)). */
static int search(const float *pts, const int *idx, int npts, int d, const float *z, int k,
                  int skip, double *bd, int *bi)
{
    int have = 0;
    for (int r = 0; r < npts; r++) {
        if (r == skip) continue;
        double limit = have < k ? INFINITY : bd[k - 1];
        double dd = dist2_limited(pts + (size_t)(idx ? idx[r] : r) * d, z, d, limit);
        if (!(dd < limit)) continue;
        /* Insert after every equal distance: earlier points win ties. */
        int pos = have < k ? have++ : k - 1;
        while (pos > 0 && bd[pos - 1] > dd) {
            bd[pos] = bd[pos - 1];
            bi[pos] = bi[pos - 1];
            pos--;
        }
        bd[pos] = dd;
        bi[pos] = r;
    }
    return have;
}

/* Wilson editing: the inputs kept (ascending) into keep; returns count. */
static int wilson(const float *z, const int *y, int n, int d, int *keep)
{
    double bd[EDIT_K];
    int bi[EDIT_K], nk = 0;
    for (int i = 0; i < n; i++) {
        int have = search(z, NULL, n, d, z + (size_t)i * d, EDIT_K, i, bd, bi);
        int same = 0;
        for (int r = 0; r < have; r++) same += y[bi[r]] == y[i];
        /* Kept unless another class has more votes than its own. */
        int worst = 0;
        for (int r = 0; r < have; r++) {
            int c = 0;
            for (int q = 0; q < have; q++) c += y[bi[q]] == y[bi[r]];
            if (y[bi[r]] != y[i] && c > worst) worst = c;
        }
        if (have == 0 || same >= worst) keep[nk++] = i;
    }
    return nk;
}

void msp_knn_train(const float *z, const int *y, int n, int d, int condense, msp_knn_set *out)
{
    memset(out, 0, sizeof *out);
    int *cand = msp_malloc(sizeof(int) * (size_t)n);
    int nc = 0;
    if (condense == 2) nc = wilson(z, y, n, d, cand);
    if (nc == 0) /* no editing, or editing left nothing */
        for (int i = 0; i < n; i++) cand[nc++] = i;
    int *keep = cand, nk = nc;
    if (condense >= 1) {
        keep = msp_malloc(sizeof(int) * (size_t)nc);
        uint8_t *in = msp_calloc((size_t)nc, 1);
        nk = 0;
        keep[nk++] = cand[0];
        in[0] = 1;
        double bd;
        int bi;
        for (int added = 1; added;) {
            added = 0;
            for (int r = 0; r < nc; r++) {
                if (in[r]) continue;
                int i = cand[r];
                search(z, keep, nk, d, z + (size_t)i * d, 1, -1, &bd, &bi);
                if (y[keep[bi]] != y[i]) {
                    keep[nk++] = i;
                    in[r] = 1;
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
    if (keep != cand) free(keep);
    free(cand);
}

int msp_knn_vote(const msp_knn_set *s, int d, int ncls, int k, int weighting, const float *z,
                 double *votes)
{
    double bd[MSP_PREMODEL_MAX_K];
    int bi[MSP_PREMODEL_MAX_K];
    int have = search(s->x, NULL, s->n, d, z, k, -1, bd, bi);
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
