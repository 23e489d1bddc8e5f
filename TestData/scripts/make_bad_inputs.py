#!/usr/bin/env python3
"""Writes Kira's bad-input corpus into TestData/bad (issue 18, "Nothing lost, nothing stale,
nothing aborts"). Tests/KiraCLITests/BadInputCorpusTests.swift runs one command per case and
checks its exit code, its message and that no partial file is left.

Needs: numpy, nibabel, and dcmtk's dump2dcm (through make-dicom-testdata.py's writer).
Run from anywhere: python3 TestData/scripts/make_bad_inputs.py

Cases that already exist elsewhere are not copied here (the test names them in place):
TestData/dicom/bad/truncated.dcm (cut in its pixel data), dicom/bad/notes.txt (not DICOM),
dicom/missing_slice, dicom/mixed_sizes, dicom/zero_spacing, dicom/negative_spacing,
nrrd/truncated.nrrd, nrrd/zero_spacing.nrrd, nrrd/negative_spacings.nrrd. Cases that git
cannot hold (an empty folder, an unwritable output, self-overwrite) are made at test time.

Files (every value below is what the test expects):
  image.nii.gz            10x10x6 float32, 1 mm voxels, voxel = 10 z + y + 0.1 x
  mask.nii.gz             uint8, 1 on the box x 3-6, y 3-6, z 2-3 (32 voxels)
  mask_empty.nii.gz       the same grid, all 0
  mask_offgrid.nii.gz     mask.nii.gz with its origin moved 0.5 mm along x
  mask_255.nii.gz         mask.nii.gz's box with the value 255 (labels 0/255)
  dicom_header_cut/cut.dcm a DICOM file cut 40 bytes after its preamble (inside the meta header)
  dicom_nan_spacing/      two 4x4 slices whose PixelSpacing is nan\\0.8
  pixdim_zero.nii, pixdim_negative.nii, pixdim_nan.nii
                          2x2x2 int16, qform/sform codes 0, pixdim[3] 0, -2.5 and NaN
  huge_dims.nii           a 352-byte header claiming 30000x30000x30000 float32 voxels
  nan_spacing.nrrd        5x4x3 short, second space direction (nan,nan,nan)
  features.csv            id,f1,f2,f3 for c01-c20; labels.csv id,high (c01-c10 0, c11-c20 1)
  features_nan.csv        features.csv with f2 of c07 = NaN
  features_text.csv       features.csv with f3 of c12 = abc
  features_dup.csv        features.csv with c05 twice
  labels_nan.csv, labels_text.csv, labels_dup.csv
                          labels.csv with high of c03 = NaN, of c04 = maybe, c09 twice
  labels_single.csv       every case high = 1
  predictions.csv         id,probability for c01-c20 (0.10, 0.14, ... 0.86)
  survival.csv            id,time,event,x for s01-s30; survival_nan.csv (time of s04 NaN),
                          survival_text.csv (event of s08 = maybe), survival_dup.csv (s10 twice)
  cohort/manifest.csv     ten cases on image.nii.gz: c01-c09 with mask.nii.gz and c05b, the
                          fifth row, with mask_empty.nii.gz (9 good + 1 bad)
  cohort/manifest_dup.csv two rows with the id c01
  cohort/manifest_label_text.csv, manifest_label_nan.csv
                          c01 with label 1, c02 with label abc / NaN
  params_unknown_key.yaml setting: binWidht (a misspelt key)
  params_wrong_type.yaml  setting: binWidth: wide (text where a number is due)
"""
import gzip
import importlib.util
import math
import os
import shutil
import struct

import numpy as np
import nibabel as nib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "bad")

spec = importlib.util.spec_from_file_location("dicomdata", os.path.join(HERE, "make-dicom-testdata.py"))
dicomdata = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dicomdata)

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def save_nifti(array, name, origin=(0.0, 0.0, 0.0)):
    affine = np.eye(4)
    affine[:3, 3] = origin
    img = nib.Nifti1Image(array, affine)
    img.header.set_qform(affine, code=1)
    img.header.set_sform(affine, code=1)
    path = os.path.join(ROOT, name)
    # gzip's header time is fixed (mtime 0) so a rerun gives the same bytes.
    raw = img.to_bytes()
    with open(path, "wb") as f:
        f.write(gzip.compress(raw, mtime=0))


def nifti_without_transform(name, pixdim3, dims=(2, 2, 2), datatype=4, bitpix=16, voxels=True):
    """A NIfTI-1 header written field by field (as BadInputReasonTests does), qform/sform codes 0."""
    h = bytearray(352)
    struct.pack_into("<i", h, 0, 348)
    dim = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    struct.pack_into("<8h", h, 40, *dim)
    struct.pack_into("<h", h, 70, datatype)
    struct.pack_into("<h", h, 72, bitpix)
    struct.pack_into("<8f", h, 76, 1.0, 0.7, 0.7, pixdim3, 1.0, 1.0, 1.0, 1.0)
    struct.pack_into("<f", h, 108, 352.0)
    h[344:348] = b"n+1\0"
    data = struct.pack("<8h", *range(8)) if voxels else b""
    with open(os.path.join(ROOT, name), "wb") as f:
        f.write(bytes(h) + data)


def csv(name, header, rows):
    with open(os.path.join(ROOT, name), "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    for d in ["", "dicom_header_cut", "dicom_nan_spacing", "cohort"]:
        os.makedirs(os.path.join(ROOT, d), exist_ok=True)

    # Images and masks: (x, y, z) arrays, as nibabel stores them.
    x, y, z = np.meshgrid(np.arange(10), np.arange(10), np.arange(6), indexing="ij")
    save_nifti((10 * z + y + 0.1 * x).astype(np.float32), "image.nii.gz")
    mask = np.zeros((10, 10, 6), np.uint8)
    mask[3:7, 3:7, 2:4] = 1
    save_nifti(mask, "mask.nii.gz")
    save_nifti(np.zeros_like(mask), "mask_empty.nii.gz")
    save_nifti(mask, "mask_offgrid.nii.gz", origin=(0.5, 0.0, 0.0))
    save_nifti(mask * 255, "mask_255.nii.gz")

    nifti_without_transform("pixdim_zero.nii", 0.0)
    nifti_without_transform("pixdim_negative.nii", -2.5)
    nifti_without_transform("pixdim_nan.nii", float("nan"))
    nifti_without_transform("huge_dims.nii", 1.0, dims=(30000, 30000, 30000), datatype=16, bitpix=32, voxels=False)

    with open(os.path.join(ROOT, "nan_spacing.nrrd"), "wb") as f:
        f.write(("NRRD0004\n# Kira bad-input corpus (TestData/scripts/make_bad_inputs.py)\ntype: short\n"
                 "dimension: 3\nspace: left-posterior-superior\nsizes: 5 4 3\n"
                 "space directions: (0.5,0,0) (nan,nan,nan) (0,0,2)\nkinds: domain domain domain\n"
                 "endian: little\nencoding: raw\nspace origin: (0,0,0)\n\n").encode("ascii"))
        f.write(struct.pack("<60h", *range(60)))

    # DICOM: a whole file, then cut 40 bytes past the 128-byte preamble and "DICM".
    cut = os.path.join(ROOT, "dicom_header_cut", "cut.dcm")
    dicomdata.write(cut, "1.2.826.0.1.3680043.8.498.90", 1, 4, 4, (1.0, 1.0), (0.0, 0.0, 0.0), AXIAL,
                    list(range(16)), description="header cut")
    with open(cut, "r+b") as f:
        f.truncate(132 + 40)
    for s in range(2):
        dicomdata.write(os.path.join(ROOT, "dicom_nan_spacing", f"s{s}.dcm"), "1.2.826.0.1.3680043.8.498.91", s + 1,
                        4, 4, ("nan", 0.8), (0.0, 0.0, 2.0 * s), AXIAL, list(range(16)), description="nan spacing")

    # Tables: three features with no missing value, balanced labels.
    ids = [f"c{i:02d}" for i in range(1, 21)]
    feats = [[i, round(math.sin(n) * 10 + n, 4), round(math.cos(n * 0.7) * 5, 4), n % 7 + 0.5]
             for n, i in enumerate(ids)]
    labels = [[i, 0 if n < 10 else 1] for n, i in enumerate(ids)]
    csv("features.csv", ["id", "f1", "f2", "f3"], feats)
    csv("labels.csv", ["id", "high"], labels)
    csv("features_nan.csv", ["id", "f1", "f2", "f3"], [r if r[0] != "c07" else [r[0], r[1], "NaN", r[3]] for r in feats])
    csv("features_text.csv", ["id", "f1", "f2", "f3"], [r if r[0] != "c12" else [r[0], r[1], r[2], "abc"] for r in feats])
    csv("features_dup.csv", ["id", "f1", "f2", "f3"], feats[:5] + [feats[4]] + feats[5:])
    csv("labels_nan.csv", ["id", "high"], [r if r[0] != "c03" else [r[0], "NaN"] for r in labels])
    csv("labels_text.csv", ["id", "high"], [r if r[0] != "c04" else [r[0], "maybe"] for r in labels])
    csv("labels_dup.csv", ["id", "high"], labels[:9] + [labels[8]] + labels[9:])
    csv("labels_single.csv", ["id", "high"], [[i, 1] for i in ids])
    csv("predictions.csv", ["id", "probability"], [[i, round(0.04 * n + 0.1, 2)] for n, i in enumerate(ids)])

    sids = [f"s{i:02d}" for i in range(1, 31)]
    surv = [[i, 3 + (n * 7) % 50, n % 3 != 0 and 1 or 0, round(math.sin(n * 1.3), 4)] for n, i in enumerate(sids)]
    csv("survival.csv", ["id", "time", "event", "x"], surv)
    csv("survival_nan.csv", ["id", "time", "event", "x"], [r if r[0] != "s04" else [r[0], "NaN", r[2], r[3]] for r in surv])
    csv("survival_text.csv", ["id", "time", "event", "x"], [r if r[0] != "s08" else [r[0], r[1], "maybe", r[3]] for r in surv])
    csv("survival_dup.csv", ["id", "time", "event", "x"], surv[:10] + [surv[9]] + surv[10:])

    rows = [[f"c{n:02d}", "../image.nii.gz", "../mask.nii.gz"] for n in range(1, 10)]
    rows.insert(4, ["c05b", "../image.nii.gz", "../mask_empty.nii.gz"])
    csv(os.path.join("cohort", "manifest.csv"), ["id", "image", "mask"], rows)
    csv(os.path.join("cohort", "manifest_dup.csv"), ["id", "image", "mask"],
        [["c01", "../image.nii.gz", "../mask.nii.gz"], ["c01", "../image.nii.gz", "../mask.nii.gz"]])

    for name, label in [("manifest_label_text.csv", "abc"), ("manifest_label_nan.csv", "NaN")]:
        csv(os.path.join("cohort", name), ["id", "image", "mask", "label"],
            [["c01", "../image.nii.gz", "../mask.nii.gz", 1], ["c02", "../image.nii.gz", "../mask.nii.gz", label]])

    with open(os.path.join(ROOT, "params_unknown_key.yaml"), "w") as f:
        f.write("setting:\n  binWidht: 25\nfeatureClass:\n  firstorder:\n")
    with open(os.path.join(ROOT, "params_wrong_type.yaml"), "w") as f:
        f.write("setting:\n  binWidth: wide\nfeatureClass:\n  firstorder:\n")


if __name__ == "__main__":
    main()
