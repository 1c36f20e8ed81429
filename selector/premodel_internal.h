/* premodel_internal.h: the premodel's layout, shared by selector/premodel*.c
 * and the unit tests (which check exact statistics and gradients); not part
 * of the room's contract. All features inside a model are standardised. */
#ifndef MSP_PREMODEL_INTERNAL_H
#define MSP_PREMODEL_INTERNAL_H

#include "premodel.h"

/* A knn reference set: n points (n*d, standardised) with classes y[n] in
 * [0, ncls). */
typedef struct msp_knn_set {
    int n;
    float *x;
    int *y;
} msp_knn_set;

/* gate-cnn's network as stored in the file (premodel_gate_net.c). */
typedef struct msp_gate_net msp_gate_net;

typedef struct msp_dtree_node {
    int feat;       /* -1: leaf */
    float thr;      /* go left when z[feat] <= thr */
    int left, right; /* children, always after their parent in the array */
} msp_dtree_node;

struct msp_premodel {
    msp_premodel_kind kind;
    msp_premodel_params p;
    int d_in, d, m;
    int *feat;          /* d: input column of each used feature */
    float *mean, *sd;   /* d: z = (x[feat] - mean) / sd */
    /* knn */
    msp_knn_set knn;
    /* knn-chain: order[m] networks cheapest first; chain[m-1] classifiers */
    int *order;
    msp_knn_set *chain;
    /* dtree */
    int nnodes;
    msp_dtree_node *nodes;
    float *node_prob;   /* nnodes*m: class fractions of the training inputs in each node */
    /* naive-bayes */
    double *log_prior;  /* m; -INFINITY for a class without examples */
    float *nb_mean, *nb_var; /* m*d */
    double *nb_lognorm; /* m: sum over features of log(2 pi var); derived, not stored */
    /* logistic */
    float *w, *b;       /* m*d, m */
    /* gate-cnn */
    msp_gate_net *gate;
    /* cascade */
    int start;
};

/* Training inputs standardised: z (n*d), labels and the model's dims. */
typedef struct msp_premodel_train_set {
    int n, d, m;
    const float *z;
    const int *y;
    const uint8_t *ok; /* n*m or NULL (rows follow z) */
} msp_premodel_train_set;

msp_premodel *msp_premodel_alloc(void);
/* The training-data checks of msp_premodel_train (feat may be NULL). */
msp_status msp_premodel_check_data(msp_premodel_kind kind, const msp_premodel_data *t,
                                   const int *feat, int nfeat, msp_err *err);

/* Per kind (premodel_<kind>.c): fill the model's payload from the
 * standardised set; params already checked. */
void msp_knn_train(const float *z, const int *y, int n, int d, int condense, msp_knn_set *out);
/* Weighted votes of the k nearest into votes[ncls] (zeroed first); returns
 * the winning class (ties: lowest). */
int msp_knn_vote(const msp_knn_set *s, int d, int ncls, int k, int weighting, const float *z,
                 double *votes);
void msp_knn_set_free(msp_knn_set *s);
void msp_chain_train(msp_premodel *pm, const msp_premodel_train_set *t, const double *cost);
int msp_chain_predict(const msp_premodel *pm, const float *z, double *conf);
void msp_dtree_train(msp_premodel *pm, const msp_premodel_train_set *t);
int msp_dtree_predict(const msp_premodel *pm, const float *z, double *conf);
void msp_bayes_train(msp_premodel *pm, const msp_premodel_train_set *t);
/* Derive nb_lognorm from nb_var (after training or loading). */
void msp_bayes_prepare(msp_premodel *pm);
int msp_bayes_predict(const msp_premodel *pm, const float *z, double *conf);
void msp_logistic_train(msp_premodel *pm, const msp_premodel_train_set *t);
int msp_logistic_predict(const msp_premodel *pm, const float *z, double *conf);

/* gate-cnn training (premodel_gate.c, uses Darknet): fills pm->gate. */
msp_status msp_gate_train(msp_premodel *pm, const msp_premodel_train_set *t, msp_err *err);
/* The cfg text of gate-cnn for d = MSP_PREMODEL_GATE_INPUTS inputs and m
 * networks (owned by the caller). */
char *msp_gate_cfg_text(int m);

/* gate-cnn's stored network (premodel_gate_net.c, plain C, no Darknet).
 * Build from cfg text (cfg_len bytes, need not be NUL-terminated) and nw
 * weights in Darknet's .weights order, both copied: the text must pass
 * msp_dncfg_check, take d inputs, end in a softmax over m classes, use only
 * conv (groups 1, bn optional; linear, relu or leaky), maxpool, connected
 * (no bn; linear, relu or leaky) and softmax (groups 1) layers, keep every
 * activation within MSP_GATE_MAX_ACT floats, and need exactly nw floats; all
 * weights finite. MSP_BAD_INPUT naming `name` otherwise. */
#define MSP_GATE_MAX_CFG (1u << 16)
#define MSP_GATE_MAX_ACT 8192
#define MSP_GATE_MAX_WEIGHTS (1u << 22)
msp_status msp_gate_net_make(const char *cfg, size_t cfg_len, const float *w, size_t nw, int d,
                             int m, const char *name, msp_gate_net **out, msp_err *err);
void msp_gate_net_free(msp_gate_net *g);
/* Forward pass over z[d]: the argmax class (ties: lowest), *conf its softmax
 * probability. Thread-compatible (stack buffers only). */
int msp_gate_net_predict(const msp_gate_net *g, const float *z, double *conf);
/* The stored cfg text and weights (owned by g). */
const char *msp_gate_net_cfg(const msp_gate_net *g, size_t *len);
const float *msp_gate_net_weights(const msp_gate_net *g, size_t *n);

/* Rows idx[cnt] of src copied into owned arrays (premodel_cv.c). */
typedef struct msp_premodel_subset {
    msp_premodel_data data; /* points at the arrays below, cost at src's */
    float *x;
    int *label;
    uint8_t *ok;
} msp_premodel_subset;
void msp_premodel_subset_make(const msp_premodel_data *src, const int *idx, int cnt,
                              msp_premodel_subset *out);
void msp_premodel_subset_free(msp_premodel_subset *s);

/* Loss (mean cross-entropy + (l2/2)|W|^2) of softmax regression with
 * W (m*d), b (m) on z (n*d), y; fills gw, gb (may be NULL) with its
 * gradient. Double precision, for training and the finite-difference test. */
double msp_logistic_loss_grad(const double *w, const double *b, const float *z, const int *y,
                              int n, int d, int m, double l2, double *gw, double *gb);

#endif
