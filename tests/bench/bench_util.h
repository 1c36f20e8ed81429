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

/* The cfg text with [net] batch/subdivisions (and optionally size) set. */
static network *load(const char *path, int batch, int side)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s\n", path);
        exit(1);
    }
    char tmpl[] = "/tmp/msprune-bench-XXXXXX";
    int fd = mkstemp(tmpl);
    FILE *out = fdopen(fd, "w");
    char line[1024];
    int in_net = 0;
    while (fgets(line, sizeof line, f)) {
        char key[64] = "";
        if (line[0] == '[') in_net = strncmp(line, "[net]", 5) == 0;
        sscanf(line, " %63[a-z_]", key);
        if (in_net && (!strcmp(key, "batch") || !strcmp(key, "subdivisions") ||
                       (side && (!strcmp(key, "width") || !strcmp(key, "height")))))
            continue;
        fputs(line, out);
        if (in_net && !strncmp(line, "[net]", 5)) {
            fprintf(out, "batch=%d\nsubdivisions=1\n", batch);
            if (side) fprintf(out, "width=%d\nheight=%d\n", side, side);
        }
    }
    fclose(f);
    fclose(out);
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
