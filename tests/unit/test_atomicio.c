/* test_atomicio.c: the output side of atomicio.c: an output replaces only a
 * regular file (a FIFO, folder, socket, device or symbolic link is refused
 * with MSP_BAD_INPUT, at open and again at commit), a link planted at the
 * temporary name is not written through, and a failed write is reported
 * with its own errno, naming the file. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

#include "base/atomicio.h"

static char dir[64];

static char *in_dir(const char *leaf)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, leaf);
    return p[k];
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/msp-atomicio-XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(atomicio, .init = setup, .fini = teardown);

/* How many names in dir hold ".tmp."? */
static int tmp_files(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c '\\.tmp\\.' >/dev/null", dir);
    return system(cmd) == 0;
}

static void write_text(const char *path, const char *text)
{
    msp_err err = {{0}};
    msp_atomic a;
    cr_assert_eq(msp_atomic_open(&a, path, &err), MSP_OK, "%s", err.msg);
    fputs(text, a.f);
    cr_assert_eq(msp_atomic_commit(&a, &err), MSP_OK, "%s", err.msg);
}

static void expect_refused(const char *path, const char *what)
{
    msp_err err = {{0}};
    msp_atomic a;
    cr_assert_eq(msp_atomic_open(&a, path, &err), MSP_BAD_INPUT, "%s: %s", path, err.msg);
    cr_assert(strstr(err.msg, what), "%s", err.msg);
    cr_assert(strstr(err.msg, path), "%s", err.msg);
    cr_assert_null(a.f);
    cr_assert_not(tmp_files());
}

Test(atomicio, refuses_what_is_not_a_regular_file)
{
    cr_assert_eq(mkfifo(in_dir("fifo"), 0600), 0);
    expect_refused(in_dir("fifo"), "is a FIFO");
    cr_assert_eq(mkdir(in_dir("sub"), 0700), 0);
    expect_refused(in_dir("sub"), "is a directory");
    cr_assert_eq(symlink(in_dir("elsewhere"), in_dir("link")), 0);
    expect_refused(in_dir("link"), "is a symbolic link");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", in_dir("sock"));
    cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    close(s);
    expect_refused(in_dir("sock"), "is a socket");
    /* A device of our own: mknod needs root. */
    if (mknod(in_dir("full"), S_IFCHR | 0600, makedev(1, 7)) == 0) expect_refused(in_dir("full"), "is a character device");
    struct stat sb;
    cr_assert(lstat(in_dir("fifo"), &sb) == 0 && S_ISFIFO(sb.st_mode));
    cr_assert(lstat(in_dir("link"), &sb) == 0 && S_ISLNK(sb.st_mode));
    cr_assert(lstat(in_dir("elsewhere"), &sb) != 0, "the link was written through");
}

Test(atomicio, replaces_a_regular_file)
{
    write_text(in_dir("f.txt"), "old\n");
    write_text(in_dir("f.txt"), "new\n");
    FILE *f = fopen(in_dir("f.txt"), "r");
    char line[16] = {0};
    cr_assert(f && fgets(line, sizeof line, f));
    fclose(f);
    cr_assert_str_eq(line, "new\n");
    cr_assert_not(tmp_files());
}

/* Something else put at the name while the file was written is not replaced. */
Test(atomicio, commit_checks_the_target_again)
{
    msp_err err = {{0}};
    msp_atomic a;
    cr_assert_eq(msp_atomic_open(&a, in_dir("late"), &err), MSP_OK, "%s", err.msg);
    fputs("data\n", a.f);
    cr_assert_eq(mkfifo(in_dir("late"), 0600), 0);
    cr_assert_eq(msp_atomic_commit(&a, &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "is a FIFO"), "%s", err.msg);
    struct stat sb;
    cr_assert(lstat(in_dir("late"), &sb) == 0 && S_ISFIFO(sb.st_mode));
    cr_assert_not(tmp_files());
}

Test(atomicio, rename_checks_the_target)
{
    msp_err err = {{0}};
    char *tmp = msp_atomic_tmp_name(in_dir("w"));
    FILE *f = fopen(tmp, "wb");
    cr_assert(f);
    fputs("weights", f);
    fclose(f);
    cr_assert_eq(mkdir(in_dir("w"), 0700), 0);
    cr_assert_eq(msp_atomic_rename(tmp, in_dir("w"), &err), MSP_BAD_INPUT);
    cr_assert(strstr(err.msg, "is a directory"), "%s", err.msg);
    cr_assert_neq(access(tmp, F_OK), 0, "the temporary file stayed");
    free(tmp);
}

/* A link planted at the temporary name (pids are predictable) is removed,
 * not followed. */
Test(atomicio, planted_link_at_the_temporary_name)
{
    FILE *v = fopen(in_dir("victim"), "w");
    cr_assert(v);
    fputs("victim\n", v);
    fclose(v);
    char *tmp = msp_atomic_tmp_name(in_dir("out.csv"));
    cr_assert_eq(symlink(in_dir("victim"), tmp), 0);
    free(tmp);
    write_text(in_dir("out.csv"), "results\n");
    FILE *f = fopen(in_dir("victim"), "r");
    char line[16] = {0};
    cr_assert(f && fgets(line, sizeof line, f));
    fclose(f);
    cr_assert_str_eq(line, "victim\n");
    struct stat sb;
    cr_assert(lstat(in_dir("out.csv"), &sb) == 0 && S_ISREG(sb.st_mode));
}

/* Past a file-size limit: the errno of the failed write (EFBIG), not
 * whatever errno holds by commit time. */
Test(atomicio, a_failed_write_keeps_its_reason)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {.rlim_cur = 1024, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    msp_err err = {{0}};
    msp_atomic a;
    cr_assert_eq(msp_atomic_open(&a, in_dir("big"), &err), MSP_OK, "%s", err.msg);
    for (int i = 0; i < 4000; i++) fputs("0123456789\n", a.f);
    fopen(in_dir("missing"), "r"); /* leaves errno = ENOENT */
    cr_assert_eq(msp_atomic_commit(&a, &err), MSP_FAIL);
    cr_assert(strstr(err.msg, "big: write failed: File too large"), "%s", err.msg);
    cr_assert_neq(access(in_dir("big"), F_OK), 0);
    cr_assert_not(tmp_files());
}

/* Reads what there is across several writes, stops at end of file, and
 * reports a descriptor that cannot be read. */
Test(atomicio, read_full_reads_across_writes_and_stops_at_eof)
{
    int fd[2];
    cr_assert_eq(pipe(fd), 0);
    cr_assert_eq(write(fd[1], "abc", 3), 3);
    cr_assert_eq(write(fd[1], "defg", 4), 4);
    close(fd[1]);
    char buf[16] = {0};
    size_t got = 99;
    cr_assert_eq(msp_read_full(fd[0], buf, 5, &got), 0);
    cr_assert_eq(got, 5);
    cr_assert_str_eq(buf, "abcde");
    cr_assert_eq(msp_read_full(fd[0], buf, 10, &got), 0);
    cr_assert_eq(got, 2); /* "fg", then end of file */
    close(fd[0]);
    cr_assert_eq(msp_read_full(fd[0], buf, 4, &got), -1); /* closed */
    cr_assert_eq(got, 0);
}

/* A copy holds the same bytes, with the size and CRC-32 zlib gives them;
 * a source that is not a regular file is refused and nothing is written. */
Test(atomicio, copy_file_copies_with_size_and_crc)
{
    char data[70000];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i * 7 + i / 300);
    FILE *f = fopen(in_dir("src"), "wb");
    cr_assert_eq(fwrite(data, 1, sizeof data, f), sizeof data);
    fclose(f);
    uint64_t size = 0;
    uint32_t crc = 0, again = 0;
    msp_err err;
    cr_assert_eq(msp_copy_file(in_dir("src"), in_dir("dst"), &size, &crc, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(size, sizeof data);
    cr_assert_eq(crc, (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)data, sizeof data));
    cr_assert_eq(msp_file_crc32(in_dir("dst"), &again, NULL, &err), MSP_OK);
    cr_assert_eq(again, crc);
    char back[sizeof data];
    f = fopen(in_dir("dst"), "rb");
    cr_assert_eq(fread(back, 1, sizeof back + 1, f), sizeof data);
    fclose(f);
    cr_assert_eq(memcmp(back, data, sizeof data), 0);

    cr_assert_eq(mkfifo(in_dir("fifo"), 0600), 0);
    cr_assert_eq(msp_copy_file(in_dir("fifo"), in_dir("out"), NULL, NULL, &err), MSP_BAD_INPUT);
    cr_assert_eq(access(in_dir("out"), F_OK), -1);
}
