// dcmtk's RLE codec decodes each byte plane into a scratch buffer and then interleaves
// the planes byte by byte; for a 16-bit mammogram that was twice the work of decoding.
// Here each segment (byte plane) is expanded straight into its bytes of the output.
#include "kira_dcm_rle.hpp"

#include <cstring>

namespace {

uint32_t le32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// PackBits (PS3.5 G.3.1): a control byte n in 0…127 copies the next n + 1 bytes,
// n in -127…-1 repeats the next byte 1 − n times, -128 does nothing.
template <unsigned Stride>
bool expand(const uint8_t *p, const uint8_t *end, uint8_t *out, size_t count) {
    size_t produced = 0;
    while (produced < count) {
        if (p >= end) return false;
        int c = int8_t(*p++);
        if (c >= 0) {
            size_t n = size_t(c) + 1;
            if (size_t(end - p) < n || count - produced < n) return false;
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
            if (p >= end || count - produced < n) return false;
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
    return true;
}

}  // namespace

bool kira_rle_decode_grey(const uint8_t *data, size_t length, size_t pixels, unsigned bytesPerSample,
                          uint8_t *dest, std::string &err) {
    const uint16_t probe = 1;
    if (*reinterpret_cast<const uint8_t *>(&probe) != 1) {
        err = "big-endian host";
        return false;
    }
    if (length < 64) {
        err = "RLE header shorter than 64 bytes";
        return false;
    }
    uint32_t segments = le32(data);
    if (segments != bytesPerSample) {
        err = "RLE frame has " + std::to_string(segments) + " segments, expected " + std::to_string(bytesPerSample);
        return false;
    }
    for (uint32_t k = 0; k < segments; ++k) {
        size_t start = le32(data + 4 + 4 * k);
        size_t stop = k + 1 < segments ? le32(data + 8 + 4 * k) : length;
        if (start < 64 || start > stop || stop > length) {
            err = "RLE segment offsets out of order";
            return false;
        }
        // Segment 0 holds the most significant byte of every sample.
        uint8_t *out = dest + (bytesPerSample - 1 - k);
        const uint8_t *p = data + start, *end = data + stop;
        bool ok = bytesPerSample == 1 ? expand<1>(p, end, out, pixels)
                : bytesPerSample == 2 ? expand<2>(p, end, out, pixels)
                : expand<4>(p, end, out, pixels);
        if (!ok) {
            err = "RLE segment " + std::to_string(k + 1) + " does not decode to " + std::to_string(pixels) + " bytes";
            return false;
        }
    }
    return true;
}
