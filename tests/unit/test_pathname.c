/* test_pathname.c: plain names and relative paths confined to their folder,
 * the exact verdict for each kind of path. */
#include <criterion/criterion.h>

#include "base/pathname.h"

Test(pathname, plain_names)
{
    cr_assert_eq(msp_is_plain_name("base"), 1);
    cr_assert_eq(msp_is_plain_name("c0.v-2_x"), 1);
    cr_assert_eq(msp_is_plain_name("..."), 1);
    cr_assert_eq(msp_is_plain_name(""), 1); /* callers check the length */
    cr_assert_eq(msp_is_plain_name("."), 0);
    cr_assert_eq(msp_is_plain_name(".."), 0);
    cr_assert_eq(msp_is_plain_name("a/b"), 0);
    cr_assert_eq(msp_is_plain_name("a b"), 0);
    cr_assert_eq(msp_is_plain_name("caf\xc3\xa9"), 0);
}

Test(pathname, relative_paths)
{
    cr_assert_eq(msp_relpath_check("a"), MSP_RELPATH_INSIDE);
    cr_assert_eq(msp_relpath_check("nets/base.cfg"), MSP_RELPATH_INSIDE);
    cr_assert_eq(msp_relpath_check("a/..b/c..."), MSP_RELPATH_INSIDE);
    cr_assert_eq(msp_relpath_check("/etc/passwd"), MSP_RELPATH_ABSOLUTE);
    cr_assert_eq(msp_relpath_check("/"), MSP_RELPATH_ABSOLUTE);
    cr_assert_eq(msp_relpath_check(""), MSP_RELPATH_EMPTY_PART);
    cr_assert_eq(msp_relpath_check("a//b"), MSP_RELPATH_EMPTY_PART);
    cr_assert_eq(msp_relpath_check("a/"), MSP_RELPATH_EMPTY_PART);
    cr_assert_eq(msp_relpath_check("."), MSP_RELPATH_DOT_PART);
    cr_assert_eq(msp_relpath_check("../x"), MSP_RELPATH_DOT_PART);
    cr_assert_eq(msp_relpath_check("a/./b"), MSP_RELPATH_DOT_PART);
    cr_assert_eq(msp_relpath_check("a/.."), MSP_RELPATH_DOT_PART);
    /* The first problem from the left wins. */
    cr_assert_eq(msp_relpath_check("../a//b"), MSP_RELPATH_DOT_PART);
    cr_assert_eq(msp_relpath_check("a//../b"), MSP_RELPATH_EMPTY_PART);
}
