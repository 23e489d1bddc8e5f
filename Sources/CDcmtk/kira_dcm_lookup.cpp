#include "kira_dcm_lookup.hpp"

namespace {

bool hex4(const char *&p, uint32_t &out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i, ++p) {
        char c = *p;
        uint32_t d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return false;
        v = v << 4 | d;
    }
    out = v;
    return true;
}

}  // namespace

DcmObject *AttributeLookup::element(DcmItem *it, uint32_t tag) {
    auto found = elements.find(it);
    if (found == elements.end()) {
        std::unordered_map<uint32_t, DcmObject *> &index = elements[it];
        for (DcmObject *o = it->nextInContainer(nullptr); o; o = it->nextInContainer(o)) {
            const DcmTag &t = o->getTag();
            index.emplace(uint32_t(t.getGroup()) << 16 | t.getElement(), o);
        }
        found = elements.find(it);
    }
    auto e = found->second.find(tag);
    return e == found->second.end() ? nullptr : e->second;
}

DcmItem *AttributeLookup::item(DcmSequenceOfItems *seq, unsigned long index) {
    auto found = items.find(seq);
    if (found == items.end()) {
        std::vector<DcmItem *> &list = items[seq];
        list.reserve(seq->card());
        for (DcmObject *o = seq->nextInContainer(nullptr); o; o = seq->nextInContainer(o))
            list.push_back(static_cast<DcmItem *>(o));
        found = items.find(seq);
    }
    return index < found->second.size() ? found->second[index] : nullptr;
}

DcmObject *AttributeLookup::find(DcmItem *root, const char *path, bool &understood) {
    understood = false;
    const char *p = path;
    DcmItem *current = root;
    DcmObject *result = nullptr;
    while (true) {
        uint32_t g, e;
        if (*p++ != '(' || !hex4(p, g) || *p++ != ',' || !hex4(p, e) || *p++ != ')') return nullptr;
        DcmObject *obj = current ? element(current, g << 16 | e) : nullptr;
        if (*p == '[') {
            ++p;
            if (*p < '0' || *p > '9') return nullptr;
            unsigned long n = 0;
            while (*p >= '0' && *p <= '9') n = n * 10 + unsigned(*p++ - '0');
            if (*p++ != ']') return nullptr;
            DcmItem *next = nullptr;
            if (obj && obj->ident() == EVR_SQ) next = item(static_cast<DcmSequenceOfItems *>(obj), n);
            current = next;
            result = next;
        } else {
            result = obj;
            current = nullptr;  // a plain element has no children
        }
        if (*p == 0) break;
        if (*p++ != '.') return nullptr;
    }
    understood = true;
    return result;
}
