/* pathname.c: plain names and confined relative paths (pathname.h). */
#include <string.h>

#include "pathname.h"

int msp_is_plain_name(const char *s)
{
    if (!strcmp(s, ".") || !strcmp(s, "..")) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

msp_relpath_verdict msp_relpath_check(const char *p)
{
    if (p[0] == '/') return MSP_RELPATH_ABSOLUTE;
    for (const char *s = p;;) {
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == 0) return MSP_RELPATH_EMPTY_PART;
        if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
            return MSP_RELPATH_DOT_PART;
        if (!e) return MSP_RELPATH_INSIDE;
        s = e + 1;
    }
}
