/* test_dncfg.c: the Darknet cfg reader, writer and checker.
 *
 * Reader and checker errors are checked for their exact line; the stock
 * classifier cfgs must all pass, and for them the inferred shapes, weight
 * counts and FLOPs are compared layer by layer with what Darknet's own
 * parse_network_cfg builds. tests/bad/cfg/ holds the bad-input corpus, each
 * file opening with "# expect: LINE: substring".
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
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

#define STOCK "/usr/share/darknet/cfg/"

static const char *const stock_cfgs[] = {
    "alexnet", "cifar", "cifar.test", "darknet", "darknet19", "darknet19_448", "darknet53",
    "darknet53_448", "darknet9000", "densenet201", "extraction", "extraction.conv",
    "extraction22k", "go", "go.test", "resnet18", "resnet34", "resnet50", "resnet101",
    "resnet152", "resnext50", "resnext101-32x4d", "resnext152-32x4d", "strided", "tiny",
    "vgg-16", "jnet-conv", "vgg-conv", NULL};

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/test_dncfg.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(tmpdir);
}

static void write_file(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

/* Parse + check text; return the status, with the message in err. */
static msp_status check_text(const char *text, msp_dn_net *net, msp_err *err)
{
    msp_dn_cfg cfg;
    msp_status s = msp_dncfg_parse_string(text, "t.cfg", &cfg, err);
    if (s) return s;
    s = msp_dncfg_check(&cfg, net, err);
    msp_dncfg_free(&cfg);
    return s;
}

static void expect_error(const char *text, const char *prefix, const char *substr)
{
    msp_dn_net net;
    msp_err err = {{0}};
    msp_status s = check_text(text, &net, &err);
    if (strcmp(substr, "@ok") == 0) { /* a case that must pass */
        cr_assert_eq(s, MSP_OK, "%s", err.msg);
        msp_dnnet_free(&net);
        return;
    }
    cr_assert_eq(s, MSP_BAD_INPUT, "expected failure for:\n%s\ngot: %s", text, err.msg);
    cr_assert(strncmp(err.msg, prefix, strlen(prefix)) == 0, "message '%s' should start '%s'",
              err.msg, prefix);
    cr_assert(strstr(err.msg, substr), "message '%s' should contain '%s'", err.msg, substr);
    cr_assert_eq(net.n_layers, 0);
    cr_assert_null(net.layers);
}

/* ---- reader ------------------------------------------------------------- */

Test(dncfg, reader_strips_whitespace_and_records_lines)
{
    const char *text = "# a comment\n"
                       "[ net ]\n"
                       "  width = 32\t\n"
                       "; another\n"
                       "\n"
                       "[route]\n"
                       "layers = -1, -4\n";
    msp_dn_cfg cfg;
    msp_err err;
    cr_assert_eq(msp_dncfg_parse_string(text, "x.cfg", &cfg, &err), MSP_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.path, "x.cfg");
    cr_assert_eq(cfg.n_sec, 2);
    cr_assert_str_eq(cfg.sec[0].type, "net");
    cr_assert_eq(cfg.sec[0].line, 2);
    cr_assert_eq(cfg.sec[0].n_kv, 1);
    cr_assert_str_eq(cfg.sec[0].kv[0].key, "width");
    cr_assert_str_eq(cfg.sec[0].kv[0].value, "32");
    cr_assert_eq(cfg.sec[0].kv[0].line, 3);
    cr_assert_str_eq(cfg.sec[1].type, "route");
    cr_assert_eq(cfg.sec[1].line, 6);
    cr_assert_str_eq(msp_dncfg_get(&cfg.sec[1], "layers"), "-1,-4");
    cr_assert_eq(cfg.sec[1].kv[0].line, 7);
    cr_assert_null(msp_dncfg_get(&cfg.sec[1], "from"));
    msp_dncfg_free(&cfg);
    cr_assert_null(cfg.sec);
    msp_dncfg_free(&cfg); /* twice is safe */
}

static void expect_read_error(const char *text, const char *msg_start, const char *substr)
{
    msp_dn_cfg cfg;
    msp_err err = {{0}};
    cr_assert_eq(msp_dncfg_parse_string(text, "r.cfg", &cfg, &err), MSP_BAD_INPUT,
                 "expected failure for:\n%s", text);
    cr_assert(strncmp(err.msg, msg_start, strlen(msg_start)) == 0, "'%s' should start '%s'",
              err.msg, msg_start);
    cr_assert(strstr(err.msg, substr), "'%s' should contain '%s'", err.msg, substr);
    cr_assert_eq(cfg.n_sec, 0);
    cr_assert_null(cfg.sec);
    cr_assert_null(cfg.path);
}

Test(dncfg, reader_errors_name_their_line)
{
    expect_read_error("", "r.cfg:1:", "no sections");
    expect_read_error("# only\n\n", "r.cfg:1:", "no sections");
    expect_read_error("\nwidth=3\n[net]\n", "r.cfg:2:", "before any section");
    expect_read_error("[net]\nwidth\n", "r.cfg:2:", "expected '[section]' or 'key=value'");
    expect_read_error("[net]\nwidth=1\n[convolutional\n", "r.cfg:3:", "no closing ']'");
    expect_read_error("[net]\n[conv]#x\n", "r.cfg:2:", "text after ']'");
    expect_read_error("[net]\n[]\n", "r.cfg:2:", "empty section name");
    expect_read_error("[net]\n[co-nv]\n", "r.cfg:2:", "bad section name");
    expect_read_error("[net]\n=3\n", "r.cfg:2:", "empty key");
    expect_read_error("[net]\nwidth=3\nheight=2\n width = 4\n", "r.cfg:4:",
                      "duplicate key 'width' in [net] (first set at line 2)");
    expect_read_error("[net]\nwidth=3\x01\n", "r.cfg:2:", "control character 0x01");
    expect_read_error("\n[convolutional]\nfilters=1\n", "r.cfg:2:", "must be [net]");
    expect_read_error("\xef\xbb\xbf[net]\n", "r.cfg:1:", "byte-order mark");
}

Test(dncfg, reader_caps_and_nul_bytes)
{
    make_tmpdir();
    char p[256];
    snprintf(p, sizeof p, "%s/nul.cfg", tmpdir);
    write_file(p, "[net]\nwidth=1\n\0junk\n", 20);
    msp_dn_cfg cfg;
    msp_err err;
    cr_assert_eq(msp_dncfg_read(p, &cfg, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, ":3: NUL byte"), "%s", err.msg);

    /* a line over 64 KiB */
    size_t n = MSP_DN_MAX_LINE_BYTES + 100;
    char *big = malloc(n + 16);
    strcpy(big, "[net]\n#");
    memset(big + 7, 'x', n);
    big[7 + n] = '\0';
    cr_assert_eq(msp_dncfg_parse_string(big, "b.cfg", &cfg, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "b.cfg:2: line is"), "%s", err.msg);
    free(big);

    /* a file over 16 MiB is refused before it is read */
    snprintf(p, sizeof p, "%s/big.cfg", tmpdir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    cr_assert_eq(ftruncate(fd, (off_t)MSP_DN_MAX_FILE_BYTES + 1), 0);
    close(fd);
    cr_assert_eq(msp_dncfg_read(p, &cfg, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "over the 16 MiB cap"), "%s", err.msg);

    /* missing file or a directory: bad input (exit 2) */
    snprintf(p, sizeof p, "%s/missing.cfg", tmpdir);
    cr_assert_eq(msp_dncfg_read(p, &cfg, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "cannot open"), "%s", err.msg);
    cr_assert_eq(msp_dncfg_read(tmpdir, &cfg, &err), MSP_BAD_INPUT);
    remove_tmpdir();
}

Test(dncfg, crlf_files_read_like_lf)
{
    make_tmpdir();
    const char *lf = "[net]\nwidth=8\nheight=8\nchannels=3\n\n[convolutional]\nfilters=4\n"
                     "size=3\npad=1\nactivation=leaky\n\n[avgpool]\n\n[softmax]\n";
    char crlf[512];
    size_t k = 0;
    for (const char *p = lf; *p; p++) {
        if (*p == '\n') crlf[k++] = '\r';
        crlf[k++] = *p;
    }
    char p[256];
    snprintf(p, sizeof p, "%s/crlf.cfg", tmpdir);
    write_file(p, crlf, k);
    msp_dn_cfg a, b;
    msp_dn_net na, nb;
    msp_err err;
    cr_assert_eq(msp_dncfg_read(p, &a, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_dncfg_check(&a, &na, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_dncfg_parse_string(lf, "lf", &b, &err), MSP_OK);
    cr_assert_eq(msp_dncfg_check(&b, &nb, &err), MSP_OK);
    cr_assert_str_eq(msp_dncfg_get(&a.sec[1], "activation"), "leaky");
    cr_assert_eq(a.sec[2].line, 12);
    cr_assert_eq(na.n_layers, 3);
    cr_assert_eq(na.n_weights_floats, nb.n_weights_floats);
    cr_assert_eq(na.classes, 4);
    msp_dnnet_free(&na);
    msp_dnnet_free(&nb);
    msp_dncfg_free(&a);
    msp_dncfg_free(&b);
    remove_tmpdir();
}

Test(dncfg, set_and_write_round_trip)
{
    make_tmpdir();
    msp_dn_cfg cfg, back;
    msp_err err;
    cr_assert_eq(msp_dncfg_read(STOCK "resnet18.cfg", &cfg, &err), MSP_OK, "%s", err.msg);
    msp_dncfg_set(&cfg.sec[0], "batch", "1");        /* replace */
    msp_dncfg_set(&cfg.sec[1], "groups", "1");       /* append */
    cr_assert_str_eq(msp_dncfg_get(&cfg.sec[0], "batch"), "1");
    cr_assert_str_eq(cfg.sec[1].kv[cfg.sec[1].n_kv - 1].key, "groups");
    cr_assert_eq(cfg.sec[1].kv[cfg.sec[1].n_kv - 1].line, 0);
    char p[256];
    snprintf(p, sizeof p, "%s/out.cfg", tmpdir);
    cr_assert_eq(msp_dncfg_write(&cfg, p, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(msp_dncfg_read(p, &back, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(back.n_sec, cfg.n_sec);
    for (int i = 0; i < cfg.n_sec; i++) {
        cr_assert_str_eq(back.sec[i].type, cfg.sec[i].type);
        cr_assert_eq(back.sec[i].n_kv, cfg.sec[i].n_kv);
        for (int j = 0; j < cfg.sec[i].n_kv; j++) {
            cr_assert_str_eq(back.sec[i].kv[j].key, cfg.sec[i].kv[j].key);
            cr_assert_str_eq(back.sec[i].kv[j].value, cfg.sec[i].kv[j].value);
        }
    }
    /* only the final file is left behind */
    DIR *d = opendir(tmpdir);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) files += e->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(files, 1);

    /* values that would not read back are refused; nothing is written */
    msp_dncfg_set(&cfg.sec[1], "filters", "1 2");
    snprintf(p, sizeof p, "%s/bad.cfg", tmpdir);
    cr_assert_eq(msp_dncfg_write(&cfg, p, &err), MSP_BAD_INPUT);
    cr_assert_eq(access(p, F_OK), -1);
    msp_dncfg_set(&cfg.sec[1], "filters", "64");
    cr_assert_eq(msp_dncfg_write(&cfg, "/nonexistent-dir/x.cfg", &err), MSP_FAIL);
    cr_assert(strstr(err.msg, "cannot create"), "%s", err.msg);
    msp_dncfg_free(&back);
    msp_dncfg_free(&cfg);
    remove_tmpdir();
}

/* ---- checker: hand-computed values -------------------------------------- */

Test(dncfg, small_net_shapes_weights_flops)
{
    const char *text = "[net]\nbatch=4\nsubdivisions=2\nwidth=8\nheight=6\nchannels=3\n"
                       "max_batches=100\n"
                       "[convolutional]\nbatch_normalize=1\nfilters=4\nsize=3\nstride=1\n"
                       "pad=1\nactivation=leaky\n"                         /* 0: 8x6x4 */
                       "[maxpool]\nsize=2\nstride=2\n"                     /* 1: 4x3x4 */
                       "[convolutional]\nfilters=8\nsize=1\ngroups=2\n"    /* 2: 4x3x8 */
                       "[route]\nlayers=-1,1\n"                            /* 3: 4x3x12 */
                       "[convolutional]\nfilters=12\nsize=3\npadding=1\nactivation=linear\n"
                       "[shortcut]\nfrom=-2\n"                             /* 5: 4x3x12 */
                       "[local]\nfilters=2\nsize=3\npad=1\n"               /* 6: 4x3x2 */
                       "[batchnorm]\n"                                     /* 7 */
                       "[connected]\noutput=5\nbatch_normalize=1\n"        /* 8: 1x1x5 */
                       "[dropout]\n"                                       /* 9 */
                       "[softmax]\n[cost]\n";
    msp_dn_net net;
    msp_err err;
    cr_assert_eq(check_text(text, &net, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(net.n_layers, 12);
    cr_assert_eq(net.w, 8);
    cr_assert_eq(net.h, 6);
    cr_assert_eq(net.c, 3);
    cr_assert_eq(net.batch, 4);
    cr_assert_eq(net.subdivisions, 2);
    cr_assert_eq(net.max_batches, 100);
    const int shapes[12][3] = {{8, 6, 4},  {4, 3, 4},  {4, 3, 8}, {4, 3, 12},
                               {4, 3, 12}, {4, 3, 12}, {4, 3, 2}, {4, 3, 2},
                               {1, 1, 5},  {1, 1, 5},  {1, 1, 5}, {1, 1, 5}};
    for (int i = 0; i < 12; i++) {
        cr_assert_eq(net.layers[i].out_w, shapes[i][0], "layer %d", i);
        cr_assert_eq(net.layers[i].out_h, shapes[i][1], "layer %d", i);
        cr_assert_eq(net.layers[i].out_c, shapes[i][2], "layer %d", i);
        cr_assert_eq(net.layers[i].outputs, shapes[i][0] * shapes[i][1] * shapes[i][2]);
    }
    msp_dn_layer *l = net.layers;
    cr_assert_eq(l[0].type, MSP_L_CONV);
    cr_assert_eq(l[0].section, 1);
    cr_assert_eq(l[0].line, 8);
    cr_assert_eq(l[0].pad, 1);
    cr_assert_str_eq(l[0].activation, "leaky");
    cr_assert_eq(l[0].n_weights_floats, 4 * 4 + 4 * 3 * 9);
    cr_assert_float_eq(l[0].flops, 2.0 * 4 * 9 * 3 * 8 * 6, 1e-9);
    cr_assert_eq(l[1].pad, 1); /* maxpool default padding = size-1 */
    cr_assert_eq(l[2].groups, 2);
    cr_assert_str_eq(l[2].activation, "logistic");
    cr_assert_eq(l[2].n_weights_floats, 8 + 8 * 2);
    cr_assert_float_eq(l[2].flops, 2.0 * 8 * 1 * 2 * 12, 1e-9);
    cr_assert_eq(l[3].n_route_layers, 2);
    cr_assert_eq(l[3].route_layers[0], 2);
    cr_assert_eq(l[3].route_layers[1], 1);
    cr_assert_eq(l[4].pad, 1);
    cr_assert_eq(l[4].n_weights_floats, 12 + 12 * 12 * 9);
    cr_assert_eq(l[5].from, 3);
    cr_assert_str_eq(l[5].activation, "linear");
    cr_assert_eq(l[6].n_weights_floats, 24 + 3 * 3 * 12 * 2 * 12);
    cr_assert_eq(l[7].n_weights_floats, 3 * 2);
    cr_assert_eq(l[8].inputs, 24);
    cr_assert_eq(l[8].n_weights_floats, 5 + 5 * 24 + 3 * 5);
    cr_assert_float_eq(l[8].flops, 2.0 * 24 * 5, 1e-9);
    cr_assert_eq(l[9].flat, 0);
    cr_assert_eq(l[10].flat, 1);
    cr_assert_eq(l[11].flat, 1);
    size_t total = 0;
    double flops = 0;
    for (int i = 0; i < 12; i++) {
        total += l[i].n_weights_floats;
        flops += l[i].flops;
    }
    cr_assert_eq(net.n_weights_floats, total);
    cr_assert_float_eq(net.flops, flops, 1e-6);
    cr_assert_eq(net.classes, 5);
    msp_dnnet_free(&net);
    cr_assert_null(net.layers);
    msp_dnnet_free(&net);
}

Test(dncfg, load_switches_change_weight_count)
{
    const char *base = "[net]\nwidth=4\nheight=4\nchannels=2\n"
                       "[convolutional]\nfilters=6\nsize=3\nbatch_normalize=1\n%s\n"
                       "[connected]\noutput=3\n";
    const char *extra[] = {"", "dontload=1", "dontloadscales=1", "numload=2"};
    const size_t want[] = {6 * 4 + 6 * 2 * 9, 0, 6 + 6 * 2 * 9, 2 * 4 + 2 * 2 * 9};
    for (int i = 0; i < 4; i++) {
        char text[512];
        snprintf(text, sizeof text, base, extra[i]);
        msp_dn_net net;
        msp_err err;
        cr_assert_eq(check_text(text, &net, &err), MSP_OK, "%s", err.msg);
        cr_assert_eq(net.layers[0].n_weights_floats, want[i], "case %d", i);
        cr_assert_eq(net.n_weights_floats, want[i] + 3 + 3 * 6 * 2 * 2, "case %d", i);
        msp_dnnet_free(&net);
    }
}

Test(dncfg, value_and_shape_errors)
{
    const char *net = "[net]\nwidth=8\nheight=8\nchannels=3\n";
    char t[1024];
#define CASE(body, prefix, sub)                                  \
    do {                                                         \
        snprintf(t, sizeof t, "%s%s", net, body);                \
        expect_error(t, prefix, sub);                            \
    } while (0)
    CASE("[convolutional]\nfilters=3\nbatch_normalize=2\n", "t.cfg:7:", "must be 0 or 1");
    CASE("[convolutional]\nfilters=3\nsize=9\n", "t.cfg:5:", "output would be empty");
    CASE("[convolutional]\nfilters=4\ngroups=2\n", "t.cfg:7:", "groups=2 must divide");
    CASE("[convolutional]\nfilters=3\nactivation=Leaky\n", "t.cfg:7:", "did you mean 'leaky'");
    CASE("[convolutional]\nfilters=3\nactivation=swish\n", "t.cfg:7:", "known: logistic");
    CASE("[convolutional]\nfilters=3\nnumload=4\n", "t.cfg:7:", "between 0 and 3");
    CASE("[maxpool]\nsize=2\nstride=2\nnumload=1\n", "t.cfg:8:", "only applies");
    CASE("[softmax]\n[convolutional]\n", "t.cfg:6:", "needs an image input");
    CASE("[softmax]\n[shortcut]\nfrom=-1\n", "t.cfg:6:", "needs an image input");
    CASE("[softmax]\ngroups=7\n", "t.cfg:6:", "does not divide the 192 inputs");
    CASE("[softmax]\ntree=/nonexistent/9k.tree\n", "t.cfg:6:", "cannot read it");
    CASE("[dropout]\nprobability=1\n", "t.cfg:6:", "out of range");
    CASE("[crop]\ncrop_width=9\ncrop_height=4\n", "t.cfg:5:", "larger than its 8x8 input");
    CASE("[local]\nsize=5\npad=1\n", "t.cfg:7:", "needs size=3");
    CASE("[reorg]\nstride=3\n", "t.cfg:5:", "divisible");
    CASE("[cost]\ntype=mse\n", "t.cfg:6:", "unknown cost type 'mse'; did you mean 'sse'");
    CASE("[route]\n", "t.cfg:5:", "needs layers=");
    CASE("[conv]\n[route]\nlayers=-1,,-1\n", "t.cfg:7:", "entry 2");
    CASE("[conv]\n[shortcut]\n", "t.cfg:6:", "needs from=");
    CASE("[conv]\n[net]\n", "t.cfg:6:", "may only be the first section");
    CASE("[conv]\n[crop]\ncrop_width=8\ncrop_height=4\n[shortcut]\nfrom=0\n", "t.cfg:10:",
         "cannot be added");
    CASE("[conv]\nstride=2\n[maxpool]\nsize=3\nstride=1\npadding=0\n[shortcut]\nfrom=0\n",
         "t.cfg:", "@ok"); /* 4x4 onto 2x2: Darknet samples, accepted */
#undef CASE
}

/* ---- the stock cfgs ----------------------------------------------------- */

Test(dncfg, every_stock_classifier_cfg_passes)
{
    int n = 0;
    for (const char *const *name = stock_cfgs; *name; name++, n++) {
        char p[256];
        snprintf(p, sizeof p, STOCK "%s.cfg", *name);
        msp_dn_cfg cfg;
        msp_dn_net net;
        msp_err err;
        cr_assert_eq(msp_dncfg_read(p, &cfg, &err), MSP_OK, "%s", err.msg);
        cr_assert_eq(msp_dncfg_check(&cfg, &net, &err), MSP_OK, "%s", err.msg);
        for (int i = 0; i < cfg.n_sec; i++)
            for (int j = 0; j < cfg.sec[i].n_kv; j++)
                cr_assert(cfg.sec[i].kv[j].used, "%s: key %s unused", p, cfg.sec[i].kv[j].key);
        cr_assert_eq(net.n_layers, cfg.n_sec - 1);
        cr_assert(net.n_weights_floats > 0 && net.flops > 0 && net.classes > 0);
        msp_dnnet_free(&net);
        msp_dncfg_free(&cfg);
    }
    cr_assert_eq(n, 28);
}

Test(dncfg, detector_and_recurrent_cfgs_are_refused)
{
    const char *const cases[][2] = {
        {"yolov3", "section [yolo] is not supported: msprune handles classifiers"},
        {"yolov2", "section [region] is not supported"},
        {"yolov1", "section [detection] is not supported"},
        {"t1.test", "section [detection] is not supported"},
        {"rnn", "section [rnn] is not supported"},
        {"gru", "section [gru] is not supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char p[256];
        snprintf(p, sizeof p, STOCK "%s.cfg", cases[i][0]);
        msp_dn_cfg cfg;
        msp_dn_net net;
        msp_err err;
        cr_assert_eq(msp_dncfg_read(p, &cfg, &err), MSP_OK, "%s", err.msg);
        cr_assert_eq(msp_dncfg_check(&cfg, &net, &err), MSP_BAD_INPUT);
        cr_assert(strstr(err.msg, cases[i][1]), "%s", err.msg);
        msp_dncfg_free(&cfg);
    }
}

#ifndef MSP_TEST_NO_DARKNET
/* ---- against Darknet itself --------------------------------------------- */

/* Darknet's layer type for ours. */
static LAYER_TYPE dk_type(msp_layer_type t)
{
    switch (t) {
    case MSP_L_CONV: return CONVOLUTIONAL;
    case MSP_L_CONNECTED: return CONNECTED;
    case MSP_L_MAXPOOL: return MAXPOOL;
    case MSP_L_AVGPOOL: return AVGPOOL;
    case MSP_L_SOFTMAX: return SOFTMAX;
    case MSP_L_DROPOUT: return DROPOUT;
    case MSP_L_ROUTE: return ROUTE;
    case MSP_L_SHORTCUT: return SHORTCUT;
    case MSP_L_BATCHNORM: return BATCHNORM;
    case MSP_L_COST: return COST;
    case MSP_L_CROP: return CROP;
    case MSP_L_LOCAL: return LOCAL;
    case MSP_L_ACTIVE: return ACTIVE;
    case MSP_L_REORG: return REORG;
    case MSP_L_NORMALIZATION: return NORMALIZATION;
    }
    return BLANK;
}

/* Floats load_weights reads for a Darknet layer, from Darknet's own fields. */
static size_t dk_weight_floats(const layer *l)
{
    if (l->dontload) return 0;
    switch (l->type) {
    case CONVOLUTIONAL: {
        size_t n = (size_t)(l->numload ? l->numload : l->n);
        return n + (l->batch_normalize && !l->dontloadscales ? 3 * n : 0) +
               (size_t)(l->c / l->groups) * n * (size_t)l->size * (size_t)l->size;
    }
    case CONNECTED:
        return (size_t)l->outputs + (size_t)l->outputs * (size_t)l->inputs +
               (l->batch_normalize && !l->dontloadscales ? 3 * (size_t)l->outputs : 0);
    case BATCHNORM: return 3 * (size_t)l->c;
    case LOCAL:
        return (size_t)l->outputs + (size_t)l->size * l->size * l->c * l->n * l->out_w * l->out_h;
    default: return 0;
    }
}

/* Parse path with Darknet (batch forced to 1 to keep memory small, through
 * our own writer) and compare every layer with our inference. */
static void compare_with_darknet(const char *path, const char *dir)
{
    msp_dn_cfg cfg;
    msp_dn_net net;
    msp_err err;
    cr_assert_eq(msp_dncfg_read(path, &cfg, &err), MSP_OK, "%s", err.msg);
    msp_dncfg_set(&cfg.sec[0], "batch", "1");
    msp_dncfg_set(&cfg.sec[0], "subdivisions", "1");
    cr_assert_eq(msp_dncfg_check(&cfg, &net, &err), MSP_OK, "%s", err.msg);
    char copy[512];
    snprintf(copy, sizeof copy, "%s/copy.cfg", dir);
    cr_assert_eq(msp_dncfg_write(&cfg, copy, &err), MSP_OK, "%s", err.msg);

    /* Darknet prints its layer table on stderr: silence it. */
    fflush(stderr);
    int saved = dup(2), devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    network *dn = parse_network_cfg(copy);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(devnull);

    cr_assert_eq(dn->n, net.n_layers, "%s", path);
    size_t dk_total = 0;
    double dk_flops = 0;
    for (int i = 0; i < dn->n; i++) {
        const layer *d = &dn->layers[i];
        const msp_dn_layer *m = &net.layers[i];
        cr_assert_eq(d->type, dk_type(m->type), "%s layer %d", path, i);
        if (m->flat) {
            cr_assert(d->out_w == 0 && d->out_h == 0 && d->out_c == 0, "%s layer %d", path, i);
        } else {
            cr_assert_eq(d->out_w, m->out_w, "%s layer %d out_w", path, i);
            cr_assert_eq(d->out_h, m->out_h, "%s layer %d out_h", path, i);
            cr_assert_eq(d->out_c, m->out_c, "%s layer %d out_c", path, i);
        }
        cr_assert_eq(d->outputs, m->outputs, "%s layer %d outputs", path, i);
        cr_assert_eq(d->inputs, m->inputs, "%s layer %d inputs", path, i);
        cr_assert_eq(dk_weight_floats(d), m->n_weights_floats, "%s layer %d weights", path, i);
        if (d->type == CONVOLUTIONAL) {
            cr_assert_eq(d->n, m->filters);
            cr_assert_eq(d->size, m->size);
            cr_assert_eq(d->stride, m->stride);
            cr_assert_eq(d->pad, m->pad, "%s layer %d pad", path, i);
            cr_assert_eq(d->groups, m->groups);
            cr_assert_eq(d->batch_normalize, m->batch_normalize);
            cr_assert_eq(d->nweights, m->filters * (d->c / m->groups) * m->size * m->size);
            /* the expression Darknet prints as BFLOPs */
            double f = 2.0 * d->n * d->size * d->size * d->c / d->groups * d->out_h * d->out_w;
            cr_assert_float_eq(m->flops, f, 1e-6 * f, "%s layer %d flops", path, i);
            dk_flops += f;
        }
        if (d->type == MAXPOOL) {
            cr_assert_eq(d->size, m->size);
            cr_assert_eq(d->stride, m->stride);
            cr_assert_eq(d->pad, m->pad);
        }
        if (d->type == ROUTE) {
            cr_assert_eq(d->n, m->n_route_layers);
            for (int k = 0; k < d->n; k++) cr_assert_eq(d->input_layers[k], m->route_layers[k]);
        }
        if (d->type == SHORTCUT) cr_assert_eq(d->index, m->from);
        if (d->type == CONNECTED) dk_flops += 2.0 * d->inputs * d->outputs;
        if (d->type == LOCAL)
            dk_flops += 2.0 * d->size * d->size * d->c * d->n * d->out_w * d->out_h;
        dk_total += dk_weight_floats(d);
    }
    cr_assert_eq(dk_total, net.n_weights_floats, "%s", path);
    cr_assert_float_eq(dk_flops, net.flops, 1e-6 * dk_flops, "%s", path);
    cr_assert_eq(dn->outputs, net.classes, "%s", path);
    free_network(dn);
    unlink(copy);
    msp_dnnet_free(&net);
    msp_dncfg_free(&cfg);
}

/* One cfg of each family (the others repeat the same layers at other sizes
 * or depths: darknet19_448, resnet34..152, resnext101/152, vgg-16, ...);
 * Darknet spends seconds filling the random weights of each, so the family
 * representatives keep this to ~15 s. One test per cfg, so --jobs spreads
 * them. All stock cfgs pass the checker in every_stock_classifier_cfg_passes. */
struct stock_name {
    char s[32];
};

ParameterizedTestParameters(dncfg, shapes_match_darknet)
{
    /* Values, not pointers: Criterion may run each test in a fresh process. */
    static struct stock_name names[] = {
        {"alexnet"},    {"cifar"},       {"darknet"},   {"darknet19"}, {"darknet53"},
        {"darknet9000"}, {"densenet201"}, {"extraction"}, {"go"},       {"resnet18"},
        {"resnet50"},   {"resnext50"},   {"tiny"},      {"jnet-conv"}, {"vgg-conv"}};
    return cr_make_param_array(struct stock_name, names, sizeof names / sizeof names[0]);
}

ParameterizedTest(struct stock_name *name, dncfg, shapes_match_darknet, .timeout = 120)
{
    make_tmpdir();
    char p[256];
    snprintf(p, sizeof p, STOCK "%s.cfg", name->s);
    compare_with_darknet(p, tmpdir);
    remove_tmpdir();
}

Test(dncfg, small_every_layer_cfg_matches_darknet)
{
    make_tmpdir();
    char p[256];
    snprintf(p, sizeof p, "%s/every.cfg", tmpdir);
    const char *text =
        "[net]\nbatch=2\nwidth=12\nheight=10\nchannels=3\n"
        "[crop]\ncrop_width=10\ncrop_height=8\nflip=1\n"
        "[convolutional]\nbatch_normalize=1\nfilters=8\nsize=3\npad=1\nactivation=leaky\n"
        "[maxpool]\nsize=2\nstride=2\n"
        "[convolutional]\nfilters=8\nsize=3\npadding=2\nstride=2\ngroups=4\n"
        "[local]\nfilters=4\nsize=3\npad=1\n"
        "[local]\nfilters=4\nsize=2\n"
        "[route]\nlayers=-1\n"
        "[reorg]\nstride=2\nreverse=1\n"
        "[normalization]\n"
        "[batchnorm]\n"
        "[activation]\nactivation=relu\n"
        "[convolutional]\nfilters=16\nsize=1\n"
        "[shortcut]\nfrom=7\n"
        "[maxpool]\nsize=2\nstride=2\n"
        "[shortcut]\nfrom=-3\n"
        "[avgpool]\n"
        "[connected]\noutput=7\nbatch_normalize=1\n"
        "[dropout]\nprobability=.3\n"
        "[softmax]\n"
        "[cost]\n";
    write_file(p, text, strlen(text));
    compare_with_darknet(p, tmpdir);
    remove_tmpdir();
}

#endif

/* ---- mangled input ------------------------------------------------------ */

/* Thousands of mangled copies of a real cfg (characters deleted, replaced,
 * lines duplicated, text cut short): never a crash (run under ASan), only
 * MSP_OK or MSP_BAD_INPUT, and on failure a message with a line and a
 * zeroed net. */
Test(dncfg, mangled_cfgs_never_crash, .timeout = 120)
{
    msp_dn_cfg cfg;
    msp_err err;
    FILE *f = fopen(STOCK "resnet18.cfg", "rb");
    cr_assert_not_null(f);
    static char orig[65536];
    size_t n = fread(orig, 1, sizeof orig - 1, f);
    fclose(f);
    orig[n] = '\0';
    static char buf[2 * 65536];
    static const char alphabet[] = "[]=#;,-+.0123456789 \t\r\nxe_abcdefglnoprstuvwy\x01\xff";
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int ok = 0, bad = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(buf, orig, n + 1);
        size_t len = n;
        int edits = 1 + (int)(iter % 4);
        for (int e = 0; e < edits; e++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x % (len ? len : 1));
            switch ((x >> 32) % 4) {
            case 0: /* delete */
                memmove(buf + at, buf + at + 1, len - at);
                len--;
                break;
            case 1: /* replace */
                buf[at] = alphabet[(x >> 40) % (sizeof alphabet - 1)];
                break;
            case 2: { /* duplicate the line holding `at` */
                size_t a = at, b = at;
                while (a > 0 && buf[a - 1] != '\n') a--;
                while (b < len && buf[b] != '\n') b++;
                size_t k = b - a + 1; /* the line and its '\n' */
                if (b >= len || len + k >= sizeof buf) break;
                memmove(buf + b + 1 + k, buf + b + 1, len - b); /* with the NUL */
                memcpy(buf + b + 1, buf + a, k);
                len += k;
                break;
            }
            default: /* cut */
                len = at;
                buf[len] = '\0';
            }
        }
        msp_dn_net net;
        msp_status s = msp_dncfg_parse_string(buf, "m.cfg", &cfg, &err);
        if (s == MSP_OK) {
            s = msp_dncfg_check(&cfg, &net, &err);
            msp_dncfg_free(&cfg);
            if (s == MSP_OK) {
                ok++;
                msp_dnnet_free(&net);
                continue;
            }
            cr_assert_null(net.layers);
        }
        cr_assert_eq(s, MSP_BAD_INPUT, "%s", err.msg);
        cr_assert(strncmp(err.msg, "m.cfg:", 6) == 0, "%s", err.msg);
        bad++;
    }
    cr_assert(ok > 100 && bad > 1000, "ok %d bad %d", ok, bad);
}

/* ---- the bad-input corpus ----------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(dncfg, bad_corpus)
{
    const char *dir = "tests/bad/cfg";
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "run from the repository root");
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".cfg") == 0 && n < 256)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    cr_assert(n >= 25, "only %d bad cfgs", n);
    for (int i = 0; i < n; i++) {
        char path[512], first[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f);
        cr_assert_not_null(fgets(first, sizeof first, f), "%s is empty", path);
        fclose(f);
        first[strcspn(first, "\r\n")] = '\0';
        int line;
        int off = 0;
        cr_assert_eq(sscanf(first, "# expect: %d: %n", &line, &off), 1,
                     "%s: first line must be '# expect: LINE: text'", path);
        cr_assert(off > 0);
        const char *want = first + off;
        char prefix[600];
        snprintf(prefix, sizeof prefix, "%s:%d:", path, line);

        msp_dn_cfg cfg;
        msp_dn_net net = {0};
        msp_err err = {{0}};
        msp_status s = msp_dncfg_read(path, &cfg, &err);
        if (s == MSP_OK) {
            s = msp_dncfg_check(&cfg, &net, &err);
            msp_dncfg_free(&cfg);
        }
        cr_expect_eq(s, MSP_BAD_INPUT, "%s: accepted, or wrong status %d (%s)", path, s,
                     err.msg);
        cr_expect(strncmp(err.msg, prefix, strlen(prefix)) == 0,
                  "%s: message '%s' should start with '%s'", path, err.msg, prefix);
        cr_expect(strstr(err.msg, want), "%s: message '%s' should contain '%s'", path, err.msg,
                  want);
        cr_expect_null(net.layers);
        free(names[i]);
    }
}
