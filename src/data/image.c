/* image.c: the one image decoder of msprune.
 *
 * Every image msprune reads (image lists for training and evaluation, and
 * `msprune run BUNDLE IMAGE...`) goes through msp_image_load_at: the file is
 * checked, decoded once with a private stb_image, and laid out as Darknet's
 * load_image lays it out (CHW planes, RGB order, each value byte/255.), then
 * resized with Darknet's resize_image, which only computes on pixels. Darknet
 * never gets an image path: its path loader (OpenCV) wrote a failing path
 * into a 256-byte stack buffer, ran it through the shell to append it to
 * ./bad.list, and carried on with a blank 10x10 image.
 *
 * For PNG, BMP and binary PNM the pixels equal what Darknet's OpenCV loader
 * gave (16-bit samples keep their high byte, alpha is dropped, grey is
 * replicated to RGB; the unit tests compare with load_image). JPEG pixels
 * may differ from libjpeg's by its different IDCT and upsampling rounding,
 * and the EXIF orientation is not applied.
 *
 * stb_image is lenient where a reader of untrusted files must not be. Before
 * stb decodes, the container is checked here:
 *  - PNG: every chunk CRC; IHDR first and consistent; a palette image has a
 *    PLTE; IDAT chunks consecutive. The image data is inflated (zlib checks
 *    its Adler-32) and must be exactly as long as size, bit depth, colour
 *    type and interlacing need, with nothing after the zlib stream; every
 *    row's filter type is 0-4, and palette indices are below the number of
 *    PLTE entries (stb would read uninitialised palette entries).
 *  - JPEG: the marker structure up to the end-of-image marker (so a cut file
 *    is refused), Huffman tables of at most 256 codes (stb overruns its
 *    arrays on more), one frame of a kind stb decodes, every component coded
 *    by some scan (stb would leave it uninitialised), and enough entropy-coded
 *    data (stb pads missing data with zeros). Sequential scans are walked
 *    code by code (no pixels), so running out of data, a missing restart
 *    marker or an undefined code is found exactly. Progressive scans get a
 *    sound lower bound: a DC scan has at least 1 bit a block (a Huffman code
 *    is at least 1 bit; a refinement is 1 bit); AC scans have none (one
 *    end-of-band run covers up to 32767 blocks), so a progressive file cut
 *    inside an AC scan and given a new end marker can still pass.
 *  - PNM, BMP: the pixel data is all there (stb pads short files with
 *    zeros); BMP colour masks are contiguous and disjoint.
 * The PNM and JPEG checks come before stb reads the header (its header
 * parsers are unsafe on those), the PNG and BMP ones once the size is
 * known to be within the limits.
 * stb is restricted to PNG, JPEG, BMP and binary PNM, and compiled private
 * (STB_IMAGE_STATIC): libdarknet.so exports its own older stbi_* symbols.
 *
 * Limits: source images up to IMG_MAX_SIDE per side and IMG_MAX_PIXELS
 * pixels. Memory: stb's decoded bytes plus the float image (12 bytes a
 * pixel), and Darknet's resize buffers; the checks stream the file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "darknet.h"
#include "dataset.h"

#define IMG_MAX_SIDE (1 << 14)
#define IMG_MAX_PIXELS (1 << 25)

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_MAX_DIMENSIONS IMG_MAX_SIDE
/* Unused-function stays off for the whole file: with STBI_ONLY_*, stb leaves
 * static prototypes undefined and GCC reports them at the end of the file. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

/* ---- PNM ---------------------------------------------------------------- */

static int is_pnm_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

static int pnm_int(FILE *f, long *v)
{
    int ch;
    for (;;) {
        ch = getc(f);
        if (ch == '#')
            while (ch != '\n' && ch != EOF) ch = getc(f);
        else if (!is_pnm_space(ch))
            break;
    }
    if (ch < '0' || ch > '9') return 0;
    *v = 0;
    for (int digits = 0; ch >= '0' && ch <= '9'; ch = getc(f)) {
        if (++digits > 9) return 0;
        *v = *v * 10 + (ch - '0');
    }
    /* The single whitespace after the last number starts the pixel data. */
    return is_pnm_space(ch);
}

static const char *check_pnm(FILE *f, long long size)
{
    int p = getc(f), kind = getc(f);
    long w, h, maxval;
    if (p != 'P' || (kind != '5' && kind != '6')) return "not a binary PGM/PPM";
    if (!pnm_int(f, &w) || !pnm_int(f, &h) || !pnm_int(f, &maxval) || maxval < 1 ||
        maxval > 65535 || w > IMG_MAX_SIDE || h > IMG_MAX_SIDE)
        return "bad PGM/PPM header";
    long long need = ftell(f) + (long long)w * h * (kind == '6' ? 3 : 1) * (maxval > 255 ? 2 : 1);
    return size < need ? "PGM/PPM pixel data is truncated" : NULL;
}

/* ---- BMP ---------------------------------------------------------------- */

/* A colour mask stb can scale: one run of set bits. */
static int mask_contiguous(uint32_t m)
{
    if (m == 0) return 1;
    m >>= __builtin_ctz(m);
    return (m & (m + 1)) == 0;
}

/* BI_BITFIELDS masks (after the 40-byte header, or inside a V4/V5 one). */
static const char *check_bmp_masks(FILE *f, uint32_t dib)
{
    unsigned char m[16] = {0};
    size_t n = dib >= 108 ? 16 : 12;
    if (fseek(f, 14 + 40, SEEK_SET) != 0 || fread(m, 1, n, f) != n)
        return "BMP header is truncated";
    uint32_t r = le32(m), g = le32(m + 4), b = le32(m + 8), a = le32(m + 12);
    if (!mask_contiguous(r) || !mask_contiguous(g) || !mask_contiguous(b) || !mask_contiguous(a) ||
        (r & g) || (r & b) || (g & b) || ((r | g | b) & a))
        return "BMP colour masks overlap or are not contiguous";
    return NULL;
}

static const char *check_bmp(FILE *f, long long size)
{
    unsigned char b[34];
    if (fread(b, 1, sizeof b, f) != sizeof b) return "BMP header is truncated";
    uint32_t off = le32(b + 10), dib = le32(b + 14), comp = 0;
    long long w, h, bpp;
    if (dib == 12) {
        w = b[18] | b[19] << 8;
        h = b[20] | b[21] << 8;
        bpp = b[24] | b[25] << 8;
    } else {
        w = (int32_t)le32(b + 18);
        h = (int32_t)le32(b + 22);
        bpp = b[28] | b[29] << 8;
        comp = le32(b + 30);
    }
    if (w < 0) w = -w;
    if (h < 0) h = -h;
    if (w > IMG_MAX_SIDE || h > IMG_MAX_SIDE) return "bad BMP header";
    /* RLE (1, 2) stb refuses itself; any other value it reads as
     * uncompressed, padding a short file with zeros (found by fuzzing). */
    if (comp == 1 || comp == 2) return NULL;
    if (comp != 0 && comp != 3 && comp != 6) return "unsupported BMP compression";
    if (comp == 3 && dib >= 40) {
        const char *why = check_bmp_masks(f, dib);
        if (why) return why;
    }
    long long need = (long long)off + ((bpp * w + 31) / 32) * 4 * h;
    return size < need ? "BMP pixel data is truncated" : NULL;
}

/* ---- PNG ---------------------------------------------------------------- */

/* The image data stream of a PNG, walked row by row as it is inflated. */
typedef struct png_walk {
    uint32_t w, h;
    int depth, ctype, interlace;
    int bits;            /* bits per pixel */
    int plte;            /* PLTE entries, 0 if none */
    int idat;            /* 0 before the IDAT chunks, 1 inside them, 2 after */
    z_stream z;
    int z_init, z_end;
    int pass;            /* Adam7 pass (0 when not interlaced); 7 = all rows read */
    uint32_t pw, ph;     /* this pass's pixels per row and rows */
    uint32_t row;        /* row of the pass being read */
    size_t rowbytes;     /* bytes of a row after its filter-type byte */
    size_t pos;          /* bytes of the current row read, filter byte included */
    int filter;          /* the current row's filter type */
    unsigned char *cur, *prev; /* unfiltered rows (palette images only) */
} png_walk;

static const unsigned char adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                          {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

/* Move to the next pass with pixels (or the only one); pass 7 = done. */
static void png_next_pass(png_walk *p, int pass)
{
    for (; pass < 7; pass++) {
        uint32_t x0 = 0, y0 = 0, dx = 1, dy = 1;
        if (p->interlace) {
            x0 = adam7[pass][0], y0 = adam7[pass][1], dx = adam7[pass][2], dy = adam7[pass][3];
        }
        p->pw = p->w > x0 ? (p->w - x0 + dx - 1) / dx : 0;
        p->ph = p->h > y0 ? (p->h - y0 + dy - 1) / dy : 0;
        if (p->pw > 0 && p->ph > 0) break;
        if (!p->interlace) break;
    }
    p->pass = pass;
    p->row = 0;
    p->pos = 0;
    p->rowbytes = ((size_t)p->pw * (size_t)p->bits + 7) / 8;
    if (p->prev) memset(p->prev, 0, p->rowbytes);
}

static int paeth(int a, int b, int c)
{
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undo the row filter on one byte of a palette image (one byte a pixel or
 * less, so the left neighbour is the previous byte). */
static void png_unfilter(png_walk *p, size_t i, unsigned char v)
{
    int a = i > 0 ? p->cur[i - 1] : 0, b = p->prev[i], c = i > 0 ? p->prev[i - 1] : 0;
    int pred[5] = {0, a, b, (a + b) / 2, paeth(a, b, c)};
    p->cur[i] = (unsigned char)(v + pred[p->filter]);
}

static const char *png_check_indices(const png_walk *p)
{
    for (uint32_t x = 0; x < p->pw; x++) {
        size_t bit = (size_t)x * (size_t)p->depth;
        int idx = (p->cur[bit / 8] >> (8 - p->depth - (int)(bit % 8))) & ((1 << p->depth) - 1);
        if (idx >= p->plte) return "PNG palette index is beyond the palette's entries";
    }
    return NULL;
}

static const char *png_end_row(png_walk *p)
{
    if (p->ctype == 3) {
        const char *why = png_check_indices(p);
        if (why) return why;
        unsigned char *t = p->cur;
        p->cur = p->prev;
        p->prev = t;
    }
    p->pos = 0;
    if (++p->row == p->ph) png_next_pass(p, p->interlace ? p->pass + 1 : 7);
    return NULL;
}

/* Consume n inflated bytes of the image data. */
static const char *png_rows(png_walk *p, const unsigned char *d, size_t n)
{
    while (n > 0) {
        if (p->pass == 7) return "PNG image data is longer than its size needs";
        if (p->pos == 0) {
            if (*d > 4) return "PNG row has an unknown filter type";
            p->filter = *d++;
            n--;
            p->pos = 1;
        }
        size_t take = p->rowbytes + 1 - p->pos;
        if (take > n) take = n;
        if (p->ctype == 3)
            for (size_t i = 0; i < take; i++) png_unfilter(p, p->pos - 1 + i, d[i]);
        d += take;
        n -= take;
        p->pos += take;
        if (p->pos == p->rowbytes + 1) {
            const char *why = png_end_row(p);
            if (why) return why;
        }
    }
    return NULL;
}

static const char *png_inflate(png_walk *p, const unsigned char *in, size_t n)
{
    unsigned char out[1 << 15];
    if (p->z_end) return n > 0 ? "PNG image data continues after the end of its zlib stream" : NULL;
    p->z.next_in = (Bytef *)in;
    p->z.avail_in = (uInt)n;
    for (;;) {
        p->z.next_out = out;
        p->z.avail_out = sizeof out;
        int r = inflate(&p->z, Z_NO_FLUSH);
        if (r == Z_DATA_ERROR && p->z.msg && strcmp(p->z.msg, "incorrect data check") == 0)
            return "PNG image data fails its Adler-32 check: the file is corrupt";
        if (r != Z_OK && r != Z_STREAM_END && r != Z_BUF_ERROR)
            return "PNG image data is not a valid zlib stream: the file is corrupt";
        const char *why = png_rows(p, out, sizeof out - p->z.avail_out);
        if (why) return why;
        if (r == Z_STREAM_END) {
            p->z_end = 1;
            return p->z.avail_in > 0 ? "PNG image data continues after the end of its zlib stream"
                                     : NULL;
        }
        if (p->z.avail_in == 0 && p->z.avail_out != 0) return NULL;
    }
}

static const char *png_header(png_walk *p, const unsigned char *d, uint32_t len)
{
    if (len != 13) return "PNG IHDR chunk has the wrong length";
    if (p->bits) return "PNG has more than one IHDR chunk";
    p->w = be32(d);
    p->h = be32(d + 4);
    p->depth = d[8];
    p->ctype = d[9];
    p->interlace = d[12];
    static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
    int dp = p->depth, ct = p->ctype;
    int ok = ct <= 6 && channels[ct] &&
             (dp == 8 || (dp == 16 && ct != 3) || ((dp == 1 || dp == 2 || dp == 4) && (ct == 0 || ct == 3)));
    if (!ok || d[10] != 0 || d[11] != 0 || p->interlace > 1)
        return "PNG header has an unsupported bit depth, colour type or method";
    if (p->w < 1 || p->h < 1 || p->w > IMG_MAX_SIDE || p->h > IMG_MAX_SIDE)
        return "PNG header has a bad size";
    p->bits = channels[ct] * dp;
    if (ct == 3) {
        p->cur = msp_calloc((size_t)p->w + 1, 1);
        p->prev = msp_calloc((size_t)p->w + 1, 1);
    }
    png_next_pass(p, 0);
    return NULL;
}

/* One chunk's payload, given in pieces (IDAT is inflated as it is read). */
static const char *png_chunk(png_walk *p, const unsigned char *type, const unsigned char *d,
                             uint32_t len, int first_piece)
{
    int is_idat = memcmp(type, "IDAT", 4) == 0;
    if (first_piece && p->idat == 1 && !is_idat) p->idat = 2;
    if (memcmp(type, "IHDR", 4) == 0) return png_header(p, d, len);
    if (memcmp(type, "PLTE", 4) == 0 && first_piece) {
        if (p->plte || len % 3 != 0 || len == 0 || len > 768)
            return "PNG palette (PLTE) is malformed";
        p->plte = (int)(len / 3);
    }
    if (!is_idat) return NULL;
    if (p->idat == 2) return "PNG image data (IDAT) is split by other chunks";
    if (p->ctype == 3 && !p->plte) return "PNG palette image has no palette (PLTE) before its data";
    if (!p->z_init) {
        if (inflateInit(&p->z) != Z_OK) return "out of memory for PNG image data";
        p->z_init = 1;
    }
    p->idat = 1;
    return png_inflate(p, d, len);
}

static const char *png_finish(const png_walk *p)
{
    if (!p->z_init) return "PNG has no image data (IDAT)";
    if (p->pass != 7) return "PNG image data is shorter than its size needs";
    if (!p->z_end) return "PNG image data's zlib stream does not end";
    return NULL;
}

/* Chunk by chunk to IEND, CRCs checked (stb ignores them; libpng does not). */
static const char *png_walk_chunks(FILE *f, png_walk *p)
{
    unsigned char buf[1 << 14];
    if (fread(buf, 1, 8, f) != 8) return "PNG signature is truncated";
    for (int first = 1;; first = 0) {
        unsigned char head[8];
        if (fread(head, 1, 8, f) != 8) return "PNG ends without an IEND chunk";
        uint32_t len = be32(head);
        if (len > 0x7fffffffu) return "PNG chunk length is out of range";
        if (first != (memcmp(head + 4, "IHDR", 4) == 0)) return "PNG does not start with IHDR";
        if (memcmp(head + 4, "IHDR", 4) == 0 && len != 13) return "PNG IHDR chunk has the wrong length";
        uLong crc = crc32(crc32(0L, Z_NULL, 0), head + 4, 4);
        int iend = memcmp(head + 4, "IEND", 4) == 0, piece = 1;
        const char *why = NULL;
        do {
            size_t want = len < sizeof buf ? len : sizeof buf;
            if (fread(buf, 1, want, f) != want) return "PNG chunk is truncated";
            crc = crc32(crc, buf, (uInt)want);
            if (!why) why = png_chunk(p, head + 4, buf, (uint32_t)want, piece);
            len -= (uint32_t)want;
            piece = 0;
        } while (len > 0);
        if (fread(buf, 1, 4, f) != 4) return "PNG chunk CRC is truncated";
        if (be32(buf) != (uint32_t)crc) return "PNG chunk CRC mismatch: the file is corrupt";
        if (why) return why;
        if (iend) return png_finish(p);
    }
}

static const char *check_png(FILE *f)
{
    png_walk p;
    memset(&p, 0, sizeof p);
    const char *why = png_walk_chunks(f, &p);
    if (p.z_init) inflateEnd(&p.z);
    free(p.cur);
    free(p.prev);
    return why;
}

/* ---- JPEG --------------------------------------------------------------- */

typedef struct jpeg_comp {
    int id, hs, vs; /* sampling factors */
    int coded;      /* a scan codes it (sequential) or its DC (progressive) */
} jpeg_comp;

/* A Huffman table as decoding needs it (codes of each length l are
 * mincode[l]..maxcode[l], their symbols from sym[valptr[l]]). */
typedef struct jpeg_huff {
    int defined;
    int mincode[17], maxcode[17], valptr[17];
    unsigned char sym[256];
} jpeg_huff;

typedef struct jpeg_walk {
    int frame;        /* 0 none yet, 1 sequential, 2 progressive */
    long long w, h;
    int n;
    int hmax, vmax;
    jpeg_comp comp[4];
    jpeg_huff huff[2][4]; /* [DC, AC][table] */
    int restart;          /* MCUs between restart markers, 0 none */
} jpeg_walk;

/* One scan's header. */
typedef struct jpeg_scan_hdr {
    int ns;
    int k[4], td[4], ta[4]; /* frame component, DC and AC table */
    int ss, ah;
} jpeg_scan_hdr;

static long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

static const char *jpeg_frame(jpeg_walk *j, int marker, const unsigned char *d, size_t len)
{
    if (marker != 0xc0 && marker != 0xc1 && marker != 0xc2)
        return "JPEG is lossless, hierarchical or arithmetic-coded, which is not supported";
    if (j->frame) return "JPEG has more than one frame header";
    if (len < 6 || d[0] != 8) return "JPEG frame header is malformed (or not 8 bits a sample)";
    j->h = d[1] << 8 | d[2];
    j->w = d[3] << 8 | d[4];
    j->n = d[5];
    if (j->w < 1 || j->h < 1) return "JPEG frame has no size";
    if ((j->n != 1 && j->n != 3 && j->n != 4) || len != 6 + 3 * (size_t)j->n)
        return "JPEG frame header is malformed";
    for (int i = 0; i < j->n; i++) {
        const unsigned char *c = d + 6 + 3 * i;
        j->comp[i] = (jpeg_comp){c[0], c[1] >> 4, c[1] & 15, 0};
        if (j->comp[i].hs < 1 || j->comp[i].hs > 4 || j->comp[i].vs < 1 || j->comp[i].vs > 4)
            return "JPEG frame header has bad sampling factors";
        if (j->comp[i].hs > j->hmax) j->hmax = j->comp[i].hs;
        if (j->comp[i].vs > j->vmax) j->vmax = j->comp[i].vs;
    }
    j->frame = marker == 0xc2 ? 2 : 1;
    return NULL;
}

static void huff_build(jpeg_huff *h, const unsigned char *counts, const unsigned char *syms)
{
    int code = 0, k = 0;
    for (int l = 1; l <= 16; l++) {
        h->valptr[l] = k;
        h->mincode[l] = code;
        code += counts[l - 1];
        k += counts[l - 1];
        h->maxcode[l] = counts[l - 1] ? code - 1 : -1;
        code <<= 1;
    }
    memcpy(h->sym, syms, (size_t)k);
    h->defined = 1;
}

/* Huffman tables: stb fills its 257-entry code-length array before it
 * checks the counts, so more than 256 codes overruns it (found by fuzzing). */
static const char *jpeg_huffman(jpeg_walk *j, const unsigned char *d, size_t len)
{
    size_t k = 0;
    while (k < len) {
        if (len - k < 17 || d[k] >> 4 > 1 || (d[k] & 15) > 3) return "JPEG Huffman table is malformed";
        size_t n = 0;
        for (int i = 1; i <= 16; i++) n += d[k + i];
        if (n > 256 || len - k - 17 < n) return "JPEG Huffman table is malformed";
        huff_build(&j->huff[d[k] >> 4][d[k] & 15], d + k + 1, d + k + 17);
        k += 17 + n;
    }
    return NULL;
}

/* Count the entropy-coded bytes after a scan header (stuffed zeros and
 * restart markers counted too: that only loosens the bound). Returns the
 * marker that ends them, or -1 at the end of the file. */
static int jpeg_entropy(FILE *f, long long *bytes)
{
    int ch;
    *bytes = 0;
    while ((ch = getc(f)) != EOF) {
        if (ch != 0xff) {
            ++*bytes;
            continue;
        }
        while ((ch = getc(f)) == 0xff) {}
        if (ch == EOF) return -1;
        if (ch == 0 || (ch >= 0xd0 && ch <= 0xd7)) *bytes += 2;
        else return ch;
    }
    return -1;
}

static const char *jpeg_scan_header(jpeg_walk *j, const unsigned char *d, size_t len,
                                    jpeg_scan_hdr *sc)
{
    if (!j->frame) return "JPEG scan comes before the frame header";
    int ns = len > 0 ? d[0] : 0;
    if (ns < 1 || ns > j->n || len != 4 + 2 * (size_t)ns) return "JPEG scan header is malformed";
    sc->ns = ns;
    sc->ss = d[1 + 2 * ns];
    sc->ah = d[3 + 2 * ns] >> 4;
    for (int s = 0; s < ns; s++) {
        int k = 0;
        while (k < j->n && j->comp[k].id != d[1 + 2 * s]) k++;
        if (k == j->n) return "JPEG scan names a component the frame does not have";
        sc->k[s] = k;
        sc->td[s] = d[2 + 2 * s] >> 4;
        sc->ta[s] = d[2 + 2 * s] & 15;
        if (j->frame == 1 || (sc->ss == 0 && sc->ah == 0)) j->comp[k].coded = 1;
    }
    return NULL;
}

/* Blocks of component k in a scan of it alone. */
static long long comp_blocks(const jpeg_walk *j, int k)
{
    return ceil_div(ceil_div(j->w * j->comp[k].hs, j->hmax), 8) *
           ceil_div(ceil_div(j->h * j->comp[k].vs, j->vmax), 8);
}

static long long frame_mcus(const jpeg_walk *j)
{
    return ceil_div(j->w, 8LL * j->hmax) * ceil_div(j->h, 8LL * j->vmax);
}

/* The least number of bits a progressive scan's entropy-coded data can
 * have: a DC scan at least 1 bit a block (a Huffman code, or the one
 * refinement bit); an AC scan's end-of-band run can cover thousands of
 * blocks, so no useful bound. */
static long long jpeg_progressive_need(const jpeg_walk *j, const jpeg_scan_hdr *sc)
{
    if (sc->ss != 0) return 0;
    if (sc->ns == 1) return comp_blocks(j, sc->k[0]);
    long long per_mcu = 0;
    for (int s = 0; s < sc->ns; s++) per_mcu += j->comp[sc->k[s]].hs * j->comp[sc->k[s]].vs;
    return frame_mcus(j) * per_mcu;
}

/* Bits of a sequential scan's entropy-coded data, read as the decoder reads
 * them, to find where the data runs out (stb pads it with zeros). */
typedef struct jpeg_bits {
    FILE *f;
    int acc, n;  /* the current byte and its unread bits */
    int marker;  /* the marker that ended the data (EOF at the end), 0 none yet */
    int out;     /* a bit was wanted past that marker */
} jpeg_bits;

static int jpeg_bit(jpeg_bits *b)
{
    if (b->n == 0) {
        if (b->marker) {
            b->out = 1;
            return 0;
        }
        int c = getc(b->f), d = 0;
        if (c == 0xff)
            while ((d = getc(b->f)) == 0xff) {}
        if (c == EOF || d != 0) {
            b->marker = c == EOF ? EOF : d;
            b->out = 1;
            return 0;
        }
        b->acc = c;
        b->n = 8;
    }
    return (b->acc >> --b->n) & 1;
}

/* A Huffman symbol; -1 out of data, -2 no such code. */
static int jpeg_symbol(jpeg_bits *b, const jpeg_huff *h)
{
    int code = 0;
    for (int l = 1; l <= 16; l++) {
        code = code << 1 | jpeg_bit(b);
        if (b->out) return -1;
        if (h->maxcode[l] >= 0 && code >= h->mincode[l] && code <= h->maxcode[l])
            return h->sym[h->valptr[l] + code - h->mincode[l]];
    }
    return -2;
}

/* One 8x8 block of a sequential scan: 0, -1 out of data, -2 corrupt. */
static int jpeg_block(jpeg_bits *b, const jpeg_huff *dc, const jpeg_huff *ac)
{
    int t = jpeg_symbol(b, dc);
    if (t < 0) return t;
    if (t > 11) return -2;
    while (t-- > 0) jpeg_bit(b);
    for (int k = 1; k < 64 && !b->out;) {
        int rs = jpeg_symbol(b, ac);
        if (rs < 0) return rs;
        int run = rs >> 4, size = rs & 15;
        if (size == 0 && run != 15) break; /* end of block */
        k += size == 0 ? 16 : run + 1;     /* 16 zeros, or a run and a value */
        if (k > 64) return -2;
        while (size-- > 0) jpeg_bit(b);
    }
    return b->out ? -1 : 0;
}

/* At a restart interval's end: the rest of the byte is padding, then RSTn. */
static int jpeg_restart(jpeg_bits *b)
{
    b->n = 0;
    if (!b->marker) {
        int d;
        if (getc(b->f) != 0xff) return 0;
        while ((d = getc(b->f)) == 0xff) {}
        b->marker = d;
    }
    int ok = b->marker >= 0xd0 && b->marker <= 0xd7;
    b->marker = 0;
    return ok;
}

static const char *const jpeg_short =
    "JPEG scan has less data than its size needs (truncated, or the size was changed)";

/* Decode every Huffman code of a sequential scan (no pixels); *next gets
 * the marker after its data. */
static const char *jpeg_sequential(FILE *f, const jpeg_walk *j, const jpeg_scan_hdr *sc, int *next)
{
    const jpeg_huff *dc[4], *ac[4];
    for (int s = 0; s < sc->ns; s++) {
        if (sc->td[s] > 3 || sc->ta[s] > 3 || !j->huff[0][sc->td[s]].defined ||
            !j->huff[1][sc->ta[s]].defined)
            return "JPEG scan uses an undefined Huffman table";
        dc[s] = &j->huff[0][sc->td[s]];
        ac[s] = &j->huff[1][sc->ta[s]];
    }
    /* A scan of one component has one block an MCU. */
    long long mcus = sc->ns == 1 ? comp_blocks(j, sc->k[0]) : frame_mcus(j);
    jpeg_bits b = {f, 0, 0, 0, 0};
    for (long long m = 0; m < mcus; m++) {
        if (j->restart && m > 0 && m % j->restart == 0 && !jpeg_restart(&b))
            return "JPEG restart marker is missing";
        for (int s = 0; s < sc->ns; s++) {
            const jpeg_comp *c = &j->comp[sc->k[s]];
            int n = sc->ns == 1 ? 1 : c->hs * c->vs;
            for (int i = 0; i < n; i++) {
                int r = jpeg_block(&b, dc[s], ac[s]);
                if (r == -1) return jpeg_short;
                if (r == -2) return "JPEG scan data is corrupt";
            }
        }
    }
    long long rest;
    *next = b.marker ? b.marker : jpeg_entropy(f, &rest);
    return NULL;
}

static const char *jpeg_finish(const jpeg_walk *j, int scans)
{
    if (!j->frame || scans == 0) return "JPEG has no frame or no scan";
    for (int i = 0; i < j->n; i++)
        if (!j->comp[i].coded) return "JPEG leaves a colour component without data";
    return NULL;
}

/* Read one marker's segment into seg (up to its size). */
static const char *jpeg_segment(FILE *f, unsigned char *seg, size_t *len)
{
    int hi = getc(f), lo = getc(f);
    if (lo == EOF) return "JPEG ends before its end-of-image marker (truncated)";
    size_t n = (size_t)(hi << 8 | lo);
    if (n < 2) return "JPEG segment length is out of range";
    *len = n - 2;
    if (fread(seg, 1, *len, f) != *len) return "JPEG ends before its end-of-image marker (truncated)";
    return NULL;
}

static const char *jpeg_scan(FILE *f, jpeg_walk *j, const unsigned char *seg, size_t len,
                             int *next)
{
    jpeg_scan_hdr sc;
    const char *why = jpeg_scan_header(j, seg, len, &sc);
    if (why) return why;
    if (j->frame == 1) return jpeg_sequential(f, j, &sc, next);
    long long bytes;
    *next = jpeg_entropy(f, &bytes);
    return bytes * 8 < jpeg_progressive_need(j, &sc) ? jpeg_short : NULL;
}

/* Marker by marker to the end-of-image marker. */
static const char *check_jpeg(FILE *f)
{
    static const char *const cut = "JPEG ends before its end-of-image marker (truncated)";
    unsigned char seg[65536];
    jpeg_walk j;
    memset(&j, 0, sizeof j);
    int soi = getc(f);
    if (soi == 0xff)
        while ((soi = getc(f)) == 0xff) {}
    if (soi != 0xd8) return "not a JPEG";
    int scans = 0, marker = 0; /* 0: none pending */
    for (;;) {
        if (marker == 0) {
            int ch = getc(f);
            if (ch != 0xff) return ch == EOF ? cut : "JPEG has data where a marker should be";
            while ((ch = getc(f)) == 0xff) {}
            marker = ch;
        }
        if (marker == EOF) return cut;
        if (marker == 0xd9) return jpeg_finish(&j, scans);
        int m = marker;
        marker = 0;
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) continue; /* no segment */
        size_t len;
        const char *why = jpeg_segment(f, seg, &len);
        if (!why && m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc)
            why = jpeg_frame(&j, m, seg, len);
        if (!why && m == 0xc4) why = jpeg_huffman(&j, seg, len);
        if (!why && m == 0xdd) j.restart = len == 2 ? seg[0] << 8 | seg[1] : -1;
        if (!why && j.restart < 0) why = "JPEG restart interval (DRI) is malformed";
        if (!why && m == 0xda) {
            why = jpeg_scan(f, &j, seg, len, &marker);
            scans++;
        }
        if (why) return why;
    }
}

/* ---- decoding ----------------------------------------------------------- */

/* Checks that must come before stb reads even the header: its PNM header
 * parse overflows an int on a long number, and its JPEG header parse reads
 * the Huffman tables (both found by fuzzing). */
static const char *check_before_info(FILE *f, long long size)
{
    int m0 = getc(f);
    rewind(f);
    if (m0 == 'P') return check_pnm(f, size);
    if (m0 == 0xff) return check_jpeg(f); /* stb skips 0xff fill bytes before SOI */
    return NULL;
}

/* The rest, once the size is known to be within the limits. */
static const char *check_after_info(FILE *f, long long size)
{
    int m0 = getc(f), m1 = getc(f);
    rewind(f);
    if (m0 == 'B' && m1 == 'M') return check_bmp(f, size);
    if (m0 == 0x89 && m1 == 'P') return check_png(f);
    return NULL;
}

/* How stb returned the samples. */
enum { SAMPLE_8, SAMPLE_16, SAMPLE_16_FILE_ORDER };

/* stb's pixels (comp channels) as Darknet's image: CHW, RGB, byte/255. as
 * OpenCV's loader made it (16 bits: the high byte; grey replicated; alpha
 * dropped). */
static image to_image(const void *px, int kind, int w, int h, int comp)
{
    size_t plane = (size_t)w * h;
    image im = {w, h, 3, msp_malloc(3 * plane * sizeof(float))};
    const unsigned char *p8 = px;
    const stbi_us *p16 = px;
    for (int k = 0; k < 3; k++) {
        int src = comp >= 3 ? k : 0;
        float *dst = im.data + k * plane;
        for (size_t i = 0; i < plane; i++) {
            size_t j = i * (size_t)comp + (size_t)src;
            unsigned v = kind == SAMPLE_8 ? p8[j] : kind == SAMPLE_16 ? p16[j] >> 8u : p8[2 * j];
            dst[i] = (float)(v / 255.);
        }
    }
    return im;
}

/* Decode f (checked) with stb. NULL on success, else why not. */
static const char *decode(FILE *f, image *out)
{
    int w, h, comp;
    rewind(f);
    /* stb leaves 16-bit PNM samples in the file's (big-endian) byte order,
     * so its 8-bit view of them keeps the low byte: ask for 16 bits. */
    int is16 = stbi_is_16_bit_from_file(f), first = getc(f);
    int kind = !is16 ? SAMPLE_8 : first == 'P' ? SAMPLE_16_FILE_ORDER : SAMPLE_16;
    rewind(f);
    void *px = is16 ? (void *)stbi_load_from_file_16(f, &w, &h, &comp, 0)
                    : (void *)stbi_load_from_file(f, &w, &h, &comp, 0);
    if (!px) {
        const char *why = stbi_failure_reason();
        return why && *why ? why : "corrupt image data";
    }
    if (comp < 1 || comp > 4) {
        stbi_image_free(px);
        return "unsupported channel count";
    }
    *out = to_image(px, kind, w, h, comp);
    stbi_image_free(px);
    return NULL;
}

/* Where an image came from, for messages. */
typedef struct img_at {
    const char *lpath; /* the image list, or NULL */
    int line;
    const char *path;
    msp_err *err;
} img_at;

/* From a list "LIST:LINE: LEAD 'PATH'TAIL", alone "PATH: LEADTAIL". */
static msp_status img_fail(const img_at *at, const char *lead, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static msp_status img_fail(const img_at *at, const char *lead, const char *fmt, ...)
{
    char tail[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tail, sizeof tail, fmt, ap);
    va_end(ap);
    if (at->lpath)
        return msp_err_set(at->err, MSP_BAD_INPUT, at->lpath, at->line, "%s '%s'%s", lead, at->path,
                           tail);
    return msp_err_set(at->err, MSP_BAD_INPUT, at->path, 0, "%s%s", lead, tail);
}

/* A relative path that is missing from the working folder but present next
 * to the list: the list was written relative to its own folder. Says so in
 * `note` (empty otherwise). */
static void note_list_relative(const img_at *at, char *note, size_t size)
{
    note[0] = '\0';
    const char *slash = at->lpath ? strrchr(at->lpath, '/') : NULL;
    if (!slash || at->path[0] == '/') return;
    size_t dlen = (size_t)(slash - at->lpath);
    char *there = msp_malloc(dlen + strlen(at->path) + 2);
    memcpy(there, at->lpath, dlen);
    there[dlen] = '/';
    strcpy(there + dlen + 1, at->path);
    struct stat st;
    char cwd[1024];
    if (stat(there, &st) == 0 && getcwd(cwd, sizeof cwd))
        snprintf(note, size,
                 "; '%s' exists: relative paths in an image list start from the working folder "
                 "(%s), not from the list's folder, so write it as '%s' or as an absolute path",
                 there, cwd, there);
    free(there);
}

/* The path names a regular file (no control characters: it goes into
 * messages and CSV files). */
static msp_status check_path(const img_at *at, long long *size)
{
    for (const char *q = at->path; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f)
            return msp_err_set(at->err, MSP_BAD_INPUT, at->lpath, at->line,
                               "image path contains a control character (byte 0x%02x)",
                               (unsigned char)*q);
    struct stat st;
    if (stat(at->path, &st) != 0) {
        int e = errno;
        char note[2048] = "";
        if (e == ENOENT) note_list_relative(at, note, sizeof note);
        return img_fail(at, "cannot open image", ": %s%s", strerror(e), note);
    }
    if (!S_ISREG(st.st_mode)) return img_fail(at, "image", " is not a regular file");
    *size = (long long)st.st_size;
    return MSP_OK;
}

/* Header, size limits and container checks, then the decode. */
static msp_status read_image(const img_at *at, FILE *f, long long size, image *out, int *src_c)
{
    const char *why = check_before_info(f, size);
    rewind(f);
    int iw, ih, comp;
    if (why) return img_fail(at, "image", " cannot be decoded (%s)", why);
    if (!stbi_info_from_file(f, &iw, &ih, &comp))
        return img_fail(at, "image", " is not a readable PNG, JPEG, BMP or binary PGM/PPM image (%s)",
                        stbi_failure_reason());
    if (iw < 1 || ih < 1 || iw > IMG_MAX_SIDE || ih > IMG_MAX_SIDE ||
        (long long)iw * ih > IMG_MAX_PIXELS)
        return img_fail(at, "image",
                        " is %dx%d; supported sizes are 1 to %d per side and at most %d pixels", iw,
                        ih, IMG_MAX_SIDE, IMG_MAX_PIXELS);
    *src_c = comp <= 2 ? 1 : 3; /* grey or colour, alpha aside */
    rewind(f);
    why = check_after_info(f, size);
    if (!why) why = decode(f, out);
    if (why) return img_fail(at, "image", " cannot be decoded (%s)", why);
    return MSP_OK;
}

/* im (3 channels) resized as load_image resizes, into dst (c = 1 or 3). */
static void fit(image im, int w, int h, int c, float *dst)
{
    if (im.w != w || im.h != h) {
        image resized = resize_image(im, w, h);
        free_image(im);
        im = resized;
    }
    MSP_ASSERT(im.data && im.w == w && im.h == h && im.c == 3);
    size_t plane = (size_t)w * h;
    if (c == 3) {
        memcpy(dst, im.data, 3 * plane * sizeof(float));
    } else {
        const float *r = im.data, *g = r + plane, *b = g + plane;
        /* Darknet's grey weights; exact when the source is grey already. */
        for (size_t i = 0; i < plane; i++)
            dst[i] = (r[i] == g[i] && g[i] == b[i]) ? r[i]
                                                     : 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
    }
    free_image(im);
}

static const char *shape_words(int c) { return c == 1 ? "grey (1 channel)" : "colour (3 channels)"; }

msp_status msp_image_load_fit_at(const char *lpath, int line, const char *path, int w, int h, int c,
                                 int resize, float *dst, msp_err *err)
{
    if (w < 1 || h < 1 || w > MSP_DATASET_MAX_SIDE || h > MSP_DATASET_MAX_SIDE || (c != 1 && c != 3))
        return msp_err_set(err, MSP_BAD_INPUT, NULL, 0, "cannot load an image as %dx%dx%d", c, h, w);
    img_at at = {lpath, line, path, err};
    long long size = 0;
    msp_status s = check_path(&at, &size);
    if (s != MSP_OK) return s;
    FILE *f = fopen(path, "rb");
    if (!f) return img_fail(&at, "cannot open image", ": %s", strerror(errno));
    image im = {0};
    int src_c = 0;
    s = read_image(&at, f, size, &im, &src_c);
    fclose(f);
    if (s != MSP_OK) return s;
    if (!resize && (im.w != w || im.h != h || src_c != c)) {
        /* A silent resize or colour conversion changes what the network sees. */
        int iw = im.w, ih = im.h;
        free_image(im);
        return img_fail(&at, "image",
                        " is %dx%d %s, but the network takes %dx%d %s (set data.resize = true "
                        "to resize and convert images)",
                        iw, ih, shape_words(src_c), w, h, shape_words(c));
    }
    fit(im, w, h, c, dst);
    return MSP_OK;
}

msp_status msp_image_load_at(const char *lpath, int line, const char *path, int w, int h, int c,
                             float *dst, msp_err *err)
{
    return msp_image_load_fit_at(lpath, line, path, w, h, c, 1, dst, err);
}

msp_status msp_image_load(const char *path, int w, int h, int c, float *dst, msp_err *err)
{
    return msp_image_load_at(NULL, 0, path, w, h, c, dst, err);
}
