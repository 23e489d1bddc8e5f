/* C interface to the DICOM networking Kira uses (dcmtk's dcmnet): query a PACS (C-FIND),
   retrieve from it (C-GET, or C-MOVE to a storage SCP this library runs for the duration
   of the call), and send files to it (C-STORE). Every call opens one association, does one
   job and releases it; every call returns a status (KIRA_NET_OK on success) and writes a
   message on failure. Received files are named <SOPInstanceUID>.dcm in the given folder;
   a UID that is not digits and dots is refused, so a peer cannot choose a path. */
#ifndef KIRA_DCMNET_H
#define KIRA_DCMNET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    KIRA_NET_OK = 0,
    KIRA_NET_UNREACHABLE = 1,  /* no TCP connection (nothing listening, host unknown, timeout) */
    KIRA_NET_REFUSED = 2,      /* the peer rejected the association (e.g. unknown called AE title) */
    KIRA_NET_NO_CONTEXT = 3,   /* the association was accepted but not for the service asked */
    KIRA_NET_FAILED = 4,       /* the service answered with a failure status; see the message */
    KIRA_NET_ERROR = 5         /* anything else (local port in use, folder not writable) */
};

typedef struct {
    const char *host;
    uint16_t port;
    const char *calling_aet;
    const char *called_aet;
    /* Seconds for the TCP connect and for each network read. */
    int timeout_seconds;
} kira_net_peer;

/* Called once per attribute of each match: match is the 0-based match number, tag is
   "gggg,eeee" and value the attribute's value (all values joined by backslashes). */
typedef void (*kira_net_match_cb)(void *ctx, size_t match, const char *tag, const char *value);

/* C-FIND in the Study Root model. level is "STUDY", "SERIES" or "IMAGE"; keys are n tags
   ("gggg,eeee") with their values (empty = return the attribute). */
int kira_net_find(const kira_net_peer *peer, const char *level, const char *const *tags,
                  const char *const *values, size_t n, kira_net_match_cb cb, void *ctx,
                  size_t *matches, char *msg, size_t msg_len);

/* C-GET of everything below the identifier (level and keys as for find) into dir.
   completed/failed receive the peer's sub-operation counts; received the files written. */
int kira_net_get(const kira_net_peer *peer, const char *level, const char *const *tags,
                 const char *const *values, size_t n, const char *dir, size_t *received,
                 size_t *failed, char *msg, size_t msg_len);

/* C-MOVE to calling_aet, which this call serves on move_port (the peer must know that AE
   title at this host and port) while the move runs; files go to dir. */
int kira_net_move(const kira_net_peer *peer, const char *level, const char *const *tags,
                  const char *const *values, size_t n, uint16_t move_port, const char *dir,
                  size_t *received, size_t *failed, char *msg, size_t msg_len);

/* C-STORE of n DICOM files over one association. sent/failed count the instances. */
int kira_net_store(const kira_net_peer *peer, const char *const *files, size_t n, size_t *sent,
                   size_t *failed, char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif

#endif
