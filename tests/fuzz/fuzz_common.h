/* fuzz_common.h: helpers shared by the libFuzzer harnesses tests/fuzz/fuzz_*.c.
 *
 * Parsers that take a path get the fuzz input as a file in a private
 * temporary folder (made once per process, removed at exit). Diagnostics are
 * dropped so that the fuzzer's output stays readable. FUZZ_REQUIRE is the
 * harness's own contract check: a violated one aborts, which libFuzzer
 * reports as a crash and saves the input.
 */
#ifndef MSP_FUZZ_COMMON_H
#define MSP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/status.h"

#define FUZZ_REQUIRE(x)                                                                   \
    do {                                                                                  \
        if (!(x)) {                                                                       \
            fprintf(stderr, "fuzz contract broken: %s (%s:%d)\n", #x, __FILE__, __LINE__); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#define FUZZ_MAX_FILES 8

static char fuzz_dir_path[256];
static char fuzz_files[FUZZ_MAX_FILES][320];
static int fuzz_n_files;

static void fuzz_cleanup(void)
{
    for (int i = 0; i < fuzz_n_files; i++) unlink(fuzz_files[i]);
    if (fuzz_dir_path[0]) rmdir(fuzz_dir_path);
}

static void fuzz_drop_log(msp_log_level level, const char *msg, void *user)
{
    (void)level, (void)msg, (void)user;
}

/* Once per process: silence msp_log and make the temporary folder. */
static const char *fuzz_dir(void)
{
    if (!fuzz_dir_path[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/msprune-fuzz.XXXXXX", base);
        FUZZ_REQUIRE(mkdtemp(fuzz_dir_path) != NULL);
        atexit(fuzz_cleanup);
        msp_log_set_callback(fuzz_drop_log, NULL);
    }
    return fuzz_dir_path;
}

/* Write data to <fuzz dir>/leaf (replacing it) and return its path. */
static const char *fuzz_file(const char *leaf, const uint8_t *data, size_t n)
{
    char path[320];
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), leaf);
    int known = -1;
    for (int i = 0; i < fuzz_n_files; i++)
        if (strcmp(fuzz_files[i], path) == 0) known = i;
    if (known < 0) {
        FUZZ_REQUIRE(fuzz_n_files < FUZZ_MAX_FILES);
        known = fuzz_n_files++;
        memcpy(fuzz_files[known], path, sizeof path);
    }
    FILE *f = fopen(path, "wb");
    FUZZ_REQUIRE(f != NULL);
    FUZZ_REQUIRE(n == 0 || fwrite(data, 1, n, f) == n);
    FUZZ_REQUIRE(fclose(f) == 0);
    return fuzz_files[known];
}

/* Is every byte of p (n bytes) zero? Outputs must be zeroed on error. */
__attribute__((unused)) static int fuzz_zeroed(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return 1;
}

/* A failed call must say why, as "file: message" or "file:line: message". */
static void fuzz_check_failure(msp_status st, const msp_err *err)
{
    FUZZ_REQUIRE(st == MSP_BAD_INPUT || st == MSP_FAIL);
    FUZZ_REQUIRE(err->msg[0] != '\0');
}

#endif
