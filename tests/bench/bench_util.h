/* bench_util.h: helpers shared by bench.c and ab.c (static: each program
 * is one translation unit). */
#ifndef MSP_BENCH_UTIL_H
#define MSP_BENCH_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "darknet.h"
#include "dncfg/dncfg.h"

/* Seconds of CPU time of this thread (OpenBLAS runs single-threaded): on a
 * shared machine, time spent waiting for a core is not counted. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Darknet's network from a cfg with [net] batch (subdivisions 1) and,
 * when side > 0, width and height set: rewritten by msprune's cfg reader
 * and writer. */
static network *load(const char *path, int batch, int side)
{
    char tmpl[] = "/tmp/msprune-bench-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        perror("bench: mkstemp");
        exit(1);
    }
    close(fd);
    msp_dn_cfg cfg;
    msp_err err = {{0}};
    msp_status st = msp_dncfg_read(path, &cfg, &err);
    if (st == MSP_OK) {
        msp_dncfg_set_int(&cfg.sec[0], "batch", batch);
        msp_dncfg_set_int(&cfg.sec[0], "subdivisions", 1);
        if (side) {
            msp_dncfg_set_int(&cfg.sec[0], "width", side);
            msp_dncfg_set_int(&cfg.sec[0], "height", side);
        }
        st = msp_dncfg_write(&cfg, tmpl, &err);
        msp_dncfg_free(&cfg);
    }
    if (st != MSP_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        exit(1);
    }
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    close(null);
    srand(1);
    network *net = parse_network_cfg(tmpl);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    unlink(tmpl);
    return net;
}

static void random_batch(network *net)
{
    size_t n = (size_t)net->batch * net->inputs;
    for (size_t i = 0; i < n; i++) net->input[i] = (float)rand() / RAND_MAX;
    memset(net->truth, 0, sizeof(float) * (size_t)net->batch * net->truths);
    for (int b = 0; b < net->batch; b++) net->truth[b * net->truths + rand() % net->truths] = 1;
}

#endif
