/* test_bytebuf.c: the byte buffer puts every number little-endian, exactly
 * these bytes, and reads them back. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytebuf.h"

Test(bytebuf, puts_exact_little_endian_bytes)
{
    msp_bytebuf b = {0};
    msp_bytebuf_put(&b, "AB", 2);
    msp_bytebuf_put_u32(&b, 0x01020304u);
    msp_bytebuf_put_u64(&b, 0x1112131415161718ull);
    msp_bytebuf_put_f32(&b, 1.0f);   /* 0x3f800000 */
    msp_bytebuf_put_f64(&b, -2.0);   /* 0xc000000000000000 */
    const unsigned char want[] = {'A',  'B',  0x04, 0x03, 0x02, 0x01, 0x18, 0x17, 0x16, 0x15, 0x14,
                                  0x13, 0x12, 0x11, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0xc0};
    cr_assert_eq(b.n, sizeof want);
    cr_assert_geq(b.cap, b.n);
    cr_assert_arr_eq(b.p, want, sizeof want);
    cr_assert_eq(msp_le_u32(b.p + 2), 0x01020304u);
    cr_assert_eq(msp_le_u64(b.p + 6), 0x1112131415161718ull);
    free(b.p);
}

Test(bytebuf, grows_past_many_puts)
{
    msp_bytebuf b = {0};
    for (uint32_t i = 0; i < 1000; i++) msp_bytebuf_put_u32(&b, i);
    cr_assert_eq(b.n, 4000u);
    for (uint32_t i = 0; i < 1000; i++) cr_assert_eq(msp_le_u32(b.p + 4 * i), i);
    free(b.p);
}
