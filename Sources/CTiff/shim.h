#include <tiffio.h>
#include <stdio.h>
#include <string.h>

/* TIFFGetField is variadic, which Swift cannot call; these typed wrappers can be. */
static inline int kira_tiff_get_u16(TIFF *tif, uint32_t tag, uint16_t *value) {
    return TIFFGetField(tif, tag, value);
}
static inline int kira_tiff_get_u16_defaulted(TIFF *tif, uint32_t tag, uint16_t *value) {
    return TIFFGetFieldDefaulted(tif, tag, value);
}
static inline int kira_tiff_get_u32(TIFF *tif, uint32_t tag, uint32_t *value) {
    return TIFFGetField(tif, tag, value);
}
static inline int kira_tiff_get_float(TIFF *tif, uint32_t tag, float *value) {
    return TIFFGetField(tif, tag, value);
}
static inline int kira_tiff_get_colormap(TIFF *tif, uint16_t **r, uint16_t **g, uint16_t **b) {
    return TIFFGetField(tif, TIFFTAG_COLORMAP, r, g, b);
}
static inline int kira_tiff_get_extrasamples(TIFF *tif, uint16_t *count, uint16_t **types) {
    return TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, count, types);
}

/* Keeps the first error message in the caller's buffer (KIRA_TIFF_MESSAGE_SIZE bytes) instead of
 * printing it; warnings are dropped. */
#define KIRA_TIFF_MESSAGE_SIZE 512
static inline int kira_tiff_error_handler(TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap) {
    (void)tif; (void)module;
    char *buffer = (char *)user_data;
    if (buffer && buffer[0] == 0) vsnprintf(buffer, KIRA_TIFF_MESSAGE_SIZE, fmt, ap);
    return 1;
}
static inline int kira_tiff_warning_handler(TIFF *tif, void *user_data, const char *module, const char *fmt, va_list ap) {
    (void)tif; (void)user_data; (void)module; (void)fmt; (void)ap;
    return 1;
}
/* Opens `path` for reading with errors routed to `message`, which must outlive the handle. */
static inline TIFF *kira_tiff_open(const char *path, char *message) {
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (!options) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(options, kira_tiff_error_handler, message);
    TIFFOpenOptionsSetWarningHandlerExtR(options, kira_tiff_warning_handler, NULL);
    TIFF *tif = TIFFOpenExt(path, "r", options);
    TIFFOpenOptionsFree(options);
    return tif;
}
