/* reportcheck.c: checks for `make test-browser`: the screenshot headless
 * Chromium took of report.html is not blank and shows the plots' colours,
 * and in the DOM Chromium built every <svg> holds drawn shapes. With a
 * narrow window too: its screenshot has the window's width and nothing drawn
 * at the right edge, and widthprobe.js (run on a copy of the page) found
 * nothing past the window's width outside the tables' scroll boxes.
 *   reportcheck SCREENSHOT.png DOM.html MIN_SVGS [NARROW.png PROBE_DOM.html WIDTH]
 * Prints what it measured; exits 1 on any failed check, 2 on bad usage. */
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails;

static void check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    fails += !ok;
}

/* Pixels within 3 per channel of colour #rrggbb: only solid SVG fills match. */
static long count_colour(const unsigned char *px, long n, unsigned rgb)
{
    int r = (int)(rgb >> 16), g = (int)(rgb >> 8 & 255), b = (int)(rgb & 255);
    long c = 0;
    for (long i = 0; i < n; i++) {
        const unsigned char *p = px + 3 * i;
        c += abs(p[0] - r) <= 3 && abs(p[1] - g) <= 3 && abs(p[2] - b) <= 3;
    }
    return c;
}

static void check_png(const char *path)
{
    int w, h, ch;
    unsigned char *px = stbi_load(path, &w, &h, &ch, 3);
    if (!px) {
        check(0, "screenshot decodes as PNG");
        return;
    }
    long n = (long)w * h, ink = 0;
    static unsigned char seen[1 << 15];
    long colours = 0;
    for (long i = 0; i < n; i++) {
        const unsigned char *p = px + 3 * i;
        ink += p[0] < 240 || p[1] < 240 || p[2] < 240;
        unsigned q = (unsigned)(p[0] >> 3) << 10 | (unsigned)(p[1] >> 3) << 5 | (unsigned)(p[2] >> 3);
        if (!seen[q]) seen[q] = 1, colours++;
    }
    char msg[200];
    snprintf(msg, sizeof msg, "screenshot %dx%d (want at least 1000x2000)", w, h);
    check(w >= 1000 && h >= 2000, msg);
    snprintf(msg, sizeof msg, "non-white pixels %.1f%% (want at least 3%%)", 100.0 * ink / n);
    check(ink * 100 >= n * 3, msg);
    snprintf(msg, sizeof msg, "distinct colours %ld (want at least 100)", colours);
    check(colours >= 100, msg);
    static const struct {
        unsigned rgb;
        const char *what;
    } plot[] = {{0x0072b2, "blue markers and bars"},
                {0xd55e00, "selector markers"},
                {0x009e73, "oracle marker and bars"},
                {0x08306b, "heat map maximum cells"},
                {0xaaaaaa, "base-network bars"}};
    for (size_t i = 0; i < sizeof plot / sizeof *plot; i++) {
        long c = count_colour(px, n, plot[i].rgb);
        snprintf(msg, sizeof msg, "%ld pixels of #%06x, %s (want at least 50)", c, plot[i].rgb,
                 plot[i].what);
        check(c >= 50, msg);
    }
    stbi_image_free(px);
}

static int count_in(const char *s, const char *end, const char *sub)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, sub)) && p < end; p += strlen(sub)) n++;
    return n;
}

static void check_dom(const char *path, int min_svgs)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        check(0, "DOM dump readable");
        return;
    }
    static char buf[16 << 20];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    char msg[200];
    check(strstr(buf, "<h1>msprune report") != NULL, "DOM has the report's title");
    check(strstr(buf, "<script") == NULL, "DOM has no <script>");
    int svgs = 0, empty = 0;
    for (const char *p = buf; (p = strstr(p, "<svg")); svgs++) {
        const char *e = strstr(p, "</svg>");
        if (!e) break;
        /* Shapes beyond the background rectangle. */
        int shapes = count_in(p, e, "<circle") + count_in(p, e, "<rect") +
                     count_in(p, e, "<path") + count_in(p, e, "<polyline") - 1;
        if (shapes < 3) empty++;
        p = e;
    }
    snprintf(msg, sizeof msg, "%d <svg> elements (want at least %d)", svgs, min_svgs);
    check(svgs >= min_svgs, msg);
    snprintf(msg, sizeof msg, "%d <svg> with fewer than 3 shapes (want 0)", empty);
    check(empty == 0, msg);
}

/* The narrow screenshot: the window's width, some ink, and its right edge
 * (the page's margin) blank on every row: nothing cut off there. */
static void check_narrow_png(const char *path, int width)
{
    int w, h, ch;
    unsigned char *px = stbi_load(path, &w, &h, &ch, 3);
    char msg[200];
    if (!px) {
        check(0, "narrow screenshot decodes as PNG");
        return;
    }
    snprintf(msg, sizeof msg, "narrow screenshot %dx%d (want width %d)", w, h, width);
    check(w == width && h >= 1000, msg);
    long ink = 0, edge_ink = 0, first_row = -1;
    for (long y = 0; y < h; y++)
        for (long x = 0; x < w; x++) {
            const unsigned char *p = px + 3 * (y * w + x);
            int dark = p[0] < 240 || p[1] < 240 || p[2] < 240;
            ink += dark;
            if (x >= w - 8 && dark) {
                edge_ink++;
                if (first_row < 0) first_row = y;
            }
        }
    snprintf(msg, sizeof msg, "narrow screenshot: non-white pixels %.1f%% (want at least 3%%)",
             100.0 * ink / ((double)w * h));
    check(ink * 100 >= (long)w * h * 3, msg);
    snprintf(msg, sizeof msg,
             "narrow screenshot: %ld non-white pixels in the rightmost 8 columns (want 0; first "
             "on row %ld)",
             edge_ink, first_row);
    check(edge_ink == 0, msg);
    stbi_image_free(px);
}

/* widthprobe.js's line: "innerWidth=W scrollWidth=S overflowing=N first=... end". */
static void check_probe(const char *path, int width)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        check(0, "width probe DOM readable");
        return;
    }
    static char buf[16 << 20];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    /* The script's own text holds "innerWidth=' + w"; the result has digits. */
    const char *p = buf;
    int inner = -1, scroll = -1, over = -1;
    char first[400] = "";
    while ((p = strstr(p, "innerWidth="))) {
        if (sscanf(p, "innerWidth=%d scrollWidth=%d overflowing=%d first=%399[^<]", &inner, &scroll,
                   &over, first) == 4 || sscanf(p, "innerWidth=%d scrollWidth=%d overflowing=%d",
                                                &inner, &scroll, &over) == 3)
            break;
        p++;
    }
    char msg[600];
    snprintf(msg, sizeof msg, "width probe ran: window %d px wide (want %d)", inner, width);
    check(inner == width, msg);
    snprintf(msg, sizeof msg, "document scroll width %d px (want at most the window's %d)", scroll,
             inner);
    check(scroll >= 0 && scroll <= inner, msg);
    snprintf(msg, sizeof msg, "%d elements past the window's edge outside scroll boxes (want 0) %s",
             over, first);
    check(over == 0, msg);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 7) {
        fprintf(stderr, "usage: reportcheck SCREENSHOT.png DOM.html MIN_SVGS "
                        "[NARROW.png PROBE_DOM.html WIDTH]\n");
        return 2;
    }
    check_png(argv[1]);
    check_dom(argv[2], atoi(argv[3]));
    if (argc == 7) {
        check_narrow_png(argv[4], atoi(argv[6]));
        check_probe(argv[5], atoi(argv[6]));
    }
    printf("%s\n", fails ? "report browser test FAILED" : "report browser test passed");
    return fails ? 1 : 0;
}
