/* classify.c: the smallest program a device links against the installed
 * runtime (make test-install): open a bundle, classify a mid-grey image,
 * print the answer. Exit status: msprune_open's or msprune_classify's. */
#include <msprune.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: classify BUNDLE\n");
        return 2;
    }
    char err[1024];
    msprune_bundle *b;
    int rc = msprune_open(argv[1], &b, err, sizeof err);
    if (rc != MSPRUNE_OK) {
        fprintf(stderr, "classify: %s\n", err);
        return rc;
    }
    int c, h, w;
    msprune_input_shape(b, &c, &h, &w);
    float *px = malloc(sizeof(float) * (size_t)c * h * w), *probs = malloc(sizeof(float) * (size_t)msprune_classes(b));
    for (int i = 0; i < c * h * w; i++) px[i] = 0.5f;
    msprune_result r;
    rc = msprune_classify(b, px, c, h, w, &r, probs, err, sizeof err);
    if (rc == MSPRUNE_OK)
        printf("class %d (%s), network %s, %.3f ms\n", r.class_id,
               r.class_id >= 0 ? msprune_class_name(b, r.class_id) : "other",
               msprune_network_name(b, r.network), r.total_ms);
    else
        fprintf(stderr, "classify: %s\n", err);
    free(px);
    free(probs);
    msprune_close(b);
    return rc;
}
