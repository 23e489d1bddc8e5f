#ifndef KIRA_CRASTER_H
#define KIRA_CRASTER_H

#include <stddef.h>
#include <stdint.h>

/* Decoding of PNG (libpng) and JPEG (libjpeg) files into plain pixel buffers.
 * libpng and libjpeg report errors by longjmp; both are caught here, in C, and turned
 * into a status plus a message, because Swift cannot unwind through setjmp/longjmp. */

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    KIRA_RASTER_OK = 0,
    KIRA_RASTER_CANNOT_OPEN = 1,   /* fopen failed (message holds strerror) */
    KIRA_RASTER_NOT_THIS_FORMAT = 2, /* signature does not match */
    KIRA_RASTER_DECODE_ERROR = 3,  /* the library reported an error (corrupt or truncated data) */
    KIRA_RASTER_UNSUPPORTED = 4,   /* valid file in a layout not handled (e.g. CMYK JPEG) */
    KIRA_RASTER_NO_MEMORY = 5,
    KIRA_RASTER_TOO_LARGE = 6      /* the pixels would exceed max_bytes: width, height, channels and
                                      bit_depth are set, nothing was allocated */
} kira_raster_status;

/* Original colour layout of the file, for provenance. */
typedef enum {
    KIRA_RASTER_SOURCE_GREY = 0,
    KIRA_RASTER_SOURCE_GREY_ALPHA = 1,
    KIRA_RASTER_SOURCE_RGB = 2,
    KIRA_RASTER_SOURCE_RGBA = 3,
    KIRA_RASTER_SOURCE_PALETTE = 4
} kira_raster_source_layout;

typedef struct {
    int status;               /* kira_raster_status */
    char message[256];        /* NUL-terminated; empty on success */
    uint32_t width;
    uint32_t height;
    int channels;             /* samples per pixel in `pixels`: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA */
    int bit_depth;            /* 8 or 16; 16-bit samples are in native byte order */
    int source_layout;        /* kira_raster_source_layout */
    int source_bit_depth;     /* bits per sample (or palette index) in the file */
    void *pixels;             /* row 0 first, samples interleaved; owned: free with kira_raster_free */
    size_t byte_count;
} kira_raster_image;

/* Each returns `out->status` and fills `out`; on failure `out->pixels` is NULL. The header's
 * width and height are checked against `max_bytes` before the pixel buffer exists: a file of a
 * few bytes can declare gigapixels. */
int kira_png_read(const char *path, size_t max_bytes, kira_raster_image *out);
int kira_jpeg_read(const char *path, size_t max_bytes, kira_raster_image *out);

/* Writes 8-bit grey (`channels` 1) or RGB (3) pixels, row 0 first, as a baseline JPEG at
 * `quality` (1-100) to `path`. Returns a kira_raster_status; `message` (256 bytes) gets the
 * reason on failure. libjpeg's output holds no time stamp, so equal pixels give equal bytes. */
int kira_jpeg_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                    int channels, int quality, char *message);

/* Writes 8-bit grey (1), RGB (3) or RGBA (4) pixels, row 0 first, as a PNG to `path`. Returns a
 * kira_raster_status; `message` (256 bytes) gets the reason on failure. No time chunk is
 * written, so equal pixels give equal bytes. */
int kira_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                   int channels, char *message);

/* Frees `img->pixels` (the only allocation made by the readers) and clears the pointer. */
void kira_raster_free(kira_raster_image *img);

#ifdef __cplusplus
}
#endif

#endif
