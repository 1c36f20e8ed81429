/* confwrite.h: strings in the libconfig-syntax files msprune writes (family
 * and bundle manifests, device profiles, the specialisation plan).
 *
 * Those files are written with fprintf, not with libconfig's config_write:
 * they start with comments, keep a network's group on a few lines and print
 * floats as %.10e, none of which libconfig's writer can do, and the family
 * manifest must stay byte for byte what earlier versions wrote. */
#ifndef MSP_CONFWRITE_H
#define MSP_CONFWRITE_H

#include <stdio.h>

/* s as a libconfig string literal, quotes included (malloc'd; the caller
 * frees it). libconfig reads it back as exactly s: " and \ are escaped, as
 * are \n \t \f \r and the other control bytes (\xNN); bytes from 0x80 up
 * (UTF-8) are written as they are. */
char *msp_conf_quote(const char *s);

/* msp_conf_quote(s) written to f. */
void msp_conf_put_string(FILE *f, const char *s);

#endif
