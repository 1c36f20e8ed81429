/* bundle.h: the runtime/ room: deployment bundles for the device.
 *
 * What the room owns:
 *  - msprune.h: the public runtime API (opaque handle, no Darknet types);
 *  - bundle_load.c: manifest reading and verification (this header);
 *  - bundle_write.c: the manifest writer and file checksums;
 *  - deploy.c: `msprune deploy CONFIG --out DIR` (the bundle writer);
 *  - bundle_place.c: a bundle folder built aside and swapped in as a whole;
 *  - runtime.c: msprune_open / msprune_classify / msprune_close;
 *  - devprofile.c: device profiles measured (`msprune profile BUNDLE`; the
 *    file format is src/engine/devprofile.h's);
 *  - run_list.c: image lists read as the device reads them (`msprune run`).
 * The commands deploy, run and profile live in src/cli/. The device library
 * (libmsprune) is runtime.c, bundle_load.c and what they need below.
 *
 * Bundle layout (folder DIR):
 *   DIR/manifest.conf        the manifest (libconfig, below)
 *   DIR/nets/NAME.cfg        every network's Darknet cfg and weights
 *   DIR/nets/NAME.weights    (copied unfolded: batch norm is NOT folded)
 *   DIR/premodel.bin         the premodel file (selector/premodel.h)
 *   DIR/README               how to run it on the device
 * manifest.conf:
 *   version = 1;
 *   experiment = "NAME";
 *   input = { width = W; height = H; channels = C; };
 *   classes = ["T-shirt/top", ...];          (the base network's classes)
 *   networks = ( { name = "base"; cfg = "nets/base.cfg";
 *                  weights = "nets/base.weights"; outputs = [0, 1, ...];
 *                  latency_ms = F; flops = NL; }, ... );
 *     outputs[j] = the class of output j, -1 = "other"; networks[0] is the base
 *   premodel = { file = "premodel.bin"; kind = "logistic";
 *                features = "brightness,...";  (the feature set it was trained on)
 *              };
 *   safety = { fallback = 0; on_other = true; min_confidence = F; min_prob = F; };
 *     (fallback -1 = off; the rules of selector/label.h; min_prob is one
 *     number for every network or an array [F, ...] with one per network;
 *     optional chain = [J, ...]: the safety net's chain, network indices)
 *   files = ( { path = "nets/base.cfg"; size = NL; crc32 = NL; }, ... );
 * Meaning, as `run` relies on it: networks[0] is the base, whose output k is
 * class k (so there are as many class names as base outputs, and every class
 * is answered by one network at least); every network maps distinct classes
 * and at most one 'other' (-1), and answers one class at least; the fallback
 * has an output for every class and none for 'other'. Types are exact (an
 * integer is not a float nor a float an integer; array entries too). Class
 * names are non-empty, distinct, valid UTF-8 without control characters;
 * experiment, network and premodel kind names use [A-Za-z0-9._-].
 * Every file the manifest names must be listed in files, and every listed
 * file must have exactly that size and zlib CRC-32 (corruption, truncation;
 * not malice). The manifest itself has no checksum: it is checked on its
 * meaning alone. Paths: 1..MSP_BUNDLE_MAX_PATH of [A-Za-z0-9._-/], relative,
 * no "." or ".." component, no empty component, no symlink on the way.
 * Unknown keys are errors. Counts and lengths are bounded before any
 * allocation (MSP_BUNDLE_MAX_*), and every cfg goes through msprune's cfg
 * checker (src/dncfg/dncfg.h) before Darknet sees it.
 *
 * Conventions: msp_status + msp_err, "path:line: message", outputs zeroed on
 * failure, structs own their strings and arrays.
 */
#ifndef MSP_BUNDLE_H
#define MSP_BUNDLE_H

#include <stdint.h>

#include "engine/engine.h"
#include "data/data.h"
#include "selector/features.h"
#include "selector/label.h"
#include "base/base.h"

#define MSP_BUNDLE_VERSION 1
#define MSP_BUNDLE_MAX_MANIFEST (1u << 20)  /* bytes of manifest.conf */
#define MSP_BUNDLE_MAX_NETS 256
#define MSP_BUNDLE_MAX_CLASSES 65536
#define MSP_BUNDLE_MAX_FILES 1024
#define MSP_BUNDLE_MAX_PATH 255
#define MSP_BUNDLE_MAX_NAME 64
#define MSP_BUNDLE_MAX_SIDE 4096            /* input width, height */
#define MSP_BUNDLE_MAX_FILE_SIZE (1ULL << 32) /* bytes of one file */

typedef struct msp_bundle_net {
    char *name, *cfg, *weights;
    int n_outputs;
    int *outputs;  /* class per output, -1 = other */
    double latency_ms;
    int64_t flops;
} msp_bundle_net;

typedef struct msp_bundle_file {
    char *path;
    uint64_t size;
    uint32_t crc;
} msp_bundle_file;

typedef struct msp_bundle_manifest {
    char *experiment;
    int width, height, channels;
    int n_classes;
    char **classes;
    int n_nets;
    msp_bundle_net *nets;
    char *premodel_file, *premodel_kind;
    msp_fset features;
    msp_safety safety;
    int n_files;
    msp_bundle_file *files;
} msp_bundle_manifest;

/* Write DIR/manifest.conf atomically. */
msp_status msp_bundle_manifest_write(const char *dir, const msp_bundle_manifest *m, msp_err *err);
/* Read DIR/manifest.conf, validate its schema and bounds, confine every path
 * to DIR and verify every file's size and CRC-32. MSP_BAD_INPUT with
 * "DIR/manifest.conf:LINE: ..." or "DIR/FILE: ..." on any problem. */
msp_status msp_bundle_manifest_load(const char *dir, msp_bundle_manifest *m, msp_err *err);
void msp_bundle_manifest_free(msp_bundle_manifest *m);

/* Is p a path the manifest may name (the rule above)? NULL if so, else why not. */
const char *msp_bundle_path_problem(const char *p);

/* ---- bundle_place.c: a bundle folder replaced as a whole ----
 * deploy writes into "<out>.tmp.<pid>" beside out, then swaps it in: a
 * deploy killed at any point leaves at out the complete previous bundle or
 * the complete new one. */

/* May a bundle be deployed at out? It must be missing, an empty folder, or
 * a folder holding only what deploy writes (and temporary files of killed
 * writes); anything else (a file, a device, a symbolic link, a folder with
 * other files) is MSP_BAD_INPUT naming what is in the way. out has no
 * trailing '/'. */
msp_status msp_bundle_check_target(const char *out, msp_err *err);
/* Remove the temporary folders of killed deploys to out, then make a new
 * one with its nets/ folder; *tmp is the caller's to free. */
msp_status msp_bundle_tmp_make(const char *out, char **tmp, msp_err *err);
/* Put the complete bundle in folder tmp in place of out in one step, then
 * remove the previous bundle. On failure out is unchanged and tmp stays
 * for the caller to remove. */
msp_status msp_bundle_swap_in(const char *tmp, const char *out, msp_err *err);
/* Remove a folder and everything in it (symbolic links are not followed);
 * best effort. */
void msp_bundle_tmp_remove(const char *dir);

/* ---- deploy.c ---- */

typedef struct msp_deploy_opts {
    const char *premodel; /* kind to ship; NULL: summary.json's best, else the one file */
} msp_deploy_opts;

/* Make the bundle of an experiment (family, premodel, settings) in out_dir. */
msp_status msp_deploy(const msp_expconf *conf, const char *out_dir, const msp_deploy_opts *o,
                      msp_err *err);

/* ---- devprofile.c ---- */

/* Measure every network of the bundle in dir (batch 1, side by side) into *p. */
msp_status msp_devprofile_measure(const char *dir, int runs, int warmup, msp_devprofile *p,
                                  msp_err *err);

/* Is path a folder holding manifest.conf? */
int msp_is_bundle_dir(const char *path);

#endif
