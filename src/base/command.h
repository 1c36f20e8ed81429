/* command.h: run another program (a cluster scheduler's tools) and keep
 * what it says. No shell: the arguments reach it as they are. */
#ifndef MSP_COMMAND_H
#define MSP_COMMAND_H

#include <stddef.h>
#include <stdio.h>

#include "status.h"

typedef struct msp_command_result {
    int status; /* its exit status; 128 + N when signal N ended it */
    char *out;  /* what it wrote to stdout, NUL-terminated (at most 1 MiB kept) */
    char *errs; /* ... to stderr, its last line ending trimmed */
} msp_command_result;

/* Run argv[0], found on the PATH, with argv (NULL-terminated) and stdin
 * from /dev/null, and wait for it. MSP_BAD_INPUT when it is not on the
 * PATH or cannot be run ("sbatch is not on the PATH"); MSP_FAIL when it
 * cannot be started for another reason. A program that runs and fails is
 * MSP_OK with its status in r; free r with msp_command_result_free. */
msp_status msp_command_run(char *const argv[], msp_command_result *r, msp_err *err);
void msp_command_result_free(msp_command_result *r);

/* For the shell lines msprune writes for others to run (a jobs file, a
 * batch script): s single-quoted for sh, any byte kept as it is. */
void msp_put_shell_quoted(FILE *f, const char *s);
/* The running program's own absolute path into buf: 0, or -1 when it
 * cannot be found. */
int msp_command_self(char *buf, size_t size);

#endif
