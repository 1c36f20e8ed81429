/* msprune.h: the msprune runtime, the one public header a device links
 * against (libmsprune.a or libmsprune.so, `pkg-config --cflags --libs msprune`).
 *
 * A bundle (made by `msprune deploy CONFIG --out DIR`) is a folder holding a
 * family of networks, a premodel that picks one of them per input, and a
 * manifest with every file's size and CRC-32. msprune_open verifies all of
 * it before anything is parsed by Darknet: a bundle that fails any check is
 * refused (MSPRUNE_BAD_INPUT) with a message saying what is wrong. CRC-32
 * plus size detects corruption and truncation, not deliberate tampering by
 * someone who can also rewrite the manifest.
 *
 * msprune_classify runs one image: the premodel's features, the premodel,
 * the network it picks, and the bundle's safety net (the fallback network
 * runs too when the premodel is unsure, or the chosen specialist answers
 * "other" or is unsure), and reports the class, the probabilities over the
 * bundle's classes, the network(s) used and the time of each step.
 *
 * Thread-safety: one handle is NOT safe to use from two threads at once
 * (Darknet networks keep their activations inside the network). Use one
 * handle per thread (each msprune_open loads its own copy); different
 * handles may run concurrently.
 *
 * Symbols: libmsprune.so exports the msprune_* functions below and one
 * more, gemm: the networks run partly in libdarknet, whose own calls to
 * gemm thereby reach msprune's OpenBLAS one instead of Darknet's naive loop
 * (in any program linking libmsprune, Darknet's gemm is this one).
 *
 * Return values: MSPRUNE_OK (0); MSPRUNE_FAIL (1) for I/O errors;
 * MSPRUNE_BAD_INPUT (2) for a bad bundle or bad arguments. On failure the
 * message goes to err (err_size bytes, always NUL-terminated; may be NULL).
 */
#ifndef MSPRUNE_H
#define MSPRUNE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MSPRUNE_OK 0
#define MSPRUNE_FAIL 1
#define MSPRUNE_BAD_INPUT 2

typedef struct msprune_bundle msprune_bundle; /* opaque */

typedef struct msprune_result {
    int class_id;        /* index into the bundle's classes; -1 = "other" (only
                            when the safety net is off and a specialist said so) */
    float confidence;    /* probs[class_id], 0 for "other" */
    int network;         /* the network whose answer was used */
    int chosen;          /* the network the premodel picked */
    int fallback;        /* 1 if the safety net's fallback network answered
                            instead of the chosen one */
    double premodel_confidence; /* the premodel's confidence in [0, 1] */
    /* Milliseconds (CLOCK_MONOTONIC); network_ms covers the chosen network and
     * the networks of the safety net's chain it handed the input to. */
    double features_ms, premodel_ms, network_ms, fallback_ms, total_ms;
} msprune_result;

/* Open and verify the bundle in folder dir. *out is NULL on failure. */
int msprune_open(const char *dir, msprune_bundle **out, char *err, size_t err_size);
void msprune_close(msprune_bundle *b);

/* The input the networks expect: pixels[channels * height * width], CHW
 * (planar), values in [0, 1]. */
void msprune_input_shape(const msprune_bundle *b, int *channels, int *height, int *width);
int msprune_classes(const msprune_bundle *b);
const char *msprune_class_name(const msprune_bundle *b, int class_id); /* NULL if out of range */
int msprune_networks(const msprune_bundle *b);
const char *msprune_network_name(const msprune_bundle *b, int network); /* NULL if out of range */

/* Classify one image of the bundle's input shape (c, h, w must match it).
 * probs (may be NULL) gets msprune_classes(b) probabilities: the answering
 * network's outputs mapped to the bundle's classes (classes it does not
 * output get 0; a specialist's "other" output is not among them). */
int msprune_classify(msprune_bundle *b, const float *pixels, int c, int h, int w,
                     msprune_result *r, float *probs, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif
