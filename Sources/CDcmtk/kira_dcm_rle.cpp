// dcmtk's RLE codec decodes each byte plane into a scratch buffer and then interleaves
// the planes byte by byte; for a 16-bit mammogram that was twice the work of decoding.
// Here each segment (byte plane) is expanded straight into its bytes of the output.
// The compressed frame can be read through a window, so a large fragment (a mammogram's
// is ~9 MB) need not be resident at once.
#include "kira_dcm_rle.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace {

uint32_t le32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// The most bytes one PackBits step reads: a control byte and 128 literals.
constexpr size_t kLongestStep = 129;

enum class Step { needInput, done, malformed };

// PackBits (PS3.5 G.3.1): a control byte n in 0…127 copies the next n + 1 bytes,
// n in -127…-1 repeats the next byte 1 − n times, -128 does nothing. Expands from p
// (advanced) into out, counting `produced`, until `count` bytes are out. Unless `last`
// (end is the segment's end), it stops before a step that could run past `end`.
template <unsigned Stride>
Step expand(const uint8_t *&p, const uint8_t *end, bool last, uint8_t *out, size_t &produced, size_t count) {
    while (produced < count) {
        if (!last && size_t(end - p) < kLongestStep) return Step::needInput;
        if (p >= end) return Step::malformed;
        int c = int8_t(*p++);
        if (c >= 0) {
            size_t n = size_t(c) + 1;
            if (size_t(end - p) < n || count - produced < n) return Step::malformed;
            if (Stride == 1) {
                memcpy(out + produced, p, n);
            } else {
                uint8_t *o = out + produced * Stride;
                for (size_t i = 0; i < n; ++i) o[i * Stride] = p[i];
            }
            p += n;
            produced += n;
        } else if (c != -128) {
            size_t n = size_t(1 - c);
            if (p >= end || count - produced < n) return Step::malformed;
            uint8_t v = *p++;
            if (Stride == 1) {
                memset(out + produced, v, n);
            } else {
                uint8_t *o = out + produced * Stride;
                for (size_t i = 0; i < n; ++i) o[i * Stride] = v;
            }
            produced += n;
        }
    }
    return Step::done;
}

Step expandAny(unsigned stride, const uint8_t *&p, const uint8_t *end, bool last, uint8_t *out, size_t &produced,
               size_t count) {
    return stride == 1 ? expand<1>(p, end, last, out, produced, count)
         : stride == 2 ? expand<2>(p, end, last, out, produced, count)
         : expand<4>(p, end, last, out, produced, count);
}

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

bool littleEndianHost(std::string &err) {
    const uint16_t probe = 1;
    if (*reinterpret_cast<const uint8_t *>(&probe) != 1) {
        err = "big-endian host";
        return false;
    }
    return true;
}

std::string segmentError(size_t k, size_t pixels) {
    return "RLE segment " + std::to_string(k + 1) + " does not decode to " + std::to_string(pixels) + " bytes";
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
    for (size_t k = 0; k < ranges.size(); ++k) {
        // Segment 0 holds the most significant byte of every sample.
        uint8_t *out = dest + (bytesPerSample - 1 - k);
        const uint8_t *p = data + ranges[k].first;
        size_t produced = 0;
        if (expandAny(bytesPerSample, p, data + ranges[k].second, true, out, produced, pixels) != Step::done) {
            err = segmentError(k, pixels);
            return false;
        }
    }
    return true;
}

bool kira_rle_decode_grey_read(const std::function<bool(uint8_t *, size_t, size_t)> &read, size_t length,
                               size_t pixels, unsigned bytesPerSample, size_t windowBytes, uint8_t *dest,
                               std::string &err) {
    if (!littleEndianHost(err)) return false;
    uint8_t header[64];
    if (length < 64 || !read(header, 0, 64)) {
        err = "RLE header shorter than 64 bytes";
        return false;
    }
    std::vector<std::pair<size_t, size_t>> ranges;
    if (!segmentRanges(header, length, bytesPerSample, ranges, err)) return false;
    // Before the window runs short of one whole step, its tail moves to the front and the
    // rest is refilled from the fragment.
    std::vector<uint8_t> window(std::max(windowBytes, 2 * kLongestStep));
    for (size_t k = 0; k < ranges.size(); ++k) {
        uint8_t *out = dest + (bytesPerSample - 1 - k);
        size_t next = ranges[k].first, stop = ranges[k].second, produced = 0;
        const uint8_t *p = window.data(), *end = window.data();
        Step s = Step::needInput;
        while (s == Step::needInput) {
            size_t kept = size_t(end - p);
            memmove(window.data(), p, kept);
            size_t n = std::min(window.size() - kept, stop - next);
            if (n > 0 && !read(window.data() + kept, next, n)) {
                err = "cannot read RLE segment " + std::to_string(k + 1);
                return false;
            }
            next += n;
            p = window.data();
            end = window.data() + kept + n;
            s = expandAny(bytesPerSample, p, end, next == stop, out, produced, pixels);
        }
        if (s != Step::done) {
            err = segmentError(k, pixels);
            return false;
        }
    }
    return true;
}

namespace {

// One segment read through its own window and expanded a piece at a time: a PackBits step
// may end beyond the piece asked for, so what is left of it (literal bytes still in the
// window, or repeats) carries over to the next piece.
class SegmentStream {
public:
    SegmentStream(const std::function<bool(uint8_t *, size_t, size_t)> &read, size_t start, size_t stop, size_t windowBytes)
        : read_(read), next_(start), stop_(stop), window_(std::max(windowBytes, 2 * kLongestStep)) {}

    // Writes exactly `count` bytes to out[0], out[stride], …; false when the segment ends
    // early or cannot be read.
    template <unsigned Stride>
    bool expand(uint8_t *out, size_t count) {
        size_t produced = 0;
        while (produced < count) {
            if (literal_ > 0) {
                size_t n = std::min(literal_, count - produced);
                if (end_ - at_ < n) return false;
                const uint8_t *p = window_.data() + at_;
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
            int c = int8_t(window_[at_++]);
            if (c >= 0) {
                literal_ = size_t(c) + 1;
            } else if (c != -128) {
                if (at_ >= end_) return false;
                value_ = window_[at_++];
                repeat_ = size_t(1 - c);
            }
        }
        return true;
    }

    // Whether the last step ended exactly where the expected bytes did.
    bool exact() const { return literal_ == 0 && repeat_ == 0; }

private:
    bool refill() {
        size_t kept = end_ - at_;
        memmove(window_.data(), window_.data() + at_, kept);
        size_t n = std::min(window_.size() - kept, stop_ - next_);
        if (n > 0 && !read_(window_.data() + kept, next_, n)) return false;
        next_ += n;
        at_ = 0;
        end_ = kept + n;
        return true;
    }

    const std::function<bool(uint8_t *, size_t, size_t)> &read_;
    size_t next_, stop_;
    std::vector<uint8_t> window_;
    size_t at_ = 0, end_ = 0;
    size_t literal_ = 0, repeat_ = 0;
    uint8_t value_ = 0;
};

}  // namespace

bool kira_rle_decode_grey_bands(const std::function<bool(uint8_t *, size_t, size_t)> &read, size_t length,
                                size_t pixels, unsigned bytesPerSample, size_t windowBytes, size_t bandPixels,
                                const std::function<bool(const uint8_t *, size_t, size_t)> &emit, std::string &err) {
    if (!littleEndianHost(err)) return false;
    uint8_t header[64];
    if (length < 64 || !read(header, 0, 64)) {
        err = "RLE header shorter than 64 bytes";
        return false;
    }
    std::vector<std::pair<size_t, size_t>> ranges;
    if (!segmentRanges(header, length, bytesPerSample, ranges, err)) return false;
    std::vector<SegmentStream> segments;
    segments.reserve(ranges.size());
    for (auto &r : ranges) segments.emplace_back(read, r.first, r.second, windowBytes);
    bandPixels = std::max<size_t>(1, std::min(bandPixels, pixels));
    std::vector<uint8_t> band(bandPixels * bytesPerSample);
    for (size_t first = 0; first < pixels; first += bandPixels) {
        size_t n = std::min(bandPixels, pixels - first);
        for (size_t k = 0; k < segments.size(); ++k) {
            // Segment 0 holds the most significant byte of every sample.
            uint8_t *out = band.data() + (bytesPerSample - 1 - k);
            bool ok = bytesPerSample == 1 ? segments[k].expand<1>(out, n)
                    : bytesPerSample == 2 ? segments[k].expand<2>(out, n)
                    : segments[k].expand<4>(out, n);
            if (!ok || (first + n == pixels && !segments[k].exact())) {
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

