#include "kira_nifti.h"
#include <stdlib.h>
#include <string.h>

int kira_nifti_get_affine(const nifti_image *nim, double out[12]) {
    const mat44 *src = NULL;
    int kind = 0;
    if (nim->sform_code > 0) { src = &nim->sto_xyz; kind = 2; }
    else if (nim->qform_code > 0) { src = &nim->qto_xyz; kind = 1; }
    if (src) {
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) out[r * 4 + c] = src->m[r][c];
        return kind;
    }
    memset(out, 0, 12 * sizeof(double));
    out[0] = nim->dx > 0 ? nim->dx : 1;
    out[5] = nim->dy > 0 ? nim->dy : 1;
    out[10] = nim->dz > 0 ? nim->dz : 1;
    return 0;
}

void kira_nifti_set_affine(nifti_image *nim, const double m[12]) {
    mat44 a;
    memset(&a, 0, sizeof a);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++) a.m[r][c] = (float)m[r * 4 + c];
    a.m[3][3] = 1;
    nim->sto_xyz = a;
    nim->sto_ijk = nifti_mat44_inverse(a);
    nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
    float qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac;
    nifti_mat44_to_quatern(a, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac);
    nim->quatern_b = qb; nim->quatern_c = qc; nim->quatern_d = qd;
    nim->qoffset_x = qx; nim->qoffset_y = qy; nim->qoffset_z = qz;
    nim->qfac = qfac;
    nim->qto_xyz = nifti_quatern_to_mat44(qb, qc, qd, qx, qy, qz, dx, dy, dz, qfac);
    nim->qto_ijk = nifti_mat44_inverse(nim->qto_xyz);
    nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
}

nifti_image *kira_nifti_read(const char *path, int read_data) {
    nifti_set_debug_level(0);
    return nifti_image_read(path, read_data);
}

nifti_image *kira_nifti_read_raw(const char *path) {
    nifti_set_debug_level(0);
    nifti_image *nim = NULL;
    /* Parses the header and opens the data file (at its start, not at the voxels). */
    znzFile fp = nifti_image_open(path, "rb", &nim);
    if (nim == NULL) {
        if (!znz_isnull(fp)) znzclose(fp);
        return NULL;
    }
    if (znz_isnull(fp)) { nifti_image_free(nim); return NULL; }
    if (nim->iname_offset < 0 || znzseek(fp, (long)nim->iname_offset, SEEK_SET) < 0) { /* gzseek returns the offset */
        znzclose(fp);
        nifti_image_free(nim);
        return NULL;
    }
    size_t ntot = nifti_get_volsize(nim);
    nim->data = malloc(ntot > 0 ? ntot : 1);
    if (nim->data == NULL || znzread(nim->data, 1, ntot, fp) != ntot) {
        znzclose(fp);
        nifti_image_free(nim); /* frees data too */
        return NULL;
    }
    znzclose(fp);
    if (nim->swapsize > 1 && nim->byteorder != nifti_short_order())
        nifti_swap_Nbytes(ntot / (size_t)nim->swapsize, nim->swapsize, nim->data);
    return nim;
}

int kira_nifti_single_file_header(nifti_image *nim, const char *path, unsigned char *out, int capacity) {
    if (nifti_set_filenames(nim, path, 0, 1) != 0 || nim->nifti_type != NIFTI_FTYPE_NIFTI1_1 || nim->num_ext != 0)
        return -1;
    nifti_set_iname_offset(nim);
    struct nifti_1_header hdr = nifti_convert_nim2nhdr(nim);
    hdr.vox_offset = (float)nim->iname_offset;
    int n = nim->iname_offset;
    if (n < (int)sizeof hdr + 4 || n > capacity) return -1;
    memset(out, 0, (size_t)n);
    memcpy(out, &hdr, sizeof hdr);
    return n;
}

int kira_nifti_stated_pixdim(const char *path, double out[8]) {
    nifti_set_debug_level(0);
    int swapped = 0;
    nifti_1_header *h = nifti_read_header(path, &swapped, 0);
    if (h == NULL) return -1;
    for (int i = 0; i < 8; i++) out[i] = h->pixdim[i];
    free(h);
    return 0;
}
