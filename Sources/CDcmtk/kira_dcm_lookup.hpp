// Attribute lookup by path without dcmtk's path parser (internal to CDcmtk).
#ifndef KIRA_DCM_LOOKUP_HPP
#define KIRA_DCM_LOOKUP_HPP

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmdata/dcsequen.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

/* Finds attributes at paths like "(0020,0032)" or "(5200,9230)[41].(0020,9113)[0].(0020,0032)".
   dcmtk's own route (DcmPathProcessor, then DcmSequenceOfItems::getItem, which walks the
   item list from its head) costs O(n) per item index, so reading every frame of an
   enhanced file was O(n²). Here each item's elements and each sequence's items are
   indexed once, on first use, and every later step is a hash or vector lookup.
   The dataset must not change while the index is in use (see reset). */
class AttributeLookup {
public:
    /* The object at `path` under `root`, or nullptr when absent. `understood` is false
       when the path is not of the (gggg,eeee)[n]. form; the caller falls back to dcmtk. */
    DcmObject *find(DcmItem *root, const char *path, bool &understood);

    /* Forgets the index; called before dcmtk decodes, in case a codec edits the dataset. */
    void reset() {
        if (!elements.empty()) elements.clear();
        if (!items.empty()) items.clear();
    }

private:
    DcmObject *element(DcmItem *item, uint32_t tag);
    DcmItem *item(DcmSequenceOfItems *seq, unsigned long index);

    std::unordered_map<DcmItem *, std::unordered_map<uint32_t, DcmObject *>> elements;
    std::unordered_map<DcmSequenceOfItems *, std::vector<DcmItem *>> items;
};

#endif
