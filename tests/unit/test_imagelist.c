/* test_imagelist.c: the Darknet image-list loader on PGM/PPM (written by
 * hand), PNG/BMP/JPEG (written with stb_image_write) images generated at
 * test time in a mkdtemp directory: labels from paths, exact pixel values
 * through Darknet's load_image, and every bad line rejected at LIST:LINE
 * before Darknet sees it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"

#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

static char dir[64];

static const char *const CLASSES[] = {"cat", "dog", "bird", "fish"};

static void make_dir(void)
{
    /* Labels come from substrings of the whole path: retry until the random
     * part of the directory name contains no class name. */
    for (;;) {
        strcpy(dir, "/tmp/msp-il-XXXXXX");
        cr_assert_not_null(mkdtemp(dir));
        int clash = 0;
        for (int i = 0; i < 4; i++) clash |= strstr(dir, CLASSES[i]) != NULL;
        if (!clash) return;
        rmdir(dir);
    }
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0]) cr_assert_eq(system(cmd), 0);
}

TestSuite(imagelist, .init = make_dir, .fini = remove_dir);

static const char *P(const char *name)
{
    static char buf[16][256];
    static int i;
    char *p = buf[i++ % 16];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    cr_assert_eq(fclose(f), 0);
}

static void write_text(const char *path, const char *text) { write_file(path, text, strlen(text)); }

/* Binary PNM by hand: P5 (grey, c = 1) or P6 (RGB, c = 3), maxval 255. */
static void write_pnm(const char *path, int w, int h, int c, const unsigned char *px)
{
    char hdr[64];
    int k = snprintf(hdr, sizeof hdr, "P%d\n%d %d\n255\n", c == 1 ? 5 : 6, w, h);
    unsigned char buf[4096];
    memcpy(buf, hdr, (size_t)k);
    memcpy(buf + k, px, (size_t)(w * h * c));
    write_file(path, buf, (size_t)k + (size_t)(w * h * c));
}

/* Fixture pixels, all 4x3 (w x h): HWC bytes as the files store them. */
enum { FW = 4, FH = 3, FP = FW * FH };
static unsigned char grey[FP], rgb[FP * 3], rgb2[FP * 3];

static void fixtures(void)
{
    for (int i = 0; i < FP; i++) {
        grey[i] = (unsigned char)(i * 20 + 5);
        rgb[3 * i] = (unsigned char)(i * 21);
        rgb[3 * i + 1] = (unsigned char)(255 - i * 13);
        rgb[3 * i + 2] = (unsigned char)(i * 7 + 100);
        rgb2[3 * i] = (unsigned char)(i * 3);
        rgb2[3 * i + 1] = (unsigned char)(200 - i);
        rgb2[3 * i + 2] = (unsigned char)(i * 17);
    }
    write_pnm(P("cat-1.pgm"), FW, FH, 1, grey);
    write_pnm(P("dog-1.ppm"), FW, FH, 3, rgb);
    cr_assert(stbi_write_png(P("bird-1.png"), FW, FH, 3, rgb2, FW * 3));
    cr_assert(stbi_write_bmp(P("fish-1.bmp"), FW, FH, 3, rgb));
    write_text(P("names"), "cat\ndog\nbird\nfish\n");
}

static void assert_zeroed(const msp_dataset *d)
{
    cr_assert_eq(d->n, 0);
    cr_assert_null(d->x);
    cr_assert_null(d->y);
    cr_assert_null(d->class_names);
}

/* Write `list` (with %s standing for the directory, up to 4 times) and expect
 * MSP_BAD_INPUT whose message contains want (same substitution). */
static void expect_bad_list(const char *list, int c, const char *want)
{
    char text[1024], w[1024];
    snprintf(text, sizeof text, list, dir, dir, dir, dir);
    snprintf(w, sizeof w, want, dir, dir, dir, dir);
    write_text(P("list"), text);
    msp_dataset d;
    msp_err err = {{0}};
    msp_status s = msp_imagelist_load(P("list"), P("names"), FW, FH, c, 0, &d, &err);
    cr_assert_eq(s, MSP_BAD_INPUT, "status %d: %s", s, err.msg);
    cr_assert_not_null(strstr(err.msg, w), "message\n  %s\nlacks\n  %s", err.msg, w);
    assert_zeroed(&d);
}

/* A 6x5 JPEG of the flat colour (200, 100, 50), quality 90, made once with
 * stb_image_write's stbi_write_jpg_to_func: its encoder shifts signed ints
 * past their range, which UBSan (make SANITIZE=1) reports, so it is not run
 * at test time. */
static const unsigned char flat_jpg[] = {
    0xff,0xd8,0xff,0xe0,0x00,0x10,0x4a,0x46,0x49,0x46,0x00,0x01,
    0x01,0x00,0x00,0x01,0x00,0x01,0x00,0x00,0xff,0xdb,0x00,0x84,
    0x00,0x03,0x02,0x02,0x03,0x02,0x02,0x03,0x03,0x03,0x03,0x04,0x03,
    0x03,0x04,0x05,0x08,0x05,0x05,0x04,0x04,0x05,0x0a,0x07,0x07,
    0x06,0x08,0x0c,0x0a,0x0c,0x0c,0x0b,0x0a,0x0b,0x0b,0x0d,0x0e,
    0x12,0x10,0x0d,0x0e,0x11,0x0e,0x0b,0x0b,0x10,0x16,0x10,0x11,
    0x13,0x14,0x15,0x15,0x15,0x0c,0x0f,0x17,0x18,0x16,0x14,0x18,
    0x12,0x14,0x15,0x14,0x01,0x03,0x04,0x04,0x05,0x04,0x05,0x09,0x05,0x05,0x09,0x14,0x0d,
    0x0b,0x0d,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,
    0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,
    0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,
    0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,0x14,
    0x14,0x14,0x14,0x14,0xff,0xc0,0x00,0x11,0x08,0x00,0x05,0x00,0x06,0x03,0x01,0x22,
    0x00,0x02,0x11,0x01,0x03,0x11,0x01,0xff,0xc4,0x01,0xa2,0x00,
    0x00,0x01,0x05,0x01,0x01,0x01,0x01,0x01,0x01,0x00,0x00,0x00,
    0x00,0x00,0x00,0x00,0x00,0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,0x09,0x0a,0x0b,
    0x10,0x00,0x02,0x01,0x03,0x03,0x02,0x04,0x03,0x05,0x05,0x04,0x04,
    0x00,0x00,0x01,0x7d,0x01,0x02,0x03,0x00,0x04,0x11,0x05,0x12,0x21,0x31,0x41,0x06,
    0x13,0x51,0x61,0x07,0x22,0x71,0x14,0x32,0x81,0x91,0xa1,0x08,
    0x23,0x42,0xb1,0xc1,0x15,0x52,0xd1,0xf0,0x24,0x33,0x62,0x72,
    0x82,0x09,0x0a,0x16,0x17,0x18,0x19,0x1a,0x25,0x26,0x27,0x28,
    0x29,0x2a,0x34,0x35,0x36,0x37,0x38,0x39,0x3a,0x43,0x44,0x45,
    0x46,0x47,0x48,0x49,0x4a,0x53,0x54,0x55,0x56,0x57,0x58,0x59,
    0x5a,0x63,0x64,0x65,0x66,0x67,0x68,0x69,0x6a,0x73,0x74,0x75,
    0x76,0x77,0x78,0x79,0x7a,0x83,0x84,0x85,0x86,0x87,0x88,0x89,
    0x8a,0x92,0x93,0x94,0x95,0x96,0x97,0x98,0x99,0x9a,0xa2,0xa3,
    0xa4,0xa5,0xa6,0xa7,0xa8,0xa9,0xaa,0xb2,0xb3,0xb4,0xb5,0xb6,
    0xb7,0xb8,0xb9,0xba,0xc2,0xc3,0xc4,0xc5,0xc6,0xc7,0xc8,0xc9,
    0xca,0xd2,0xd3,0xd4,0xd5,0xd6,0xd7,0xd8,0xd9,0xda,0xe1,0xe2,
    0xe3,0xe4,0xe5,0xe6,0xe7,0xe8,0xe9,0xea,0xf1,0xf2,0xf3,0xf4,
    0xf5,0xf6,0xf7,0xf8,0xf9,0xfa,0x01,0x00,0x03,0x01,0x01,0x01,0x01,0x01,0x01,0x01,0x01,0x01,0x00,
    0x00,0x00,0x00,0x00,0x00,0x01,0x02,0x03,0x04,0x05,0x06,0x07,0x08,0x09,0x0a,0x0b,
    0x11,0x00,0x02,0x01,0x02,0x04,0x04,0x03,0x04,0x07,0x05,0x04,0x04,
    0x00,0x01,0x02,0x77,0x00,0x01,0x02,0x03,0x11,0x04,0x05,0x21,0x31,0x06,0x12,0x41,
    0x51,0x07,0x61,0x71,0x13,0x22,0x32,0x81,0x08,0x14,0x42,0x91,
    0xa1,0xb1,0xc1,0x09,0x23,0x33,0x52,0xf0,0x15,0x62,0x72,0xd1,
    0x0a,0x16,0x24,0x34,0xe1,0x25,0xf1,0x17,0x18,0x19,0x1a,0x26,
    0x27,0x28,0x29,0x2a,0x35,0x36,0x37,0x38,0x39,0x3a,0x43,0x44,
    0x45,0x46,0x47,0x48,0x49,0x4a,0x53,0x54,0x55,0x56,0x57,0x58,
    0x59,0x5a,0x63,0x64,0x65,0x66,0x67,0x68,0x69,0x6a,0x73,0x74,
    0x75,0x76,0x77,0x78,0x79,0x7a,0x82,0x83,0x84,0x85,0x86,0x87,
    0x88,0x89,0x8a,0x92,0x93,0x94,0x95,0x96,0x97,0x98,0x99,0x9a,
    0xa2,0xa3,0xa4,0xa5,0xa6,0xa7,0xa8,0xa9,0xaa,0xb2,0xb3,0xb4,
    0xb5,0xb6,0xb7,0xb8,0xb9,0xba,0xc2,0xc3,0xc4,0xc5,0xc6,0xc7,
    0xc8,0xc9,0xca,0xd2,0xd3,0xd4,0xd5,0xd6,0xd7,0xd8,0xd9,0xda,
    0xe2,0xe3,0xe4,0xe5,0xe6,0xe7,0xe8,0xe9,0xea,0xf2,0xf3,0xf4,
    0xf5,0xf6,0xf7,0xf8,0xf9,0xfa,0xff,0xda,0x00,0x0c,0x03,0x01,0x00,0x02,0x11,0x03,0x11,0x00,
    0x3f,0x00,0xab,0x45,0x14,0x57,0xe1,0xe7,0xf4,0x81,0xff,0xd9,
};

static float px(unsigned char v) { return (float)(v / 255.); }

Test(imagelist, loads_labels_and_exact_rgb_pixels)
{
    fixtures();
    char list[1024];
    snprintf(list, sizeof list, "%s/cat-1.pgm\n%s/dog-1.ppm\n%s/bird-1.png\n%s/fish-1.bmp\n", dir,
             dir, dir, dir);
    write_text(P("list"), list);
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(msp_imagelist_load(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(d.n, 4);
    cr_assert_eq(d.w, FW);
    cr_assert_eq(d.h, FH);
    cr_assert_eq(d.c, 3);
    cr_assert_eq(d.n_classes, 4);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(d.y[i], i);
        cr_assert_str_eq(d.class_names[i], CLASSES[i]);
    }
    const float *cat = d.x, *dog = d.x + 3 * FP, *bird = d.x + 6 * FP, *fish = d.x + 9 * FP;
    for (int i = 0; i < FP; i++) {
        for (int ch = 0; ch < 3; ch++) {
            /* CHW: channel ch of pixel i at ch*FP + i; grey replicated. */
            cr_assert_eq(cat[ch * FP + i], px(grey[i]), "cat pixel %d ch %d", i, ch);
            cr_assert_eq(dog[ch * FP + i], px(rgb[3 * i + ch]), "dog pixel %d ch %d", i, ch);
            cr_assert_eq(bird[ch * FP + i], px(rgb2[3 * i + ch]), "bird pixel %d ch %d", i, ch);
            cr_assert_eq(fish[ch * FP + i], px(rgb[3 * i + ch]), "fish pixel %d ch %d", i, ch);
        }
    }
    msp_dataset_free(&d);
}

Test(imagelist, grey_output)
{
    fixtures();
    char list[512];
    snprintf(list, sizeof list, "%s/cat-1.pgm\n%s/dog-1.ppm\n", dir, dir);
    write_text(P("list"), list);
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(msp_imagelist_load(P("list"), P("names"), FW, FH, 1, 0, &d, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(d.c, 1);
    for (int i = 0; i < FP; i++) {
        cr_assert_eq(d.x[i], px(grey[i]), "grey source is exact, pixel %d", i);
        float want = 0.299f * px(rgb[3 * i]) + 0.587f * px(rgb[3 * i + 1]) +
                     0.114f * px(rgb[3 * i + 2]);
        cr_assert_float_eq(d.x[FP + i], want, 1e-6, "colour source, pixel %d", i);
    }
    msp_dataset_free(&d);
}

Test(imagelist, resizes_and_reads_jpeg)
{
    fixtures();
    unsigned char flat[6 * 5 * 3];
    for (int i = 0; i < 30; i++) {
        flat[3 * i] = 200;
        flat[3 * i + 1] = 100;
        flat[3 * i + 2] = 50;
    }
    write_pnm(P("dog-flat.ppm"), 6, 5, 3, flat);
    write_file(P("cat-flat.jpg"), flat_jpg, sizeof flat_jpg);
    char list[512];
    snprintf(list, sizeof list, "%s/dog-flat.ppm\n%s/cat-flat.jpg\n", dir, dir);
    write_text(P("list"), list);
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(msp_imagelist_load(P("list"), P("names"), 9, 7, 3, 0, &d, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(d.w, 9);
    cr_assert_eq(d.h, 7);
    cr_assert_eq(d.y[0], 1);
    cr_assert_eq(d.y[1], 0);
    const float want[3] = {px(200), px(100), px(50)};
    for (int ch = 0; ch < 3; ch++)
        for (int i = 0; i < 63; i++) {
            /* A flat colour stays flat through Darknet's bilinear resize. */
            cr_assert_float_eq(d.x[ch * 63 + i], want[ch], 1e-6, "ppm ch %d pixel %d", ch, i);
            cr_assert_float_eq(d.x[189 + ch * 63 + i], want[ch], 4 / 255., "jpeg ch %d pixel %d", ch,
                               i);
        }
    msp_dataset_free(&d);
}

Test(imagelist, blank_lines_whitespace_and_limit)
{
    fixtures();
    char list[512];
    snprintf(list, sizeof list, "\n  %s/cat-1.pgm  \r\n\n\t%s/dog-1.ppm\n%s/bird-1.png\n%s/nothing\n",
             dir, dir, dir, dir);
    write_text(P("list"), list);
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(msp_imagelist_load(P("list"), P("names"), FW, FH, 3, 3, &d, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(d.n, 3); /* the bad line 6 is past the limit and never read */
    cr_assert_eq(d.y[0], 0);
    cr_assert_eq(d.y[1], 1);
    cr_assert_eq(d.y[2], 2);
    msp_dataset_free(&d);
    /* Without the limit, line 6 (blank lines counted) is the error. */
    cr_assert_eq(msp_imagelist_load(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    char want[512];
    snprintf(want, sizeof want, "%s:6: image path '%s/nothing' matches no class", P("list"), dir);
    cr_assert_not_null(strstr(err.msg, want), "%s", err.msg);
    assert_zeroed(&d);
}

Test(imagelist, relative_paths_from_cwd)
{
    fixtures();
    write_text(P("list"), "dog-1.ppm\n./cat-1.pgm\n");
    char old[4096];
    cr_assert_not_null(getcwd(old, sizeof old));
    cr_assert_eq(chdir(dir), 0);
    msp_dataset d;
    msp_err err = {{0}};
    msp_status s = msp_imagelist_load("list", "names", FW, FH, 3, 0, &d, &err);
    cr_assert_eq(chdir(old), 0);
    cr_assert_eq(s, MSP_OK, "%s", err.msg);
    cr_assert_eq(d.n, 2);
    cr_assert_eq(d.y[0], 1);
    cr_assert_eq(d.x[0], px(rgb[0]));
    msp_dataset_free(&d);
}

Test(imagelist, class_matching_errors)
{
    fixtures();
    write_pnm(P("catdog.pgm"), FW, FH, 1, grey);
    write_pnm(P("horse.pgm"), FW, FH, 1, grey);
    expect_bad_list("%s/cat-1.pgm\n%s/horse.pgm\n", 3,
                    "list:2: image path '%s/horse.pgm' matches no class (class names from ");
    expect_bad_list("%s/cat-1.pgm\n\n%s/catdog.pgm\n", 3,
                    "list:3: image path '%s/catdog.pgm' matches both 'cat' and 'dog'");
}

Test(imagelist, missing_and_non_image_files)
{
    fixtures();
    expect_bad_list("%s/cat-1.pgm\n%s/cat-missing.pgm\n", 3,
                    "list:2: cannot open image '%s/cat-missing.pgm': No such file or directory");
    write_text(P("cat-notes.txt"), "just some text, not an image\n");
    expect_bad_list("%s/cat-notes.txt\n", 3,
                    "list:1: '%s/cat-notes.txt' is not a readable PNG, JPEG, BMP or binary "
                    "PGM/PPM image");
    write_file(P("cat-empty.png"), "", 0);
    expect_bad_list("%s/cat-empty.png\n", 3, "list:1: '%s/cat-empty.png' is not a readable PNG");
    /* GIF: stb could, but Darknet's OpenCV reader cannot, so refused. */
    static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01"
                                       "\x00\x01\x00\x00\x02\x02L\x01\x00;";
    write_file(P("cat.gif"), gif, sizeof gif - 1);
    expect_bad_list("%s/cat.gif\n", 3, "list:1: '%s/cat.gif' is not a readable PNG");
    cr_assert_eq(mkdir(P("dogs"), 0700), 0);
    expect_bad_list("%s/dogs\n", 3, "list:1: image '%s/dogs' is not a regular file");
}

Test(imagelist, truncated_images)
{
    fixtures();
    /* A big noisy PNG cut in half: the header reads fine, the data does not. */
    enum { BW = 64, BH = 64 };
    static unsigned char noise[BW * BH * 3];
    for (int i = 0; i < BW * BH * 3; i++) noise[i] = (unsigned char)((i * 2654435761u) >> 13);
    cr_assert(stbi_write_png(P("full.png"), BW, BH, 3, noise, BW * 3));
    FILE *f = fopen(P("full.png"), "rb");
    static unsigned char buf[BW * BH * 4 + 1024];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_file(P("bird-cut.png"), buf, n / 2);
    expect_bad_list("%s/bird-cut.png\n", 3, "list:1: image '%s/bird-cut.png' cannot be decoded (");
    /* A PGM whose pixels stop short of its header's 4x3. */
    write_file(P("cat-cut.pgm"), "P5\n4 3\n255\n\x01\x02\x03", 14);
    expect_bad_list("%s/cat-cut.pgm\n", 3, "list:1: image '%s/cat-cut.pgm' cannot be decoded (");
    /* stb alone accepts these two; OpenCV (so Darknet) would not. */
    write_file(P("dog-cut.ppm"), "P6\n2 2\n255\n123456789", 20);
    expect_bad_list("%s/dog-cut.ppm\n", 3,
                    "list:1: image '%s/dog-cut.ppm' cannot be decoded (PGM/PPM pixel data is "
                    "truncated)");
    cr_assert(stbi_write_bmp(P("fish-full.bmp"), FW, FH, 3, rgb));
    f = fopen(P("fish-full.bmp"), "rb");
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_file(P("fish-cut.bmp"), buf, n - 5);
    expect_bad_list("%s/fish-cut.bmp\n", 3,
                    "list:1: image '%s/fish-cut.bmp' cannot be decoded (BMP pixel data is "
                    "truncated)");
    write_file(P("cat-zero.pgm"), "P5\n0 3\n255\n", 11);
    expect_bad_list("%s/cat-zero.pgm\n", 3,
                    "list:1: image '%s/cat-zero.pgm' is 0x3; supported sizes are 1 to 16384 per "
                    "side and at most 33554432 pixels");
}

Test(imagelist, png_crc_is_checked)
{
    fixtures();
    /* stb decodes PNGs without checking CRCs; libpng (OpenCV) refuses them. */
    FILE *f = fopen(P("bird-1.png"), "rb");
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cr_assert_gt(n, 33);
    buf[32] ^= 1; /* last byte of the IHDR chunk's CRC */
    write_file(P("bird-crc.png"), buf, n);
    expect_bad_list("%s/bird-1.png\n%s/bird-crc.png\n", 3,
                    "list:2: image '%s/bird-crc.png' cannot be decoded (PNG chunk CRC mismatch: "
                    "the file is corrupt)");
    buf[32] ^= 1;
    write_file(P("bird-noend.png"), buf, n - 12); /* all but the IEND chunk */
    expect_bad_list("%s/bird-noend.png\n", 3,
                    "list:1: image '%s/bird-noend.png' cannot be decoded (PNG ends without an "
                    "IEND chunk)");
}

Test(imagelist, darknet_never_sees_a_bad_image)
{
    fixtures();
    write_file(P("cat-bad.png"), "\x89PNG\r\n\x1a\n garbage", 17);
    char list[512];
    snprintf(list, sizeof list, "%s/dog-1.ppm\n%s/cat-bad.png\n", dir, dir);
    write_text(P("list"), list);
    char old[4096];
    cr_assert_not_null(getcwd(old, sizeof old));
    cr_assert_eq(chdir(dir), 0);
    msp_dataset d;
    msp_err err = {{0}};
    msp_status s = msp_imagelist_load("list", "names", FW, FH, 3, 0, &d, &err);
    /* Darknet's loader would have appended the path to ./bad.list. */
    int bad_list = access("bad.list", F_OK) == 0;
    cr_assert_eq(chdir(old), 0);
    cr_assert_eq(s, MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "list:2: "), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "cat-bad.png"), "%s", err.msg);
    cr_assert_not(bad_list);
    assert_zeroed(&d);
}

Test(imagelist, unsafe_and_overlong_lines)
{
    fixtures();
    expect_bad_list("%s/cat;rm -rf x.pgm\n", 3, "list:1: image path '%s/cat;rm -rf x.pgm' contains ';'");
    expect_bad_list("%s/cat$(id).pgm\n", 3, "contains '$'");
    static char longl[6000];
    memset(longl, 'a', 5000);
    memcpy(longl + 5000, "cat\n", 5);
    write_text(P("list"), longl);
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(msp_imagelist_load(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "list:1: line is longer than 4096 bytes"), "%s", err.msg);
    write_file(P("list"), "cat\0.pgm\n", 9);
    cr_assert_eq(msp_imagelist_load(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "list:1: line contains a NUL byte"), "%s", err.msg);
    write_text(P("list"), "\n \n");
    cr_assert_eq(msp_imagelist_load(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "list: image list has no image paths"), "%s", err.msg);
    assert_zeroed(&d);
}

Test(imagelist, names_file_errors)
{
    fixtures();
    char list[256];
    snprintf(list, sizeof list, "%s/cat-1.pgm\n", dir);
    write_text(P("list"), list);
    struct {
        const char *names, *want;
    } cases[] = {
        {"cat\n\ndog\n", "names:2: empty class name"},
        {"cat\ndog\ncat\n", "names:3: class name 'cat' repeats line 1"},
        {"cat\ncaf\xe9\n", "names:2: class name is not valid UTF-8 (byte 0xe9 at position 4)"},
        {"", "names: no class names"},
    };
    msp_dataset d;
    msp_err err = {{0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_text(P("names"), cases[i].names);
        cr_assert_eq(msp_imagelist_load(P("list"), P("names"), FW, FH, 3, 0, &d, &err),
                     MSP_BAD_INPUT);
        cr_assert_not_null(strstr(err.msg, cases[i].want), "%s", err.msg);
        assert_zeroed(&d);
    }
    cr_assert_eq(msp_imagelist_load(P("list"), P("nonames"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "nonames: cannot open class names file: No such file"), "%s",
                       err.msg);
    write_text(P("names"), "cat\n");
    cr_assert_eq(msp_imagelist_load(P("nolist"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "nolist: cannot open image list: No such file"), "%s",
                       err.msg);
}

Test(imagelist, bad_shape_arguments)
{
    fixtures();
    write_text(P("list"), "x\n");
    msp_dataset d;
    msp_err err = {{0}};
    const int bad[][3] = {{4, 3, 2}, {4, 3, 4}, {4, 3, 0}, {0, 3, 3}, {4, 5000, 3}, {-1, 3, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msp_status s = msp_imagelist_load(P("list"), P("names"), bad[i][0], bad[i][1], bad[i][2], 0,
                                          &d, &err);
        cr_assert_eq(s, MSP_BAD_INPUT, "case %zu", i);
        assert_zeroed(&d);
    }
    msp_imagelist_load(P("list"), P("names"), 4, 3, 2, 0, &d, &err);
    cr_assert_str_eq(err.msg, "2 channels requested; image lists support 1 (grey) or 3 (RGB)");
    msp_imagelist_load(P("list"), P("names"), 4, 5000, 3, 0, &d, &err);
    cr_assert_str_eq(err.msg,
                     "image size 4x5000 is out of range: width and height must be 1 to 4096");
}
