/* profile.c: `msprune profile`: batch-1 median latency on random inputs
 * (msp_eval_latency_random) and FLOPs. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "evaluate.h"
#include "base/base.h"
#include "profile.h"

msp_status msp_profile_run(const msp_profile_opts *o, msp_profile_result *out, msp_err *err)
{
    msp_net *net = NULL;
    msp_net_opts no = {.batch = 1, .engine = o->engine, .verbose = o->verbose};
    msp_engine_seed(1);
    msp_status st = msp_net_load(o->cfg, o->weights, &no, &net, err);
    if (st != MSP_OK) return st;
    msp_eval_latency_random(net, 1, o->warmup, o->runs, &out->latency);
    const msp_dn_net *info = msp_net_info(net);
    out->flops = info->flops;
    out->parameters = info->n_weights_floats;
    out->layers = info->n_layers;
    out->w = info->w;
    out->h = info->h;
    out->c = info->c;
    out->classes = info->classes;
    msp_net_free(net);
    return MSP_OK;
}
