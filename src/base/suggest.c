/* suggest.c: edit distance and nearest-candidate lookup. */
#include <ctype.h>
#include <string.h>

#include "suggest.h"

#define MAX_WORD 64
#define FAR 1000000

int msp_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > MAX_WORD || m > MAX_WORD) return FAR;
    int d[MAX_WORD + 1][MAX_WORD + 1];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int ai = tolower((unsigned char)a[i - 1]), bj = tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + (ai != bj);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

int msp_plausible_typo(const char *word, int distance)
{
    int len = (int)strlen(word);
    int limit = len <= 4 ? 1 : len <= 7 ? 2 : 3;
    return distance <= limit && distance < len;
}

const char *msp_nearest(const char *word, const char *const *list)
{
    const char *best = NULL;
    int best_d = FAR;
    for (; *list; list++) {
        int d = msp_edit_distance(word, *list);
        if (d < best_d) {
            best_d = d;
            best = *list;
        }
    }
    return best && msp_plausible_typo(word, best_d) ? best : NULL;
}
