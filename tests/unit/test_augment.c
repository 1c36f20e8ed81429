/* test_augment.c: the training images' augmentation (msp_augment_image):
 * exact pixels for a shift, a flip and both, on a 3x2 image of 2 channels. */
#include <criterion/criterion.h>

#include "train/train.h"

/* CHW: channel 0 rows {1 2 3} {4 5 6}, channel 1 rows {7 8 9} {10 11 12}. */
static const float src[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

/* src moved by dx, dy (mirrored first when flip) must be want. */
static void expect_augmented(int dx, int dy, int flip, const float *want)
{
    float got[12];
    msp_augment_image(src, got, 3, 2, 2, dx, dy, flip);
    for (int i = 0; i < 12; i++) cr_expect_eq(got[i], want[i], "pixel %d: %g, want %g", i, got[i], want[i]);
}

Test(augment, none_is_a_copy) { expect_augmented(0, 0, 0, src); }

Test(augment, shift_right_and_down_fills_zeros)
{
    const float want[12] = {0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 7, 8};
    expect_augmented(1, 1, 0, want);
}

Test(augment, shift_left_and_up)
{
    const float want[12] = {6, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0};
    expect_augmented(-2, -1, 0, want);
}

Test(augment, flip_mirrors_each_row)
{
    const float want[12] = {3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10};
    expect_augmented(0, 0, 1, want);
}

Test(augment, flip_then_shift)
{
    const float want[12] = {0, 3, 2, 0, 6, 5, 0, 9, 8, 0, 12, 11};
    expect_augmented(1, 0, 1, want);
}

Test(augment, shift_beyond_the_image_is_all_zero)
{
    const float want[12] = {0};
    expect_augmented(3, 0, 0, want);
}
