/* profile.h: latency and FLOPs of one network on this machine. */
#ifndef MSP_PROFILE_H
#define MSP_PROFILE_H

#include "engine/engine.h"
#include "base/base.h"

typedef struct msp_profile_opts {
    const char *cfg, *weights; /* weights may be NULL: seeded random init */
    int runs, warmup;
    int json;                  /* one JSON object on stdout instead of text */
    msp_engine_kind engine;
    int verbose;
} msp_profile_opts;

msp_status msp_profile_run(const msp_profile_opts *opts, msp_err *err);

#endif
