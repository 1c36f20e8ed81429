/* test_dnweights.c: .weights size check against files Darknet itself writes
 * (save_weights), and against truncated, oversized and hand-made headers.
 * Fixtures are generated in a mkdtemp folder under /tmp.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MSP_TEST_NO_DARKNET /* valgrind cannot load libdarknet (OpenCV/libhwy) */
#include "darknet.h"
#endif
#include "dncfg/dncfg.h"

static char dir[64];

static void setup(void)
{
    strcpy(dir, "/tmp/test_dnweights.XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(dir);
}

TestSuite(dnweights, .init = setup, .fini = teardown);

/* Every layer type that carries weights, plus the ones that do not. */
static const char *every_cfg =
    "[net]\nbatch=1\nwidth=12\nheight=10\nchannels=3\n"
    "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\npad=1\nactivation=leaky\n"
    "[maxpool]\nsize=2\nstride=2\n"
    "[convolutional]\nfilters=8\nsize=3\npad=1\ngroups=4\n"
    "[local]\nfilters=4\nsize=3\npad=1\n"
    "[batchnorm]\n"
    "[route]\nlayers=-1,-2\n"
    "[shortcut]\nfrom=-2\n"
    "[connected]\noutput=7\nbatch_normalize=1\n"
    "[connected]\noutput=5\n"
    "[dropout]\n"
    "[softmax]\n"
    "[cost]\n";

static void make_net(const char *text, msp_dn_net *net)
{
    msp_dn_cfg cfg;
    msp_err err;
    cr_assert_eq(msp_dncfg_parse_string(text, "w.cfg", &cfg, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_dncfg_check(&cfg, net, &err), MSP_OK, "%s", err.msg);
    msp_dncfg_free(&cfg);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

static long file_size(const char *path)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    return (long)sb.st_size;
}

#ifndef MSP_TEST_NO_DARKNET
/* Write cfg text, parse it with Darknet, save its weights to wpath. */
static void darknet_save(const char *text, const char *wpath)
{
    char cpath[256];
    snprintf(cpath, sizeof cpath, "%s/net.cfg", dir);
    write_bytes(cpath, text, strlen(text));
    fflush(stderr);
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    network *dn = parse_network_cfg(cpath);
    *dn->seen = 123456789012ull;
    save_weights(dn, (char *)wpath);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(devnull);
    free_network(dn);
}

Test(dnweights, matches_darknet_save_weights)
{
    msp_dn_net net;
    make_net(every_cfg, &net);
    /* By hand: conv 8*4 + 8*3*9; conv 8 + 8*2*9; local outputs 5*6*4=120 +
     * 9*8*4*30; batchnorm 3*4; connected 7*4 + 7*240; connected 5 + 5*7. */
    size_t want = (32 + 216) + (8 + 144) + (120 + 9 * 8 * 4 * 30) + 12 + (28 + 7 * 240) +
                  (5 + 35);
    cr_assert_eq(net.n_weights_floats, want);

    char w[256];
    snprintf(w, sizeof w, "%s/net.weights", dir);
    darknet_save(every_cfg, w);
    cr_assert_eq(file_size(w), (long)(20 + 4 * want));

    msp_dn_weights_header h;
    msp_err err;
    cr_assert_eq(msp_dnweights_check(w, &net, &h, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(h.major, 0);
    cr_assert_eq(h.minor, 2);
    cr_assert_eq(h.revision, 0);
    cr_assert_eq(h.seen, 123456789012ull);
    cr_assert_eq(h.header_bytes, 20);
    msp_dnnet_free(&net);
}

Test(dnweights, stock_cfg_saved_by_darknet)
{
    msp_dn_cfg cfg;
    msp_dn_net net;
    msp_err err;
    cr_assert_eq(msp_dncfg_read("/usr/share/darknet/cfg/darknet.cfg", &cfg, &err), MSP_OK);
    msp_dncfg_set(&cfg.sec[0], "batch", "1");
    msp_dncfg_set(&cfg.sec[0], "subdivisions", "1");
    cr_assert_eq(msp_dncfg_check(&cfg, &net, &err), MSP_OK, "%s", err.msg);
    char c[256], w[256];
    snprintf(c, sizeof c, "%s/darknet.cfg", dir);
    snprintf(w, sizeof w, "%s/darknet.weights", dir);
    cr_assert_eq(msp_dncfg_write(&cfg, c, &err), MSP_OK);
    fflush(stderr);
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    network *dn = parse_network_cfg(c);
    save_weights(dn, w);
    dup2(saved, 2);
    close(saved);
    close(devnull);
    free_network(dn);
    cr_assert_eq(msp_dnweights_check(w, &net, NULL, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(file_size(w), (long)(20 + 4 * net.n_weights_floats));
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
}

#endif

static void expect_bad(const char *path, const msp_dn_net *net, const char *sub1,
                       const char *sub2)
{
    msp_dn_weights_header h;
    memset(&h, 0x5a, sizeof h);
    msp_err err;
    cr_assert_eq(msp_dnweights_check(path, net, &h, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, sub1), "'%s' should contain '%s'", err.msg, sub1);
    if (sub2) cr_assert(strstr(err.msg, sub2), "'%s' should contain '%s'", err.msg, sub2);
    cr_assert(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
    cr_assert_eq(h.major, 0);
    cr_assert_eq(h.header_bytes, 0);
}

/* A version 0.2 file of the right size for net, as save_weights writes it. */
static void write_weights(const char *path, const msp_dn_net *net)
{
    size_t n = 20 + 4 * net->n_weights_floats;
    unsigned char *b = calloc(1, n);
    b[4] = 2;
    write_bytes(path, b, n);
    free(b);
}

Test(dnweights, truncated_and_oversized_files)
{
    msp_dn_net net;
    make_net(every_cfg, &net);
    char w[256];
    snprintf(w, sizeof w, "%s/t.weights", dir);
    write_weights(w, &net);
    msp_err err;
    cr_assert_eq(msp_dnweights_check(w, &net, NULL, &err), MSP_OK, "%s", err.msg);
    long full = file_size(w);
    char want[64], got[64];
    snprintf(want, sizeof want, "needs %ld", full);

    cr_assert_eq(truncate(w, full - 1), 0);
    snprintf(got, sizeof got, "is %ld bytes", full - 1);
    expect_bad(w, &net, "truncated", want);
    expect_bad(w, &net, got, "missing 1 bytes");

    cr_assert_eq(truncate(w, full - 4), 0);
    snprintf(got, sizeof got, "is %ld bytes", full - 4);
    expect_bad(w, &net, got, want);

    cr_assert_eq(truncate(w, full + 4), 0);
    snprintf(got, sizeof got, "is %ld bytes", full + 4);
    expect_bad(w, &net, "oversized", got);
    expect_bad(w, &net, "extra 4 bytes", want);

    cr_assert_eq(truncate(w, 10), 0);
    expect_bad(w, &net, "too short even for the 16-byte header", NULL);
    cr_assert_eq(truncate(w, 0), 0);
    expect_bad(w, &net, "truncated", NULL);
    msp_dnnet_free(&net);
}

Test(dnweights, old_header_has_32_bit_seen)
{
    msp_dn_net net;
    make_net("[net]\nwidth=2\nheight=2\nchannels=1\n[convolutional]\nfilters=2\nsize=1\n",
             &net);
    cr_assert_eq(net.n_weights_floats, 4);
    /* version 0.1: seen is an int32 */
    unsigned char buf[16 + 16] = {0, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0x39, 0x30, 0, 0};
    char w[256];
    snprintf(w, sizeof w, "%s/old.weights", dir);
    write_bytes(w, buf, sizeof buf);
    msp_dn_weights_header h;
    msp_err err;
    cr_assert_eq(msp_dnweights_check(w, &net, &h, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(h.minor, 1);
    cr_assert_eq(h.revision, 7);
    cr_assert_eq(h.seen, 12345);
    cr_assert_eq(h.header_bytes, 16);
    /* the same bytes as version 0.2 need 4 more */
    buf[4] = 2;
    write_bytes(w, buf, sizeof buf);
    expect_bad(w, &net, "truncated", "20-byte header");
    /* major >= 1000 falls back to the 32-bit seen, as in Darknet */
    buf[0] = 0xe8;
    buf[1] = 0x03; /* 1000 */
    write_bytes(w, buf, sizeof buf);
    cr_assert_eq(msp_dnweights_check(w, &net, &h, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(h.major, 1000);
    cr_assert_eq(h.header_bytes, 16);
    msp_dnnet_free(&net);
}

Test(dnweights, missing_or_not_a_file_is_bad_input)
{
    msp_dn_net net;
    make_net("[net]\nwidth=2\nheight=2\nchannels=1\n[convolutional]\nfilters=2\nsize=1\n",
             &net);
    char w[256];
    msp_err err;
    snprintf(w, sizeof w, "%s/missing.weights", dir);
    cr_assert_eq(msp_dnweights_check(w, &net, NULL, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "cannot open"), "%s", err.msg);
    cr_assert_eq(msp_dnweights_check(dir, &net, NULL, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "not a regular file"), "%s", err.msg);
    msp_dnnet_free(&net);
}
