#ifndef KIRA_NIFTI_H
#define KIRA_NIFTI_H
#include <nifti/nifti1_io.h>

/* mat44 is a nested C array, which Swift sees as a tuple of tuples; these helpers
   move it through plain row-major double[12] (the top three rows). */

/* Fills out[12] with the voxel->RAS transform the file's header states:
   sform when sform_code > 0, else qform when qform_code > 0, else pixdim scaling.
   Returns 2 for sform, 1 for qform, 0 for the pixdim fallback. */
int kira_nifti_get_affine(const nifti_image *nim, double out[12]);

/* Sets sform and qform (both code 1, scanner) from a row-major voxel->RAS transform. */
void kira_nifti_set_affine(nifti_image *nim, const double m[12]);

/* Reads header and data quietly; NULL when the file cannot be read. */
nifti_image *kira_nifti_read(const char *path, int read_data);

/* Reads header and voxel bytes as stored, byte-swapped to the CPU's order. Unlike
   nifti_image_read, it keeps non-finite floats (niftilib's reader turns NaN and infinities
   into 0, so a NaN voxel would pass for a real zero). NULL when the file cannot be read or is
   shorter than the header declares. */
nifti_image *kira_nifti_read_raw(const char *path);

/* The bytes niftilib puts before the voxels of a single-file .nii named `path` (header,
   then the extension flag), so voxels can be written first and the header last, once
   the data type is settled. Returns how many bytes went to `out` (the voxel offset),
   or -1 when they do not fit or the name is not a single-file NIfTI. */
int kira_nifti_single_file_header(nifti_image *nim, const char *path, unsigned char *out, int capacity);
/* pixdim[0..7] as the file's header states them (byte-swapped to the CPU's order).
   nifti_image_read turns a zero or non-finite pixdim into 1, which would make a file
   without any spacing look like 1 mm. Returns 0, or -1 when the header cannot be read. */
int kira_nifti_stated_pixdim(const char *path, double out[8]);
#endif
