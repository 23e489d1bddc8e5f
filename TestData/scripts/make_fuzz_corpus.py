#!/usr/bin/env python3
"""Generates the fuzzers' seed corpora under TestData/fuzz/<target>/ (standard library only).

Run from anywhere: python3 TestData/scripts/make_fuzz_corpus.py

Seeds are the small reader test files already under TestData/ (copied, so the corpus stays
complete if those change) plus a few CSV and settings texts written here. Only files named
seed-* are rewritten; crash reproducers the fuzzer found (TestData/fuzz/<target>/crashes/)
are kept, since each one has a regression test.
"""
import glob
import gzip
import os
import shutil
import struct
import subprocess
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FUZZ = os.path.join(ROOT, "fuzz")
MAX_SEED = 64 * 1024  # larger files slow every mutation down and teach the fuzzer little


def reset(target):
    folder = os.path.join(FUZZ, target)
    os.makedirs(folder, exist_ok=True)
    for old in glob.glob(os.path.join(folder, "seed-*")):
        os.remove(old)
    return folder


def copy(target, patterns):
    folder = reset(target)
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            if os.path.getsize(path) > MAX_SEED:
                continue
            rel = os.path.relpath(path, ROOT).replace(os.sep, "-")
            shutil.copyfile(path, os.path.join(folder, "seed-" + rel))
    return folder


def write(folder, name, text):
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode("utf-8"))


def nifti_image(dims, datatype, bitpix, data, sform=None, qform=False, slope=0.0, inter=0.0, pixdim=(1, 1, 1, 1)):
    """A single-file NIfTI-1 (.nii) image: 348-byte header, 4 extension bytes, the data."""
    dim = [len(dims)] + list(dims) + [1] * (7 - len(dims))
    pd = [1.0] + list(pixdim) + [1.0] * (7 - len(pixdim))
    h = bytearray(348)
    struct.pack_into("<i", h, 0, 348)
    struct.pack_into("<8h", h, 40, *dim)
    struct.pack_into("<hh", h, 70, datatype, bitpix)
    struct.pack_into("<8f", h, 76, *pd)
    struct.pack_into("<f", h, 108, 352.0)
    struct.pack_into("<ff", h, 112, slope, inter)
    struct.pack_into("<B", h, 123, 10)  # xyzt_units: mm, s
    if qform:
        struct.pack_into("<h", h, 252, 1)
        struct.pack_into("<6f", h, 256, 0.0, 0.0, 0.3826834, 10.0, -5.0, 2.5)  # 45° about z
    if sform:
        struct.pack_into("<h", h, 254, 1)
        struct.pack_into("<12f", h, 280, *sform)
    h[344:348] = b"n+1\0"
    return bytes(h) + b"\0\0\0\0" + data


def dicom_encodings(folder):
    """The same images in other transfer syntaxes (RLE, JPEG lossless, JPEG-LS, implicit VR,
    big endian), so the fuzzer starts inside dcmtk's decoders and Kira's RLE and fragment code.
    Needs dcmtk's command-line tools (Debian package dcmtk); skipped without them."""
    if shutil.which("dcmconv") is None:
        print("dcmtk tools not found: no RLE/JPEG/JPEG-LS DICOM seeds")
        return
    jobs = [("dcmcrle", [], "rle"), ("dcmcjpeg", [], "jpeg"), ("dcmcjpls", [], "jpegls"),
            ("dcmconv", ["+ti"], "implicit"), ("dcmconv", ["+tb"], "bigendian")]
    sources = ["dicom/multiframe/mf.dcm", "dicom/oblique_mr/im00.dcm", "dicom/dx/dx.dcm"]
    with tempfile.TemporaryDirectory() as tmp:
        for tool, flags, label in jobs:
            for rel in sources:
                out = os.path.join(tmp, "out.dcm")
                subprocess.run([tool, *flags, os.path.join(ROOT, rel), out], check=True)
                name = rel.replace("/", "-").replace(".dcm", f"-{label}.dcm")
                shutil.copyfile(out, os.path.join(folder, "seed-" + name))


def main():
    dicom_encodings(copy("dicom", ["dicom/**/*.dcm"]))
    copy("nrrd", ["nrrd/*.nrrd", "nrrd/*.nhdr", "masks/*.nrrd"])
    copy("raster", ["raster/*.png", "raster/*.jpg", "raster/*.tif"])

    nifti = copy("nifti", ["masks/*.nii.gz"])
    # The uncompressed form too: niftilib reads .nii and .nii.gz by different paths.
    with gzip.open(os.path.join(ROOT, "masks", "labels.nii.gz"), "rb") as f:
        write(nifti, "masks-labels.nii", f.read())
    write(nifti, "uint8-pixdim.nii", nifti_image((3, 2, 2), 2, 8, bytes(range(12)), pixdim=(0.5, 0.7, 2.0)))
    write(nifti, "int16-qform.nii", nifti_image((2, 2, 2), 4, 16, struct.pack("<8h", *range(-4, 4)), qform=True))
    write(nifti, "float32-sform-scaled.nii",
          nifti_image((2, 2, 1, 2), 16, 32, struct.pack("<8f", 0.5, -1, float("nan"), 3, 4, 5, 6, 7),
                sform=(-1, 0, 0, 10, 0, -1.5, 0, 20, 0, 0, 2, -30), slope=2.0, inter=-1.0))
    write(nifti, "float64-2d.nii", nifti_image((2, 3), 64, 64, struct.pack("<6d", *range(6))))
    write(nifti, "rgb24.nii", nifti_image((2, 1, 1), 128, 24, bytes([255, 0, 0, 0, 255, 0])))
    with open(os.path.join(nifti, "seed-int16-qform.nii"), "rb") as f:
        write(nifti, "int16-qform.nii.gz", gzip.compress(f.read(), mtime=0))

    csv = reset("csv")
    write(csv, "plain.csv", "id,age,volume\nA,50,1.5\nB,NA,2.25\n")
    write(csv, "quoted.csv", 'id,note,value\n"A","says ""hi"", twice",1\n"B","two\nlines",NaN\n')
    write(csv, "crlf-bom.csv", b"\xef\xbb\xbfid,event,time\r\n1,1,3.5\r\n2,0,\r\n\r\n")
    write(csv, "ragged.csv", "a,b,c\n1,2\n")
    write(csv, "unclosed.csv", 'a,b\n"1,2\n')

    settings = reset("settings")
    write(settings, "pyradiomics.yaml", """setting:
  binCount: 64
  label: 2
  normalize: true
  resampledPixelSpacing: [2, 2, 0]
  interpolator: sitkLinear
  resegmentRange: [-3, 3]
  resegmentMode: sigma
  sigma: [1.0, 2.0]
imageType:
  Original: {}
  LoG: {sigma: [3.0]}
  Wavelet: {}
featureClass:
  glcm: [Contrast, MCC]
  firstorder:
""")
    write(settings, "ibsi.yaml", """ibsi:
  preset: ibsi-c
  discretisation: {binCount: 32}
  textureDimensions: [2.5D, 3D]
  resegmentationRange: [-1000, null]
  outlierSigmas: 3
  interpolation: {spacing: [1, 1, 1], interpolator: bspline, grid: origin, roundIntensities: true, maskThreshold: 0.4}
  ivh: {binWidth: 2.5}
  distance: 2
  ngldmAlpha: 1
  families: [intensity_statistics, glcm]
""")
    write(settings, "settings.json", '{"setting": {"binWidth": 5, "interpolator": null, "resampledPixelSpacing": null}, '
          '"featureClass": {"firstorder": null}}')
    write(settings, "anchors.yaml", "base: &b {binWidth: 25}\nsetting: *b\nmode: ibsi\n")


if __name__ == "__main__":
    main()
