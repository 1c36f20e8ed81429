/* fuzz_idx.c: libFuzzer harness for the IDX image/label loader (msp_idx_load),
 * raw or gzip.
 *
 * Input layout: byte 0 = class-count hint (mod 16, 0 = none), byte 1 = limit
 * (mod 8, 0 = all), bytes 2-3 = length L of the label file (big-endian,
 * clipped to what is left), then L bytes of label file, then the image file.
 * A loaded dataset must have the documented shape and value ranges; a failed
 * load leaves it zeroed.
 */
#include "data/dataset.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    int hint = data[0] % 16, limit = data[1] % 8;
    size_t nl = (size_t)data[2] << 8 | data[3];
    data += 4, size -= 4;
    if (nl > size) nl = size;
    const char *labels = fuzz_file("labels.idx", data, nl);
    const char *images = fuzz_file("images.idx", data + nl, size - nl);
    msp_err err = {{0}};
    msp_dataset d;
    msp_status st = msp_idx_load(images, labels, hint, limit, &d, &err);
    if (st != MSP_OK) {
        fuzz_check_failure(st, &err);
        FUZZ_REQUIRE(fuzz_zeroed(&d, sizeof d));
        return 0;
    }
    FUZZ_REQUIRE(d.n >= 1 && (limit == 0 || d.n <= limit));
    FUZZ_REQUIRE(d.c == 1 && d.w >= 1 && d.h >= 1 && d.class_names == NULL);
    FUZZ_REQUIRE(d.n_classes >= 1 && (hint == 0 || d.n_classes == hint));
    for (int i = 0; i < d.n; i++) FUZZ_REQUIRE(d.y[i] >= 0 && d.y[i] < d.n_classes);
    size_t total = (size_t)d.n * msp_dataset_example_size(&d);
    for (size_t i = 0; i < total; i++) FUZZ_REQUIRE(d.x[i] >= 0.f && d.x[i] <= 1.f);
    msp_dataset_free(&d);
    return 0;
}
