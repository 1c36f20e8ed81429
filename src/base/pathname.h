/* pathname.h: the rules for names and relative paths that msprune reads
 * from manifests (family and bundle) and writes into them, so that a file
 * named there always stays inside the manifest's folder. */
#ifndef MSP_PATHNAME_H
#define MSP_PATHNAME_H

/* A plain name: only letters, digits, '.', '_' and '-', and not "." or "..".
 * It is safe as one file name and needs no quoting in messages. 1 or 0. */
int msp_is_plain_name(const char *s);

typedef enum msp_relpath_verdict {
    MSP_RELPATH_INSIDE = 0, /* relative, every component a real name */
    MSP_RELPATH_ABSOLUTE,   /* starts with '/' */
    MSP_RELPATH_EMPTY_PART, /* "" or a '//' or a trailing '/' */
    MSP_RELPATH_DOT_PART    /* a "." or ".." component */
} msp_relpath_verdict;

/* Does path p stay inside the folder it is relative to (checked as text:
 * symbolic links are the caller's concern)? The first problem, component
 * by component from the left. */
msp_relpath_verdict msp_relpath_check(const char *p);

#endif
