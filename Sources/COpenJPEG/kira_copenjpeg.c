/* OpenJPEG reads from a stream object; this feeds it a memory buffer. */
#include <openjpeg-2.5/openjpeg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kira_copenjpeg.h"

struct kira_j2k_image { opj_image_t *image; };

typedef struct { const uint8_t *data; size_t length; size_t pos; } memory_source;

static OPJ_SIZE_T read_fn(void *buffer, OPJ_SIZE_T n, void *user) {
    memory_source *s = (memory_source *)user;
    if (s->pos >= s->length) return (OPJ_SIZE_T)-1;
    size_t left = s->length - s->pos;
    if (n > left) n = left;
    memcpy(buffer, s->data + s->pos, n);
    s->pos += n;
    return n;
}

static OPJ_OFF_T skip_fn(OPJ_OFF_T n, void *user) {
    memory_source *s = (memory_source *)user;
    if (n < 0) {
        if ((size_t)(-n) > s->pos) n = -(OPJ_OFF_T)s->pos;
    } else if ((size_t)n > s->length - s->pos) {
        n = (OPJ_OFF_T)(s->length - s->pos);
    }
    s->pos += n;
    return n;
}

static OPJ_BOOL seek_fn(OPJ_OFF_T n, void *user) {
    memory_source *s = (memory_source *)user;
    if (n < 0 || (size_t)n > s->length) return OPJ_FALSE;
    s->pos = (size_t)n;
    return OPJ_TRUE;
}

static void quiet(const char *m, void *u) { (void)m; (void)u; }

static void record_error(const char *m, void *u) {
    char *msg = (char *)u;
    if (msg && msg[0] == 0) { strncpy(msg, m, 255); msg[255] = 0; }
}

int kira_j2k_decode(const uint8_t *data, size_t length, int threads, kira_j2k_image **out, char *msg, size_t msg_len) {
    *out = NULL;
    char err[256] = {0};
    if (length < 12) { snprintf(msg, msg_len, "JPEG 2000 stream too short (%zu bytes)", length); return 1; }
    static const uint8_t jp2sig[12] = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 13, 10, 0x87, 10};
    OPJ_CODEC_FORMAT fmt = memcmp(data, jp2sig, 12) == 0 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K;
    opj_codec_t *codec = opj_create_decompress(fmt);
    if (!codec) { snprintf(msg, msg_len, "cannot create OpenJPEG decoder"); return 1; }
    opj_set_info_handler(codec, quiet, NULL);
    opj_set_warning_handler(codec, quiet, NULL);
    opj_set_error_handler(codec, record_error, err);
    opj_dparameters_t params;
    opj_set_default_decoder_parameters(&params);
    if (!opj_setup_decoder(codec, &params)) {
        opj_destroy_codec(codec);
        snprintf(msg, msg_len, "cannot set up OpenJPEG decoder");
        return 1;
    }
    /* Must come before the header is read; without thread support it decodes on one. */
    if (threads > 1 && opj_has_thread_support()) opj_codec_set_threads(codec, threads);
    memory_source src = {data, length, 0};
    opj_stream_t *stream = opj_stream_default_create(OPJ_TRUE);
    opj_stream_set_user_data(stream, &src, NULL);
    opj_stream_set_user_data_length(stream, length);
    opj_stream_set_read_function(stream, read_fn);
    opj_stream_set_skip_function(stream, skip_fn);
    opj_stream_set_seek_function(stream, seek_fn);
    opj_image_t *image = NULL;
    int ok = opj_read_header(stream, codec, &image) && opj_decode(codec, stream, image) &&
             opj_end_decompress(codec, stream);
    opj_stream_destroy(stream);
    opj_destroy_codec(codec);
    if (!ok || !image) {
        if (image) opj_image_destroy(image);
        snprintf(msg, msg_len, "OpenJPEG could not decode the frame%s%s", err[0] ? ": " : "", err);
        return 1;
    }
    kira_j2k_image *result = (kira_j2k_image *)malloc(sizeof *result);
    if (!result) { opj_image_destroy(image); snprintf(msg, msg_len, "out of memory"); return 1; }
    result->image = image;
    *out = result;
    return 0;
}

void kira_j2k_free(kira_j2k_image *image) {
    if (!image) return;
    opj_image_destroy(image->image);
    free(image);
}

void kira_j2k_info(const kira_j2k_image *img, uint32_t *width, uint32_t *height, uint32_t *components,
                   uint32_t *precision, int *is_signed) {
    const opj_image_t *i = img->image;
    *components = i->numcomps;
    *width = i->numcomps ? i->comps[0].w : 0;
    *height = i->numcomps ? i->comps[0].h : 0;
    *precision = i->numcomps ? i->comps[0].prec : 0;
    *is_signed = i->numcomps ? (int)i->comps[0].sgnd : 0;
}

const int32_t *kira_j2k_component(const kira_j2k_image *img, uint32_t c) {
    const opj_image_t *i = img->image;
    if (c >= i->numcomps) return NULL;
    if (i->comps[c].dx != 1 || i->comps[c].dy != 1) return NULL;
    return i->comps[c].data;
}
