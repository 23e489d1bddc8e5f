/* C interface to dcmtk's writers of derived DICOM objects (dcmseg, dcmsr/cmr), kept apart
   from the reading shim (CDcmtk) so that only the output end of Kira links them. Every call
   returns 0 on success and writes a message on failure; nothing is left at out_path then. */
#ifndef KIRA_DCMOUT_H
#define KIRA_DCMOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One coded concept: value, coding scheme designator, meaning. */
typedef struct {
    const char *value;
    const char *scheme;
    const char *meaning;
} kira_code;

typedef struct {
    const char *label;
    kira_code category;
    kira_code type;
} kira_seg_segment;

/* Writes a binary DICOM Segmentation to out_path.
   source_files: one single-frame image file per slice, in the mask's slice order; every
   frame's position, the orientation and the pixel spacing are copied from them verbatim.
   masks: segment_count blocks of slices × rows × columns bytes (non-zero = inside), each
   slice row-major, columns fastest. Every slice of every segment becomes a frame, empty or
   not. The new object takes the source's Study Instance UID and Frame of Reference UID and
   no patient-identifying attribute (Patient Name and ID stay empty).
   sop_instance_uid_out receives the new object's SOP Instance UID,
   series_instance_uid_out its Series Instance UID. */
int kira_seg_write(const char *out_path,
                   const char *const *source_files, int slices,
                   int rows, int columns, double slice_spacing,
                   const kira_seg_segment *segments, int segment_count,
                   const uint8_t *masks,
                   const char *software_version, const char *series_description,
                   char *sop_instance_uid_out, size_t sop_len,
                   char *series_instance_uid_out, size_t series_len,
                   char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif

#endif
