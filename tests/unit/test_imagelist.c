/* test_imagelist.c: the image-list loader and msprune's one image decoder on
 * PGM/PPM, PNG, BMP and JPEG images written at test time (by hand, with
 * zlib, or with stb_image_write) in a mkdtemp directory: labels from paths,
 * pixels equal to Darknet's own load_image, and every bad line or hostile
 * file refused as bad input (at LIST:LINE from a list) without Darknet
 * seeing it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "data/dataset.h"

/* Darknet's own path loader, the reference (darknet.h itself is not included:
 * its typedefs `list` and `data` would shadow names here). */
typedef struct dn_image {
    int w, h, c;
    float *data;
} dn_image;
dn_image load_image(char *filename, int w, int h, int c);
void free_image(dn_image m);

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
    /* A class is a whole folder name or file-name word: the random folder
     * name (msp-il-XXXXXX) can never be one. */
    strcpy(dir, "/tmp/msp-il-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
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

/* The loader with images resized and converted (data.resize = true). */
static msp_status load_list(const char *list, const char *names, int w, int h, int c, int limit,
                            msp_dataset *d, msp_err *err)
{
    msp_imagelist_opts o = {.w = w, .h = h, .c = c, .resize = 1, .limit = limit, .seed = 1};
    return msp_imagelist_load(list, names, &o, d, err);
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
    msp_status s = load_list(P("list"), P("names"), FW, FH, c, 0, &d, &err);
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
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_OK, "%s",
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
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 1, 0, &d, &err), MSP_OK, "%s",
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
    cr_assert_eq(load_list(P("list"), P("names"), 9, 7, 3, 0, &d, &err), MSP_OK, "%s",
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

Test(imagelist, blank_lines_and_whitespace)
{
    fixtures();
    char list[512];
    snprintf(list, sizeof list, "\n  %s/cat-1.pgm  \r\n\n\t%s/dog-1.ppm\n%s/bird-1.png\n%s/nothing\n",
             dir, dir, dir, dir);
    write_text(P("list"), list);
    msp_dataset d;
    msp_err err = {{0}};
    /* Line 6 (blank lines counted) names no class: an error even with a
     * limit, since every line is matched before the draw. */
    for (int limit = 0; limit <= 3; limit += 3) {
        cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, limit, &d, &err), MSP_BAD_INPUT);
        char want[512];
        snprintf(want, sizeof want, "%s:6: image path '%s/nothing' names no class of %s (a class "
                 "is a whole folder name of the path or, failing that, a whole word of the file "
                 "name)", P("list"), dir, P("names"));
        cr_assert_str_eq(err.msg, want);
        assert_zeroed(&d);
    }
    snprintf(list, sizeof list, "\n  %s/cat-1.pgm  \r\n\n\t%s/dog-1.ppm\n%s/bird-1.png\n", dir, dir,
             dir);
    write_text(P("list"), list);
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(d.n, 3);
    for (int i = 0; i < 3; i++) cr_assert_eq(d.y[i], i);
    msp_dataset_free(&d);
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
    msp_status s = load_list("list", "names", FW, FH, 3, 0, &d, &err);
    cr_assert_eq(chdir(old), 0);
    cr_assert_eq(s, MSP_OK, "%s", err.msg);
    cr_assert_eq(d.n, 2);
    cr_assert_eq(d.y[0], 1);
    cr_assert_eq(d.x[0], px(rgb[0]));
    msp_dataset_free(&d);
}

/* The class of path p among names, or -1 with the message in msg. */
static int class_of(const char *p, const char *const *names, int k, char *msg)
{
    int label = -1;
    msp_err err = {{0}};
    msp_status s = msp_imagelist_class_of("L", 7, p, (char *const *)names, k, "N", &label, &err);
    if (msg) strcpy(msg, err.msg);
    if (s != MSP_OK) {
        cr_assert_eq(s, MSP_BAD_INPUT);
        return -1;
    }
    return label;
}

#define RULE "(a class is a whole folder name of the path or, failing that, a whole word of the file name)"

Test(imagelist, class_by_folder_never_by_substring)
{
    static const char *const clothes[] = {"shirt", "tshirt", "t-shirt"};
    cr_assert_eq(class_of("data/train/tshirt/1.png", clothes, 3, NULL), 1);
    cr_assert_eq(class_of("data/train/shirt/1.png", clothes, 3, NULL), 0);
    cr_assert_eq(class_of("data/train/t-shirt/1.png", clothes, 3, NULL), 2);
    cr_assert_eq(class_of("/abs/tshirt/shirt_2.png", clothes, 3, NULL), 1, "the folder decides");
    cr_assert_eq(class_of("tshirt/tshirt/9.png", clothes, 3, NULL), 1, "one class twice");
    char msg[1024];
    cr_assert_eq(class_of("shirt/tshirt/1.png", clothes, 3, msg), -1);
    cr_assert_str_eq(msg, "L:7: image path 'shirt/tshirt/1.png' is ambiguous: its folders name two "
                          "classes, 'shirt' and 'tshirt' " RULE);
    cr_assert_eq(class_of("data/sweatshirts/1.png", clothes, 3, msg), -1);
    cr_assert_str_eq(msg, "L:7: image path 'data/sweatshirts/1.png' names no class of N " RULE);
}

Test(imagelist, class_by_file_name_word)
{
    /* Darknet's CIFAR lists: data/cifar/train/1000_truck.png */
    static const char *const cifar[] = {"airplane", "automobile", "bird", "cat", "deer",
                                        "dog", "frog", "horse", "ship", "truck"};
    cr_assert_eq(class_of("data/cifar/train/1000_truck.png", cifar, 10, NULL), 9);
    cr_assert_eq(class_of("data/cifar/test/7_cat.png", cifar, 10, NULL), 3);
    cr_assert_eq(class_of("cat", cifar, 10, NULL), 3, "the whole file name");
    cr_assert_eq(class_of("x/dog.cat.dog.png", cifar, 10, NULL), -1);
    cr_assert_eq(class_of("x/catalogue_1.png", cifar, 10, NULL), -1, "not a word");
    cr_assert_eq(class_of("x/hotdog.png", cifar, 10, NULL), -1, "not a word");
    char msg[1024];
    cr_assert_eq(class_of("x/cat-dog.png", cifar, 10, msg), -1);
    cr_assert_str_eq(msg, "L:7: image path 'x/cat-dog.png' is ambiguous: its file name names two "
                          "classes, 'cat' and 'dog' " RULE);
    /* overlapping matches: the longer wins, in either order of the names */
    static const char *const clothes[] = {"shirt", "t-shirt"}, *const rev[] = {"t-shirt", "shirt"};
    cr_assert_eq(class_of("imgs/t-shirt_3.png", clothes, 2, NULL), 1);
    cr_assert_eq(class_of("imgs/t-shirt_3.png", rev, 2, NULL), 0);
    cr_assert_eq(class_of("imgs/shirt_3.png", clothes, 2, NULL), 0);
    cr_assert_eq(class_of("imgs/t-shirt_shirt.png", clothes, 2, msg), -1, "apart: both count");
    /* equal lengths overlapping: neither is longer */
    static const char *const ab[] = {"a-b", "b-c"};
    cr_assert_eq(class_of("a-b-c.png", ab, 2, msg), -1);
    cr_assert_not_null(strstr(msg, "its file name names two classes, 'a-b' and 'b-c'"), "%s", msg);
    /* non-ASCII letters are letters: "café" is not "caf" */
    static const char *const cafe[] = {"caf", "caf\xc3\xa9"};
    cr_assert_eq(class_of("x/caf\xc3\xa9-1.png", cafe, 2, NULL), 1);
}

Test(imagelist, class_errors_in_a_list)
{
    fixtures();
    write_pnm(P("cat-dog.pgm"), FW, FH, 1, grey);
    write_pnm(P("horse.pgm"), FW, FH, 1, grey);
    expect_bad_list("%s/cat-1.pgm\n%s/horse.pgm\n", 3,
                    "list:2: image path '%s/horse.pgm' names no class of ");
    expect_bad_list("%s/cat-1.pgm\n\n%s/cat-dog.pgm\n", 3,
                    "list:3: image path '%s/cat-dog.pgm' is ambiguous: its file name names two "
                    "classes, 'cat' and 'dog'");
}

Test(imagelist, missing_and_non_image_files)
{
    fixtures();
    expect_bad_list("%s/cat-1.pgm\n%s/cat-missing.pgm\n", 3,
                    "list:2: cannot open image '%s/cat-missing.pgm': No such file or directory");
    write_text(P("cat-notes.txt"), "just some text, not an image\n");
    expect_bad_list("%s/cat-notes.txt\n", 3,
                    "list:1: image '%s/cat-notes.txt' is not a readable PNG, JPEG, BMP or binary "
                    "PGM/PPM image");
    write_file(P("cat-empty.png"), "", 0);
    expect_bad_list("%s/cat-empty.png\n", 3, "list:1: image '%s/cat-empty.png' is not a readable PNG");
    /* GIF: stb could, but Darknet's OpenCV reader cannot, so refused. */
    static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01"
                                       "\x00\x01\x00\x00\x02\x02L\x01\x00;";
    write_file(P("cat.gif"), gif, sizeof gif - 1);
    expect_bad_list("%s/cat.gif\n", 3, "list:1: image '%s/cat.gif' is not a readable PNG");
    cr_assert_eq(mkdir(P("dog-dir"), 0700), 0);
    expect_bad_list("%s/dog-dir\n", 3, "list:1: image '%s/dog-dir' is not a regular file");
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
    msp_status s = load_list("list", "names", FW, FH, 3, 0, &d, &err);
    /* Darknet's loader would have appended the path to ./bad.list. */
    int bad_list = access("bad.list", F_OK) == 0;
    cr_assert_eq(chdir(old), 0);
    cr_assert_eq(s, MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "list:2: "), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "cat-bad.png"), "%s", err.msg);
    cr_assert_not(bad_list);
    assert_zeroed(&d);
}

Test(imagelist, shell_characters_and_overlong_lines)
{
    fixtures();
    /* No shell ever sees a path: such names are just names. */
    write_pnm(P("cat;$(id)`x`|&<>.pgm"), FW, FH, 1, grey);
    char list[512];
    snprintf(list, sizeof list, "%s/cat;$(id)`x`|&<>.pgm\n", dir);
    write_text(P("list"), list);
    msp_dataset d;
    msp_err err = {{0}};
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 1, 0, &d, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(d.x[1], px(grey[1]));
    msp_dataset_free(&d);
    static char longl[6000];
    memset(longl, 'a', 5000);
    memcpy(longl + 5000, "cat\n", 5);
    write_text(P("list"), longl);
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "list:1: line is longer than 4096 bytes"), "%s", err.msg);
    write_file(P("list"), "cat\0.pgm\n", 9);
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "list:1: line contains a NUL byte"), "%s", err.msg);
    write_text(P("list"), "\n \n");
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
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
        cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 0, &d, &err),
                     MSP_BAD_INPUT);
        cr_assert_not_null(strstr(err.msg, cases[i].want), "%s", err.msg);
        assert_zeroed(&d);
    }
    cr_assert_eq(load_list(P("list"), P("nonames"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    cr_assert_not_null(strstr(err.msg, "nonames: cannot open class names file: No such file"), "%s",
                       err.msg);
    write_text(P("names"), "cat\n");
    cr_assert_eq(load_list(P("nolist"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
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
        msp_status s = load_list(P("list"), P("names"), bad[i][0], bad[i][1], bad[i][2], 0,
                                          &d, &err);
        cr_assert_eq(s, MSP_BAD_INPUT, "case %zu", i);
        assert_zeroed(&d);
    }
    load_list(P("list"), P("names"), 4, 3, 2, 0, &d, &err);
    cr_assert_str_eq(err.msg, "2 channels requested; image lists support 1 (grey) or 3 (RGB)");
    load_list(P("list"), P("names"), 4, 5000, 3, 0, &d, &err);
    cr_assert_str_eq(err.msg,
                     "image size 4x5000 is out of range: width and height must be 1 to 4096");
}

/* Without resize, an image must be the network's input exactly. */
static msp_status load_exact(int w, int h, int c, msp_dataset *d, msp_err *err)
{
    msp_imagelist_opts o = {.w = w, .h = h, .c = c};
    return msp_imagelist_load(P("list"), P("names"), &o, d, err);
}

Test(imagelist, images_must_fit_without_resize)
{
    fixtures();
    unsigned char ga[FP * 2];
    for (int i = 0; i < FP; i++) ga[2 * i] = grey[i], ga[2 * i + 1] = 255;
    cr_assert(stbi_write_png(P("cat-alpha.png"), FW, FH, 2, ga, FW * 2));
    char list[512];
    snprintf(list, sizeof list, "%s/cat-1.pgm\n%s/cat-alpha.png\n%s/dog-1.ppm\n", dir, dir, dir);
    write_text(P("list"), list);
    msp_dataset d;
    msp_err err = {{0}};
    char want[1024];
    /* grey (with or without alpha) fits 1 channel; colour does not */
    cr_assert_eq(load_exact(FW, FH, 1, &d, &err), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "%s:3: image '%s/dog-1.ppm' is 4x3 colour (3 channels), but the "
             "network takes 4x3 grey (1 channel) (set data.resize = true to resize and convert "
             "images)", P("list"), dir);
    cr_assert_str_eq(err.msg, want);
    assert_zeroed(&d);
    /* a grey image into a 3-channel network is a channel mismatch */
    cr_assert_eq(load_exact(FW, FH, 3, &d, &err), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "%s:1: image '%s/cat-1.pgm' is 4x3 grey (1 channel), but the "
             "network takes 4x3 colour (3 channels)", P("list"), dir);
    cr_assert_not_null(strstr(err.msg, want), "%s", err.msg);
    snprintf(list, sizeof list, "%s/dog-1.ppm\n%s/bird-1.png\n", dir, dir);
    write_text(P("list"), list);
    cr_assert_eq(load_exact(FW, FH + 1, 3, &d, &err), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "%s:1: image '%s/dog-1.ppm' is 4x3 colour (3 channels), but the "
             "network takes 4x4 colour (3 channels)", P("list"), dir);
    cr_assert_not_null(strstr(err.msg, want), "%s", err.msg);
    cr_assert_eq(load_exact(FW, FH, 3, &d, &err), MSP_OK, "%s", err.msg);
    cr_assert_eq(d.n, 2);
    msp_dataset_free(&d);
}

Test(imagelist, relative_paths_are_not_from_the_list_folder)
{
    fixtures();
    cr_assert_eq(mkdir(P("sub"), 0700), 0);
    write_pnm(P("sub/bird-2.pgm"), FW, FH, 1, grey);
    write_text(P("sub/list"), "bird-2.pgm\n");
    char old[4096];
    cr_assert_not_null(getcwd(old, sizeof old));
    cr_assert_eq(chdir(dir), 0);
    msp_dataset d;
    msp_err err = {{0}};
    msp_status s = load_list("sub/list", "names", FW, FH, 1, 0, &d, &err);
    char cwd[4096];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(chdir(old), 0);
    cr_assert_eq(s, MSP_BAD_INPUT);
    char want[4096 + 512];
    snprintf(want, sizeof want, "sub/list:1: cannot open image 'bird-2.pgm': No such file or "
             "directory; 'sub/bird-2.pgm' exists: relative paths in an image list start from the "
             "working folder (%s), not from the list's folder, so write it as 'sub/bird-2.pgm' or "
             "as an absolute path", cwd);
    cr_assert_str_eq(err.msg, want);
    /* missing in both places: no such note */
    write_text(P("sub/list"), "bird-3.pgm\n");
    cr_assert_eq(chdir(dir), 0);
    s = load_list("sub/list", "names", FW, FH, 1, 0, &d, &err);
    cr_assert_eq(chdir(old), 0);
    cr_assert_str_eq(err.msg, "sub/list:1: cannot open image 'bird-3.pgm': No such file or directory");
}

/* A class-sorted list of 20 cat, 10 dog, 6 bird and 4 fish images. */
static void sorted_list(void)
{
    fixtures();
    static const int per[4] = {20, 10, 6, 4};
    static const char *const file[4] = {"cat-1.pgm", "dog-1.ppm", "bird-1.png", "fish-1.bmp"};
    char list[8192] = "";
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < per[k]; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s/%s\n", dir, file[k]);
        }
    write_text(P("list"), list);
}

Test(imagelist, limit_is_a_stratified_seeded_draw)
{
    sorted_list();
    msp_dataset a, b;
    msp_err err = {{0}};
    /* 10 of 40: cumulative rounding of 10 * (20, 10, 6, 4) / 40 */
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 10, &a, &err), MSP_OK, "%s", err.msg);
    int count[4] = {0};
    for (int i = 0; i < a.n; i++) count[a.y[i]]++;
    cr_assert_eq(a.n, 10);
    cr_assert_eq(count[0], 5);
    cr_assert_eq(count[1], 3); /* round(7.5) - round(5) */
    cr_assert_eq(count[2], 1); /* round(9) - round(7.5) */
    cr_assert_eq(count[3], 1);
    for (int i = 1; i < a.n; i++) cr_assert_leq(a.y[i - 1], a.y[i], "list order kept");
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 10, &b, &err), MSP_OK);
    cr_assert_eq(memcmp(a.y, b.y, sizeof(int) * 10), 0);
    cr_assert_eq(memcmp(a.x, b.x, sizeof(float) * 10 * 3 * FP), 0);
    msp_dataset_free(&a);
    msp_dataset_free(&b);
    /* a limit beyond the list: all of it */
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 1000, &a, &err), MSP_OK);
    cr_assert_eq(a.n, 40);
    msp_dataset_free(&a);
}

Test(imagelist, scan_counts_every_class)
{
    sorted_list();
    msp_imagelist_opts o = {.w = FW, .h = FH, .c = 3, .resize = 1};
    int *per = NULL, k = 0;
    msp_err err = {{0}};
    cr_assert_eq(msp_imagelist_scan(P("list"), P("names"), &o, &per, &k, &err), MSP_OK, "%s",
                 err.msg);
    cr_assert_eq(k, 4);
    cr_assert_eq(per[0], 20);
    cr_assert_eq(per[1], 10);
    cr_assert_eq(per[2], 6);
    cr_assert_eq(per[3], 4);
    free(per);
    o.resize = 0; /* the grey cat-1.pgm into 3 channels, the first line */
    cr_assert_eq(msp_imagelist_scan(P("list"), P("names"), &o, &per, &k, &err), MSP_BAD_INPUT);
    cr_assert_null(per);
    cr_assert_not_null(strstr(err.msg, "list:1: image '"), "%s", err.msg);
}

/* ---- msprune's decoder against Darknet's load_image, and hostile files ---- */

/* A PNG by hand: IHDR, optional PLTE, one IDAT holding zlib(raw) (raw = the
 * filtered rows), IEND. adler != 0 is XORed into the zlib checksum's last
 * byte (the chunk CRC stays right); tail bytes follow the zlib stream. */
typedef struct png_spec {
    int w, h, depth, ctype, interlace;
    const unsigned char *plte;
    int plte_n;
    int adler;
    const unsigned char *tail;
    size_t tail_n;
} png_spec;

static size_t png_chunk(unsigned char *out, const char *type, const unsigned char *d, size_t n)
{
    unsigned char *p = out;
    *p++ = (unsigned char)(n >> 24), *p++ = (unsigned char)(n >> 16);
    *p++ = (unsigned char)(n >> 8), *p++ = (unsigned char)n;
    memcpy(p, type, 4);
    if (n) memcpy(p + 4, d, n);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), p, (uInt)(n + 4));
    p += 4 + n;
    *p++ = (unsigned char)(crc >> 24), *p++ = (unsigned char)(crc >> 16);
    *p++ = (unsigned char)(crc >> 8), *p++ = (unsigned char)crc;
    return (size_t)(p - out);
}

static void write_png_raw(const char *path, const png_spec *s, const unsigned char *raw, size_t n)
{
    static unsigned char file[1 << 16], z[1 << 15];
    unsigned char ihdr[13] = {0, 0, 0, (unsigned char)s->w, 0, 0, 0, (unsigned char)s->h,
                              (unsigned char)s->depth, (unsigned char)s->ctype, 0, 0,
                              (unsigned char)s->interlace};
    uLongf zn = sizeof z;
    cr_assert_eq(compress(z, &zn, raw, n), Z_OK);
    z[zn - 1] ^= (unsigned char)s->adler;
    cr_assert_lt(zn + s->tail_n, sizeof z);
    if (s->tail_n) memcpy(z + zn, s->tail, s->tail_n);
    size_t k = 8;
    memcpy(file, "\x89PNG\r\n\x1a\n", 8);
    k += png_chunk(file + k, "IHDR", ihdr, 13);
    if (s->plte) k += png_chunk(file + k, "PLTE", s->plte, 3 * (size_t)s->plte_n);
    k += png_chunk(file + k, "IDAT", z, zn + s->tail_n);
    k += png_chunk(file + k, "IEND", NULL, 0);
    write_file(path, file, k);
}

/* Sample values for an image of b bytes a row: a fixed pseudo-random pattern. */
static unsigned char sample(int x, int y, int salt) { return (unsigned char)((x * 37 + y * 101 + salt * 59) ^ (x * y)); }

/* Rows of rb bytes each, filter type (y % 5) applied to samples, bpp bytes a
 * pixel for the filters' left neighbour; raw gets h * (1 + rb) bytes. */
static size_t filtered_rows(unsigned char *raw, const unsigned char *img, int rb, int h, int bpp)
{
    size_t k = 0;
    for (int y = 0; y < h; y++) {
        int f = y % 5;
        raw[k++] = (unsigned char)f;
        for (int i = 0; i < rb; i++) {
            int a = i >= bpp ? img[y * rb + i - bpp] : 0, b = y > 0 ? img[(y - 1) * rb + i] : 0;
            int c = i >= bpp && y > 0 ? img[(y - 1) * rb + i - bpp] : 0;
            int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
            int paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            int pred[5] = {0, a, b, (a + b) / 2, paeth};
            raw[k++] = (unsigned char)(img[y * rb + i] - pred[f]);
        }
    }
    return k;
}

/* A w x h PNG of the given type with sample() pixels (indices below plte_n
 * for palette images), rows filtered with every filter type. */
static void write_png(const char *path, png_spec s)
{
    static unsigned char img[64 * 64 * 8], raw[64 * 65 * 8];
    int ch = (int[]){1, 0, 3, 1, 2, 0, 4}[s.ctype];
    int bits = ch * s.depth, rb = (s.w * bits + 7) / 8, bpp = bits >= 8 ? bits / 8 : 1;
    cr_assert(!s.interlace && rb * s.h <= (int)sizeof img);
    for (int y = 0; y < s.h; y++)
        for (int i = 0; i < rb; i++) {
            unsigned char v = sample(i, y, s.ctype);
            if (s.ctype == 3) { /* packed indices, each below plte_n */
                int per = 8 / s.depth;
                v = 0;
                for (int j = 0; j < per; j++)
                    v = (unsigned char)(v << s.depth | ((i * per + j + y) % s.plte_n));
            }
            img[y * rb + i] = v;
        }
    write_png_raw(path, &s, raw, filtered_rows(raw, img, rb, s.h, bpp));
}

static const unsigned char palette[3 * 7] = {0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30,
                                             200, 150, 100, 255, 255, 255};

/* msp_image_load at w x h (0: the image's own size) equals load_image bit for bit. */
static void assert_as_darknet(const char *path, int w, int h)
{
    dn_image ref = load_image((char *)path, w, h, 3);
    cr_assert(ref.data && ref.c == 3, "%s", path);
    float *mine = malloc(3 * sizeof(float) * (size_t)ref.w * ref.h);
    msp_err err = {{0}};
    cr_assert_eq(msp_image_load(path, ref.w, ref.h, 3, mine, &err), MSP_OK, "%s", err.msg);
    for (int i = 0; i < 3 * ref.w * ref.h; i++)
        cr_assert_eq(mine[i], ref.data[i], "%s at %dx%d: value %d is %.9g, Darknet %.9g", path,
                     ref.w, ref.h, i, mine[i], ref.data[i]);
    float *grey1 = malloc(sizeof(float) * (size_t)ref.w * ref.h);
    cr_assert_eq(msp_image_load(path, ref.w, ref.h, 1, grey1, &err), MSP_OK, "%s", err.msg);
    for (int i = 0; i < ref.w * ref.h; i++) {
        const float *r = ref.data;
        int n = ref.w * ref.h;
        if (r[i] == r[n + i] && r[i] == r[2 * n + i]) cr_assert_eq(grey1[i], r[i], "%s grey %d", path, i);
    }
    free(grey1);
    free(mine);
    free_image(ref);
}

static void assert_as_darknet_sizes(const char *path)
{
    assert_as_darknet(path, 0, 0);
    assert_as_darknet(path, 13, 9); /* up */
    assert_as_darknet(path, 3, 2);  /* down */
}

Test(imagelist, same_pixels_as_darknet_png)
{
    const png_spec specs[] = {
        {.w = 11, .h = 7, .depth = 8, .ctype = 2},  {.w = 11, .h = 7, .depth = 8, .ctype = 0},
        {.w = 11, .h = 7, .depth = 8, .ctype = 6},  {.w = 11, .h = 7, .depth = 8, .ctype = 4},
        {.w = 11, .h = 7, .depth = 16, .ctype = 2}, {.w = 11, .h = 7, .depth = 16, .ctype = 0},
        {.w = 11, .h = 7, .depth = 1, .ctype = 0},  {.w = 11, .h = 7, .depth = 4, .ctype = 0},
        {.w = 11, .h = 7, .depth = 8, .ctype = 3, .plte = palette, .plte_n = 7},
        {.w = 11, .h = 7, .depth = 2, .ctype = 3, .plte = palette, .plte_n = 4},
        {.w = 11, .h = 7, .depth = 4, .ctype = 3, .plte = palette, .plte_n = 7},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "cat-%zu.png", i);
        write_png(P(name), specs[i]);
        assert_as_darknet_sizes(P(name));
    }
    /* stb_image_write's choice of filters, and an Adam7-interlaced file (one
     * byte a row of each non-empty pass: a 1x1 grey image). */
    static unsigned char noise[23 * 17 * 3];
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (unsigned char)((i * 2654435761u) >> 13);
    cr_assert(stbi_write_png(P("cat-stb.png"), 23, 17, 3, noise, 23 * 3));
    assert_as_darknet_sizes(P("cat-stb.png"));
    const unsigned char one[2] = {0, 77};
    write_png_raw(P("cat-adam7.png"), &(png_spec){.w = 1, .h = 1, .depth = 8, .interlace = 1}, one, 2);
    assert_as_darknet_sizes(P("cat-adam7.png"));
}

Test(imagelist, same_pixels_as_darknet_bmp_pnm)
{
    static unsigned char noise[19 * 13 * 4];
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (unsigned char)((i * 2654435761u) >> 11);
    cr_assert(stbi_write_bmp(P("cat-24.bmp"), 19, 13, 3, noise));
    cr_assert(stbi_write_bmp(P("cat-32.bmp"), 19, 13, 4, noise));
    write_pnm(P("cat-grey.pgm"), 19, 13, 1, noise);
    write_pnm(P("cat-rgb.ppm"), 19, 13, 3, noise);
    /* 16 bits a sample: Darknet keeps the high byte (stb's 8-bit view does not). */
    static unsigned char p16[64 + 19 * 13 * 2];
    int k = snprintf((char *)p16, 64, "P5\n19 13\n65535\n");
    memcpy(p16 + k, noise, 19 * 13 * 2);
    write_file(P("cat-16.pgm"), p16, (size_t)k + 19 * 13 * 2);
    const char *files[] = {"cat-24.bmp", "cat-32.bmp", "cat-grey.pgm", "cat-rgb.ppm", "cat-16.pgm"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) assert_as_darknet_sizes(P(files[i]));
}

/* A 16-bit BMP with 4-4-4 colour masks: OpenCV cannot read it (Darknet
 * substituted a blank image), stb can, and its pixels are the 4-bit values
 * scaled to 8 bits. */
Test(imagelist, bmp_444)
{
    enum { W = 3, H = 2 };
    unsigned char f[14 + 40 + 12 + 2 * 4 * H] = {'B', 'M'};
    f[10] = 66, f[14] = 40, f[18] = W, f[22] = H, f[26] = 1, f[28] = 16, f[30] = 3;
    f[55] = 0x0f, f[58] = 0xf0, f[62] = 0x0f; /* masks 0xf00, 0xf0, 0xf */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int v = (x + 1) << 8 | (y + 5) << 4 | (x * 4 + y);
            f[66 + y * 8 + 2 * x] = (unsigned char)v, f[67 + y * 8 + 2 * x] = (unsigned char)(v >> 8);
        }
    write_file(P("cat-444.bmp"), f, sizeof f);
    float out[3 * W * H];
    msp_err err = {{0}};
    cr_assert_eq(msp_image_load(P("cat-444.bmp"), W, H, 3, out, &err), MSP_OK, "%s", err.msg);
    for (int y = 0; y < H; y++) /* BMP rows are stored bottom-up */
        for (int x = 0; x < W; x++) {
            int i = (H - 1 - y) * W + x;
            cr_assert_eq(out[i], px((unsigned char)(17 * (x + 1))));
            cr_assert_eq(out[W * H + i], px((unsigned char)(17 * (y + 5))));
            cr_assert_eq(out[2 * W * H + i], px((unsigned char)(17 * (x * 4 + y))));
        }
}

/* path must be refused as bad input, naming the file and containing why,
 * alone and from a list (at LIST:1), with no ./bad.list written. */
static void expect_hostile(const char *path, const char *why)
{
    char old[4096];
    cr_assert_not_null(getcwd(old, sizeof old));
    cr_assert_eq(chdir(dir), 0);
    static float out[3 * FW * FH];
    msp_err err = {{0}};
    msp_status s = msp_image_load(path, FW, FH, 3, out, &err);
    int bad_list = access("bad.list", F_OK) == 0;
    cr_assert_eq(chdir(old), 0);
    cr_assert_eq(s, MSP_BAD_INPUT, "%s: status %d: %s", path, s, err.msg);
    char want[4200];
    snprintf(want, sizeof want, "%s: image cannot be decoded (", path);
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "message\n  %s\nlacks\n  %s", err.msg, want);
    cr_assert_not_null(strstr(err.msg, why), "message\n  %s\nlacks\n  %s", err.msg, why);
    cr_assert_not(bad_list, "%s: ./bad.list was written", path);
    char list[4200];
    snprintf(list, sizeof list, "%s\n", path);
    write_text(P("list"), list);
    write_text(P("names"), "cat\n");
    msp_dataset d;
    cr_assert_eq(load_list(P("list"), P("names"), FW, FH, 3, 0, &d, &err), MSP_BAD_INPUT);
    snprintf(want, sizeof want, "%s:1: image '%s' cannot be decoded (", P("list"), path);
    cr_assert(strncmp(err.msg, want, strlen(want)) == 0, "message\n  %s\nlacks\n  %s", err.msg, want);
    cr_assert_not_null(strstr(err.msg, why), "%s", err.msg);
    assert_zeroed(&d);
}

/* An RGB 11x7 PNG whose zlib stream holds raw (n bytes) */
static void hostile_png(const char *name, const unsigned char *raw, size_t n, png_spec s)
{
    s.w = 11, s.h = 7, s.depth = 8;
    if (!s.ctype) s.ctype = 2;
    write_png_raw(P(name), &s, raw, n);
}

Test(imagelist, hostile_png)
{
    static unsigned char raw[7 * (1 + 11 * 3) + 64];
    const size_t n = 7 * (1 + 11 * 3);
    for (size_t i = 0; i < n; i++) raw[i] = i % 34 == 0 ? 0 : (unsigned char)(i * 7);
    hostile_png("cat-ok.png", raw, n, (png_spec){0});
    assert_as_darknet(P("cat-ok.png"), 0, 0);
    hostile_png("cat-adler.png", raw, n, (png_spec){.adler = 1});
    expect_hostile(P("cat-adler.png"), "PNG image data fails its Adler-32 check");
    hostile_png("cat-surplus.png", raw, n + 64, (png_spec){0});
    expect_hostile(P("cat-surplus.png"), "PNG image data is longer than its size needs");
    hostile_png("cat-short.png", raw, n - 1, (png_spec){0});
    expect_hostile(P("cat-short.png"), "PNG image data is shorter than its size needs");
    hostile_png("cat-after.png", raw, n, (png_spec){.tail = (const unsigned char *)"junk", .tail_n = 4});
    expect_hostile(P("cat-after.png"), "PNG image data continues after the end of its zlib stream");
    raw[34] = 5;
    hostile_png("cat-filter.png", raw, n, (png_spec){0});
    expect_hostile(P("cat-filter.png"), "PNG row has an unknown filter type");
    /* Palette: 7 entries, one index 7 (stb reads an uninitialised entry). */
    unsigned char pal[7 * 12];
    for (int y = 0; y < 7; y++) {
        pal[y * 12] = (unsigned char)(y % 5 == 1 ? 1 : 0);
        for (int x = 0; x < 11; x++) pal[y * 12 + 1 + x] = (unsigned char)(pal[y * 12] ? 0 : (x + y) % 7);
    }
    hostile_png("cat-pal.png", pal, sizeof pal, (png_spec){.ctype = 3, .plte = palette, .plte_n = 7});
    assert_as_darknet(P("cat-pal.png"), 0, 0);
    pal[6 * 12 + 5] = 7;
    hostile_png("cat-pal7.png", pal, sizeof pal, (png_spec){.ctype = 3, .plte = palette, .plte_n = 7});
    expect_hostile(P("cat-pal7.png"), "PNG palette index is beyond the palette's entries");
    /* Through the Sub filter of row 1: decoded index 0 + 7 = 7. */
    pal[6 * 12 + 5] = 0;
    pal[12 + 4] = 7;
    hostile_png("cat-pal-sub.png", pal, sizeof pal, (png_spec){.ctype = 3, .plte = palette, .plte_n = 7});
    expect_hostile(P("cat-pal-sub.png"), "PNG palette index is beyond the palette's entries");
}

Test(imagelist, hostile_jpeg_and_bmp)
{
    /* The 6x5 JPEG patched to claim 8192x4096: stb decodes it, padding the
     * missing data with zeros. */
    unsigned char j[sizeof flat_jpg];
    memcpy(j, flat_jpg, sizeof j);
    size_t sof = 0;
    while (!(j[sof] == 0xff && j[sof + 1] == 0xc0)) sof++;
    j[sof + 5] = 0x10, j[sof + 6] = 0; /* height 4096 */
    j[sof + 7] = 0x20, j[sof + 8] = 0; /* width 8192 */
    write_file(P("cat-big.jpg"), j, sizeof j);
    expect_hostile(P("cat-big.jpg"), "JPEG scan has less data than its size needs");
    write_file(P("cat-cut.jpg"), flat_jpg, sizeof flat_jpg - 2); /* no end-of-image marker */
    expect_hostile(P("cat-cut.jpg"), "JPEG ends before its end-of-image marker (truncated)");
    /* A 3-component frame whose only scan codes 1 component. */
    memcpy(j, flat_jpg, sizeof j);
    size_t sos = 0;
    while (!(j[sos] == 0xff && j[sos + 1] == 0xda)) sos++;
    static unsigned char one[sizeof flat_jpg];
    memcpy(one, j, sos);
    size_t k = sos;
    const unsigned char sos1[] = {0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00};
    memcpy(one + k, sos1, sizeof sos1);
    k += sizeof sos1;
    size_t hdr = 2 + (size_t)(j[sos + 2] << 8 | j[sos + 3]);
    memcpy(one + k, j + sos + hdr, sizeof flat_jpg - sos - hdr);
    k += sizeof flat_jpg - sos - hdr;
    write_file(P("cat-1comp.jpg"), one, k);
    expect_hostile(P("cat-1comp.jpg"), "JPEG leaves a colour component without data");
    /* A Huffman table of 16 x 255 codes: stb wrote past its arrays. */
    static unsigned char many[sizeof flat_jpg + 4200];
    memcpy(many, flat_jpg, 2);
    const unsigned char dht[] = {0xff, 0xc4, 0x10, 0x03, 0x00};
    memcpy(many + 2, dht, sizeof dht);
    memset(many + 2 + sizeof dht, 255, 16);
    memset(many + 2 + sizeof dht + 16, 1, 16 * 255);
    k = 2 + sizeof dht + 16 + 16 * 255;
    memcpy(many + k, flat_jpg + 2, sizeof flat_jpg - 2);
    write_file(P("cat-dht.jpg"), many, k + sizeof flat_jpg - 2);
    expect_hostile(P("cat-dht.jpg"), "JPEG Huffman table is malformed");
    /* The same after fill bytes before the start marker, which stb skips. */
    memmove(many + 3, many, k + sizeof flat_jpg - 2);
    many[0] = many[1] = many[2] = 0xff;
    write_file(P("cat-fill.jpg"), many, k + sizeof flat_jpg + 1);
    expect_hostile(P("cat-fill.jpg"), "JPEG Huffman table is malformed");
    /* BMP colour masks that overlap. */
    unsigned char f[14 + 40 + 12 + 8] = {'B', 'M'};
    f[10] = 66, f[14] = 40, f[18] = 1, f[22] = 1, f[26] = 1, f[28] = 16, f[30] = 3;
    f[55] = 0x0f, f[58] = 0xff, f[62] = 0x0f;
    write_file(P("cat-masks.bmp"), f, sizeof f);
    expect_hostile(P("cat-masks.bmp"), "BMP colour masks overlap or are not contiguous");
}

/* A w x h baseline grey JPEG by hand: one 1-bit Huffman code each for DC
 * difference 0 and end-of-block, so every 8x8 block is 2 bits (mid grey).
 * restart > 0: a restart marker after every `restart` blocks (each interval
 * padded to a byte), left out if !rst_markers; keep: entropy-coded bytes kept. */
static size_t hand_jpeg(unsigned char *out, int w, int h, int restart, int rst_markers, size_t keep)
{
    static const unsigned char head[] = {
        0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43, 0x00};
    size_t k = 0;
    memcpy(out, head, sizeof head);
    k = sizeof head;
    memset(out + k, 1, 64); /* quantisation table */
    k += 64;
    const unsigned char sof[] = {0xff, 0xc0, 0x00, 0x0b, 0x08, (unsigned char)(h >> 8), (unsigned char)h,
                                 (unsigned char)(w >> 8), (unsigned char)w, 0x01, 0x01, 0x11, 0x00};
    memcpy(out + k, sof, sizeof sof);
    k += sizeof sof;
    for (int ac = 0; ac < 2; ac++) {
        const unsigned char dht[] = {0xff, 0xc4, 0x00, 0x14, (unsigned char)(ac << 4), 1};
        memcpy(out + k, dht, sizeof dht);
        k += sizeof dht;
        memset(out + k, 0, 16); /* 15 more counts, then the symbol 0 */
        k += 16;
    }
    if (restart) {
        const unsigned char dri[] = {0xff, 0xdd, 0x00, 0x04, 0x00, (unsigned char)restart};
        memcpy(out + k, dri, sizeof dri);
        k += sizeof dri;
    }
    const unsigned char sos[] = {0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00};
    memcpy(out + k, sos, sizeof sos);
    k += sizeof sos;
    int blocks = ((w + 7) / 8) * ((h + 7) / 8), per = restart ? restart : blocks;
    size_t data = k;
    for (int first = 0, i = 0; first < blocks; first += per, i++) {
        int nb = blocks - first < per ? blocks - first : per; /* blocks of this interval */
        memset(out + k, 0, (size_t)(2 * nb + 7) / 8);
        k += (size_t)(2 * nb + 7) / 8;
        if (nb % 4) out[k - 1] = (unsigned char)(0xff >> (2 * (nb % 4))); /* 1-bit padding */
        if (rst_markers && first + per < blocks) out[k++] = 0xff, out[k++] = (unsigned char)(0xd0 + i % 8);
    }
    if (k - data > keep) k = data + keep;
    out[k++] = 0xff, out[k++] = 0xd9;
    return k;
}

Test(imagelist, jpeg_entropy_data_walked)
{
    static unsigned char j[4096];
    size_t n = hand_jpeg(j, 64, 40, 0, 1, SIZE_MAX);
    write_file(P("cat-hand.jpg"), j, n);
    assert_as_darknet(P("cat-hand.jpg"), 0, 0); /* libjpeg agrees: every pixel 128 */
    n = hand_jpeg(j, 64, 40, 3, 1, SIZE_MAX);
    write_file(P("cat-rst.jpg"), j, n);
    assert_as_darknet(P("cat-rst.jpg"), 0, 0);
    /* Cut to half its entropy-coded data and given its end marker back. */
    n = hand_jpeg(j, 64, 40, 0, 1, 5);
    write_file(P("cat-half.jpg"), j, n);
    expect_hostile(P("cat-half.jpg"), "JPEG scan has less data than its size needs");
    /* stb_image_write's 6x5 JPEG cut to 5 of its 10 entropy-coded bytes:
     * more than 2 bits a block are left, but not all of its codes. */
    size_t sos = 0;
    while (!(flat_jpg[sos] == 0xff && flat_jpg[sos + 1] == 0xda)) sos++;
    size_t data = sos + 2 + (size_t)(flat_jpg[sos + 2] << 8 | flat_jpg[sos + 3]);
    memcpy(j, flat_jpg, data + 5);
    j[data + 5] = 0xff, j[data + 6] = 0xd9;
    write_file(P("cat-flat-cut.jpg"), j, data + 7);
    expect_hostile(P("cat-flat-cut.jpg"), "JPEG scan has less data than its size needs");
    n = hand_jpeg(j, 64, 40, 3, 0, SIZE_MAX);
    write_file(P("cat-norst.jpg"), j, n);
    expect_hostile(P("cat-norst.jpg"), "JPEG restart marker is missing");
}

/* A path of 500+ bytes through folders; Darknet's loader copied a failing
 * path into a 256-byte stack buffer. */
Test(imagelist, long_path_bad_png)
{
    static char path[1024];
    int k = snprintf(path, sizeof path, "%s", dir);
    for (int i = 0; i < 5; i++) {
        k += snprintf(path + k, sizeof path - (size_t)k, "/%0100d", i);
        cr_assert_eq(mkdir(path, 0700), 0, "%s", path);
    }
    snprintf(path + k, sizeof path - (size_t)k, "/cat-adler.png");
    static unsigned char raw[7 * (1 + 11 * 3)];
    for (size_t i = 0; i < sizeof raw; i++) raw[i] = i % 34 == 0 ? 0 : (unsigned char)i;
    write_png_raw(path, &(png_spec){.w = 11, .h = 7, .depth = 8, .ctype = 2, .adler = 1}, raw, sizeof raw);
    cr_assert_gt(strlen(path), 500);
    expect_hostile(path, "PNG image data fails its Adler-32 check");
}
