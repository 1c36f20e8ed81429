/* json.h: the little msprune needs to write JSON by hand with fprintf. */
#ifndef MSP_JSON_H
#define MSP_JSON_H

#include <stdio.h>

/* Write s as a quoted JSON string with escapes. */
void msp_json_string(FILE *f, const char *s);
/* Write a finite double (non-finite values become null). */
void msp_json_number(FILE *f, double x);

#endif
