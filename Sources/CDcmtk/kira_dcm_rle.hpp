// DICOM RLE Lossless frames decoded straight into the caller's buffer (internal to CDcmtk).
#ifndef KIRA_DCM_RLE_HPP
#define KIRA_DCM_RLE_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

/* Decodes one greyscale RLE frame (PS3.5 Annex G) of `pixels` samples of
   `bytesPerSample` bytes into dest as native little-endian samples. Returns false, with
   the reason in err, when the stream is not exactly what Annex G describes; the caller
   then lets dcmtk's more lenient decoder try. */
bool kira_rle_decode_grey(const uint8_t *data, size_t length, size_t pixels, unsigned bytesPerSample,
                          uint8_t *dest, std::string &err);

/* The same from a frame of `length` bytes that `read(dst, offset, count)` copies out piece
   by piece (false when it cannot) into a window of `windowBytes` (at least 258 are used),
   so the compressed frame is never whole in memory. */
bool kira_rle_decode_grey_read(const std::function<bool(uint8_t *, size_t, size_t)> &read, size_t length,
                               size_t pixels, unsigned bytesPerSample, size_t windowBytes, uint8_t *dest,
                               std::string &err);

/* The same in bands: the frame's samples are produced `bandPixels` at a time (the last band
   may be shorter), each handed to emit(samples, firstSample, count) in order, so neither
   the compressed nor the decoded frame is ever whole in memory. Every segment has its own
   window. Bands already emitted stay valid when a later one fails. */
bool kira_rle_decode_grey_bands(const std::function<bool(uint8_t *, size_t, size_t)> &read, size_t length,
                                size_t pixels, unsigned bytesPerSample, size_t windowBytes, size_t bandPixels,
                                const std::function<bool(const uint8_t *, size_t, size_t)> &emit, std::string &err);

#endif
