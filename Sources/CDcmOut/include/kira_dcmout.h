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

/* One numeric measurement of a TID 1500 group: concept, value (a DS string), UCUM unit and,
   when filter.value is not NULL, the image filter as a modifier. */
typedef struct {
    kira_code concept;
    const char *value;
    kira_code unit;
    kira_code filter;
} kira_sr_measurement;

/* One measurement group (TID 1411): a region's segment in the SEG and its measurements.
   ki67_class.value NULL: no class; undefined_text NULL or "": no text item. */
typedef struct {
    const char *tracking_id;
    const char *tracking_uid;
    int segment_number;
    kira_code finding;
    const kira_sr_measurement *measurements;
    int measurement_count;
    kira_code ki67_class;
    const char *undefined_text;
} kira_sr_group;

/* Writes a Comprehensive 3D SR, TID 1500 Measurement Report, to out_path: one group per
   entry of groups, each referencing its segment of the SEG at seg_path and the source
   series; the source images in the image library and the evidence. The study is the SEG's;
   no patient-identifying attribute. sop_instance_uid_out receives the new SOP Instance UID. */
int kira_sr_write(const char *out_path, const char *seg_path, const char *const *source_files, int source_count,
                  const kira_sr_group *groups, int group_count, const char *algorithm_name,
                  const char *algorithm_version, char *sop_instance_uid_out, size_t sop_len,
                  char *msg, size_t msg_len);

/* Writes an Encapsulated PDF (SOP class 1.2.840.10008.5.1.4.1.1.104.1) to out_path: the
   pdf_length bytes at pdf, unchanged, as Encapsulated Document (one zero pad byte when the
   length is odd; Encapsulated Document Length holds the PDF's own length). The study is the
   source's (its Study Instance UID only, as in the SEG and SR); Patient Name and ID and the
   other patient and study attributes of type 2 stay empty. source_files (source_count ≥ 1,
   the first giving the study) are listed in the Source Instance Sequence. sop_instance_uid_out and
   series_instance_uid_out receive the new object's UIDs. */
int kira_pdf_write(const char *out_path, const uint8_t *pdf, size_t pdf_length,
                   const char *const *source_files, int source_count, const char *document_title,
                   const char *series_description, const char *software_version,
                   char *sop_instance_uid_out, size_t sop_len, char *series_instance_uid_out, size_t series_len,
                   char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif

#endif
