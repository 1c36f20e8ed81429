/* main.c: `msprune COMMAND ...`: dispatch only. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "cli.h"
#include "engine/engine.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} commands[] = {
    {"check", msp_cmd_check, "validate experiment configs, Darknet cfgs and weights"},
    {"train", msp_cmd_train, "train an experiment's base network"},
    {"evaluate", msp_cmd_evaluate, "test-set accuracy and latency: a network, the selector, the oracle"},
    {"profile", msp_cmd_profile, "batch-1 latency and FLOPs of one network"},
    {"prune", msp_cmd_prune, "structured filter pruning of a network, with fine-tuning"},
    {"specialise", msp_cmd_specialise, "build a family of pruned specialists, one per input cluster"},
    {"premodel", msp_cmd_premodel, "label inputs and train the premodels that pick a network per input"},
    {"deploy", msp_cmd_deploy, "a self-contained bundle (family, premodel, checksums) for a device"},
    {"run", msp_cmd_run, "classify images or an IDX file with a bundle"},
    {"report", msp_cmd_report, "report.html and report.md from an experiment's results"},
    {"all", msp_cmd_all, "the whole pipeline on an experiment config"},
    {"version", msp_cmd_version, "print msprune's version"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: msprune COMMAND [OPTIONS] [ARGS]\n       msprune --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\n'msprune COMMAND --help' describes a command. Exit status: 0 success,\n"
               "1 the work failed, 2 bad usage or bad input.\n");
}

/* Has the reader of the pipe on stdout gone away? For when stdio lost the
 * errno of the write that failed. */
static int stdout_reader_gone(void)
{
    struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

/* Results printed on stdout are output: if they could not all be written (a
 * full disk, a closed descriptor) the command did not do its work. Called
 * once, after the command. A reader that closed its pipe (`| head -1`) took
 * what it wanted: no message, and 141, the status a shell shows for a
 * program killed by SIGPIPE. Any other failure: one message and exit 1. */
static int finish_stdout(int status)
{
    int failed = ferror(stdout);
    errno = 0;
    if (fflush(stdout) != 0) failed = 1;
    int e = errno; /* stdio keeps no errno of earlier failed writes */
    if (!failed) return status;
    if (e == EPIPE || (!e && stdout_reader_gone())) return 128 + SIGPIPE;
    if (e) fprintf(stderr, "msprune: stdout: write error: %s\n", strerror(e));
    else fprintf(stderr, "msprune: stdout: write error\n");
    return status == 0 ? MSP_FAIL : status;
}

/* A closed descriptor 0, 1 or 2 would be reused by the next open(), and
 * stdout's lines would land in an output file. Hold each with /dev/null,
 * read-only, so that writes to a closed stdout still fail and are reported. */
static void hold_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
        int n = open("/dev/null", O_RDONLY); /* the lowest free descriptor: fd */
        if (n > 2) close(n);
    }
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
        return msp_cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    const char *names[sizeof commands / sizeof *commands + 1];
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) names[i] = commands[i].name;
    names[sizeof commands / sizeof *commands] = NULL;
    const char *near = msp_nearest(argv[1], names);
    if (near) {
        fprintf(stderr, "msprune: unknown command '%s'; did you mean '%s'?\n", argv[1], near);
        return 2;
    }
    fprintf(stderr, "msprune: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    /* Past a file-size limit (ulimit -f) a write then fails with EFBIG instead
     * of the process being killed, and a write to a closed pipe with EPIPE:
     * the writers report it and remove their temporary file, and
     * finish_stdout deals with stdout once. */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    msp_engine_default_threads(argv);
    hold_std_fds();
    return msp_engine_exit_status(finish_stdout(dispatch(argc, argv)));
}
