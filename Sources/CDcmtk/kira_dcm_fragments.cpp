#include "kira_dcm_fragments.hpp"

#include "kira_cdcmtk.h"

int FragmentTable::build(DcmDataset *ds, std::string &err) {
    DcmElement *elem = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, elem).bad() || !elem) {
        err = "no Pixel Data (7FE0,0010)";
        return KIRA_DCM_NOT_FOUND;
    }
    DcmPixelSequence *seq = nullptr;
    OFCondition c = static_cast<DcmPixelData *>(elem)->getEncapsulatedRepresentation(ds->getOriginalXfer(), nullptr, seq);
    if (c.bad() || !seq) {
        err = "pixel data is not encapsulated";
        return KIRA_DCM_ERROR;
    }
    if (seq->card() < 2) {
        err = "encapsulated pixel data has no fragments";
        return KIRA_DCM_TRUNCATED;
    }
    DcmObject *first = seq->nextInContainer(nullptr);  // the Basic Offset Table item
    DcmPixelItem *table = static_cast<DcmPixelItem *>(first);
    if (table && table->getLength() >= 4) {
        Uint8 *t = nullptr;
        table->getUint8Array(t);
        if (t) {
            size_t n = table->getLength() / 4;
            for (size_t i = 0; i < n; ++i)
                offsetTable.push_back(Uint32(t[4 * i]) | Uint32(t[4 * i + 1]) << 8 | Uint32(t[4 * i + 2]) << 16 |
                                      Uint32(t[4 * i + 3]) << 24);
        }
    }
    size_t pos = 0;
    for (DcmObject *o = seq->nextInContainer(first); o; o = seq->nextInContainer(o)) {
        DcmPixelItem *it = static_cast<DcmPixelItem *>(o);
        items.push_back(it);
        offsets.push_back(pos);
        pos += 8 + it->getLength();
    }
    endOffset = pos;
    built = true;
    return KIRA_DCM_OK;
}

const Uint8 *FragmentTable::bytes(size_t i) {
    Uint8 *b = nullptr;
    items[i]->getUint8Array(b);
    return b;
}

int FragmentTable::frame(DcmDataset *ds, uint32_t frame, uint32_t frameCount, std::vector<Fragment> &out,
                         std::string &err) {
    out.clear();
    size_t first = 0, last = 0;
    int rc = range(ds, frame, frameCount, first, last, err);
    if (rc != KIRA_DCM_OK) return rc;
    for (size_t i = first; i < last; ++i) out.push_back(Fragment{bytes(i), items[i]->getLength()});
    return KIRA_DCM_OK;
}

int FragmentTable::frameItems(DcmDataset *ds, uint32_t frame, uint32_t frameCount, std::vector<DcmPixelItem *> &out,
                              std::string &err) {
    out.clear();
    size_t first = 0, last = 0;
    int rc = range(ds, frame, frameCount, first, last, err);
    if (rc != KIRA_DCM_OK) return rc;
    out.assign(items.begin() + first, items.begin() + last);
    return KIRA_DCM_OK;
}

// The fragment indices [first, last) of `frame`.
int FragmentTable::range(DcmDataset *ds, uint32_t frame, uint32_t frameCount, size_t &first, size_t &last,
                         std::string &err) {
    if (!built) {
        int rc = build(ds, err);
        if (rc != KIRA_DCM_OK) return rc;
    }
    size_t fragments = items.size();
    first = 0;
    last = 0;
    if (offsetTable.size() == frameCount && frame < offsetTable.size()) {
        size_t startOff = offsetTable[frame];
        size_t endOff = frame + 1 < offsetTable.size() ? offsetTable[frame + 1] : endOffset;
        first = fragments;
        for (size_t i = 0; i < fragments; ++i)
            if (offsets[i] == startOff) { first = i; break; }
        if (first == fragments) {
            err = "Basic Offset Table points between fragments";
            return KIRA_DCM_ERROR;
        }
        last = first;
        while (last < fragments && offsets[last] < endOff) ++last;
    } else if (fragments == frameCount) {
        first = frame;
        last = frame + 1;
    } else if (frameCount == 1) {
        first = 0;
        last = fragments;
    } else {
        // No usable table: a frame starts at each fragment opening with a JPEG 2000
        // codestream (FF 4F) or JP2 signature box.
        if (!startsBuilt) {
            for (size_t i = 0; i < fragments; ++i) {
                const Uint8 *b = bytes(i);
                size_t n = items[i]->getLength();
                if (b && n >= 2 && b[0] == 0xFF && b[1] == 0x4F) starts.push_back(i);
                else if (b && n >= 8 && b[4] == 'j' && b[5] == 'P' && b[6] == ' ' && b[7] == ' ') starts.push_back(i);
            }
            startsBuilt = true;
        }
        if (starts.size() != frameCount) {
            err = "cannot tell which fragments belong to which frame (" + std::to_string(fragments) + " fragments, " +
                  std::to_string(frameCount) + " frames, no offset table)";
            return KIRA_DCM_ERROR;
        }
        first = starts[frame];
        last = frame + 1 < starts.size() ? starts[frame + 1] : fragments;
    }
    if (frame >= frameCount || first >= fragments) {
        err = "frame " + std::to_string(frame + 1) + " is not in the pixel data";
        return KIRA_DCM_ERROR;
    }
    return KIRA_DCM_OK;
}
