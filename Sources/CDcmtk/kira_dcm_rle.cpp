// dcmtk's RLE codec decodes each byte plane into a scratch buffer and then interleaves
// the planes byte by byte; for a 16-bit mammogram that was twice the work of decoding.
// Here each segment (byte plane) is expanded straight into its bytes of the output.
// The compressed frame can be read through a window, so a large fragment (a mammogram's
// is ~9 MB) need not be resident at once, and the output can be produced in bands, so
// the decoded frame need not be either.
#include "kira_dcm_rle.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace {

using ReadFn = std::function<bool(uint8_t *, size_t, size_t)>;

uint32_t le32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// The most bytes one PackBits step reads: a control byte and 128 literals.
constexpr size_t kLongestStep = 129;

// One segment's PackBits stream (PS3.5 G.3.1: a control byte n in 0…127 copies the next
// n + 1 bytes, n in -127…-1 repeats the next byte 1 − n times, -128 does nothing), read
// from memory or through its own window, and expanded a piece at a time: a step may end
// beyond the piece asked for, so what is left of it (literal bytes still in the window,
// or repeats) carries over to the next piece.
class SegmentStream {
public:
    // A segment held in memory: data[start, stop).
    SegmentStream(const uint8_t *data, size_t start, size_t stop)
        : read_(nullptr), next_(stop), stop_(stop), buf_(data + start), end_(stop - start) {}

    // A segment at [start, stop) of a frame that `read` copies out, through a window.
    SegmentStream(const ReadFn &read, size_t start, size_t stop, size_t windowBytes)
        : read_(&read), next_(start), stop_(stop), window_(std::max(windowBytes, 2 * kLongestStep)),
          buf_(window_.data()) {}

    // Writes exactly `count` bytes to out[0], out[Stride], …; false when the segment ends
    // early or cannot be read.
    template <unsigned Stride>
    bool expand(uint8_t *out, size_t count) {
        size_t produced = 0;
        while (produced < count) {
            if (literal_ > 0) {
                size_t n = std::min(literal_, count - produced);
                if (end_ - at_ < n) return false;
                const uint8_t *p = buf_ + at_;
                if (Stride == 1) {
                    memcpy(out + produced, p, n);
                } else {
                    uint8_t *o = out + produced * Stride;
                    for (size_t i = 0; i < n; ++i) o[i * Stride] = p[i];
                }
                at_ += n;
                literal_ -= n;
                produced += n;
                continue;
            }
            if (repeat_ > 0) {
                size_t n = std::min(repeat_, count - produced);
                if (Stride == 1) {
                    memset(out + produced, value_, n);
                } else {
                    uint8_t *o = out + produced * Stride;
                    for (size_t i = 0; i < n; ++i) o[i * Stride] = value_;
                }
                repeat_ -= n;
                produced += n;
                continue;
            }
            // A new step starts with a whole step's bytes in the window, or all that is left.
            if (next_ < stop_ && end_ - at_ < kLongestStep && !refill()) return false;
            if (at_ >= end_) return false;
            int c = int8_t(buf_[at_++]);
            if (c >= 0) {
                literal_ = size_t(c) + 1;
            } else if (c != -128) {
                if (at_ >= end_) return false;
                value_ = buf_[at_++];
                repeat_ = size_t(1 - c);
            }
        }
        return true;
    }

    bool expandStrided(unsigned stride, uint8_t *out, size_t count) {
        return stride == 1 ? expand<1>(out, count) : stride == 2 ? expand<2>(out, count) : expand<4>(out, count);
    }

    // Whether the last step ended exactly where the expected bytes did.
    bool exact() const { return literal_ == 0 && repeat_ == 0; }

private:
    bool refill() {
        size_t kept = end_ - at_;
        memmove(window_.data(), window_.data() + at_, kept);
        size_t n = std::min(window_.size() - kept, stop_ - next_);
        if (n > 0 && !(*read_)(window_.data() + kept, next_, n)) return false;
        next_ += n;
        at_ = 0;
        end_ = kept + n;
        return true;
    }

    const ReadFn *read_;
    size_t next_, stop_;
    std::vector<uint8_t> window_;
    // The window's storage, or the segment in memory; a moved vector keeps its storage, so
    // this stays valid when the stream is moved.
    const uint8_t *buf_;
    size_t at_ = 0, end_ = 0;
    size_t literal_ = 0, repeat_ = 0;
    uint8_t value_ = 0;
};

// The frame's 64-byte header: segment count and each segment's [start, stop).
bool segmentRanges(const uint8_t *header, size_t length, unsigned bytesPerSample,
                   std::vector<std::pair<size_t, size_t>> &ranges, std::string &err) {
    uint32_t segments = le32(header);
    if (segments != bytesPerSample) {
        err = "RLE frame has " + std::to_string(segments) + " segments, expected " + std::to_string(bytesPerSample);
        return false;
    }
    for (uint32_t k = 0; k < segments; ++k) {
        size_t start = le32(header + 4 + 4 * k);
        size_t stop = k + 1 < segments ? le32(header + 8 + 4 * k) : length;
        if (start < 64 || start > stop || stop > length) {
            err = "RLE segment offsets out of order";
            return false;
        }
        ranges.emplace_back(start, stop);
    }
    return true;
}

// Samples are written as little-endian bytes.
bool littleEndianHost(std::string &err) {
    const uint16_t probe = 1;
    if (*reinterpret_cast<const uint8_t *>(&probe) != 1) {
        err = "big-endian host";
        return false;
    }
    return true;
}

// The segments of a frame that `read` copies out, each through its own window.
bool openSegments(const ReadFn &read, size_t length, unsigned bytesPerSample, size_t windowBytes,
                  std::vector<SegmentStream> &segments, std::string &err) {
    if (!littleEndianHost(err)) return false;
    uint8_t header[64];
    if (length < 64 || !read(header, 0, 64)) {
        err = "RLE header shorter than 64 bytes";
        return false;
    }
    std::vector<std::pair<size_t, size_t>> ranges;
    if (!segmentRanges(header, length, bytesPerSample, ranges, err)) return false;
    segments.reserve(ranges.size());
    for (auto &r : ranges) segments.emplace_back(read, r.first, r.second, windowBytes);
    return true;
}

std::string segmentError(size_t k, size_t pixels) {
    return "RLE segment " + std::to_string(k + 1) + " does not decode to " + std::to_string(pixels) + " bytes";
}

// Expands every segment into its byte of each sample at dest (segment 0 holds the most
// significant byte), `pixels` samples in one piece.
bool expandWhole(std::vector<SegmentStream> &segments, size_t pixels, unsigned bytesPerSample, uint8_t *dest,
                 std::string &err) {
    for (size_t k = 0; k < segments.size(); ++k) {
        if (!segments[k].expandStrided(bytesPerSample, dest + (bytesPerSample - 1 - k), pixels) || !segments[k].exact()) {
            err = segmentError(k, pixels);
            return false;
        }
    }
    return true;
}

}  // namespace

bool kira_rle_decode_grey(const uint8_t *data, size_t length, size_t pixels, unsigned bytesPerSample,
                          uint8_t *dest, std::string &err) {
    if (!littleEndianHost(err)) return false;
    if (length < 64) {
        err = "RLE header shorter than 64 bytes";
        return false;
    }
    std::vector<std::pair<size_t, size_t>> ranges;
    if (!segmentRanges(data, length, bytesPerSample, ranges, err)) return false;
    std::vector<SegmentStream> segments;
    segments.reserve(ranges.size());
    for (auto &r : ranges) segments.emplace_back(data, r.first, r.second);
    return expandWhole(segments, pixels, bytesPerSample, dest, err);
}

bool kira_rle_decode_grey_read(const ReadFn &read, size_t length, size_t pixels, unsigned bytesPerSample,
                               size_t windowBytes, uint8_t *dest, std::string &err) {
    std::vector<SegmentStream> segments;
    return openSegments(read, length, bytesPerSample, windowBytes, segments, err) &&
           expandWhole(segments, pixels, bytesPerSample, dest, err);
}

bool kira_rle_decode_grey_bands(const ReadFn &read, size_t length, size_t pixels, unsigned bytesPerSample,
                                size_t windowBytes, size_t bandPixels,
                                const std::function<bool(const uint8_t *, size_t, size_t)> &emit, std::string &err) {
    std::vector<SegmentStream> segments;
    if (!openSegments(read, length, bytesPerSample, windowBytes, segments, err)) return false;
    bandPixels = std::max<size_t>(1, std::min(bandPixels, pixels));
    std::vector<uint8_t> band(bandPixels * bytesPerSample);
    for (size_t first = 0; first < pixels; first += bandPixels) {
        size_t n = std::min(bandPixels, pixels - first);
        for (size_t k = 0; k < segments.size(); ++k) {
            if (!segments[k].expandStrided(bytesPerSample, band.data() + (bytesPerSample - 1 - k), n) ||
                (first + n == pixels && !segments[k].exact())) {
                err = segmentError(k, pixels);
                return false;
            }
        }
        if (!emit(band.data(), first, n)) {
            err = "the decoded band was not taken";
            return false;
        }
    }
    return true;
}
