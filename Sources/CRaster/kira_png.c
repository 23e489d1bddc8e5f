#include "kira_craster.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_error(kira_raster_image *out, int status, const char *msg) {
    out->status = status;
    snprintf(out->message, sizeof out->message, "%s", msg ? msg : "unknown error");
}

static void png_error_cb(png_structp png, png_const_charp msg) {
    kira_raster_image *out = (kira_raster_image *)png_get_error_ptr(png);
    if (out && out->message[0] == 0) snprintf(out->message, sizeof out->message, "libpng: %s", msg);
    png_longjmp(png, 1);
}

static void png_warning_cb(png_structp png, png_const_charp msg) {
    (void)png; (void)msg; /* warnings (e.g. bad CRC in ancillary chunks) are not fatal */
}

int kira_png_read(const char *path, size_t max_bytes, kira_raster_image *out) {
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        set_error(out, KIRA_RASTER_CANNOT_OPEN, strerror(errno));
        return out->status;
    }
    unsigned char sig[8];
    if (fread(sig, 1, 8, fp) != 8 || png_sig_cmp(sig, 0, 8) != 0) {
        fclose(fp);
        set_error(out, KIRA_RASTER_NOT_THIS_FORMAT, "no PNG signature");
        return out->status;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, out, png_error_cb, png_warning_cb);
    if (!png) { fclose(fp); set_error(out, KIRA_RASTER_NO_MEMORY, "png_create_read_struct failed"); return out->status; }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(fp);
        set_error(out, KIRA_RASTER_NO_MEMORY, "png_create_info_struct failed");
        return out->status;
    }
    /* Locals changed after setjmp must be volatile to survive the longjmp. */
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        out->pixels = NULL;
        out->byte_count = 0;
        out->status = KIRA_RASTER_DECODE_ERROR;
        if (out->message[0] == 0) snprintf(out->message, sizeof out->message, "libpng error");
        return out->status;
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int color_type = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    out->source_bit_depth = depth;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: out->source_layout = KIRA_RASTER_SOURCE_GREY; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: out->source_layout = KIRA_RASTER_SOURCE_GREY_ALPHA; break;
    case PNG_COLOR_TYPE_RGB: out->source_layout = KIRA_RASTER_SOURCE_RGB; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: out->source_layout = KIRA_RASTER_SOURCE_RGBA; break;
    case PNG_COLOR_TYPE_PALETTE: out->source_layout = KIRA_RASTER_SOURCE_PALETTE; break;
    default: break;
    }
    /* Palette → RGB(A), grey below 8 bits → 8 bits, tRNS → alpha; 16-bit kept, in native order. */
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) {
        unsigned int probe = 1;
        if (*(unsigned char *)&probe == 1) png_set_swap(png); /* PNG is big-endian */
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    int out_depth = png_get_bit_depth(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (width == 0 || height == 0 || rowbytes != (size_t)width * channels * (out_depth / 8)) {
        png_error(png, "unexpected row layout after transformations");
    }
    out->width = width;
    out->height = height;
    out->channels = channels;
    out->bit_depth = out_depth;
    if ((size_t)height > SIZE_MAX / rowbytes || rowbytes * height > max_bytes) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        out->status = KIRA_RASTER_TOO_LARGE;
        return out->status;
    }
    pixels = malloc(rowbytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);

    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    out->pixels = pixels;
    out->byte_count = rowbytes * height;
    out->status = KIRA_RASTER_OK;
    out->message[0] = 0;
    return out->status;
}

void kira_raster_free(kira_raster_image *img) {
    if (!img) return;
    free(img->pixels);
    img->pixels = NULL;
    img->byte_count = 0;
}

/* The writer's own error handler: the message goes to the caller's buffer, then longjmp. */
static void png_write_error_cb(png_structp png, png_const_charp msg) {
    char *message = (char *)png_get_error_ptr(png);
    if (message && message[0] == 0) snprintf(message, 256, "libpng: %s", msg);
    png_longjmp(png, 1);
}

int kira_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height, int channels, char *message) {
    message[0] = 0;
    if (width == 0 || height == 0 || (channels != 1 && channels != 3 && channels != 4)) {
        snprintf(message, 256, "a PNG needs a positive size and 1, 3 or 4 channels");
        return KIRA_RASTER_UNSUPPORTED;
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) { snprintf(message, 256, "%s", strerror(errno)); return KIRA_RASTER_CANNOT_OPEN; }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, message, png_write_error_cb, png_warning_cb);
    if (!png) { fclose(fp); snprintf(message, 256, "png_create_write_struct failed"); return KIRA_RASTER_NO_MEMORY; }
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_write_struct(&png, NULL); fclose(fp); snprintf(message, 256, "png_create_info_struct failed"); return KIRA_RASTER_NO_MEMORY; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        return KIRA_RASTER_DECODE_ERROR;
    }
    png_init_io(png, fp);
    int type = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA;
    png_set_IHDR(png, info, width, height, 8, type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* No time chunk: equal pixels give equal bytes. */
    png_write_info(png, info);
    size_t stride = (size_t)width * (size_t)channels;
    for (uint32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(fp) != 0) { snprintf(message, 256, "%s", strerror(errno)); return KIRA_RASTER_CANNOT_OPEN; }
    return KIRA_RASTER_OK;
}
