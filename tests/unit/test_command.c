/* test_command.c: running another program: what it writes to stdout and
 * stderr (also more than a pipe holds, from both at once), its exit status
 * or signal, a program not on the PATH, and the shell quoting of the lines
 * msprune writes for others to run. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

static msp_command_result run_sh(const char *script)
{
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    msp_command_result r;
    msp_err err = {{0}};
    cr_assert_eq(msp_command_run(argv, &r, &err), MSP_OK, "%s", err.msg);
    return r;
}

Test(command, output_and_status)
{
    msp_command_result r = run_sh("echo out; echo err >&2; echo more-err >&2; exit 3");
    cr_expect_eq(r.status, 3);
    cr_expect_str_eq(r.out, "out\n");
    cr_expect_str_eq(r.errs, "err\nmore-err"); /* the last line ending trimmed */
    msp_command_result_free(&r);
    r = run_sh("true");
    cr_expect_eq(r.status, 0);
    cr_expect_str_eq(r.out, "");
    cr_expect_str_eq(r.errs, "");
    msp_command_result_free(&r);
    r = run_sh("kill -9 $$");
    cr_expect_eq(r.status, 128 + 9);
    msp_command_result_free(&r);
    r = run_sh("read x; echo \"[$x]\""); /* stdin is /dev/null: no hang */
    cr_expect_str_eq(r.out, "[]\n");
    msp_command_result_free(&r);
}

/* 300 KB on each stream, interleaved: neither pipe may block the other. */
Test(command, both_streams_large)
{
    msp_command_result r = run_sh("i=0; while [ $i -lt 3000 ]; do "
                                  "printf '%099d\\n' $i; printf '%099d\\n' $i >&2; i=$((i+1)); done");
    cr_expect_eq(r.status, 0);
    cr_expect_eq(strlen(r.out), 300000);
    cr_expect_eq(strlen(r.errs), 299999);
    cr_expect_eq(strncmp(r.out + 299900, "0000", 4), 0);
    msp_command_result_free(&r);
}

Test(command, not_on_path)
{
    char *argv[] = {"msprune-no-such-program", "x", NULL};
    msp_command_result r;
    msp_err err = {{0}};
    cr_expect_eq(msp_command_run(argv, &r, &err), MSP_BAD_INPUT);
    cr_expect_str_eq(err.msg, "msprune-no-such-program is not on the PATH");
    char *dir[] = {"/", NULL}; /* found, but not a program */
    cr_expect_eq(msp_command_run(dir, &r, &err), MSP_BAD_INPUT);
    cr_expect_str_eq(err.msg, "cannot run /: Permission denied");
}

/* Whatever the bytes, sh gets back exactly the string. */
Test(command, shell_quoting)
{
    static const char *const words[] = {"plain", "it's", "a b", "$HOME `x` \"q\" \\ ;|&", "'", "''"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        char *text;
        size_t len;
        FILE *f = open_memstream(&text, &len);
        fputs("printf %s ", f);
        msp_put_shell_quoted(f, words[i]);
        fclose(f);
        msp_command_result r = run_sh(text);
        cr_expect_str_eq(r.out, words[i], "quoted as %s", text);
        msp_command_result_free(&r);
        free(text);
    }
}
