/* devprofile.h: device profiles: the batch-1 latency of every network of
 * a bundle, measured on the machine that runs it (`msprune profile BUNDLE`,
 * runtime/), read by `msprune premodel CONFIG --latencies PROFILE`
 * (selector/) to label with the device's costs.
 *
 * PROFILE.conf (libconfig): version = 1; experiment = "NAME"; machine = "...";
 * networks = ( { name = "base"; latency_ms = F; }, ... );
 * Loading is strict: unknown keys, a wrong version, names that are not short
 * printable text, latencies outside [0, 1e9] are MSP_BAD_INPUT at FILE:LINE. */
#ifndef MSP_DEVPROFILE_H
#define MSP_DEVPROFILE_H

#include "base/base.h"

#define MSP_DEVPROFILE_MAX_NETS 256
#define MSP_DEVPROFILE_MAX_NAME 64

typedef struct msp_devprofile {
    char *experiment, *machine;
    int experiment_line; /* where the file names the experiment, for messages */
    int n;
    char **names;
    double *latency_ms;
} msp_devprofile;

msp_status msp_devprofile_write(const char *path, const msp_devprofile *p, msp_err *err);
msp_status msp_devprofile_load(const char *path, msp_devprofile *p, msp_err *err);
void msp_devprofile_free(msp_devprofile *p);

#endif
