/* runtime_int.h: the runtime's handle seen from inside msprune (the
 * commands and tests): msp_status errors, the verified manifest and the
 * loaded networks. Not installed; devices use msprune.h only. */
#ifndef MSP_RUNTIME_INT_H
#define MSP_RUNTIME_INT_H

#include "engine/engine.h"
#include "runtime/bundle.h"
#include "runtime/msprune.h"
#include "base/base.h"

/* msprune_open with an msp_err. */
msp_status msp_runtime_open(const char *dir, msprune_bundle **out, msp_err *err);
const msp_bundle_manifest *msp_runtime_manifest(const msprune_bundle *b);
/* Network j (0 <= j < manifest n_nets), loaded with batch 1. */
msp_net *msp_runtime_net(msprune_bundle *b, int j);

#endif
