/* test_expconf.c: the experiment config loader on good configs (exact values
 * and defaults), on the bad corpus tests/bad/conf/ (each file's first line
 * says "expect: LINE: substring") and on inputs generated here: binary,
 * empty, oversized, unreadable and truncated files. Run from the repo root. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/expconf.h"

#define FASHION "/usr/share/datasets/fashion-mnist/"
#define TINY "/usr/share/darknet/cfg/tiny.cfg"

static const msp_expconf zero_conf;

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *buf = malloc(1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/msp-expconf-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void remove_tmpdir(void)
{
    if (tmpdir[0]) nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Loads path expecting MSP_BAD_INPUT; checks the struct is left zeroed. */
static void expect_bad(const char *path, const char *prefix, const char *substring)
{
    msp_expconf c;
    msp_err e = { { 0 } };
    memset(&c, 0x5a, sizeof c);
    msp_status st = msp_expconf_load(path, &c, &e);
    cr_expect_eq(st, MSP_BAD_INPUT, "%s: status %d, message: %s", path, st, e.msg);
    cr_expect_eq(strncmp(e.msg, prefix, strlen(prefix)), 0, "%s: message '%s' does not start with '%s'",
                 path, e.msg, prefix);
    cr_expect_not_null(strstr(e.msg, substring), "%s: message '%s' lacks '%s'", path, e.msg, substring);
    cr_expect_eq(memcmp(&c, &zero_conf, sizeof c), 0, "%s: struct not zeroed after error", path);
}

Test(expconf, full_config_exact_values)
{
    msp_expconf c;
    msp_err e = { { 0 } };
    cr_assert_eq(msp_expconf_load("tests/good/conf/fashion.conf", &c, &e), MSP_OK, "%s", e.msg);
    cr_expect_str_eq(c.path, "tests/good/conf/fashion.conf");
    cr_expect_str_eq(c.name, "fashion-test_1.0");
    cr_expect_str_eq(c.output, "results/good");
    cr_expect_eq(c.seed, 1234567890123ull);
    cr_expect_eq(c.threads, 2);
    cr_expect_eq(c.data.format, MSP_DATA_IDX);
    cr_expect_str_eq(c.data.train_images, FASHION "train-images-idx3-ubyte.gz");
    cr_expect_str_eq(c.data.train_labels, FASHION "train-labels-idx1-ubyte.gz");
    cr_expect_str_eq(c.data.test_images, FASHION "t10k-images-idx3-ubyte.gz");
    cr_expect_str_eq(c.data.test_labels, FASHION "t10k-labels-idx1-ubyte.gz");
    cr_expect_null(c.data.train_list);
    cr_expect_null(c.data.test_list);
    cr_expect_null(c.data.names);
    cr_expect_eq(c.data.width, 0);
    cr_assert_eq(c.data.n_classes, 10);
    cr_expect_str_eq(c.data.classes[0], "T-shirt/top");
    cr_expect_str_eq(c.data.classes[5], "Sandal");
    cr_expect_str_eq(c.data.classes[9], "Ankle boot");
    cr_expect_eq(c.data.validation, 0.0); /* written as the int 0 */
    cr_expect_eq(c.data.train_limit, 6000);
    cr_expect_eq(c.data.test_limit, 1000);
    cr_expect_str_eq(c.base.cfg, TINY);
    cr_expect_eq(c.base.cfg_line, 22);
    cr_expect_str_eq(c.base.weights, "weights/does-not-exist-yet.weights");
    cr_expect_eq(c.base.weights_line, 23);
    cr_expect_eq(c.base.epochs, 3);
    cr_expect_eq(c.base.batch, 32);
    cr_expect_eq(c.evaluate.latency_runs, 7);
    cr_expect_eq(c.evaluate.warmup, 0);
    cr_expect_str_eq(c.slurm.partition, "gpu,cpu-long");
    cr_expect_str_eq(c.slurm.time, "1-12:00:00");
    cr_expect_str_eq(c.slurm.mem, "6G");
    cr_expect_eq(c.slurm.cpus, 4);
    cr_assert_eq(c.slurm.n_sbatch_args, 2);
    cr_expect_str_eq(c.slurm.sbatch_args[0], "--account=vision");
    cr_expect_str_eq(c.slurm.sbatch_args[1], "--qos=normal");
    msp_expconf_free(&c);
    cr_expect_eq(memcmp(&c, &zero_conf, sizeof c), 0, "free must zero the struct");
    msp_expconf_free(&c); /* a zeroed struct frees safely */
    msp_expconf_free(NULL);
}

Test(expconf, minimal_config_takes_defaults)
{
    msp_expconf c;
    msp_err e = { { 0 } };
    cr_assert_eq(msp_expconf_load("tests/good/conf/minimal.conf", &c, &e), MSP_OK, "%s", e.msg);
    cr_expect_str_eq(c.name, "mini");
    cr_expect_str_eq(c.output, "results/mini");
    cr_expect_eq(c.seed, 1);
    cr_expect_eq(c.threads, 1);
    cr_expect_eq(c.data.format, MSP_DATA_IDX);
    cr_expect_null(c.data.classes);
    cr_expect_eq(c.data.n_classes, 0);
    cr_expect_float_eq(c.data.validation, 0.1, 1e-12);
    cr_expect_eq(c.data.train_limit, 0);
    cr_expect_eq(c.data.test_limit, 0);
    cr_expect_eq(c.base.cfg_line, 10);
    cr_expect_eq(c.base.weights_line, 11);
    cr_expect_eq(c.base.epochs, 10);
    cr_expect_eq(c.base.batch, 64);
    cr_expect_eq(c.evaluate.latency_runs, 50);
    cr_expect_eq(c.evaluate.warmup, 5);
    cr_expect_eq(c.specialise.protect_first, 1);
    cr_expect_eq(c.specialise.specialists, 1);
    cr_expect_eq(c.specialise.n_generalists, 0);
    cr_expect_eq(c.selector.tune_fallback, 1);
    cr_expect_eq(c.selector.fallback_per_network, 1);
    msp_expconf_free(&c);
}

/* A list config in tmpdir with `data_extra` in its data group; its names
 * file holds "tshirt", "shirt". */
static msp_status load_list_conf(const char *data_extra, msp_expconf *c, msp_err *e, char *conf)
{
    char train[128], test[128], names[128], text[1024];
    snprintf(train, sizeof train, "%s/train.list", tmpdir);
    snprintf(test, sizeof test, "%s/test.list", tmpdir);
    snprintf(names, sizeof names, "%s/names", tmpdir);
    snprintf(conf, 128, "%s/list.conf", tmpdir);
    write_file(train, "a.png\n", 6);
    write_file(test, "b.png\n", 6);
    write_file(names, "tshirt\nshirt\n", 13);
    int n = snprintf(text, sizeof text,
                     "name = \"imgs\";\nseed = 0;\n"
                     "data = { format = \"list\"; train_list = \"%s\"; test_list = \"%s\";\n"
                     "  names = \"%s\";\n  %s\n  validation = 0.9; };\n"
                     "base = { cfg = \"" TINY "\"; weights = \"w\"; };\n",
                     train, test, names, data_extra);
    write_file(conf, text, (size_t)n);
    return msp_expconf_load(conf, c, e);
}

Test(expconf, list_format, .init = make_tmpdir, .fini = remove_tmpdir)
{
    msp_expconf c;
    msp_err e = { { 0 } };
    char conf[128];
    /* width given and equal to the cfg's; height and channels from its [net] */
    cr_assert_eq(load_list_conf("width = 224;", &c, &e, conf), MSP_OK, "%s", e.msg);
    cr_expect_eq(c.data.format, MSP_DATA_LIST);
    cr_expect_eq(c.data.width, 224);
    cr_expect_eq(c.data.height, 224);
    cr_expect_eq(c.data.channels, 3);
    cr_expect_eq(c.data.resize, 0);
    cr_expect_float_eq(c.data.validation, 0.9, 1e-12);
    cr_expect_null(c.data.train_images);
    /* the class names are the names file's */
    cr_assert_eq(c.data.n_classes, 2);
    cr_expect_str_eq(c.data.classes[0], "tshirt");
    cr_expect_str_eq(c.data.classes[1], "shirt");
    cr_expect_eq(c.data.classes_line, 0);
    cr_expect_str_eq(c.output, "results/imgs");
    msp_expconf_free(&c);
    /* display names, as many as the file's */
    cr_assert_eq(load_list_conf("classes = [\"T-shirt\", \"Shirt\"]; resize = true;", &c, &e, conf),
                 MSP_OK, "%s", e.msg);
    cr_expect_str_eq(c.data.classes[0], "T-shirt");
    cr_expect_eq(c.data.resize, 1);
    msp_expconf_free(&c);
}

Test(expconf, list_shape_and_classes_must_agree, .init = make_tmpdir, .fini = remove_tmpdir)
{
    msp_expconf c;
    msp_err e = { { 0 } };
    char conf[128], want[512];
    cr_assert_eq(load_list_conf("width = 224; height = 32;", &c, &e, conf), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "%s:5: data.height = 32, but the base network " TINY " takes "
             "height=224 in its [net] section (leave data.height out to use the cfg's)", conf);
    cr_assert_str_eq(e.msg, want);
    cr_assert_eq(load_list_conf("channels = 1;", &c, &e, conf), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(e.msg, ":5: data.channels = 1, but the base network " TINY " takes "
                                     "channels=3"), "%s", e.msg);
    cr_assert_eq(load_list_conf("classes = [\"a\", \"b\", \"c\"];", &c, &e, conf), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "%s:5: data.classes has 3 names, but the names file %s/names has 2 "
             "(one per line)", conf, tmpdir);
    cr_assert_str_eq(e.msg, want);
    cr_assert_eq(c.data.classes, NULL, "zeroed on error");
}

/* Every tests/bad/conf/NAME.conf starts with "# expect: LINE: substring"
 * (or the // or block-comment form). */
Test(expconf, bad_corpus)
{
    const char *dir = "tests/bad/conf";
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s (run from the repository root)", dir);
    int cases = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 6 || strcmp(de->d_name + nl - 5, ".conf") != 0) continue;
        char path[512], prefix[600];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        char *text = read_all(path, &len);
        char *eol = strchr(text, '\n');
        if (eol) *eol = '\0';
        const char *p = text;
        if (strncmp(p, "# ", 2) == 0 || strncmp(p, "// ", 3) == 0 || strncmp(p, "/* ", 3) == 0)
            p = strchr(p, ' ') + 1;
        int line = 0, used = 0;
        cr_assert_eq(sscanf(p, "expect: %d: %n", &line, &used), 1, "%s: bad expect line '%s'", path, text);
        char *want = (char *)p + used;
        size_t wl = strlen(want);
        if (wl >= 3 && strcmp(want + wl - 3, " */") == 0) want[wl - 3] = '\0';
        cr_assert(line > 0 && want[0], "%s: bad expect line", path);
        snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
        expect_bad(path, prefix, want);
        free(text);
        cases++;
    }
    closedir(d);
    cr_expect_geq(cases, 40, "only %d bad configs found", cases);
}

Test(expconf, missing_file_and_directory)
{
    expect_bad("tests/bad/conf/no-such-file.conf",
               "tests/bad/conf/no-such-file.conf: cannot open: No such file or directory", "");
    expect_bad("tests/bad/conf", "tests/bad/conf: is a directory", "");
}

Test(expconf, binary_empty_and_huge_files, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char path[128], prefix[192];

    /* libconfig 1.5 would stop the string at the NUL and accept the file */
    snprintf(path, sizeof path, "%s/nul.conf", tmpdir);
    static const char nul[] = "# x\nseed = 3;\nname = \"ab\0cd\";\n";
    write_file(path, nul, sizeof nul - 1);
    snprintf(prefix, sizeof prefix, "%s:3: ", path);
    expect_bad(path, prefix, "NUL byte");

    snprintf(path, sizeof path, "%s/empty.conf", tmpdir);
    write_file(path, "", 0);
    snprintf(prefix, sizeof prefix, "%s:1: ", path);
    expect_bad(path, prefix, "missing required key 'name'");

    snprintf(path, sizeof path, "%s/huge.conf", tmpdir);
    size_t big = (1u << 20) + 1;
    char *text = malloc(big);
    memset(text, '\n', big);
    write_file(path, text, big);
    free(text);
    snprintf(prefix, sizeof prefix, "%s: too large", path);
    expect_bad(path, prefix, "");
}

Test(expconf, unreadable_input_file, .init = make_tmpdir, .fini = remove_tmpdir)
{
    if (geteuid() == 0) cr_skip_test("root can read any file");
    char cfg[128], conf[128], text[512], prefix[320];
    snprintf(cfg, sizeof cfg, "%s/net.cfg", tmpdir);
    snprintf(conf, sizeof conf, "%s/x.conf", tmpdir);
    write_file(cfg, "[net]\n", 6);
    cr_assert_eq(chmod(cfg, 0), 0);
    int n = snprintf(text, sizeof text,
                     "name = \"x\";\ndata = { train_images = \"" TINY "\"; train_labels = \"" TINY "\";\n"
                     "test_images = \"" TINY "\"; test_labels = \"" TINY "\"; };\n"
                     "base = {\n cfg = \"%s\"; weights = \"w\"; };\n", cfg);
    write_file(conf, text, (size_t)n);
    snprintf(prefix, sizeof prefix, "%s:5: cfg: file '%s' is not readable", conf, cfg);
    expect_bad(conf, prefix, "");
}

/* Every prefix of a good config must load or fail cleanly, never crash. */
Test(expconf, truncated_configs_fail_cleanly, .init = make_tmpdir, .fini = remove_tmpdir)
{
    size_t len;
    char *text = read_all("tests/good/conf/fashion.conf", &len);
    char path[128];
    snprintf(path, sizeof path, "%s/cut.conf", tmpdir);
    int ok = 0;
    for (size_t cut = 0; cut < len; cut++) {
        write_file(path, text, cut);
        msp_expconf c;
        msp_err e = { { 0 } };
        msp_status st = msp_expconf_load(path, &c, &e);
        if (st == MSP_OK) {
            ok++;
            msp_expconf_free(&c);
            continue;
        }
        cr_assert_eq(st, MSP_BAD_INPUT, "cut at %zu: status %d: %s", cut, st, e.msg);
        cr_assert_eq(strncmp(e.msg, path, strlen(path)), 0, "cut at %zu: %s", cut, e.msg);
        cr_assert_eq(memcmp(&c, &zero_conf, sizeof c), 0);
    }
    /* complete configs: the cuts just after base's and evaluate's "}", "};",
     * "};\n", "};\n\n" (the groups after them are optional) and after the
     * last group's (slurm's) "}" and "};" */
    cr_expect_eq(ok, 10, "%d truncated configs loaded", ok);
    free(text);
}

Test(expconf, generalists, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/gen.conf", tmpdir);
    const char *text = "name = \"gen\";\n"
                       "data = { train_images = \"" FASHION "train-images-idx3-ubyte.gz\";\n"
                       "  train_labels = \"" FASHION "train-labels-idx1-ubyte.gz\";\n"
                       "  test_images = \"" FASHION "t10k-images-idx3-ubyte.gz\";\n"
                       "  test_labels = \"" FASHION "t10k-labels-idx1-ubyte.gz\"; };\n"
                       "base = { cfg = \"" TINY "\"; weights = \"x.weights\"; };\n"
                       "specialise = { specialists = false; generalists = [0.05, 1.0, 0.3]; };\n";
    write_file(path, text, strlen(text));
    msp_expconf c;
    msp_err e = { { 0 } };
    cr_assert_eq(msp_expconf_load(path, &c, &e), MSP_OK, "%s", e.msg);
    cr_expect_eq(c.specialise.specialists, 0);
    cr_assert_eq(c.specialise.n_generalists, 3);
    cr_expect_float_eq(c.specialise.generalists[0], 0.05, 1e-12);
    cr_expect_float_eq(c.specialise.generalists[1], 1.0, 1e-12);
    cr_expect_float_eq(c.specialise.generalists[2], 0.3, 1e-12);
    msp_expconf_free(&c);
}

/* Slurm's syntax for what a user hands sbatch (also the command line's). */
Test(expconf, slurm_syntax)
{
    static const char *const times_ok[] = {"30", "30:00", "4:00:00", "2-12", "2-12:30", "2-12:30:00",
                                           "UNLIMITED", "INFINITE", "0"};
    static const char *const times_bad[] = {"", "soon", "1:2:3:4", "-5", "2-", "1-2-3", ":30",
                                            "30:", "1e3", "1234567890", "2-1:2:3:4", " 30"};
    for (size_t i = 0; i < sizeof times_ok / sizeof *times_ok; i++)
        cr_expect_null(msp_slurm_time_problem(times_ok[i]), "time '%s'", times_ok[i]);
    for (size_t i = 0; i < sizeof times_bad / sizeof *times_bad; i++)
        cr_expect_not_null(msp_slurm_time_problem(times_bad[i]), "time '%s'", times_bad[i]);
    static const char *const mem_ok[] = {"4096", "4G", "500m", "1T", "16k"};
    static const char *const mem_bad[] = {"", "4GB", "G", "-4G", "4.5G", "4 G", "1000000000000000"};
    for (size_t i = 0; i < sizeof mem_ok / sizeof *mem_ok; i++)
        cr_expect_null(msp_slurm_mem_problem(mem_ok[i]), "mem '%s'", mem_ok[i]);
    for (size_t i = 0; i < sizeof mem_bad / sizeof *mem_bad; i++)
        cr_expect_not_null(msp_slurm_mem_problem(mem_bad[i]), "mem '%s'", mem_bad[i]);
    static const char *const part_ok[] = {"debug", "gpu,cpu", "a.b_c-d"};
    static const char *const part_bad[] = {"", "a b", "gpu,", ",gpu", "a;rm", "a,,b"};
    for (size_t i = 0; i < sizeof part_ok / sizeof *part_ok; i++)
        cr_expect_null(msp_slurm_partition_problem(part_ok[i]), "partition '%s'", part_ok[i]);
    for (size_t i = 0; i < sizeof part_bad / sizeof *part_bad; i++)
        cr_expect_not_null(msp_slurm_partition_problem(part_bad[i]), "partition '%s'", part_bad[i]);
    /* msprune's own options, abbreviated too, and anything not an option */
    static const char *const arg_ok[] = {"--account=x", "--qos=high", "-A", "-pdebug", "--exclusive",
                                         "--de=x", "--delay-boot=5", "--mail-type=END"};
    static const char *const arg_bad[] = {"", "-", "job.sh", "--", "--array=0-3", "--arr=1", "-a0-3",
                                          "--dependency=afterok:1", "--dep=x", "--output=x", "-o",
                                          "-e", "--error=x", "--chdir=/", "-D/", "--wrap=ls",
                                          "--parsable", "--open-mode=truncate", "--wait", "-W",
                                          "--kill-on-invalid-dep=no", "--test-only", "-dafterok:1"};
    for (size_t i = 0; i < sizeof arg_ok / sizeof *arg_ok; i++)
        cr_expect_null(msp_slurm_sbatch_arg_problem(arg_ok[i]), "sbatch arg '%s'", arg_ok[i]);
    for (size_t i = 0; i < sizeof arg_bad / sizeof *arg_bad; i++)
        cr_expect_not_null(msp_slurm_sbatch_arg_problem(arg_bad[i]), "sbatch arg '%s'", arg_bad[i]);
}
