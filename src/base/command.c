/* command.c: fork, exec from the PATH, read stdout and stderr together
 * (poll, so that neither pipe fills while the other is read). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "status.h"

enum { KEEP_MAX = 1 << 20 };

typedef struct sink {
    char *buf;
    size_t len, cap;
} sink;

static void sink_add(sink *s, const char *p, size_t n)
{
    if (s->len + n > KEEP_MAX) n = KEEP_MAX - s->len;
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->buf = msp_realloc(s->buf, s->cap);
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
    s->buf[s->len] = '\0';
}

static char *sink_text(sink *s)
{
    if (!s->buf) return msp_strdup("");
    return s->buf;
}

/* Read both pipes to their end. */
static void drain(int out_fd, int err_fd, sink *out, sink *errs)
{
    struct pollfd p[2] = {{.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN}};
    sink *to[2] = {out, errs};
    int open_fds = 2;
    char buf[4096];
    while (open_fds > 0) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(p[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                p[i].fd = -1;
                open_fds--;
            } else {
                sink_add(to[i], buf, (size_t)n);
            }
        }
    }
}

msp_status msp_command_run(char *const argv[], msp_command_result *r, msp_err *err)
{
    memset(r, 0, sizeof *r);
    int po[2], pe[2], px[2]; /* stdout, stderr, and exec's errno (closed on a good exec) */
    if (pipe(po) != 0) return msp_err_set(err, MSP_FAIL, argv[0], 0, "cannot run: %s", strerror(errno));
    if (pipe(pe) != 0) {
        close(po[0]), close(po[1]);
        return msp_err_set(err, MSP_FAIL, argv[0], 0, "cannot run: %s", strerror(errno));
    }
    if (pipe2(px, O_CLOEXEC) != 0) {
        close(po[0]), close(po[1]), close(pe[0]), close(pe[1]);
        return msp_err_set(err, MSP_FAIL, argv[0], 0, "cannot run: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]), close(pe[0]), close(px[0]);
        execvp(argv[0], argv);
        int e = errno;
        if (write(px[1], &e, sizeof e) < 0) _exit(127);
        _exit(127);
    }
    close(po[1]), close(pe[1]), close(px[1]);
    if (pid < 0) {
        close(po[0]), close(pe[0]), close(px[0]);
        return msp_err_set(err, MSP_FAIL, argv[0], 0, "cannot run: %s", strerror(errno));
    }
    sink out = {0}, errs = {0};
    drain(po[0], pe[0], &out, &errs);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(px[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {}
    close(po[0]), close(pe[0]), close(px[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
    if (got == (ssize_t)sizeof exec_errno) {
        free(out.buf);
        free(errs.buf);
        if (exec_errno == ENOENT)
            return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "%s is not on the PATH", argv[0]);
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "cannot run %s: %s", argv[0],
                           strerror(exec_errno));
    }
    r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    r->out = sink_text(&out);
    r->errs = sink_text(&errs);
    size_t n = strlen(r->errs);
    while (n > 0 && (r->errs[n - 1] == '\n' || r->errs[n - 1] == '\r')) r->errs[--n] = '\0';
    return MSP_OK;
}

void msp_command_result_free(msp_command_result *r)
{
    free(r->out);
    free(r->errs);
    memset(r, 0, sizeof *r);
}

void msp_put_shell_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    }
    fputc('\'', f);
}

int msp_command_self(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0 || (size_t)n >= size - 1) return -1;
    buf[n] = '\0';
    return 0;
}
