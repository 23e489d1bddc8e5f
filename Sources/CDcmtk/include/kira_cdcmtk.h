/* C interface to the parts of dcmtk Kira uses: open a file (optionally without
   pixel data), read attributes by path, decode one frame into a caller buffer, and
   hand out the raw fragments of an encapsulated frame (for JPEG 2000). Every call
   returns a status (KIRA_DCM_OK on success) and writes a message on failure. */
#ifndef KIRA_CDCMTK_H
#define KIRA_CDCMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    KIRA_DCM_OK = 0,
    KIRA_DCM_NOT_FOUND = 1,     /* attribute absent */
    KIRA_DCM_NOT_DICOM = 2,     /* not a DICOM file */
    KIRA_DCM_TRUNCATED = 3,     /* the stream ended early */
    KIRA_DCM_ERROR = 4,         /* anything else; see the message */
    KIRA_DCM_TOO_SMALL = 5,     /* caller buffer too small */
    KIRA_DCM_UNSUPPORTED = 6    /* not done this way for this input; nothing was produced */
};

typedef struct kira_dcm_file kira_dcm_file;

/* Sets dcmtk up (data dictionary, codecs, silent logger). Every other call does this on
   first use; calling it early from one thread lets the setup overlap other work. */
void kira_dcm_initialize(void);

/* Compares the dictionary dcmtk uses (compiled into the shim unless DCMDICTPATH is set)
   with dcmtk's own parse of a dictionary text file such as dicom.dic: entries receives
   the file's entry count, differences how many differ; msg names the first difference. */
int kira_dcm_dictionary_differences(const char *path, size_t *entries, size_t *differences,
                                    char *msg, size_t msg_len);

/* 1 when dcmtk uses the compiled-in dictionary, 0 when it read DCMDICTPATH's files. */
int kira_dcm_dictionary_is_compiled_in(void);

/* Opens a file. Values longer than max_read_length bytes (e.g. pixel data) stay on
   disk until asked for; pass 0 to load everything. */
int kira_dcm_open(const char *path, uint32_t max_read_length, kira_dcm_file **out,
                  char *msg, size_t msg_len);
void kira_dcm_close(kira_dcm_file *file);

/* Transfer syntax UID of the dataset as read. */
int kira_dcm_transfer_syntax(kira_dcm_file *file, char *buf, size_t buf_len, char *msg, size_t msg_len);

/* Value of the attribute at a path such as "(0020,0032)" or
   "(5200,9230)[3].(0020,9113)[0].(0020,0032)", all values joined by backslashes. */
int kira_dcm_get_string(kira_dcm_file *file, const char *path, char *buf, size_t buf_len,
                        size_t *needed, char *msg, size_t msg_len);

/* Number of items of the sequence at path (0 when absent). */
int kira_dcm_sequence_count(kira_dcm_file *file, const char *path, size_t *count, char *msg, size_t msg_len);

/* A US/OW/SS element as 16-bit words (palette LUTs); count receives the number of words. */
int kira_dcm_get_uint16_array(kira_dcm_file *file, const char *path, uint16_t *buf, size_t buf_count,
                              size_t *count, char *msg, size_t msg_len);

/* Decodes frame `frame` (0-based) into dest (native byte order); dest_len must be at
   least rows*columns*samples*bytes per sample (rounded up to even). The colour model
   of the decoded samples is written to color_model. */
int kira_dcm_decode_frame(kira_dcm_file *file, uint32_t frame, void *dest, size_t dest_len,
                          char *color_model, size_t color_model_len, char *msg, size_t msg_len);

/* Closes the file the decoder kept open and forgets the frame position. Returns 1 when
   no pixel values stay in memory (native data is read frame by frame from disk), 0 when
   decoded or compressed values were loaded (close the handle instead). */
int kira_dcm_release_decoding_state(kira_dcm_file *file);

/* Roughly how many bytes the parsed dataset holds in memory: the values it loaded plus a
   fixed cost per element. Values left on disk (longer than maxReadLength) count only as
   elements. */
size_t kira_dcm_resident_estimate(kira_dcm_file *file);

/* Where native little-endian pixel data starts in the file, for reading frames without
   parsing the file again: KIRA_DCM_OK with *offset set when the top-level Pixel Data value
   was left on disk (longer than maxReadLength), dcmtk sizes a frame at frame_bytes, the
   value holds frames of them, and PhotometricInterpretation is present (dcmtk's frame
   decoder requires it). KIRA_DCM_UNSUPPORTED otherwise. */
int kira_dcm_native_pixel_offset(kira_dcm_file *file, size_t frame_bytes, uint32_t frames, uint64_t *offset);

/* The compressed bytes of one frame of encapsulated pixel data, allocated with malloc;
   free with kira_dcm_free_buffer. */
int kira_dcm_encapsulated_frame(kira_dcm_file *file, uint32_t frame, uint32_t frame_count,
                                uint8_t **data, size_t *length, char *msg, size_t msg_len);
void kira_dcm_free_buffer(uint8_t *data);

/* Decodes a greyscale RLE frame held in memory (PS3.5 Annex G; `bytes_per_sample` 1, 2
   or 4) into `pixels` native little-endian samples at dest, reading it through a window
   of `window` bytes (at least 258 are used), as a frame in one fragment is read from
   disk, or all at once when `window` is 0. */
int kira_dcm_rle_decode(const uint8_t *frame, size_t length, size_t pixels, unsigned bytes_per_sample, size_t window,
                        uint8_t *dest, char *msg, size_t msg_len);

/* Receives a band of decoded samples: `count` samples starting at sample `first` of the
   frame, in native byte order, stored values (no rescale, no inversion). Returns 0 to go on. */
typedef int (*kira_dcm_band_fn)(void *ctx, const void *samples, size_t first, size_t count);

/* Decodes a greyscale frame (1 sample per pixel, 8, 16 or 32 bits allocated) in bands of
   about band_bytes, handing each to fn in order, so the frame is never whole in memory:
   native little-endian pixel data is read from disk, RLE held in one fragment is decoded
   through windows. KIRA_DCM_UNSUPPORTED, before any band, for every other frame (decode
   it whole with kira_dcm_decode_frame); KIRA_DCM_ERROR when it failed after some bands. */
int kira_dcm_decode_frame_bands(kira_dcm_file *file, uint32_t frame, size_t band_bytes, kira_dcm_band_fn fn, void *ctx,
                                char *msg, size_t msg_len);

/* kira_dcm_rle_decode through kira_dcm_decode_frame_bands' decoder: bands of band_pixels
   samples, each copied to its place in dest (for tests of the band boundaries). */
int kira_dcm_rle_decode_bands(const uint8_t *frame, size_t length, size_t pixels, unsigned bytes_per_sample,
                              size_t window, size_t band_pixels, uint8_t *dest, char *msg, size_t msg_len);

/* The whole native (uncompressed) Pixel Data value as bytes, e.g. for 1-bit
   segmentations whose frames are not byte-aligned. needed receives the byte count. */
int kira_dcm_pixel_bytes(kira_dcm_file *file, uint8_t *buf, size_t buf_len, size_t *needed,
                         char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
