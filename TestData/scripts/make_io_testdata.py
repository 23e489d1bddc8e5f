#!/usr/bin/env python3
"""Generates the small NRRD, raster and mask files under TestData/{nrrd,raster,masks}.

Needs: numpy, Pillow, tifffile, nibabel (pip install numpy Pillow tifffile nibabel).
Run from anywhere: python3 TestData/scripts/make_io_testdata.py

The formulas below are repeated in Tests/KiraIOTests (NRRDReaderTests, RasterReaderTests,
MaskReaderTests); change both together. NRRD headers are written by hand so that every
field is exactly what the tests expect.
"""
import gzip
import math
import os

import numpy as np
from PIL import Image
import tifffile
import nibabel as nib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
NRRD = os.path.join(ROOT, "nrrd")
RASTER = os.path.join(ROOT, "raster")
MASKS = os.path.join(ROOT, "masks")


def rot_x(deg):
    a = math.radians(deg)
    return np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])


def rot_z(deg):
    a = math.radians(deg)
    return np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])


def vec(v):
    return "(" + ",".join(repr(float(x)) for x in v) + ")"


def header(type_, sizes, encoding, endian, space, directions, origin, kinds, extra=()):
    lines = ["NRRD0004", "# Kira test data (TestData/scripts/make_io_testdata.py)", f"type: {type_}",
             f"dimension: {len(sizes)}"]
    if space:
        lines.append(f"space: {space}")
    lines.append("sizes: " + " ".join(str(s) for s in sizes))
    if directions is not None:
        lines.append("space directions: " + " ".join(d if isinstance(d, str) else vec(d) for d in directions))
    lines.append("kinds: " + " ".join(kinds))
    if endian:
        lines.append(f"endian: {endian}")
    lines.append(f"encoding: {encoding}")
    if origin is not None:
        lines.append("space origin: " + vec(origin))
    lines.extend(extra)
    return "\n".join(lines) + "\n"


def write(path, text, data=b""):
    with open(path, "wb") as f:
        f.write(text.encode("ascii"))
        f.write(data)


# ---------------------------------------------------------------- NRRD
# Oblique anisotropic grid, LPS: direction = Rz(30°)·Rx(20°), spacing (0.5, 0.8, 2.5),
# origin (10.5, -20.25, 33.0), size 5×4×3; int16 value(i,j,k) = i + 10 j + 100 k - 150.
SIZE = (5, 4, 3)
SPACING = (0.5, 0.8, 2.5)
ORIGIN = np.array([10.5, -20.25, 33.0])
DIRECTION = rot_z(30) @ rot_x(20)  # columns = unit vectors of i, j, k


def oblique_values():
    i, j, k = np.meshgrid(np.arange(5), np.arange(4), np.arange(3), indexing="ij")
    v = (i + 10 * j + 100 * k - 150).astype(np.int16)
    return v.transpose(2, 1, 0).copy()  # k, j, i: x fastest in memory


def oblique_dirs(flip=np.array([1, 1, 1])):
    return [DIRECTION[:, a] * SPACING[a] * flip for a in range(3)]


def make_nrrd():
    os.makedirs(NRRD, exist_ok=True)
    vals = oblique_values()
    le = vals.astype("<i2").tobytes()
    be = vals.astype(">i2").tobytes()
    dom3 = ["domain"] * 3
    lps = "left-posterior-superior"
    write(os.path.join(NRRD, "oblique_raw.nrrd"), header("short", SIZE, "raw", "little", lps, oblique_dirs(), ORIGIN, dom3) + "\n", le)
    write(os.path.join(NRRD, "oblique_gzip.nrrd"), header("short", SIZE, "gzip", "little", lps, oblique_dirs(), ORIGIN, dom3) + "\n",
          gzip.compress(le, mtime=0))
    # The same grid in RAS, big-endian, with a different spelling of the type.
    ras = np.array([-1, -1, 1])
    write(os.path.join(NRRD, "oblique_ras_big.nrrd"),
          header("signed short int", SIZE, "raw", "big", "right-anterior-superior", oblique_dirs(ras), ORIGIN * ras, dom3) + "\n", be)
    # Detached header, 12 junk bytes before the data (byte skip).
    write(os.path.join(NRRD, "oblique_detached.nhdr"),
          header("int16", SIZE, "raw", "little", "LPS", oblique_dirs(), ORIGIN, dom3,
                 ["byte skip: 12", "data file: oblique_detached.raw"]))
    with open(os.path.join(NRRD, "oblique_detached.raw"), "wb") as f:
        f.write(b"JUNKJUNKJUNK" + le)
    # Detached gzip data after two text lines (line skip applies before decompression).
    write(os.path.join(NRRD, "oblique_detached_gz.nhdr"),
          header("short", SIZE, "gzip", "little", lps, oblique_dirs(), ORIGIN, dom3,
                 ["line skip: 2", "data file: oblique_detached_gz.dat"]))
    with open(os.path.join(NRRD, "oblique_detached_gz.dat"), "wb") as f:
        f.write(b"first skipped line\nsecond skipped line\n" + gzip.compress(le, mtime=0))

    # RGB vector axis first: uint8, sizes 3 4 3 2, value(c,i,j,k) = c + 3 i + 12 j + 36 k → components = 3.
    c, i, j, k = np.meshgrid(np.arange(3), np.arange(4), np.arange(3), np.arange(2), indexing="ij")
    rgb = (c + 3 * i + 12 * j + 36 * k).astype(np.uint8).transpose(3, 2, 1, 0).copy()
    write(os.path.join(NRRD, "rgb_vector.nrrd"),
          header("uchar", (3, 4, 3, 2), "raw", None, lps, ["none", (1, 0, 0), (0, 1, 0), (0, 0, 2)], (0, 0, 0),
                 ["RGB-color", "domain", "domain", "domain"]) + "\n", rgb.tobytes())
    # Time/list axis last: float, sizes 4 3 2 3, value(i,j,k,t) = i + 4 j + 12 k + 0.5 t → 3 time points.
    i, j, k, t = np.meshgrid(np.arange(4), np.arange(3), np.arange(2), np.arange(3), indexing="ij")
    ts = (i + 4 * j + 12 * k + 0.5 * t).astype(np.float32).transpose(3, 2, 1, 0).copy()
    write(os.path.join(NRRD, "timeseries.nrrd"),
          header("float", (4, 3, 2, 3), "raw", "little", lps, [(2, 0, 0), (0, 2, 0), (0, 0, 3), "none"], (1, 2, 3),
                 ["domain", "domain", "domain", "list"]) + "\n", ts.astype("<f4").tobytes())
    # A list axis first (e.g. DWI gradients): moved to time. sizes 2 3 2 1, value(l,i,j,k) = 10 l + i + 3 j.
    l, i, j, k = np.meshgrid(np.arange(2), np.arange(3), np.arange(2), np.arange(1), indexing="ij")
    lst = (10 * l + i + 3 * j).astype("<u2").transpose(3, 2, 1, 0).copy()
    write(os.path.join(NRRD, "list_first.nrrd"),
          header("ushort", (2, 3, 2, 1), "raw", "little", lps, ["none", (1, 0, 0), (0, 1, 0), (0, 0, 1)], (0, 0, 0),
                 ["list", "domain", "domain", "domain"]) + "\n", lst.tobytes())

    # Broken files.
    write(os.path.join(NRRD, "truncated.nrrd"), header("short", SIZE, "raw", "little", lps, oblique_dirs(), ORIGIN, dom3) + "\n",
          le[:100])
    gz = gzip.compress(le, mtime=0)
    write(os.path.join(NRRD, "truncated_gzip.nrrd"), header("short", SIZE, "gzip", "little", lps, oblique_dirs(), ORIGIN, dom3) + "\n",
          gz[: len(gz) // 2])
    dirs = oblique_dirs()
    dirs[1] = np.zeros(3)
    write(os.path.join(NRRD, "zero_spacing.nrrd"), header("short", SIZE, "raw", "little", lps, dirs, ORIGIN, dom3) + "\n", le)
    write(os.path.join(NRRD, "negative_spacings.nrrd"),
          "NRRD0004\ntype: short\ndimension: 3\nsizes: 5 4 3\nspacings: 1 -2 1\nendian: little\nencoding: raw\n\n", le)
    write(os.path.join(NRRD, "unknown_encoding.nrrd"),
          header("short", SIZE, "bzip2", "little", lps, oblique_dirs(), ORIGIN, dom3) + "\n", b"BZh9")


# ---------------------------------------------------------------- rasters
# 7 wide × 5 high (x, y); row 0 of the file is y = 0.
W, H = 7, 5
PALETTE = [(0, 0, 0), (255, 0, 0), (0, 128, 255), (12, 34, 56)]


def grey8():
    return np.array([[(x * 37 + y * 11) % 256 for x in range(W)] for y in range(H)], dtype=np.uint8)


def grey16():
    return np.array([[1000 * x + 97 * y + 300 for x in range(W)] for y in range(H)], dtype=np.uint16)


def rgb8():
    return np.array([[[(x * 40) % 256, (y * 60) % 256, (x * y * 9) % 256] for x in range(W)] for y in range(H)], dtype=np.uint8)


def rgba8():
    a = np.array([[[128 + x] for x in range(W)] for y in range(H)], dtype=np.uint8)
    return np.concatenate([rgb8(), a], axis=2)


def rgb16():
    return np.array([[[1000 * x + 7, 2000 * y + 11, 300 * (x + y) + 13] for x in range(W)] for y in range(H)], dtype=np.uint16)


def palette_index():
    return np.array([[(x + 2 * y) % 4 for x in range(W)] for y in range(H)], dtype=np.uint8)


def palette_image():
    im = Image.fromarray(palette_index(), mode="P")
    flat = [c for rgb in PALETTE for c in rgb]
    im.putpalette(flat + [0] * (768 - len(flat)))
    return im


# JPEG: a smooth 16×16 gradient (lossy, compared within a tolerance).
JW, JH = 16, 16


def jpeg_grey():
    return np.array([[8 * x + 4 * y + 40 for x in range(JW)] for y in range(JH)], dtype=np.uint8)


def jpeg_rgb():
    return np.array([[[8 * x + 40, 8 * y + 60, 120] for x in range(JW)] for y in range(JH)], dtype=np.uint8)


def make_rasters():
    os.makedirs(RASTER, exist_ok=True)
    Image.fromarray(grey8(), mode="L").save(os.path.join(RASTER, "grey8.png"))
    Image.fromarray(grey16()).save(os.path.join(RASTER, "grey16.png"))  # mode I;16
    Image.fromarray(rgb8(), mode="RGB").save(os.path.join(RASTER, "rgb.png"))
    Image.fromarray(rgba8(), mode="RGBA").save(os.path.join(RASTER, "rgba.png"))
    # Grey + alpha: the grey8 values with alpha = 200 - 10 y (alpha is dropped on reading).
    la = np.stack([grey8(), np.array([[200 - 10 * y] * W for y in range(H)], dtype=np.uint8)], axis=2)
    Image.fromarray(la, mode="LA").save(os.path.join(RASTER, "grey_alpha.png"))
    palette_image().save(os.path.join(RASTER, "palette.png"))

    Image.fromarray(grey8(), mode="L").save(os.path.join(RASTER, "grey8.tif"))
    Image.fromarray(grey16()).save(os.path.join(RASTER, "grey16.tif"))
    Image.fromarray(rgb8(), mode="RGB").save(os.path.join(RASTER, "rgb.tif"))
    palette_image().save(os.path.join(RASTER, "palette.tif"))
    tifffile.imwrite(os.path.join(RASTER, "rgb16.tif"), rgb16(), photometric="rgb")
    tifffile.imwrite(os.path.join(RASTER, "rgb_planar.tif"), np.ascontiguousarray(rgb8().transpose(2, 0, 1)),
                     photometric="rgb", planarconfig="separate")
    # Signed 16-bit and float32 grey: value = 100x - 37y - 500 and 0.5x - 1.25y.
    tifffile.imwrite(os.path.join(RASTER, "grey_int16.tif"),
                     np.array([[100 * x - 37 * y - 500 for x in range(W)] for y in range(H)], dtype=np.int16),
                     photometric="minisblack")
    tifffile.imwrite(os.path.join(RASTER, "grey_float32.tif"),
                     np.array([[0.5 * x - 1.25 * y for x in range(W)] for y in range(H)], dtype=np.float32),
                     photometric="minisblack")
    # MinIsWhite: stored grey8 values, read back inverted (255 - v).
    tifffile.imwrite(os.path.join(RASTER, "grey8_miniswhite.tif"), grey8(), photometric="miniswhite")
    # Tiled, deflate-compressed grey: 20 × 18 with 16 × 16 tiles; value = (3x + 5y) % 256.
    tiled = np.array([[(3 * x + 5 * y) % 256 for x in range(20)] for y in range(18)], dtype=np.uint8)
    tifffile.imwrite(os.path.join(RASTER, "tiled.tif"), tiled, tile=(16, 16), compression="zlib", photometric="minisblack")
    # Resolution tags: 40 pixels per cm in x (0.25 mm), 20 per cm in y (0.5 mm).
    tifffile.imwrite(os.path.join(RASTER, "grey8_res_cm.tif"), grey8(), photometric="minisblack",
                     resolution=(40, 20), resolutionunit="CENTIMETER")

    Image.fromarray(jpeg_grey(), mode="L").save(os.path.join(RASTER, "grey8.jpg"), quality=95)
    Image.fromarray(jpeg_rgb(), mode="RGB").save(os.path.join(RASTER, "rgb.jpg"), quality=95, subsampling=0)

    with open(os.path.join(RASTER, "grey8.png"), "rb") as f:
        png = f.read()
    with open(os.path.join(RASTER, "truncated.png"), "wb") as f:
        f.write(png[: len(png) - 30])


# ---------------------------------------------------------------- masks
# Grid: size 6×5×4, spacing (0.9, 0.9, 2.0), origin (-10, 5, 20), direction Rz(10°) (LPS).
MSIZE = (6, 5, 4)
MSPACING = (0.9, 0.9, 2.0)
MORIGIN = np.array([-10.0, 5.0, 20.0])
MDIR = rot_z(10)


def labels():
    # label(i,j,k) = 1 if i < 2; 2 if i >= 4 and j < 2; 5 at (3,3,3); else 0 → 40, 16 and 1 voxels.
    out = np.zeros((4, 5, 6), dtype=np.uint8)  # k, j, i
    for k in range(4):
        for j in range(5):
            for i in range(6):
                if i < 2:
                    out[k, j, i] = 1
                elif i >= 4 and j < 2:
                    out[k, j, i] = 2
    out[3, 3, 3] = 5
    return out


def mask_nrrd(path, data, type_, size=MSIZE, spacing=MSPACING, origin=MORIGIN):
    dirs = [MDIR[:, a] * spacing[a] for a in range(3)]
    endian = "little" if data.dtype.itemsize > 1 else None
    write(path, header(type_, size, "gzip", endian, "left-posterior-superior", dirs, origin, ["domain"] * 3) + "\n",
          gzip.compress(data.tobytes(), mtime=0))


def make_masks():
    os.makedirs(MASKS, exist_ok=True)
    lab = labels()
    # Image on the grid: int16 value = 7 i + 3 j - 20 k.
    k, j, i = np.meshgrid(np.arange(4), np.arange(5), np.arange(6), indexing="ij")
    img = (7 * i + 3 * j - 20 * k).astype("<i2")
    mask_nrrd(os.path.join(MASKS, "image.nrrd"), img, "short")
    mask_nrrd(os.path.join(MASKS, "labels.nrrd"), lab, "uchar")
    mask_nrrd(os.path.join(MASKS, "labels_shifted.nrrd"), lab, "uchar", origin=MORIGIN + np.array([2.5, 0, 0]))
    mask_nrrd(os.path.join(MASKS, "labels_spacing.nrrd"), lab, "uchar", spacing=(1.0, 0.9, 2.0))
    mask_nrrd(os.path.join(MASKS, "labels_size.nrrd"), np.ascontiguousarray(lab[:3]), "uchar", size=(6, 5, 3))
    # The same labels as NIfTI (RAS affine), stored as int16.
    lps = np.eye(4)
    lps[:3, :3] = MDIR * np.array(MSPACING)
    lps[:3, 3] = MORIGIN
    ras = np.diag([-1, -1, 1, 1]) @ lps
    nii = nib.Nifti1Image(lab.transpose(2, 1, 0).astype(np.int16), ras)
    nii.set_qform(ras, code=1)
    nii.set_sform(ras, code=1)
    nib.save(nii, os.path.join(MASKS, "labels.nii.gz"))
    # Labels stored as float with a non-integer value → refused.
    bad = lab.astype("<f4")
    bad[0, 0, 0] = 0.5
    mask_nrrd(os.path.join(MASKS, "labels_fraction.nrrd"), bad, "float")


if __name__ == "__main__":
    make_nrrd()
    make_rasters()
    make_masks()
    print("wrote", NRRD, RASTER, MASKS)
