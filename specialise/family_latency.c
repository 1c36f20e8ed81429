/* family_latency.c: batch-1 latency of every network of a family, measured
 * side by side so that load on a shared machine affects all of them alike. */
#include <stdlib.h>

#include "train/train.h"
#include "specialise.h"

#define LATENCY_ROUNDS 5

msp_status msp_family_latency(const msp_family *f, const char *dir, msp_engine_kind engine,
                              uint64_t seed, int warmup, int runs, double *ms, msp_err *err)
{
    msp_net **nets = msp_calloc((size_t)f->n_nets, sizeof *nets);
    msp_status st = MSP_OK;
    msp_net_opts o = {.batch = 1, .engine = engine};
    for (int i = 0; i < f->n_nets && st == MSP_OK; i++) {
        char *cfg = msp_strcat3(dir, "/", f->nets[i].cfg), *w = msp_strcat3(dir, "/", f->nets[i].weights);
        st = msp_net_load(cfg, w, &o, &nets[i], err);
        free(cfg);
        free(w);
    }
    int per_round = runs / LATENCY_ROUNDS;
    if (st == MSP_OK)
        msp_eval_latency_interleaved(nets, f->n_nets, seed, warmup, per_round < 1 ? 1 : per_round,
                                     LATENCY_ROUNDS, ms);
    for (int i = 0; i < f->n_nets; i++) msp_net_free(nets[i]);
    free(nets);
    return st;
}
