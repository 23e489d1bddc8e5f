// dcmtk behind a C interface: every entry point catches all exceptions and turns
// dcmtk conditions into status codes with a message, so nothing C++ crosses into Swift.
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcpath.h"
#include "dcmtk/dcmdata/dcfcache.h"
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
#include "kira_dcm_lookup.hpp"

struct kira_dcm_file {
    DcmFileFormat format;
    DcmFileCache cache;
    // Lets consecutive frames skip the fragment search in multi-frame data.
    Uint32 nextFragment = 0;
    long lastFrame = -2;
    AttributeLookup lookup;
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
        if (!obj) return fail(msg, msgLen, KIRA_DCM_NOT_FOUND, std::string(path) + " not present");
        if (!obj->isLeaf()) return fail(msg, msgLen, KIRA_DCM_ERROR, std::string(path) + " is a sequence or item");
        OFString value;
        c = static_cast<DcmElement *>(obj)->getOFStringArray(value);
        if (c.bad()) {
            if (obj->getLength() == 0) { value.clear(); }
            else return fromCondition(c, msg, msgLen, std::string("reading ") + path);
        }
        if (needed) *needed = value.length() + 1;
        if (value.length() + 1 > bufLen) return fail(msg, msgLen, KIRA_DCM_TOO_SMALL, "buffer too small");
        put(buf, bufLen, std::string(value.c_str(), value.length()));
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
        if (!obj || !obj->isLeaf()) return fail(msg, msgLen, KIRA_DCM_NOT_FOUND, std::string(path) + " not present");
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
        DcmDataset *ds = file->format.getDataset();
        DcmPixelData *pd = pixelData(ds);
        if (!pd) return fail(msg, msgLen, KIRA_DCM_NOT_FOUND, "no Pixel Data (7FE0,0010)");
        Uint32 frameSize = 0;
        OFCondition c = pd->getUncompressedFrameSize(ds, frameSize);
        if (c.bad()) return fromCondition(c, msg, msgLen, "cannot size a frame");
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

int kira_dcm_encapsulated_frame(kira_dcm_file *file, uint32_t frame, uint32_t frameCount, uint8_t **data,
                                size_t *length, char *msg, size_t msgLen) {
    try {
        *data = nullptr;
        *length = 0;
        DcmDataset *ds = file->format.getDataset();
        DcmPixelData *pd = pixelData(ds);
        if (!pd) return fail(msg, msgLen, KIRA_DCM_NOT_FOUND, "no Pixel Data (7FE0,0010)");
        DcmPixelSequence *seq = nullptr;
        OFCondition c = pd->getEncapsulatedRepresentation(ds->getOriginalXfer(), nullptr, seq);
        if (c.bad() || !seq) return fail(msg, msgLen, KIRA_DCM_ERROR, "pixel data is not encapsulated");
        unsigned long items = seq->card();
        if (items < 2) return fail(msg, msgLen, KIRA_DCM_TRUNCATED, "encapsulated pixel data has no fragments");
        size_t fragments = items - 1;

        // Byte offset of each fragment relative to the first fragment's item tag.
        std::vector<Uint8 *> bytes(fragments);
        std::vector<size_t> lens(fragments), offsets(fragments);
        size_t pos = 0;
        for (size_t i = 0; i < fragments; ++i) {
            DcmPixelItem *it = nullptr;
            if (seq->getItem(it, i + 1).bad() || !it) return fail(msg, msgLen, KIRA_DCM_ERROR, "missing fragment");
            Uint8 *b = nullptr;
            it->getUint8Array(b);
            bytes[i] = b;
            lens[i] = it->getLength();
            offsets[i] = pos;
            pos += 8 + lens[i];
        }

        std::vector<Uint32> bot;
        DcmPixelItem *table = nullptr;
        if (seq->getItem(table, 0).good() && table && table->getLength() >= 4) {
            Uint8 *t = nullptr;
            table->getUint8Array(t);
            if (t) {
                size_t n = table->getLength() / 4;
                for (size_t i = 0; i < n; ++i)
                    bot.push_back(Uint32(t[4 * i]) | Uint32(t[4 * i + 1]) << 8 | Uint32(t[4 * i + 2]) << 16 |
                                  Uint32(t[4 * i + 3]) << 24);
            }
        }

        size_t first = 0, last = 0;  // fragment range [first, last)
        if (bot.size() == frameCount && frame < bot.size()) {
            size_t startOff = bot[frame];
            size_t endOff = frame + 1 < bot.size() ? bot[frame + 1] : pos;
            first = fragments;
            for (size_t i = 0; i < fragments; ++i) if (offsets[i] == startOff) { first = i; break; }
            if (first == fragments) return fail(msg, msgLen, KIRA_DCM_ERROR, "Basic Offset Table points between fragments");
            last = first;
            while (last < fragments && offsets[last] < endOff) ++last;
        } else if (fragments == frameCount) {
            first = frame; last = frame + 1;
        } else if (frameCount == 1) {
            first = 0; last = fragments;
        } else {
            // No usable table: a frame starts at each fragment opening with a JPEG 2000
            // codestream (FF 4F) or JP2 signature box.
            std::vector<size_t> starts;
            for (size_t i = 0; i < fragments; ++i) {
                const Uint8 *b = bytes[i];
                if (b && lens[i] >= 2 && b[0] == 0xFF && b[1] == 0x4F) starts.push_back(i);
                else if (b && lens[i] >= 8 && b[4] == 'j' && b[5] == 'P' && b[6] == ' ' && b[7] == ' ') starts.push_back(i);
            }
            if (starts.size() != frameCount)
                return fail(msg, msgLen, KIRA_DCM_ERROR,
                            "cannot tell which fragments belong to which frame (" + std::to_string(fragments) +
                            " fragments, " + std::to_string(frameCount) + " frames, no offset table)");
            first = starts[frame];
            last = frame + 1 < starts.size() ? starts[frame + 1] : fragments;
        }
        size_t total = 0;
        for (size_t i = first; i < last; ++i) total += lens[i];
        uint8_t *out = static_cast<uint8_t *>(malloc(total ? total : 1));
        if (!out) return fail(msg, msgLen, KIRA_DCM_ERROR, "out of memory");
        size_t at = 0;
        for (size_t i = first; i < last; ++i) {
            if (bytes[i]) memcpy(out + at, bytes[i], lens[i]);
            at += lens[i];
        }
        *data = out;
        *length = total;
        return KIRA_DCM_OK;
    } catch (...) {
        return fail(msg, msgLen, KIRA_DCM_ERROR, "unexpected C++ exception");
    }
}

void kira_dcm_free_buffer(uint8_t *data) { free(data); }

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
