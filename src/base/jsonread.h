/* jsonread.h: a small, strict JSON reader (RFC 8259) into a tree, for the
 * files msprune reads back (summary.json, eval-*.json, clusters.json).
 *
 * Strict: no comments, no trailing commas, no NaN/Infinity, no leading zeros,
 * no duplicate keys in one object, no raw control characters in strings,
 * valid UTF-8 only, "\u0000" refused (strings are C strings), one value per
 * document. Numbers are doubles (a number outside the double range is an
 * error, not infinity).
 *
 * Bounded: at most MSP_JSONREAD_MAX_BYTES of text, MSP_JSONREAD_MAX_DEPTH
 * nested arrays/objects; memory is linear in the input size. Never crashes on
 * any input (fuzzed under ASan in tests/unit/test_jsonread.c and by
 * tests/fuzz/fuzz_jsonread.c).
 *
 * Errors: MSP_BAD_INPUT with "PATH:LINE: message" (the line where the problem
 * is); MSP_FAIL for a read error. Every node records its line, so callers
 * report schema errors (wrong type, out of range) at the offending value.
 */
#ifndef MSP_JSONREAD_H
#define MSP_JSONREAD_H

#include <stddef.h>

#include "status.h"

#define MSP_JSONREAD_MAX_BYTES (64u << 20)
#define MSP_JSONREAD_MAX_DEPTH 64

typedef enum msp_jtype {
    MSP_JNULL = 0,
    MSP_JBOOL,
    MSP_JNUMBER,
    MSP_JSTRING,
    MSP_JARRAY,
    MSP_JOBJECT
} msp_jtype;

/* One value. A tree owns all its nodes and strings; free the root with
 * msp_jsonread_free. */
typedef struct msp_jval {
    msp_jtype type;
    int line;            /* 1-based line where the value starts */
    double num;          /* MSP_JNUMBER; MSP_JBOOL as 0 or 1 */
    char *str;           /* MSP_JSTRING, NUL-terminated UTF-8 */
    char *key;           /* member name when the parent is an object, else NULL */
    struct msp_jval *kid; /* MSP_JARRAY items / MSP_JOBJECT members, n of them */
    size_t n;
} msp_jval;

/* Parse len bytes of text (need not be NUL-terminated). path names the
 * source in messages. On success *root is a new tree; on failure NULL. */
msp_status msp_jsonread_parse(const char *text, size_t len, const char *path, msp_jval **root,
                              msp_err *err);
/* Read and parse a file. A missing file is MSP_BAD_INPUT "PATH: cannot open". */
msp_status msp_jsonread_file(const char *path, msp_jval **root, msp_err *err);
/* Free a tree; NULL is fine. */
void msp_jsonread_free(msp_jval *root);

/* "null", "boolean", "number", "string", "array", "object". */
const char *msp_jsonread_type_name(msp_jtype t);
/* The member of an object named key, or NULL (also when obj is not an object). */
const msp_jval *msp_jsonread_get(const msp_jval *obj, const char *key);

/* Schema helpers: fetch obj.key with its type checked, or fail with
 * MSP_BAD_INPUT "PATH:LINE: 'key' ..." (the line of the value, or of obj when
 * the key is missing). */
/* A number in [lo, hi]. If nullable, null (or a missing key) gives NAN. */
msp_status msp_jsonread_num(const msp_jval *obj, const char *key, double lo, double hi,
                            int nullable, const char *path, double *out, msp_err *err);
/* An integer (a number with no fraction) in [lo, hi]. */
msp_status msp_jsonread_int(const msp_jval *obj, const char *key, double lo, double hi,
                            const char *path, double *out, msp_err *err);
/* A string; *out points into the tree. */
msp_status msp_jsonread_str(const msp_jval *obj, const char *key, const char *path,
                            const char **out, msp_err *err);
/* A value of the given type (an array or object, usually) with at most max
 * entries when it is one; *out points into the tree. */
msp_status msp_jsonread_typed(const msp_jval *obj, const char *key, msp_jtype type, size_t max,
                              const char *path, const msp_jval **out, msp_err *err);

#endif
