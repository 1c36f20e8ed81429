/* test_status.c: running out of memory in msprune's allocators is a failure
 * with a message (exit 1), not an abort. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <sys/resource.h>

#include "base/status.h"

#ifdef __SANITIZE_ADDRESS__
Test(status, out_of_memory_is_exit_1)
{
    cr_skip_test("AddressSanitizer reserves the address space an allocation limit needs");
}
#else
Test(status, out_of_memory_is_exit_1, .exit_code = 1)
{
    struct rlimit rl = {.rlim_cur = 1ull << 30, .rlim_max = RLIM_INFINITY};
    cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
    void *p = msp_malloc((size_t)2 << 30);
    cr_assert_fail("2 GiB allocated under a 1 GiB limit: %p", p);
}
#endif

/* msp_free_strings takes NULL, an empty vector and a filled one (leaks and
 * double frees would show under make SANITIZE=1). */
Test(status, free_strings)
{
    msp_free_strings(NULL, 3);
    msp_free_strings(msp_malloc(sizeof(char *)), 0);
    char **v = msp_malloc(3 * sizeof *v);
    for (int i = 0; i < 3; i++) v[i] = msp_strdup("abc");
    cr_assert_str_eq(v[2], "abc");
    msp_free_strings(v, 3);
}
