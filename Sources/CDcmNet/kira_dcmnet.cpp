// dcmnet behind a C interface. The dictionary and the silent logger are set up by the
// caller (KiraPACS calls kira_dcm_initialize from CDcmtk first), because both are
// process-wide and CDcmtk owns them.
#include "kira_dcmnet.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/dstorscp.h>
#include <dcmtk/dcmnet/dstorscu.h>
#include <dcmtk/dcmnet/scu.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

void say(char *msg, size_t len, const std::string &text) {
    if (msg && len) snprintf(msg, len, "%s", text.c_str());
}


// A UID names the received file, so only digits and dots may reach the file system.
bool safeUID(const char *uid) {
    size_t n = strlen(uid);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; ++i)
        if (!((uid[i] >= '0' && uid[i] <= '9') || uid[i] == '.')) return false;
    return uid[0] != '.';
}

OFList<OFString> uncompressedSyntaxes() {
    OFList<OFString> ts;
    ts.push_back(UID_LittleEndianExplicitTransferSyntax);
    ts.push_back(UID_LittleEndianImplicitTransferSyntax);
    return ts;
}

// Received objects keep the transfer syntax they were stored in when the peer offers it:
// every common syntax is accepted, uncompressed first.
OFList<OFString> storageSyntaxes() {
    OFList<OFString> ts = uncompressedSyntaxes();
    const char *more[] = {
        UID_BigEndianExplicitTransferSyntax, UID_DeflatedExplicitVRLittleEndianTransferSyntax,
        UID_JPEGProcess1TransferSyntax, UID_JPEGProcess2_4TransferSyntax,
        UID_JPEGProcess14SV1TransferSyntax, UID_JPEGProcess14TransferSyntax,
        UID_JPEGLSLosslessTransferSyntax, UID_JPEGLSLossyTransferSyntax,
        UID_JPEG2000LosslessOnlyTransferSyntax, UID_JPEG2000TransferSyntax, UID_RLELosslessTransferSyntax,
    };
    for (const char *u : more) ts.push_back(u);
    return ts;
}

// Kira's own outputs and the classes of the synthetic cohort come first; the short list
// fills the rest up to the 128 contexts an association may carry.
std::vector<std::string> storageClasses(size_t room) {
    std::vector<std::string> out = {
        UID_SegmentationStorage, UID_Comprehensive3DSRStorage, UID_ComprehensiveSRStorage,
        UID_EnhancedSRStorage, UID_EncapsulatedPDFStorage, UID_RTStructureSetStorage,
    };
    for (int i = 0; i < numberOfDcmShortSCUStorageSOPClassUIDs && out.size() < room; ++i) {
        std::string u = dcmShortSCUStorageSOPClassUIDs[i];
        bool seen = false;
        for (auto &o : out) seen = seen || o == u;
        if (!seen) out.push_back(u);
    }
    return out;
}

int classify(OFCondition c) {
    if (c == DUL_ASSOCIATIONREJECTED) return KIRA_NET_REFUSED;
    if (c == NET_EC_NoAcceptablePresentationContexts) return KIRA_NET_NO_CONTEXT;
    return KIRA_NET_UNREACHABLE;
}

void configure(DcmSCU &scu, const kira_net_peer *p) {
    scu.setAETitle(p->calling_aet);
    scu.setPeerHostName(p->host);
    scu.setPeerPort(p->port);
    scu.setPeerAETitle(p->called_aet);
    int t = p->timeout_seconds > 0 ? p->timeout_seconds : 30;
    scu.setConnectionTimeout(t);
    scu.setACSETimeout(t);
    scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
    scu.setDIMSETimeout(t);
    scu.setVerbosePCMode(OFFalse);
}

// Opens the association; on failure the message names the peer and what went wrong.
int connect(DcmSCU &scu, const kira_net_peer *p, char *msg, size_t len) {
    OFCondition c = scu.initNetwork();
    if (c.bad()) {
        say(msg, len, "cannot set up networking: " + std::string(c.text()));
        return KIRA_NET_ERROR;
    }
    c = scu.negotiateAssociation();
    if (c.bad()) {
        int code = classify(c);
        std::string why = code == KIRA_NET_REFUSED
            ? "association rejected (is the called AE title '" + std::string(p->called_aet) +
                  "' and the calling AE title '" + p->calling_aet + "' known to the PACS?)"
            : code == KIRA_NET_NO_CONTEXT ? "association accepted but no presentation context for the service"
                                          : "cannot connect: " + std::string(c.text());
        say(msg, len, why);
        return code;
    }
    return KIRA_NET_OK;
}

bool buildIdentifier(DcmDataset &ds, const char *level, const char *const *tags, const char *const *values,
                     size_t n, char *msg, size_t len) {
    ds.putAndInsertOFStringArray(DCM_QueryRetrieveLevel, level);
    for (size_t i = 0; i < n; ++i) {
        DcmTagKey key;
        unsigned g = 0, e = 0;
        if (sscanf(tags[i], "%x,%x", &g, &e) != 2) {
            say(msg, len, std::string("bad tag '") + tags[i] + "'");
            return false;
        }
        key.set((Uint16)g, (Uint16)e);
        if (ds.putAndInsertOFStringArray(key, values[i] ? values[i] : "").bad()) {
            say(msg, len, std::string("cannot put tag ") + tags[i]);
            return false;
        }
    }
    return true;
}

class FindSCU : public DcmSCU {};

// Counts instances by the status of their C-STORE response (success or warning = stored).
class StoreSCU : public DcmStorageSCU {
public:
    size_t stored = 0, failed = 0;
    std::string firstFailure;

    void notifySOPInstanceSent(const TransferEntry &e) override {
        bool ok = e.RequestSent && (e.ResponseStatusCode == STATUS_Success || (e.ResponseStatusCode & 0xF000) == 0xB000);
        if (ok) {
            ++stored;
        } else {
            ++failed;
            if (firstFailure.empty()) {
                char b[16];
                snprintf(b, sizeof b, "0x%04X", e.ResponseStatusCode);
                firstFailure = std::string(e.Filename.getCharPointer() ? e.Filename.getCharPointer() : "?") +
                               (e.RequestSent ? std::string(" (status ") + b + ")" : " (not sent: no accepted presentation context)");
            }
        }
    }
};

// C-GET that writes each received object, bit for bit, to dir/<SOPInstanceUID>.dcm.
class GetSCU : public DcmSCU {
public:
    std::string dir;
    size_t received = 0, refused = 0;

    OFCondition handleSTORERequestFile(T_ASC_PresentationContextID *presID, const OFString &,
                                       T_DIMSE_C_StoreRQ *request) override {
        if (!safeUID(request->AffectedSOPInstanceUID)) {
            ++refused;
            OFCondition c = ignoreSTORERequest(*presID, *request);
            if (c.good()) sendSTOREResponse(*presID, STATUS_STORE_Refused_OutOfResources, *request);
            return c;
        }
        std::string name = dir + "/" + request->AffectedSOPInstanceUID + ".dcm";
        OFCondition c = DcmSCU::handleSTORERequestFile(presID, name.c_str(), request);
        if (c.good()) ++received;
        return c;
    }
};

// The storage SCP a C-MOVE sends to: it names files like GetSCU and stops on request.
class MoveSCP : public DcmStorageSCP {
public:
    std::atomic<bool> stop{false};
    mutable std::atomic<size_t> received{0};
    std::atomic<size_t> refused{0};

    OFBool stopAfterConnectionTimeout() override { return stop.load(); }
    OFBool stopAfterCurrentAssociation() override { return stop.load(); }

    OFCondition generateSTORERequestFilename(const T_DIMSE_C_StoreRQ &req, OFString &filename) override {
        if (!safeUID(req.AffectedSOPInstanceUID)) {
            ++refused;
            return EC_IllegalParameter;
        }
        filename = getOutputDirectory() + "/" + req.AffectedSOPInstanceUID + ".dcm";
        return EC_Normal;
    }
    void notifyInstanceStored(const OFString &, const OFString &, const OFString &, DcmDataset *) const override {
        received++;
    }
};

template <typename Response> void freeAll(OFList<Response *> &list) {
    for (auto it = list.begin(); it != list.end(); ++it) delete *it;
    list.clear();
}

// Opens the association for a query/retrieve service (its presentation context already
// added) and builds the identifier: connect, check the PACS took the service, fill `query`.
int openQuery(DcmSCU &scu, const kira_net_peer *peer, const char *sopClass, const char *service, const char *level,
              const char *const *tags, const char *const *values, size_t n, DcmDataset &query,
              T_ASC_PresentationContextID &pc, char *msg, size_t len) {
    int code = connect(scu, peer, msg, len);
    if (code != KIRA_NET_OK) return code;
    pc = scu.findPresentationContextID(sopClass, "");
    if (pc == 0) {
        scu.abortAssociation();
        say(msg, len, std::string("the PACS does not offer Study Root ") + service);
        return KIRA_NET_NO_CONTEXT;
    }
    if (!buildIdentifier(query, level, tags, values, n, msg, len)) {
        scu.abortAssociation();
        return KIRA_NET_ERROR;
    }
    return KIRA_NET_OK;
}

// A DIMSE request that fails because the PACS aborted: usually a calling AE title it does
// not serve (Orthanc, for one, aborts rather than rejecting).
int requestFailure(OFCondition c, const kira_net_peer *p, const char *what, char *msg, size_t len) {
    if (c == DUL_PEERABORTEDASSOCIATION) {
        say(msg, len, std::string(what) + ": the PACS aborted the association (does it serve the calling AE title '" +
                          p->calling_aet + "'?)");
        return KIRA_NET_REFUSED;
    }
    say(msg, len, std::string(what) + " failed: " + c.text());
    return KIRA_NET_FAILED;
}

std::string statusText(Uint16 s) {
    char b[16];
    snprintf(b, sizeof b, "0x%04X", s);
    return b;
}

} // namespace

extern "C" int kira_net_find(const kira_net_peer *peer, const char *level, const char *const *tags,
                             const char *const *values, size_t n, kira_net_match_cb cb, void *ctx,
                             size_t *matches, char *msg, size_t msg_len) {
    try {
        *matches = 0;
        FindSCU scu;
        configure(scu, peer);
        scu.addPresentationContext(UID_FINDStudyRootQueryRetrieveInformationModel, uncompressedSyntaxes());
        DcmDataset query;
        T_ASC_PresentationContextID pc = 0;
        int code = openQuery(scu, peer, UID_FINDStudyRootQueryRetrieveInformationModel, "C-FIND", level, tags, values, n, query, pc,
                             msg, msg_len);
        if (code != KIRA_NET_OK) return code;
        OFList<QRResponse *> responses;
        OFCondition c = scu.sendFINDRequest(pc, &query, &responses);
        int result = KIRA_NET_OK;
        if (c.bad()) {
            result = requestFailure(c, peer, "C-FIND", msg, msg_len);
        } else {
            for (auto it = responses.begin(); it != responses.end(); ++it) {
                QRResponse *r = *it;
                if (r->m_status == STATUS_Pending || r->m_status == STATUS_FIND_Pending_WarningUnsupportedOptionalKeys) {
                    if (!r->m_dataset) continue;
                    for (unsigned long i = 0; i < r->m_dataset->card(); ++i) {
                        DcmElement *el = r->m_dataset->getElement(i);
                        if (!el || el->ident() == EVR_SQ) continue;
                        OFString v;
                        el->getOFStringArray(v);
                        char t[16];
                        snprintf(t, sizeof t, "%04X,%04X", el->getGTag(), el->getETag());
                        cb(ctx, *matches, t, v.c_str());
                    }
                    ++*matches;
                } else if (r->m_status != STATUS_Success) {
                    say(msg, msg_len, "C-FIND answered with status " + statusText(r->m_status));
                    result = KIRA_NET_FAILED;
                }
            }
        }
        freeAll(responses);
        scu.releaseAssociation();
        return result;
    } catch (...) {
        say(msg, msg_len, "C-FIND: unexpected exception");
        return KIRA_NET_ERROR;
    }
}

static int finalRetrieveStatus(OFList<RetrieveResponse *> &responses, const kira_net_peer *peer, const char *what,
                               size_t *failed, char *msg, size_t msg_len) {
    int result = KIRA_NET_OK;
    for (auto it = responses.begin(); it != responses.end(); ++it) {
        RetrieveResponse *r = *it;
        if (r->m_status == STATUS_Pending) continue;
        *failed = r->m_numberOfFailedSubops;
        if (r->m_status != STATUS_Success) {
            say(msg, msg_len, std::string(what) + " answered with status " + statusText(r->m_status) + " (" +
                                  std::to_string(r->m_numberOfCompletedSubops) + " sent, " +
                                  std::to_string(r->m_numberOfFailedSubops) + " failed)");
            result = KIRA_NET_FAILED;
        }
    }
    return result;
}

extern "C" int kira_net_get(const kira_net_peer *peer, const char *level, const char *const *tags,
                            const char *const *values, size_t n, const char *dir, size_t *received,
                            size_t *failed, char *msg, size_t msg_len) {
    try {
        *received = 0;
        *failed = 0;
        GetSCU scu;
        scu.dir = dir;
        configure(scu, peer);
        scu.setStorageMode(DCMSCU_STORAGE_BIT_PRESERVING);
        scu.setStorageDir(dir);
        scu.addPresentationContext(UID_GETStudyRootQueryRetrieveInformationModel, uncompressedSyntaxes());
        for (auto &u : storageClasses(127))
            scu.addPresentationContext(u.c_str(), storageSyntaxes(), ASC_SC_ROLE_SCP);
        DcmDataset query;
        T_ASC_PresentationContextID pc = 0;
        int code = openQuery(scu, peer, UID_GETStudyRootQueryRetrieveInformationModel, "C-GET", level, tags, values, n, query, pc,
                             msg, msg_len);
        if (code != KIRA_NET_OK) return code;
        OFList<RetrieveResponse *> responses;
        OFCondition c = scu.sendCGETRequest(pc, &query, &responses);
        int result;
        if (c.bad()) {
            result = requestFailure(c, peer, "C-GET", msg, msg_len);
        } else {
            result = finalRetrieveStatus(responses, peer, "C-GET", failed, msg, msg_len);
        }
        freeAll(responses);
        *received = scu.received;
        *failed += scu.refused;
        if (result == KIRA_NET_OK && scu.refused > 0) {
            say(msg, msg_len, std::to_string(scu.refused) + " objects refused (SOP Instance UID not digits and dots)");
            result = KIRA_NET_FAILED;
        }
        if (scu.isConnected()) scu.releaseAssociation();
        return result;
    } catch (...) {
        say(msg, msg_len, "C-GET: unexpected exception");
        return KIRA_NET_ERROR;
    }
}

extern "C" int kira_net_move(const kira_net_peer *peer, const char *level, const char *const *tags,
                             const char *const *values, size_t n, uint16_t move_port, const char *dir,
                             size_t *received, size_t *failed, char *msg, size_t msg_len) {
    try {
        *received = 0;
        *failed = 0;
        MoveSCP scp;
        scp.setAETitle(peer->calling_aet);
        scp.setPort(move_port);
        scp.setConnectionBlockingMode(DUL_NOBLOCK);
        scp.setConnectionTimeout(1);
        scp.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        scp.setDIMSETimeout(peer->timeout_seconds > 0 ? peer->timeout_seconds : 30);
        scp.setACSETimeout(peer->timeout_seconds > 0 ? peer->timeout_seconds : 30);
        scp.setDatasetStorageMode(DcmStorageSCP::DGM_StoreBitPreserving);
        if (scp.setOutputDirectory(dir).bad()) {
            say(msg, msg_len, std::string(dir) + ": cannot write received files there");
            return KIRA_NET_ERROR;
        }
        for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i)
            scp.addPresentationContext(dcmAllStorageSOPClassUIDs[i], storageSyntaxes());
        // Listening before the request goes out, so the PACS cannot call before the port is open.
        OFCondition c = scp.openListenPort();
        if (c.bad()) {
            say(msg, msg_len, "cannot listen on port " + std::to_string(move_port) + " for the C-MOVE: " + c.text());
            return KIRA_NET_ERROR;
        }
        std::thread listener([&scp] { scp.acceptAssociations(); });
        struct Stop {
            MoveSCP &scp;
            std::thread &t;
            ~Stop() {
                scp.stop = true;
                if (t.joinable()) t.join();
            }
        } stopper{scp, listener};

        DcmSCU scu;
        configure(scu, peer);
        scu.addPresentationContext(UID_MOVEStudyRootQueryRetrieveInformationModel, uncompressedSyntaxes());
        DcmDataset query;
        T_ASC_PresentationContextID pc = 0;
        int code = openQuery(scu, peer, UID_MOVEStudyRootQueryRetrieveInformationModel, "C-MOVE", level, tags, values, n, query, pc,
                             msg, msg_len);
        if (code != KIRA_NET_OK) return code;
        OFList<RetrieveResponse *> responses;
        c = scu.sendMOVERequest(pc, peer->calling_aet, &query, &responses);
        int result;
        if (c.bad()) {
            result = requestFailure(c, peer, "C-MOVE", msg, msg_len);
        } else {
            result = finalRetrieveStatus(responses, peer, "C-MOVE", failed, msg, msg_len);
            if (result == KIRA_NET_FAILED && std::string(msg).find("0xA801") != std::string::npos)
                say(msg, msg_len, std::string("C-MOVE destination '") + peer->calling_aet +
                                      "' unknown to the PACS (register it with this host and port " +
                                      std::to_string(move_port) + ")");
        }
        freeAll(responses);
        scu.releaseAssociation();
        scp.stop = true;
        listener.join();
        *received = scp.received.load();
        *failed += scp.refused.load();
        if (result == KIRA_NET_OK && scp.refused.load() > 0) {
            say(msg, msg_len, std::to_string(scp.refused.load()) + " objects refused (SOP Instance UID not digits and dots)");
            result = KIRA_NET_FAILED;
        }
        return result;
    } catch (...) {
        say(msg, msg_len, "C-MOVE: unexpected exception");
        return KIRA_NET_ERROR;
    }
}

extern "C" int kira_net_store(const kira_net_peer *peer, const char *const *files, size_t n, size_t *sent,
                              size_t *failed, char *msg, size_t msg_len) {
    try {
        *sent = 0;
        *failed = 0;
        StoreSCU scu;
        configure(scu, peer);
        scu.setHaltOnUnsuccessfulStoreMode(OFFalse);
        for (size_t i = 0; i < n; ++i) {
            // Reads the file's SOP class and syntax: a file that is not DICOM fails here, by name.
            OFCondition c = scu.addDicomFile(files[i], ERM_fileOnly, OFTrue);
            if (c.bad()) {
                say(msg, msg_len, std::string(files[i]) + ": not a DICOM file that can be sent: " + c.text());
                return KIRA_NET_ERROR;
            }
        }
        OFCondition c = scu.addPresentationContexts();
        if (c.bad()) {
            say(msg, msg_len, std::string("cannot propose the files' SOP classes: ") + c.text());
            return KIRA_NET_ERROR;
        }
        int code = connect(scu, peer, msg, msg_len);
        if (code != KIRA_NET_OK) return code;
        c = scu.sendSOPInstances();
        if (scu.isConnected()) scu.releaseAssociation();
        // Instances never sent (no accepted context) are reported to notifySOPInstanceSent too.
        *sent = scu.stored;
        *failed = n - scu.stored;
        if (c.bad()) {
            return requestFailure(c, peer, "C-STORE", msg, msg_len);
        }
        if (*failed > 0) {
            say(msg, msg_len, std::to_string(*failed) + " of " + std::to_string(n) +
                                  " files not stored; first: " + scu.firstFailure);
            return KIRA_NET_FAILED;
        }
        return KIRA_NET_OK;
    } catch (...) {
        say(msg, msg_len, "C-STORE: unexpected exception");
        return KIRA_NET_ERROR;
    }
}
