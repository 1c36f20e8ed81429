/* fuzz_imagelist.c: libFuzzer harness for the image-list loader
 * (msp_imagelist_load): names file, list file and one image file.
 *
 * Input layout: byte 0 = options (bit 0: 3 channels else 1; bits 1-2: limit,
 * 0 = all), then the names file, a NUL, the list file, a NUL, and the bytes
 * of the image file "pic" (in the harness's folder, which is made the
 * current folder during the call, so list lines name it as "pic").
 *
 * Darknet's resize_image and free_image (all the image code of Darknet that
 * msprune uses) are replaced by stubs here (nearest-neighbour resize): the
 * harness needs no libdarknet, and what is fuzzed is msprune's own checks and
 * its stb decode. Every pixel that comes back must be in [0, 1].
 */
#include <fcntl.h>

#include "darknet.h"
#include "data/dataset.h"
#include "fuzz_common.h"

image resize_image(image im, int w, int h)
{
    image r = {w, h, im.c, malloc((size_t)w * h * im.c * sizeof(float))};
    FUZZ_REQUIRE(r.data != NULL);
    for (int k = 0; k < im.c; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                r.data[(k * h + y) * w + x] =
                    im.data[(k * im.h + y * im.h / h) * im.w + x * im.w / w];
    return r;
}

void free_image(image m)
{
    free(m.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    int c = data[0] & 1 ? 3 : 1, limit = (data[0] >> 1) & 3;
    data++, size--;
    const uint8_t *nul1 = memchr(data, 0, size);
    if (!nul1) return 0;
    const uint8_t *list = nul1 + 1;
    const uint8_t *nul2 = memchr(list, 0, size - (size_t)(list - data));
    if (!nul2) return 0;
    const uint8_t *pic = nul2 + 1;
    const char *names = fuzz_file("names", data, (size_t)(nul1 - data));
    const char *lpath = fuzz_file("list", list, (size_t)(nul2 - list));
    fuzz_file("pic", pic, size - (size_t)(pic - data));

    /* libFuzzer reads its next input by relative path: come back after. */
    int here = open(".", O_RDONLY | O_DIRECTORY);
    FUZZ_REQUIRE(here >= 0 && chdir(fuzz_dir()) == 0);
    msp_err err = {{0}};
    msp_dataset d;
    /* resize: any image that decodes gets through, as far as the decoder goes */
    msp_imagelist_opts o = {.w = 5, .h = 3, .c = c, .resize = 1, .limit = limit, .seed = 1};
    msp_status st = msp_imagelist_load(lpath, names, &o, &d, &err);
    FUZZ_REQUIRE(fchdir(here) == 0 && close(here) == 0);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(fuzz_zeroed(&d, sizeof d));
        return 0;
    }
    FUZZ_REQUIRE(d.n >= 1 && (limit == 0 || d.n <= limit));
    FUZZ_REQUIRE(d.w == 5 && d.h == 3 && d.c == c && d.class_names && d.n_classes >= 1);
    for (int i = 0; i < d.n; i++) FUZZ_REQUIRE(d.y[i] >= 0 && d.y[i] < d.n_classes);
    size_t total = (size_t)d.n * msp_dataset_example_size(&d);
    for (size_t i = 0; i < total; i++) FUZZ_REQUIRE(d.x[i] >= 0.f && d.x[i] <= 1.f);
    msp_dataset_free(&d);
    return 0;
}
