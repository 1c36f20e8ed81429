/* test_reliability.c: regression tests for bugs found by fuzzing and crash
 * testing (tests/fuzz/README lists them), each as an exact behaviour. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"

static char dir[64];
static const msp_imagelist_opts opts = {.w = 2, .h = 2, .c = 3, .resize = 1};

static void put(const char *leaf, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, leaf);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    cr_assert_eq(fclose(f), 0);
}

/* fuzz_imagelist: a PPM whose maxval has 60 digits made stb's header reader
 * overflow an int (UBSan); msprune's bounded parse now refuses it first. */
Test(reliability, pnm_header_with_huge_number_is_refused)
{
    strcpy(dir, "/tmp/msp-reliability-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char names[128], list[128], pic[128], line[160];
    put("names", "pic\nother\n", names, sizeof names);
    put("pic.ppm", "P6\n2 2\n255888888888888888888888888888888888888888888888888888888888\n"
                   "0123456789ab", pic, sizeof pic);
    snprintf(line, sizeof line, "%s\n", pic);
    put("list", line, list, sizeof list);
    msp_dataset d;
    msp_err err = {{0}};
    msp_status st = msp_imagelist_load(list, names, &opts, &d, &err);
    char want[512];
    snprintf(want, sizeof want, "%s:1: image '%s' cannot be decoded (bad PGM/PPM header)", list,
             pic);
    cr_assert_eq(st, MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, want);
    cr_assert_eq(d.n, 0);
    cr_assert_null(d.x);
    unlink(names), unlink(list), unlink(pic), rmdir(dir);
}

/* fuzz_imagelist (timeout): a 53-byte BMP claiming 12035x1027 pixels with a
 * compression value stb does not know; stb decoded it as uncompressed,
 * padding with zeros. Refused now, before any decoding. */
Test(reliability, bmp_with_unknown_compression_is_refused)
{
    strcpy(dir, "/tmp/msp-reliability-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    static const unsigned char bmp[] = {
        0x42, 0x4d, 0x4e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x00,
        0x28, 0x00, 0x00, 0x00, 0x03, 0x2f, 0x00, 0x00, 0x03, 0x04, 0x00, 0x00, 0x01, 0x00,
        0x18, 0x00, 0x00, 0x08, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0x70, 0x69, 0x63, 0x0a,
        0x6f, 0x74, 0x68, 0x65, 0x72, 0x0a, 0x00, 0x60, 0xc0, 0x00, 0x70};
    char names[128], list[128], pic[128], line[160];
    put("names", "pic\n", names, sizeof names);
    snprintf(pic, sizeof pic, "%s/pic.bmp", dir);
    FILE *f = fopen(pic, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bmp, 1, sizeof bmp, f), sizeof bmp);
    cr_assert_eq(fclose(f), 0);
    snprintf(line, sizeof line, "%s\n", pic);
    put("list", line, list, sizeof list);
    msp_dataset d;
    msp_err err = {{0}};
    msp_status st = msp_imagelist_load(list, names, &opts, &d, &err);
    char want[512];
    snprintf(want, sizeof want, "%s:1: image '%s' cannot be decoded (unsupported BMP compression)",
             list, pic);
    cr_assert_eq(st, MSP_BAD_INPUT);
    cr_assert_str_eq(err.msg, want);
    unlink(names), unlink(list), unlink(pic), rmdir(dir);
}
