// Which fragments of encapsulated pixel data hold which frame (internal to CDcmtk).
#ifndef KIRA_DCM_FRAGMENTS_HPP
#define KIRA_DCM_FRAGMENTS_HPP

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmdata/dcpxitem.h"

#include <cstddef>
#include <string>
#include <vector>

struct Fragment {
    const Uint8 *bytes;
    size_t length;
};

/* The fragment list of one file, built once (walking dcmtk's item list by index is O(n)
   per item) and then answering each frame's fragments. A fragment's bytes are read from
   disk when first asked for. */
class FragmentTable {
public:
    /* The fragments of `frame` (0-based) of `frameCount`; returns a KIRA_DCM_ status and
       sets err on failure. */
    int frame(DcmDataset *ds, uint32_t frame, uint32_t frameCount, std::vector<Fragment> &out, std::string &err);

    /* The same fragments as dcmtk items, their values not read. */
    int frameItems(DcmDataset *ds, uint32_t frame, uint32_t frameCount, std::vector<DcmPixelItem *> &out,
                   std::string &err);

    void reset() {
        built = false;
        items.clear();
        offsets.clear();
        offsetTable.clear();
        starts.clear();
        startsBuilt = false;
    }

private:
    int build(DcmDataset *ds, std::string &err);
    int range(DcmDataset *ds, uint32_t frame, uint32_t frameCount, size_t &first, size_t &last, std::string &err);
    const Uint8 *bytes(size_t i);

    bool built = false;
    std::vector<DcmPixelItem *> items;       // fragments, without the offset table item
    std::vector<size_t> offsets;             // each fragment's item tag, from the first fragment's
    size_t endOffset = 0;
    std::vector<Uint32> offsetTable;         // Basic Offset Table, when present
    std::vector<size_t> starts;              // JPEG 2000 frame starts when there is no table
    bool startsBuilt = false;
};

#endif
