// dcmtk's data dictionary from a compiled-in table: parsing the 8,000-line text files
// cost more instructions than converting a small series. The table is generated from
// the same files (Scripts/generate_dcmtk_dictionary.py) and checked against dcmtk's
// own parse of them by kira_dcm_dictionary_differences.
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/dcmdata/dcdicent.h"
#include "dcmtk/dcmdata/dchashdi.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "kira_cdcmtk.h"
#include "kira_dcm_dictionary.hpp"

namespace {

struct Row {
    Uint16 group, element, upperGroup, upperElement;
    DcmEVR vr;
    const char *name;
    int vmMin, vmMax;
    const char *version;
    DcmDictRangeRestriction groupRestriction, elementRestriction;
    const char *creator;
};

const Row rows[] = {
#include "kira_dcm_dictionary_table.h"
};

void addRows(DcmDataDictionary &dict) {
    for (const Row &r : rows) {
        // The strings are static, so entries point at them instead of copying.
        DcmDictEntry *e = new DcmDictEntry(r.group, r.element, r.upperGroup, r.upperElement, DcmVR(r.vr),
                                           r.name, r.vmMin, r.vmMax, r.version, OFFalse, r.creator);
        e->setGroupRangeRestriction(r.groupRestriction);
        e->setElementRangeRestriction(r.elementRestriction);
        dict.addEntry(e);
    }
}

bool same(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

std::string describe(const DcmDictEntry &e) {
    char buf[96];
    snprintf(buf, sizeof buf, "(%04x,%04x)", e.getGroup(), e.getElement());
    std::string s = buf;
    if (e.getPrivateCreator()) s += std::string(" \"") + e.getPrivateCreator() + "\"";
    return s + " " + (e.getTagName() ? e.getTagName() : "?");
}

// Empty when `ours` says what `theirs` says.
std::string difference(const DcmDictEntry *ours, const DcmDictEntry &theirs) {
    if (!ours) return describe(theirs) + " is missing from the compiled-in dictionary";
    if (ours->getGroup() != theirs.getGroup() || ours->getElement() != theirs.getElement() ||
        ours->getUpperGroup() != theirs.getUpperGroup() || ours->getUpperElement() != theirs.getUpperElement() ||
        ours->getGroupRangeRestriction() != theirs.getGroupRangeRestriction() ||
        ours->getElementRangeRestriction() != theirs.getElementRangeRestriction())
        return describe(theirs) + ": tag range differs";
    if (ours->getEVR() != theirs.getEVR())
        return describe(theirs) + ": VR " + ours->getVR().getVRName() + " instead of " + theirs.getVR().getVRName();
    if (ours->getVMMin() != theirs.getVMMin() || ours->getVMMax() != theirs.getVMMax())
        return describe(theirs) + ": VM differs";
    if (!same(ours->getTagName(), theirs.getTagName()) || !same(ours->getStandardVersion(), theirs.getStandardVersion()) ||
        !same(ours->getPrivateCreator(), theirs.getPrivateCreator()))
        return describe(theirs) + ": keyword, version or private creator differs";
    return "";
}

}  // namespace

namespace { bool compiledIn = false; }

bool kira_dcm_install_dictionary() {
    const char *user = getenv(DCM_DICT_ENVIRONMENT_VARIABLE);
    if (user && *user) return false;  // dcmtk loads the user's files on first use
    // dcmtk always reads DCMDICTPATH (or its default files) when it creates the global
    // dictionary; an empty file makes that free. The variable is removed straight
    // after, so child processes (dcmtk tools in tests) still see the default.
    setenv(DCM_DICT_ENVIRONMENT_VARIABLE, "/dev/null", 1);
    DcmDataDictionary &dict = dcmDataDict.wrlock();
    unsetenv(DCM_DICT_ENVIRONMENT_VARIABLE);
    addRows(dict);
    dcmDataDict.wrunlock();
    compiledIn = true;
    return true;
}

extern "C" int kira_dcm_dictionary_is_compiled_in(void) {
    kira_dcm_initialize();
    return compiledIn ? 1 : 0;
}

extern "C" int kira_dcm_dictionary_differences(const char *path, size_t *entries, size_t *differences,
                                               char *msg, size_t msgLen) {
    try {
        kira_dcm_initialize();
        *entries = 0;
        *differences = 0;
        if (msg && msgLen) msg[0] = 0;
        DcmDataDictionary reference(OFFalse, OFFalse);
        if (!reference.loadDictionary(path)) {
            snprintf(msg, msgLen, "dcmtk could not load %s", path);
            return KIRA_DCM_ERROR;
        }
        const DcmDataDictionary &global = dcmDataDict.rdlock();
        std::string first;
        auto check = [&](const DcmDictEntry &e) {
            ++*entries;
            std::string d = difference(global.findEntry(e, e.getPrivateCreator()), e);
            if (!d.empty()) {
                ++*differences;
                if (first.empty()) first = d;
            }
        };
        for (DcmHashDictIterator it = reference.normalBegin(); it != reference.normalEnd(); ++it)
            if (*it) check(**it);
        for (DcmDictEntryListIterator it = reference.repeatingBegin(); it != reference.repeatingEnd(); ++it)
            if ((*it)->getGroup() != 0xfffe && !((*it)->getGroup() == 0 && (*it)->getUpperGroup() == 0xffff))
                check(**it);
        dcmDataDict.rdunlock();
        snprintf(msg, msgLen, "%s", first.c_str());
        return KIRA_DCM_OK;
    } catch (...) {
        snprintf(msg, msgLen, "unexpected C++ exception");
        return KIRA_DCM_ERROR;
    }
}
