#include "kira_craster.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    kira_raster_image *out;
} kira_jpeg_error;

static void jpeg_error_exit_cb(j_common_ptr cinfo) {
    kira_jpeg_error *err = (kira_jpeg_error *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    if (err->out->message[0] == 0) snprintf(err->out->message, sizeof err->out->message, "libjpeg: %s", buffer);
    longjmp(err->jump, 1);
}

static void jpeg_output_message_cb(j_common_ptr cinfo) { (void)cinfo; /* no printing to stderr */ }

static void jpeg_emit_message_cb(j_common_ptr cinfo, int level) {
    /* A warning about premature end of data (truncation) becomes an error; other warnings are ignored. */
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_error_exit_cb(cinfo);
}

int kira_jpeg_read(const char *path, size_t max_bytes, kira_raster_image *out) {
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        out->status = KIRA_RASTER_CANNOT_OPEN;
        snprintf(out->message, sizeof out->message, "%s", strerror(errno));
        return out->status;
    }
    unsigned char sig[3] = {0, 0, 0};
    if (fread(sig, 1, 3, fp) != 3 || sig[0] != 0xFF || sig[1] != 0xD8 || sig[2] != 0xFF) {
        fclose(fp);
        out->status = KIRA_RASTER_NOT_THIS_FORMAT;
        snprintf(out->message, sizeof out->message, "no JPEG start-of-image marker");
        return out->status;
    }
    rewind(fp);

    struct jpeg_decompress_struct cinfo;
    kira_jpeg_error err;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = jpeg_error_exit_cb;
    err.base.output_message = jpeg_output_message_cb;
    err.base.emit_message = jpeg_emit_message_cb;
    err.out = out;
    unsigned char *volatile pixels = NULL;
    volatile int unsupported = 0;
    if (setjmp(err.jump)) {
        free(pixels);
        jpeg_destroy_decompress(&cinfo);
        fclose(fp);
        out->pixels = NULL;
        out->byte_count = 0;
        out->status = unsupported ? KIRA_RASTER_UNSUPPORTED : KIRA_RASTER_DECODE_ERROR;
        if (out->message[0] == 0) snprintf(out->message, sizeof out->message, "libjpeg error");
        return out->status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_stdio_src(&cinfo, fp);
    jpeg_read_header(&cinfo, TRUE);
    int layout;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo.out_color_space = JCS_GRAYSCALE;
        layout = KIRA_RASTER_SOURCE_GREY;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo.out_color_space = JCS_RGB;
        layout = KIRA_RASTER_SOURCE_RGB;
        break;
    default:
        unsupported = 1;
        snprintf(out->message, sizeof out->message, "JPEG colour space %d (CMYK/YCCK) is not supported",
                 (int)cinfo.jpeg_color_space);
        longjmp(err.jump, 1);
    }
    if (cinfo.data_precision != 8) {
        unsupported = 1;
        snprintf(out->message, sizeof out->message, "%d-bit JPEG is not supported (8-bit only)", cinfo.data_precision);
        longjmp(err.jump, 1);
    }
    jpeg_calc_output_dimensions(&cinfo);
    size_t rowbytes = (size_t)cinfo.output_width * cinfo.output_components;
    if (rowbytes == 0 || cinfo.output_height == 0) {
        snprintf(out->message, sizeof out->message, "empty image");
        longjmp(err.jump, 1);
    }
    if ((size_t)cinfo.output_height > SIZE_MAX / rowbytes || rowbytes * cinfo.output_height > max_bytes) {
        out->width = cinfo.output_width;
        out->height = cinfo.output_height;
        out->channels = cinfo.output_components;
        out->bit_depth = 8;
        jpeg_destroy_decompress(&cinfo);
        fclose(fp);
        out->status = KIRA_RASTER_TOO_LARGE;
        return out->status;
    }
    jpeg_start_decompress(&cinfo);
    pixels = malloc(rowbytes * cinfo.output_height);
    if (!pixels) {
        snprintf(out->message, sizeof out->message, "out of memory");
        longjmp(err.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * rowbytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    out->width = cinfo.output_width;
    out->height = cinfo.output_height;
    out->channels = cinfo.output_components;
    out->bit_depth = 8;
    out->source_layout = layout;
    out->source_bit_depth = 8;
    out->pixels = pixels;
    out->byte_count = rowbytes * cinfo.output_height;
    jpeg_destroy_decompress(&cinfo);
    fclose(fp);
    out->status = KIRA_RASTER_OK;
    out->message[0] = 0;
    return out->status;
}

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
} kira_jpeg_write_error;

static void jpeg_write_error_exit_cb(j_common_ptr cinfo) {
    kira_jpeg_write_error *err = (kira_jpeg_write_error *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    if (err->message[0] == 0) snprintf(err->message, 256, "libjpeg: %s", buffer);
    longjmp(err->jump, 1);
}

int kira_jpeg_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                    int channels, int quality, char *message) {
    message[0] = 0;
    if (width == 0 || height == 0 || (channels != 1 && channels != 3)) {
        snprintf(message, 256, "cannot write a %ux%u JPEG with %d channels", width, height, channels);
        return KIRA_RASTER_UNSUPPORTED;
    }
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        snprintf(message, 256, "%s", strerror(errno));
        return KIRA_RASTER_CANNOT_OPEN;
    }
    struct jpeg_compress_struct cinfo;
    kira_jpeg_write_error err;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = jpeg_std_error(&err.base);
    err.base.error_exit = jpeg_write_error_exit_cb;
    err.base.output_message = jpeg_output_message_cb;
    err.message = message;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        fclose(fp);
        if (message[0] == 0) snprintf(message, 256, "libjpeg error");
        return KIRA_RASTER_DECODE_ERROR;
    }
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, fp);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t rowbytes = (size_t)width * channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * rowbytes);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    if (fclose(fp) != 0) {
        snprintf(message, 256, "%s", strerror(errno));
        return KIRA_RASTER_CANNOT_OPEN;
    }
    return KIRA_RASTER_OK;
}
