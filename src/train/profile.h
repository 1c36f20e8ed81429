/* profile.h: latency and FLOPs of one network on this machine. */
#ifndef MSP_PROFILE_H
#define MSP_PROFILE_H

#include <stddef.h>

#include "base/base.h"
#include "engine/engine.h"
#include "evaluate.h"

typedef struct msp_profile_opts {
    const char *cfg, *weights; /* weights may be NULL: seeded random init */
    int runs, warmup;
    msp_engine_kind engine;
    int verbose;
} msp_profile_opts;

/* What msp_profile_run measured, for the caller to print. */
typedef struct msp_profile_result {
    msp_latency latency; /* batch 1, on random inputs */
    double flops;
    size_t parameters;
    int layers, w, h, c, classes;
} msp_profile_result;

msp_status msp_profile_run(const msp_profile_opts *opts, msp_profile_result *out, msp_err *err);

#endif
