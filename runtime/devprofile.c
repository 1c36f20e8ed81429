/* devprofile.c: device profiles measured: every network of a bundle
 * re-measured on the machine that runs it (batch 1, side by side in rounds,
 * so load affects all alike). The file format is src/engine/devprofile.h's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "train/train.h"
#include "runtime/runtime_int.h"

#define ROUNDS 5

_Static_assert(MSP_BUNDLE_MAX_NETS <= MSP_DEVPROFILE_MAX_NETS &&
                   MSP_BUNDLE_MAX_NAME <= MSP_DEVPROFILE_MAX_NAME,
               "a profile holds every network of any bundle");

msp_status msp_devprofile_measure(const char *dir, int runs, int warmup, msp_devprofile *p,
                                  msp_err *err)
{
    memset(p, 0, sizeof *p);
    msprune_bundle *b;
    msp_status st = msp_runtime_open(dir, &b, err);
    if (st != MSP_OK) return st;
    const msp_bundle_manifest *m = msp_runtime_manifest(b);
    msp_net **nets = msp_calloc((size_t)m->n_nets, sizeof *nets);
    for (int j = 0; j < m->n_nets; j++) nets[j] = msp_runtime_net(b, j);
    p->n = m->n_nets;
    p->names = msp_calloc((size_t)p->n, sizeof *p->names);
    p->latency_ms = msp_calloc((size_t)p->n, sizeof *p->latency_ms);
    int per = runs / ROUNDS;
    msp_eval_latency_interleaved(nets, m->n_nets, 1, warmup, per < 1 ? 1 : per, ROUNDS, p->latency_ms);
    for (int j = 0; j < p->n; j++) p->names[j] = msp_strdup(m->nets[j].name);
    p->experiment = msp_strdup(m->experiment);
    struct utsname u;
    char host[256] = "unknown", buf[600];
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(buf, sizeof buf, "%s %s", host, uname(&u) == 0 ? u.machine : "?");
    for (char *q = buf; *q; q++)
        if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20) *q = '_';
    p->machine = msp_strdup(buf);
    free(nets);
    msprune_close(b);
    return MSP_OK;
}
