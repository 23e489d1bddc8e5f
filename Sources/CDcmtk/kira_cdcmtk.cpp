// dcmtk behind a C interface: every entry point catches all exceptions and turns
// dcmtk conditions into status codes with a message, so nothing C++ crosses into Swift.
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcpath.h"
#include "dcmtk/dcmdata/dcfcache.h"
#include "dcmtk/dcmdata/dcistrmf.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "kira_cdcmtk.h"
#include "kira_dcm_dictionary.hpp"
#include "kira_dcm_fragments.hpp"
#include "kira_dcm_lookup.hpp"
#include "kira_dcm_rle.hpp"

struct kira_dcm_file {
    DcmFileFormat format;
    DcmFileCache cache;
    // Lets consecutive frames skip the fragment search in multi-frame data.
    Uint32 nextFragment = 0;
    long lastFrame = -2;
    AttributeLookup lookup;
    FragmentTable fragments;
    // The Pixel Data element and the size of one decoded frame, found on the first decode:
    // dcmtk finds each by a linear search through the top-level attributes (five of them
    // for the size), which for a multi-frame file with a long header was repeated per frame.
    DcmPixelData *pixels = nullptr;
    Uint32 frameSize = 0;
};

namespace {

std::once_flag setupOnce;

void setup() {
    std::call_once(setupOnce, [] {
        OFLog::configure(OFLogger::OFF_LOG_LEVEL);
        kira_dcm_install_dictionary();
        DcmRLEDecoderRegistration::registerCodecs();
        // YCbCr JPEG is converted to RGB, colour by pixel, so callers see one layout.
        DJDecoderRegistration::registerCodecs(EDC_photometricInterpretation, EUC_never, EPC_colorByPixel);
        DJLSDecoderRegistration::registerCodecs(EJLSUC_never, EJLSPC_colorByPixel);
    });
}

void put(char *buf, size_t len, const std::string &s) {
    if (!buf || len == 0) return;
    size_t n = s.size() < len - 1 ? s.size() : len - 1;
    memcpy(buf, s.data(), n);
    buf[n] = 0;
}

int fail(char *msg, size_t msgLen, int code, const std::string &text) {
    put(msg, msgLen, text);
    return code;
}

// Absent attributes are the common answer of header reads (per-frame groups are tried
// before shared ones), so their message is written without building a std::string.
int notPresent(char *msg, size_t msgLen, const char *path) {
    if (msg && msgLen) snprintf(msg, msgLen, "%s not present", path);
    return KIRA_DCM_NOT_FOUND;
}

int fromCondition(const OFCondition &c, char *msg, size_t msgLen, const std::string &what) {
    if (c.good()) return KIRA_DCM_OK;
    int code = KIRA_DCM_ERROR;
    if (c == EC_StreamNotifyClient || c == EC_SequDelimitationItemMissing ||
        c == EC_InvalidStream)
        code = KIRA_DCM_TRUNCATED;
    return fail(msg, msgLen, code, what + ": " + c.text());
}

// True when the file has the DICM magic, or looks like a bare little-endian dataset.
bool looksLikeDICOM(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return true;  // let dcmtk report the real error
    unsigned char head[132];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n >= 132 && memcmp(head + 128, "DICM", 4) == 0) return true;
    // Bare dataset without preamble: starts with a group 0008 (or 0002) tag.
    if (n >= 8 && (head[0] == 0x08 || head[0] == 0x02) && head[1] == 0x00 && head[3] == 0x00) return true;
    return false;
}

DcmObject *findPath(kira_dcm_file *file, const char *path, OFCondition &cond) {
    DcmDataset *ds = file->format.getDataset();
    bool understood = false;
    DcmObject *found = file->lookup.find(ds, path, understood);
    if (understood) return found;
    // Wildcards, keywords and other path forms go through dcmtk's parser.
    DcmPathProcessor proc;
    cond = proc.findOrCreatePath(ds, path, OFFalse);
    if (cond.bad()) return nullptr;
    OFList<DcmPath *> results;
    if (proc.getResults(results) == 0) return nullptr;
    DcmPath *p = *results.begin();
    DcmPathNode *node = p->back();
    return node ? node->m_obj : nullptr;
}

int frameFragments(kira_dcm_file *file, uint32_t frame, uint32_t frameCount, std::vector<Fragment> &out,
                   std::string &err) {
    return file->fragments.frame(file->format.getDataset(), frame, frameCount, out, err);
}

// The window an RLE fragment is read through from disk.
constexpr size_t kRLEWindowBytes = size_t(256) << 10;

// Reads [offset, offset + count) of a frame held in memory; false past its end.
std::function<bool(uint8_t *, size_t, size_t)> memoryReader(const uint8_t *frame, size_t length) {
    return [frame, length](uint8_t *dst, size_t offset, size_t count) {
        if (offset > length || count > length - offset) return false;
        memcpy(dst, frame + offset, count);
        return true;
    };
}

// Reads a fragment piece by piece from the file (dcmtk's partial value reads).
std::function<bool(uint8_t *, size_t, size_t)> itemReader(DcmPixelItem *item, DcmFileCache &cache) {
    return [item, &cache](uint8_t *dst, size_t offset, size_t count) {
        return item->getPartialValue(dst, Uint32(offset), Uint32(count), &cache, EBO_LittleEndian).good();
    };
}

// What the frame-level decoders here take: one sample per pixel of 1, 2 or 4 bytes.
struct GreyFrames {
    size_t pixels = 0, bytes = 0;
    Uint32 frames = 1;
};

bool greyFrames(DcmDataset *ds, GreyFrames &out) {
    Uint16 spp = 0, bits = 0, rows = 0, cols = 0;
    if (ds->findAndGetUint16(DCM_SamplesPerPixel, spp).bad() || spp != 1) return false;
    if (ds->findAndGetUint16(DCM_BitsAllocated, bits).bad() || (bits != 8 && bits != 16 && bits != 32)) return false;
    if (ds->findAndGetUint16(DCM_Rows, rows).bad() || ds->findAndGetUint16(DCM_Columns, cols).bad()) return false;
    Sint32 frames = 1;
    if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
    out.pixels = size_t(rows) * cols;
    out.bytes = bits / 8;
    out.frames = Uint32(frames);
    return out.pixels > 0;
}

// Greyscale RLE frames bypass dcmtk's codec (see kira_dcm_rle.cpp). False when the frame
// is not one this decoder takes, or its stream is irregular: dcmtk then decodes it.
bool decodeRLEFrame(kira_dcm_file *file, uint32_t frame, void *dest, size_t destLen) {
    DcmDataset *ds = file->format.getDataset();
    if (ds->getOriginalXfer() != EXS_RLELossless) return false;
    GreyFrames shape;
    if (!greyFrames(ds, shape)) return false;
    size_t pixels = shape.pixels, bytes = shape.bytes;
    if (destLen < pixels * bytes) return false;
    std::string err;
    // A frame in one fragment is read through a window (kept on disk by the short
    // maxReadLength the file was opened with), not loaded whole.
    std::vector<DcmPixelItem *> items;
    if (file->fragments.frameItems(ds, frame, shape.frames, items, err) != KIRA_DCM_OK || items.empty()) return false;
    if (items.size() == 1) {
        DcmPixelItem *item = items[0];
        DcmFileCache cache;
        return kira_rle_decode_grey_read(itemReader(item, cache), item->getLength(), pixels, unsigned(bytes), kRLEWindowBytes,
                                         static_cast<uint8_t *>(dest), err);
    }
    std::vector<uint8_t> joined;
    for (DcmPixelItem *item : items) {
        Uint8 *b = nullptr;
        if (item->getUint8Array(b).bad() || !b) return false;
        joined.insert(joined.end(), b, b + item->getLength());
    }
    return kira_rle_decode_grey(joined.data(), joined.size(), pixels, unsigned(bytes), static_cast<uint8_t *>(dest), err);
}

// dcmtk's RLE codec (3.6.7) trusts the segment offsets in a frame's 64-byte header and reads
// wherever they point: a SEGV in DcmRLEDecoder::decompress (found by fuzzing). Frames that
// Kira's own decoder declined are checked here before dcmtk sees them: the frame is its
// fragments (PS3.5 G.2: one per frame), 1 to 15 segments, each starting at or after the
// header, in order, inside the frame.
uint32_t rleLE32(const uint8_t *p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

bool rleHeaderFits(kira_dcm_file *file, uint32_t frame, std::string &err) {
    DcmDataset *ds = file->format.getDataset();
    Sint32 frames = 1;
    if (ds->findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
    std::vector<DcmPixelItem *> items;
    if (file->fragments.frameItems(ds, frame, Uint32(frames), items, err) != KIRA_DCM_OK) return false;
    size_t length = 0;
    for (DcmPixelItem *item : items) length += item->getLength();
    uint8_t header[64];
    DcmFileCache cache;
    if (items.empty() || items[0]->getLength() < sizeof header || !itemReader(items[0], cache)(header, 0, sizeof header)) {
        err = "RLE frame shorter than its 64-byte header";
        return false;
    }
    uint32_t segments = rleLE32(header);
    if (segments < 1 || segments > 15) {
        err = "RLE frame declares " + std::to_string(segments) + " segments (1 to 15 allowed)";
        return false;
    }
    size_t previous = sizeof header;
    for (uint32_t k = 0; k < segments; ++k) {
        size_t start = rleLE32(header + 4 + 4 * k);
        if (start < previous || start > length) {
            err = "RLE segment " + std::to_string(k + 1) + " starts at byte " + std::to_string(start) +
                  ", outside the frame's " + std::to_string(length) + " bytes or before the previous segment";
            return false;
        }
        previous = start;
    }
    return true;
}

// A greyscale frame of whole bytes per sample, read and decoded a band at a time when its
// pixel data allows: native little-endian data straight from disk, or RLE in one fragment.
// Returns KIRA_DCM_OK when every band was emitted, KIRA_DCM_UNSUPPORTED (before any band)
// when the frame is not one of those, KIRA_DCM_ERROR when decoding failed part-way.
int decodeBands(kira_dcm_file *file, uint32_t frame, size_t bandBytes, kira_dcm_band_fn fn, void *ctx,
                std::string &err) {
    DcmDataset *ds = file->format.getDataset();
    E_TransferSyntax xfer = ds->getOriginalXfer();
    bool native = xfer == EXS_LittleEndianExplicit || xfer == EXS_LittleEndianImplicit;
    if (!native && xfer != EXS_RLELossless) return KIRA_DCM_UNSUPPORTED;
    GreyFrames shape;
    if (!greyFrames(ds, shape) || frame >= shape.frames) return KIRA_DCM_UNSUPPORTED;
    size_t pixels = shape.pixels, bytes = shape.bytes;
    size_t bandPixels = std::max<size_t>(1, bandBytes / bytes);
    DcmFileCache cache;
    if (native) {
        DcmElement *elem = nullptr;
        if (ds->findAndGetElement(DCM_PixelData, elem).bad() || !elem) return KIRA_DCM_UNSUPPORTED;
        size_t frameBytes = pixels * bytes, base = size_t(frame) * frameBytes;
        if (base + frameBytes > elem->getLength()) return KIRA_DCM_UNSUPPORTED;
        std::vector<uint8_t> band(std::min(pixels, bandPixels) * bytes);
        for (size_t first = 0; first < pixels; first += bandPixels) {
            size_t n = std::min(bandPixels, pixels - first);
            if (elem->getPartialValue(band.data(), Uint32(base + first * bytes), Uint32(n * bytes), &cache, EBO_LittleEndian).bad()) {
                err = "cannot read the pixel data of frame " + std::to_string(frame + 1);
                return first == 0 ? KIRA_DCM_UNSUPPORTED : KIRA_DCM_ERROR;
            }
            if (fn(ctx, band.data(), first, n) != 0) {
                err = "the decoded band was not taken";
                return KIRA_DCM_ERROR;
            }
        }
        return KIRA_DCM_OK;
    }
    std::vector<DcmPixelItem *> items;
    if (file->fragments.frameItems(ds, frame, shape.frames, items, err) != KIRA_DCM_OK || items.size() != 1)
        return KIRA_DCM_UNSUPPORTED;
    DcmPixelItem *item = items[0];
    bool emitted = false;
    auto emit = [&](const uint8_t *band, size_t first, size_t n) {
        emitted = true;
        return fn(ctx, band, first, n) == 0;
    };
    if (kira_rle_decode_grey_bands(itemReader(item, cache), item->getLength(), pixels, unsigned(bytes), kRLEWindowBytes, bandPixels, emit, err))
        return KIRA_DCM_OK;
    return emitted ? KIRA_DCM_ERROR : KIRA_DCM_UNSUPPORTED;
}

}  // namespace

extern "C" {

void kira_dcm_initialize(void) {
    try { setup(); } catch (...) {}
}

int kira_dcm_open(const char *path, uint32_t maxReadLength, kira_dcm_file **out, char *msg, size_t msgLen) {
    try {
        setup();
        *out = nullptr;
        if (!looksLikeDICOM(path)) return fail(msg, msgLen, KIRA_DCM_NOT_DICOM, "not a DICOM file (no DICM marker)");
        kira_dcm_file *f = new kira_dcm_file();
        OFCondition c = f->format.loadFile(path, EXS_Unknown, EGL_noChange,
                                           maxReadLength == 0 ? DCM_MaxReadLength : maxReadLength,
                                           ERM_autoDetect);
        if (c.bad()) {
            delete f;
            return fromCondition(c, msg, msgLen, "dcmtk could not parse the file");
        }
        *out = f;
        return KIRA_DCM_OK;
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception while opening");
    }
}

void kira_dcm_close(kira_dcm_file *file) {
    try { delete file; } catch (...) {}
}

int kira_dcm_transfer_syntax(kira_dcm_file *file, char *buf, size_t bufLen, char *msg, size_t msgLen) {
    try {
        DcmXfer x(file->format.getDataset()->getOriginalXfer());
        put(buf, bufLen, x.getXferID());
        return KIRA_DCM_OK;
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception");
    }
}

int kira_dcm_get_string(kira_dcm_file *file, const char *path, char *buf, size_t bufLen, size_t *needed,
                        char *msg, size_t msgLen) {
    try {
        OFCondition c;
        DcmObject *obj = findPath(file, path, c);
        if (!obj) return notPresent(msg, msgLen, path);
        if (!obj->isLeaf()) return fail(msg, msgLen, KIRA_DCM_ERROR, std::string(path) + " is a sequence or item");
        OFString value;
        c = static_cast<DcmElement *>(obj)->getOFStringArray(value);
        if (c.bad()) {
            if (obj->getLength() == 0) { value.clear(); }
            else return fromCondition(c, msg, msgLen, std::string("reading ") + path);
        }
        if (needed) *needed = value.length() + 1;
        if (value.length() + 1 > bufLen) return fail(msg, msgLen, KIRA_DCM_TOO_SMALL, "buffer too small");
        memcpy(buf, value.data(), value.length());
        buf[value.length()] = 0;
        return KIRA_DCM_OK;
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception");
    }
}

int kira_dcm_sequence_count(kira_dcm_file *file, const char *path, size_t *count, char *msg, size_t msgLen) {
    try {
        *count = 0;
        OFCondition c;
        DcmObject *obj = findPath(file, path, c);
        if (!obj) return KIRA_DCM_NOT_FOUND;
        if (obj->ident() != EVR_SQ) return fail(msg, msgLen, KIRA_DCM_ERROR, std::string(path) + " is not a sequence");
        *count = static_cast<DcmSequenceOfItems *>(obj)->card();
        return KIRA_DCM_OK;
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception");
    }
}

int kira_dcm_get_uint16_array(kira_dcm_file *file, const char *path, uint16_t *buf, size_t bufCount,
                              size_t *count, char *msg, size_t msgLen) {
    try {
        *count = 0;
        OFCondition c;
        DcmObject *obj = findPath(file, path, c);
        if (!obj || !obj->isLeaf()) return notPresent(msg, msgLen, path);
        DcmElement *e = static_cast<DcmElement *>(obj);
        // US and SS elements both hold 16-bit words; the caller knows their sign.
        auto copyWords = [&](const void *words) {
            size_t n = e->getLength() / 2;
            *count = n;
            if (n > bufCount) return fail(msg, msgLen, KIRA_DCM_TOO_SMALL, "buffer too small");
            memcpy(buf, words, n * 2);
            return static_cast<int>(KIRA_DCM_OK);
        };
        Uint16 *words = nullptr;
        if (e->getUint16Array(words).good() && words) return copyWords(words);
        Sint16 *swords = nullptr;
        if (e->getSint16Array(swords).good() && swords) return copyWords(swords);
        Uint8 *bytes = nullptr;
        if (e->getUint8Array(bytes).good() && bytes) {
            size_t n = e->getLength();
            *count = n;
            if (n > bufCount) return fail(msg, msgLen, KIRA_DCM_TOO_SMALL, "buffer too small");
            for (size_t i = 0; i < n; ++i) buf[i] = bytes[i];
            return KIRA_DCM_OK;
        }
        return fail(msg, msgLen, KIRA_DCM_ERROR, std::string(path) + " is not a 16-bit array");
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception");
    }
}

static DcmPixelData *pixelData(DcmDataset *ds) {
    DcmElement *elem = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, elem).bad() || !elem) return nullptr;
    return static_cast<DcmPixelData *>(elem);
}

int kira_dcm_decode_frame(kira_dcm_file *file, uint32_t frame, void *dest, size_t destLen,
                          char *colorModel, size_t colorModelLen, char *msg, size_t msgLen) {
    try {
        file->lookup.reset();
        if (decodeRLEFrame(file, frame, dest, destLen)) {
            put(colorModel, colorModelLen, "");
            return KIRA_DCM_OK;
        }
        DcmDataset *ds = file->format.getDataset();
        if (ds->getOriginalXfer() == EXS_RLELossless) {
            std::string err;
            if (!rleHeaderFits(file, frame, err))
                return fail(msg, msgLen, KIRA_DCM_ERROR, "cannot decode frame " + std::to_string(frame + 1) + ": " + err);
        }
        if (!file->pixels) {
            DcmPixelData *found = pixelData(ds);
            if (!found) return fail(msg, msgLen, KIRA_DCM_NOT_FOUND, "no Pixel Data (7FE0,0010)");
            Uint32 size = 0;
            OFCondition c = found->getUncompressedFrameSize(ds, size);
            if (c.bad()) return fromCondition(c, msg, msgLen, "cannot size a frame");
            file->pixels = found;
            file->frameSize = size;
        }
        DcmPixelData *pd = file->pixels;
        Uint32 frameSize = file->frameSize;
        OFCondition c;
        if (frameSize > destLen) return fail(msg, msgLen, KIRA_DCM_TOO_SMALL, "frame buffer too small");
        Uint32 start = (long)frame == file->lastFrame + 1 ? file->nextFragment : 0;
        OFString model;
        c = pd->getUncompressedFrame(ds, frame, start, dest, frameSize, model, &file->cache);
        if (c.bad()) {
            file->lastFrame = -2;
            file->nextFragment = 0;
            return fromCondition(c, msg, msgLen, "cannot decode frame " + std::to_string(frame + 1));
        }
        file->lastFrame = frame;
        file->nextFragment = start;
        put(colorModel, colorModelLen, std::string(model.c_str()));
        return KIRA_DCM_OK;
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception while decoding");
    }
}

int kira_dcm_release_decoding_state(kira_dcm_file *file) {
    try {
        file->cache.clear();
        file->fragments.reset();
        file->lastFrame = -2;
        file->nextFragment = 0;
        file->lookup.reset();
        DcmDataset *ds = file->format.getDataset();
        if (DcmXfer(ds->getOriginalXfer()).isEncapsulated()) return 0;
        DcmPixelData *pd = pixelData(ds);
        return pd && pd->valueLoaded() ? 0 : 1;
    } catch (...) {
        return 0;
    }
}

size_t kira_dcm_resident_estimate(kira_dcm_file *file) {
    try {
        // An element object, its list node and the heap blocks behind them: about this much.
        constexpr size_t perElement = 256;
        size_t total = 0;
        DcmStack stack;
        DcmDataset *ds = file->format.getDataset();
        while (ds->nextObject(stack, OFTrue).good()) {
            DcmObject *obj = stack.top();
            total += perElement;
            if (obj->isLeaf() && static_cast<DcmElement *>(obj)->valueLoaded()) total += obj->getLength();
        }
        return total;
    } catch (...) {
        return SIZE_MAX;
    }
}

int kira_dcm_native_pixel_offset(kira_dcm_file *file, size_t frame_bytes, uint32_t frames, uint64_t *offset) {
    try {
        *offset = 0;
        DcmDataset *ds = file->format.getDataset();
        E_TransferSyntax xfer = ds->getOriginalXfer();
        if (xfer != EXS_LittleEndianExplicit && xfer != EXS_LittleEndianImplicit) return KIRA_DCM_UNSUPPORTED;
        OFString photometric;
        if (ds->findAndGetOFString(DCM_PhotometricInterpretation, photometric).bad()) return KIRA_DCM_UNSUPPORTED;
        DcmPixelData *pd = pixelData(ds);
        if (!pd || pd->valueLoaded()) return KIRA_DCM_UNSUPPORTED;
        // A value left on disk keeps a factory for a stream positioned at its first byte;
        // a file stream's factory knows that position (deflated data has no factory).
        auto *source = dynamic_cast<const DcmInputFileStreamFactory *>(pd->getInputStream());
        if (!source) return KIRA_DCM_UNSUPPORTED;
        Uint32 size = 0;
        if (pd->getUncompressedFrameSize(ds, size).bad() || size != frame_bytes || size == 0) return KIRA_DCM_UNSUPPORTED;
        if (uint64_t(size) * frames > pd->getLength()) return KIRA_DCM_UNSUPPORTED;
        *offset = uint64_t(source->getOffset());
        return KIRA_DCM_OK;
    } catch (...) {
        return KIRA_DCM_UNSUPPORTED;
    }
}

int kira_dcm_encapsulated_frame(kira_dcm_file *file, uint32_t frame, uint32_t frameCount, uint8_t **data,
                                size_t *length, char *msg, size_t msgLen) {
    try {
        *data = nullptr;
        *length = 0;
        std::vector<Fragment> parts;
        std::string err;
        int rc = frameFragments(file, frame, frameCount, parts, err);
        if (rc != KIRA_DCM_OK) return fail(msg, msgLen, rc, err);
        size_t total = 0;
        for (const Fragment &f : parts) total += f.length;
        uint8_t *out = static_cast<uint8_t *>(malloc(total ? total : 1));
        if (!out) return fail(msg, msgLen, KIRA_DCM_ERROR, "out of memory");
        size_t at = 0;
        for (const Fragment &f : parts) {
            if (f.bytes) memcpy(out + at, f.bytes, f.length);
            at += f.length;
        }
        *data = out;
        *length = total;
        return KIRA_DCM_OK;
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception");
    }
}

void kira_dcm_free_buffer(uint8_t *data) { free(data); }

int kira_dcm_decode_frame_bands(kira_dcm_file *file, uint32_t frame, size_t band_bytes, kira_dcm_band_fn fn, void *ctx,
                                char *msg, size_t msgLen) {
    try {
        file->lookup.reset();
        std::string err;
        int rc = decodeBands(file, frame, band_bytes, fn, ctx, err);
        if (rc == KIRA_DCM_OK) return rc;
        return fail(msg, msgLen, rc, err.empty() ? "frame not decodable in bands" : err.c_str());
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception");
    }
}

int kira_dcm_rle_decode_bands(const uint8_t *frame, size_t length, size_t pixels, unsigned bytes_per_sample,
                              size_t window, size_t band_pixels, uint8_t *dest, char *msg, size_t msgLen) {
    try {
        std::string err;
        size_t next = 0;
        auto emit = [&](const uint8_t *band, size_t first, size_t n) {
            if (first != next) return false;
            memcpy(dest + first * bytes_per_sample, band, n * bytes_per_sample);
            next = first + n;
            return true;
        };
        bool ok = kira_rle_decode_grey_bands(memoryReader(frame, length), length, pixels, bytes_per_sample, window, band_pixels, emit, err);
        return ok ? KIRA_DCM_OK : fail(msg, msgLen, KIRA_DCM_ERROR, err.c_str());
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "RLE decoding failed");
    }
}

int kira_dcm_rle_decode(const uint8_t *frame, size_t length, size_t pixels, unsigned bytes_per_sample, size_t window,
                        uint8_t *dest, char *msg, size_t msgLen) {
    try {
        std::string err;
        bool ok;
        if (window == 0) {
            ok = kira_rle_decode_grey(frame, length, pixels, bytes_per_sample, dest, err);
        } else {
            ok = kira_rle_decode_grey_read(memoryReader(frame, length), length, pixels, bytes_per_sample, window, dest, err);
        }
        return ok ? KIRA_DCM_OK : fail(msg, msgLen, KIRA_DCM_ERROR, err.c_str());
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "RLE decoding failed");
    }
}

int kira_dcm_pixel_bytes(kira_dcm_file *file, uint8_t *buf, size_t bufLen, size_t *needed, char *msg, size_t msgLen) {
    try {
        *needed = 0;
        DcmDataset *ds = file->format.getDataset();
        DcmElement *elem = nullptr;
        if (ds->findAndGetElement(DCM_PixelData, elem).bad() || !elem)
            return fail(msg, msgLen, KIRA_DCM_NOT_FOUND, "no Pixel Data (7FE0,0010)");
        DcmXfer x(ds->getOriginalXfer());
        if (x.isEncapsulated()) return fail(msg, msgLen, KIRA_DCM_ERROR, "pixel data is compressed");
        Uint8 *bytes = nullptr;
        OFCondition c = elem->getUint8Array(bytes);
        if (c.bad() || !bytes) return fromCondition(c, msg, msgLen, "cannot read Pixel Data");
        size_t n = elem->getLength();
        *needed = n;
        if (n > bufLen) return fail(msg, msgLen, KIRA_DCM_TOO_SMALL, "buffer too small");
        memcpy(buf, bytes, n);
        return KIRA_DCM_OK;
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception");
    }
}

}  // extern "C"
