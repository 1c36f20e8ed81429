/* test_progress.c: progress goes through the log (src/base/log.h): a callback
 * receives it as ordinary messages, the level silences it, and where a line
 * cannot be redrawn only a bar's last line is passed on. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/progress.h"

typedef struct {
    int n;
    char msg[8][256];
    msp_log_level level[8];
} captured;

static void capture(msp_log_level level, const char *msg, void *user)
{
    captured *c = user;
    if (c->n < 8) {
        snprintf(c->msg[c->n], sizeof c->msg[0], "%s", msg);
        c->level[c->n] = level;
    }
    c->n++;
}

static captured got;
static msp_log_level old_level;

static void setup(void)
{
    memset(&got, 0, sizeof got);
    old_level = msp_log_get_level();
    msp_log_set_level(MSP_LOG_INFO);
    msp_log_set_callback(capture, &got);
    setenv("MSP_PROGRESS_INTERVAL", "0", 1);
}

static void teardown(void)
{
    msp_log_set_callback(NULL, NULL);
    msp_log_set_level(old_level);
    unsetenv("MSP_PROGRESS_INTERVAL");
}

TestSuite(progress, .init = setup, .fini = teardown, .timeout = 30);

Test(progress, lines_reach_the_log_callback)
{
    cr_assert_not(msp_log_can_redraw(), "a callback cannot redraw a line");
    msp_progress p;
    msp_progress_start(&p, "testing", 200);
    msp_progress_update(&p, 100, "loss 0.5");
    msp_progress_finish(&p, 200, NULL);
    cr_assert_eq(got.n, 2);
    cr_assert_eq(got.level[0], MSP_LOG_INFO);
    cr_assert(!strncmp(got.msg[0], "testing  50.0% ", 15), "%s", got.msg[0]);
    cr_assert(strstr(got.msg[0], " ETA ") && strstr(got.msg[0], " loss 0.5"), "%s", got.msg[0]);
    cr_assert(!strncmp(got.msg[1], "testing 100.0% ", 15), "%s", got.msg[1]);
    cr_assert(strstr(got.msg[1], " took "), "%s", got.msg[1]);
}

Test(progress, quiet_level_silences_it)
{
    msp_log_set_level(MSP_LOG_WARN);
    msp_progress p;
    msp_progress_start(&p, "testing", 10);
    msp_progress_update(&p, 5, NULL);
    msp_progress_finish(&p, 10, NULL);
    msp_log_progress(1, "done");
    cr_assert_eq(got.n, 0);
}

Test(progress, only_the_last_redrawn_line_without_a_terminal)
{
    msp_log_progress(0, "step %d", 1);
    msp_log_progress(0, "step %d", 2);
    msp_log_progress(1, "step %d", 3);
    cr_assert_eq(got.n, 1);
    cr_assert_str_eq(got.msg[0], "step 3");
}
