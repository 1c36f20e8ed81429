/* profile.c: `msprune profile`: batch-1 median latency on random inputs
 * (msp_eval_latency_random) and FLOPs. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "evaluate.h"
#include "base/base.h"
#include "profile.h"

msp_status msp_profile_run(const msp_profile_opts *o, msp_err *err)
{
    msp_net *net = NULL;
    msp_net_opts no = {.batch = 1, .engine = o->engine, .verbose = o->verbose};
    msp_engine_seed(1);
    msp_status st = msp_net_load(o->cfg, o->weights, &no, &net, err);
    if (st != MSP_OK) return st;
    msp_latency lat;
    msp_eval_latency_random(net, 1, o->warmup, o->runs, &lat);
    const msp_dn_net *info = msp_net_info(net);
    if (o->json) {
        printf("{\"cfg\": ");
        msp_json_string(stdout, o->cfg);
        printf(", \"engine\": \"%s\"", o->engine == MSP_ENGINE_FAST ? "fast" : "stock");
        printf(", \"latency_ms\": ");
        msp_json_number(stdout, lat.median_ms);
        printf(", \"latency_min_ms\": ");
        msp_json_number(stdout, lat.min_ms);
        printf(", \"latency_max_ms\": ");
        msp_json_number(stdout, lat.max_ms);
        printf(", \"runs\": %d, \"flops\": %.0f, \"parameters\": %zu, \"layers\": %d, "
               "\"input\": [%d, %d, %d], \"classes\": %d}\n",
               lat.runs, info->flops, info->n_weights_floats, info->n_layers, info->w, info->h,
               info->c, info->classes);
    } else {
        printf("%s: %d layers, input %dx%dx%d, %d outputs\n", o->cfg, info->n_layers, info->w,
               info->h, info->c, info->classes);
        printf("  %.3f MFLOPs, %.3f M parameters\n", info->flops / 1e6,
               (double)info->n_weights_floats / 1e6);
        printf("  engine %s\n", o->engine == MSP_ENGINE_FAST ? "fast" : "stock");
        printf("  batch-1 latency: median %.3f ms over %d runs (min %.3f, max %.3f)\n",
               lat.median_ms, lat.runs, lat.min_ms, lat.max_ms);
    }
    msp_net_free(net);
    return MSP_OK;
}
