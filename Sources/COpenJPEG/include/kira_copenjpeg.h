/* JPEG 2000 decoding from memory with OpenJPEG. */
#ifndef KIRA_COPENJPEG_H
#define KIRA_COPENJPEG_H
#include <stddef.h>
#include <stdint.h>

typedef struct kira_j2k_image kira_j2k_image;

/* Decodes a J2K codestream or JP2 file held in memory, on `threads` threads when more than
   one (OpenJPEG shares out code-blocks; the samples are the same). Returns 0 on success.
   The image is freed with kira_j2k_free. */
int kira_j2k_decode(const uint8_t *data, size_t length, int threads, kira_j2k_image **out, char *msg, size_t msg_len);
void kira_j2k_free(kira_j2k_image *image);

/* Size of the decoded image: width, height, component count, precision (bits) and
   signedness of component 0. */
void kira_j2k_info(const kira_j2k_image *image, uint32_t *width, uint32_t *height, uint32_t *components,
                   uint32_t *precision, int *is_signed);

/* Samples of one component, row by row (width*height values). Returns NULL for a
   component index out of range or a subsampled component. */
const int32_t *kira_j2k_component(const kira_j2k_image *image, uint32_t component);
#endif
