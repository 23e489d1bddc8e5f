#!/usr/bin/env python3
"""Writes Kira's synthetic DICOM test series into TestData/dicom with dcmtk's dump2dcm.

Every value the tests assert (geometry and voxel values) is defined here:
  oblique_mr/      8 columns x 6 rows x 5 slices, PixelSpacing 0.6\\0.8 (row, column
                   spacing: x step 0.8 mm, y step 0.6 mm), 2.5 mm between slices, rows
                   tilted 20 degrees about the patient x axis; voxel = 1000 + 100 z + 10 y + x;
                   files named in shuffled order.
  dce/             4 x 4 x 3 slices x 3 phases, one SeriesInstanceUID, TemporalPositionIdentifier
                   1..3 and TriggerTime 0/60000/120000 ms, files shuffled;
                   voxel = 100 t + 10 z + 4 y + x.
  missing_slice/   oblique_mr's layout with the third of five slices left out.
  uneven_gaps/     4x4 axial slices at z = 0, 2.5, 5, 8, 10.5 mm (one 3 mm gap): loads with
                   a warning, slice spacing = mean gap 2.625 mm.
  mixed_sizes/     one SeriesInstanceUID: two 4x4 slices and two 5x5 slices.
  odd_size_last/   series 5 "T2 ax": im01-im07 axial 3 mm apart, voxel = 100 z + i; im07 (the
                   last) is 5x5 with voxels 900 + i, the others 4x4.
  odd_size_middle/ the same with im05 (z = 12 mm) the 5x5 one: the 4x4 slices form runs
                   im01-im04 and im06-im07.
  multi_echo/      series 8: 3 axial 4x4 slices 2 mm apart for each of EchoNumbers 1 and 2
                   (TE 4.5 and 9 ms), ImageType ORIGINAL\\PRIMARY\\M\\ND; voxel = 1000 echo + 100 z + i.
  mag_phase/       series 9: the same slices as ImageType ...\\MAGNITUDE and ...\\PHASE, echo 1;
                   voxel = 1000 (0 magnitude, 1 phase) + 100 z + i.
  zero_spacing/, negative_spacing/   two slices with PixelSpacing 0\\0.8 and -0.5\\0.5.
  seg/seg.dcm      a 1-bit SEG, 4x4, frames at z = 0, 4, 0 mm (slice step 2 mm, so 3 slices):
                   segment 1 = pixels 0-3 of z 0; segment 2 = pixel 5 of z 2 and pixel 15 of z 0.
  dx/dx.dcm        DX projection, 4 columns x 3 rows, MONOCHROME1, 12 of 16 bits stored with
                   junk in the top 4 bits (stored = 0xF000 | (300 y + 7 x)), ImagerPixelSpacing
                   0.2\\0.1 and EstimatedRadiographicMagnificationFactor 1.25, laterality L, view CC.
  dx_sizes/        dx.dcm's projection three times in one series, 4x3, 4x3 and 6x5.
  bad/             a truncated file (half its pixel data cut off) and a text file.
  philips/         series 10, Manufacturer Philips: 3 axial 4x4 slices, stored 100 z + i,
                   RescaleSlope 1.5, RescaleIntercept -3, ScaleSlope (2005,100E) FL 0.3.
  multiframe/mf.dcm series 11: one MR file of 4 frames, 8 columns x 6 rows, PixelSpacing
                   0.6\\0.8, one ImagePositionPatient (10, -20, 30) and oblique_mr's orientation,
                   SpacingBetweenSlices 2.5, no per-frame positions; voxel = 100 frame + 10 y + x.
Run from anywhere: python3 TestData/scripts/make-dicom-testdata.py
"""
import math
import os
import random
import shutil
import subprocess
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dicom")
MR = "1.2.840.10008.5.1.4.1.1.4"
STUDY = "1.2.826.0.1.3680043.8.498.1"


def fmt(v):
    return "\\".join(f"{x:.10g}" if isinstance(x, float) else str(x) for x in v)


def write(path, series_uid, instance, rows, cols, spacing, position, orientation, pixels,
          extra=None, description="synthetic", series_number=7, echo_time=4.5, manufacturer="Kira synthetic"):
    words = "\\".join(f"{p & 0xFFFF:04x}" for p in pixels)
    lines = [
        "(0008,0016) UI =MRImageStorage",
        f"(0008,0018) UI [{series_uid}.{instance}]",
        "(0008,0060) CS [MR]",
        f"(0008,0070) LO [{manufacturer}]",
        f"(0008,103e) LO [{description}]",
        "(0010,0010) PN [Synthetic^Patient]",
        "(0010,0020) LO [KIRA0001]",
        "(0018,0050) DS [2]",
        f"(0018,0081) DS [{echo_time:g}]",
        "(0018,0080) DS [450]",
        f"(0020,000d) UI [{STUDY}]",
        f"(0020,000e) UI [{series_uid}]",
        f"(0020,0011) IS [{series_number}]",
        f"(0020,0013) IS [{instance}]",
        f"(0020,0032) DS [{fmt(position)}]",
        f"(0020,0037) DS [{fmt(orientation)}]",
        "(0028,0002) US 1",
        "(0028,0004) CS [MONOCHROME2]",
        f"(0028,0010) US {rows}",
        f"(0028,0011) US {cols}",
        f"(0028,0030) DS [{fmt(spacing)}]",
        "(0028,0100) US 16",
        "(0028,0101) US 16",
        "(0028,0102) US 15",
        "(0028,0103) US 0",
    ]
    lines += extra or []
    lines.append(f"(7fe0,0010) OW {words}")
    lines.sort(key=lambda l: l[:11].lower())
    dump_to_dicom(lines, path)


def dump_to_dicom(lines, path):
    with tempfile.NamedTemporaryFile("w", suffix=".dump", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        dump = f.name
    try:
        subprocess.run(["dump2dcm", "--write-xfer-little", dump, path], check=True)
    finally:
        os.unlink(dump)


def write_dx(path, rows=3, cols=4, instance=1, series="70"):
    px = [0xF000 | (300 * y + 7 * x) for y in range(rows) for x in range(cols)]
    lines = [
        "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.1.1]",
        f"(0008,0018) UI [1.2.826.0.1.3680043.8.498.{series}.{instance}]",
        "(0008,0060) CS [DX]",
        "(0008,0068) CS [FOR PRESENTATION]",
        "(0018,1114) DS [1.25]",
        "(0018,1164) DS [0.2\\0.1]",
        "(0018,5101) CS [CC]",
        f"(0020,000d) UI [{STUDY}]",
        f"(0020,000e) UI [1.2.826.0.1.3680043.8.498.{series}]",
        "(0020,0062) CS [L]",
        "(0028,0002) US 1", "(0028,0004) CS [MONOCHROME1]",
        f"(0028,0010) US {rows}", f"(0028,0011) US {cols}", "(0028,0100) US 16", "(0028,0101) US 12",
        "(0028,0102) US 11", "(0028,0103) US 0",
        "(7fe0,0010) OW " + "\\".join(f"{p:04x}" for p in px),
    ]
    dump_to_dicom(lines, path)


def write_seg(path):
    def item(lines):
        return ["(fffe,e000) na (Item with undefined length #=1)"] + lines + ["(fffe,e00d) na (ItemDelimitationItem)"]

    def seq(tag, items):
        out = [f"{tag} SQ (Sequence with undefined length #=1)"]
        for i in items:
            out += item(i)
        return out + ["(fffe,e0dd) na (SequenceDelimitationItem)"]

    frames = [(0.0, 1), (4.0, 2), (0.0, 2)]
    per_frame = [seq("(0020,9113)", [[f"(0020,0032) DS [0\\0\\{z:g}]"]]) +
                 seq("(0062,000a)", [["(0062,000b) US " + str(n)]]) for z, n in frames]
    shared = (seq("(0020,9116)", [["(0020,0037) DS [1\\0\\0\\0\\1\\0]"]]) +
              seq("(0028,9110)", [["(0018,0050) DS [2]", "(0018,0088) DS [2]", "(0028,0030) DS [1\\1]"]]))
    segments = [[f"(0062,0004) US {n}", f"(0062,0005) LO [{name}]", "(0062,0008) CS [MANUAL]"]
                for n, name in [(1, "lesion"), (2, "vessel")]]
    lines = [
        "(0008,0016) UI [1.2.840.10008.5.1.4.1.1.66.4]",
        "(0008,0018) UI [1.2.826.0.1.3680043.8.498.60.1]",
        "(0008,0060) CS [SEG]",
        f"(0020,000d) UI [{STUDY}]",
        "(0020,000e) UI [1.2.826.0.1.3680043.8.498.60]",
        "(0028,0002) US 1", "(0028,0004) CS [MONOCHROME2]", "(0028,0008) IS [3]",
        "(0028,0010) US 4", "(0028,0011) US 4", "(0028,0100) US 1", "(0028,0101) US 1",
        "(0028,0102) US 0", "(0028,0103) US 0", "(0062,0001) CS [BINARY]",
    ]
    lines += seq("(0062,0002)", segments)
    lines += seq("(5200,9229)", [shared])
    lines += seq("(5200,9230)", per_frame)
    # Bits, least significant first: frame 1 pixels 0-3, frame 2 pixel 5, frame 3 pixel 15.
    lines.append("(7fe0,0010) OB 0f\\00\\20\\00\\00\\80")
    with tempfile.NamedTemporaryFile("w", suffix=".dump", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        dump = f.name
    try:
        subprocess.run(["dump2dcm", "--write-xfer-little", dump, path], check=True)
    finally:
        os.unlink(dump)


def oblique_stack(folder, uid, skip=(), rng=None):
    a = math.radians(20)
    row = (1.0, 0.0, 0.0)
    col = (0.0, math.cos(a), math.sin(a))
    normal = (0.0, -math.sin(a), math.cos(a))
    origin = (10.0, -20.0, 30.0)
    order = list(range(5))
    (rng or random.Random(1)).shuffle(order)
    for name_index, z in enumerate(order):
        if z in skip:
            continue
        pos = tuple(origin[i] + 2.5 * z * normal[i] for i in range(3))
        px = [1000 + 100 * z + 10 * y + x for y in range(6) for x in range(8)]
        write(os.path.join(folder, f"im{name_index:02d}.dcm"), uid, z + 1, 6, 8, (0.6, 0.8), pos,
              row + col, px, description="oblique")


def main():
    if os.path.isdir(ROOT):
        shutil.rmtree(ROOT)
    for d in ["uneven_gaps", "dx", "seg", "oblique_mr", "dce", "missing_slice", "mixed_sizes", "zero_spacing",
              "negative_spacing", "bad", "odd_size_last", "odd_size_middle", "multi_echo", "mag_phase", "philips", "multiframe", "dx_sizes"]:
        os.makedirs(os.path.join(ROOT, d))
    axial = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

    oblique_stack(os.path.join(ROOT, "oblique_mr"), "1.2.826.0.1.3680043.8.498.10")
    oblique_stack(os.path.join(ROOT, "missing_slice"), "1.2.826.0.1.3680043.8.498.11", skip=(2,))

    rng = random.Random(7)
    files = [(t, z) for t in range(3) for z in range(3)]
    rng.shuffle(files)
    for n, (t, z) in enumerate(files):
        px = [100 * t + 10 * z + 4 * y + x for y in range(4) for x in range(4)]
        extra = [f"(0020,0100) IS [{t + 1}]", f"(0018,1060) DS [{t * 60000}]",
                 f"(0008,0032) TM [1200{t:02d}]", "(0020,0105) IS [3]"]
        write(os.path.join(ROOT, "dce", f"f{n:02d}.dcm"), "1.2.826.0.1.3680043.8.498.20", t * 3 + z + 1,
              4, 4, (1.0, 1.0), (0.0, 0.0, 3.0 * z), axial, px, extra, description="dce")

    for n, z in enumerate([0.0, 2.5, 5.0, 8.0, 10.5]):
        write(os.path.join(ROOT, "uneven_gaps", f"u{n}.dcm"), "1.2.826.0.1.3680043.8.498.35", n + 1,
              4, 4, (1.0, 1.0), (0.0, 0.0, z), axial, [n] * 16, description="uneven")

    for n, (size, z) in enumerate([(4, 0), (4, 1), (5, 0), (5, 1)]):
        px = [z * 50 + i for i in range(size * size)]
        write(os.path.join(ROOT, "mixed_sizes", f"m{n}.dcm"), "1.2.826.0.1.3680043.8.498.30", n + 1,
              size, size, (1.0, 1.0), (0.0, 0.0, 2.0 * z), axial, px, description="mixed")

    # One odd-sized file in an otherwise regular axial series (3 mm apart, voxel = 100 z + i,
    # the odd 5x5 file's voxels 900 + i): last by position, and in the middle, where the
    # hole it leaves splits the 4x4 slices into runs of 4 and 2.
    for folder, uid, odd in [("odd_size_last", "31", 6), ("odd_size_middle", "32", 4)]:
        for z in range(7):
            size = 5 if z == odd else 4
            px = [900 + i if z == odd else 100 * z + i for i in range(size * size)]
            write(os.path.join(ROOT, folder, f"im{z + 1:02d}.dcm"), f"1.2.826.0.1.3680043.8.498.{uid}", z + 1,
                  size, size, (1.0, 1.0), (0.0, 0.0, 3.0 * z), axial, px, description="T2 ax", series_number=5)

    # Split series for output names: two echoes (EchoNumbers 1/2, TE 4.5/9 ms) of a
    # magnitude image, and magnitude + phase of one echo; 3 slices of 4x4 each,
    # voxel = 1000 echo-or-kind index + 100 z + i.
    for n, z, echo in [(n, z, e) for n, (z, e) in enumerate((z, e) for e in (1, 2) for z in range(3))]:
        extra = ["(0008,0008) CS [ORIGINAL\\PRIMARY\\M\\ND]", f"(0018,0086) IS [{echo}]"]
        write(os.path.join(ROOT, "multi_echo", f"e{n:02d}.dcm"), "1.2.826.0.1.3680043.8.498.80", n + 1, 4, 4,
              (1.0, 1.0), (0.0, 0.0, 2.0 * z), axial, [1000 * echo + 100 * z + i for i in range(16)], extra,
              description="me", series_number=8, echo_time=4.5 * echo)
    for n, z, kind in [(n, z, k) for n, (z, k) in enumerate((z, k) for k in (0, 1) for z in range(3))]:
        image_type = ["MAGNITUDE", "PHASE"][kind]
        extra = [f"(0008,0008) CS [ORIGINAL\\PRIMARY\\{image_type}]", "(0018,0086) IS [1]"]
        write(os.path.join(ROOT, "mag_phase", f"p{n:02d}.dcm"), "1.2.826.0.1.3680043.8.498.81", n + 1, 4, 4,
              (1.0, 1.0), (0.0, 0.0, 2.0 * z), axial, [1000 * kind + 100 * z + i for i in range(16)], extra,
              description="mp", series_number=9)

    # Philips scaling: RescaleSlope 1.5, RescaleIntercept -3, private ScaleSlope (2005,100E)
    # 0.3, stored value 100 z + i (3 slices of 4x4). Display value 1.5 PV - 3; floating-point
    # value (1.5 PV - 3) / (1.5 x 0.3).
    for z in range(3):
        extra = ["(0028,1052) DS [-3]", "(0028,1053) DS [1.5]", "(2005,0010) LO [Philips Imaging DD 001]",
                 "(2005,100e) FL 0.3"]
        write(os.path.join(ROOT, "philips", f"ph{z}.dcm"), "1.2.826.0.1.3680043.8.498.82", z + 1, 4, 4, (1.0, 1.0),
              (0.0, 0.0, 2.0 * z), axial, [100 * z + i for i in range(16)], extra, description="philips",
              series_number=10, manufacturer="Philips Medical Systems")

    # One classic multi-frame file: 4 frames of 8x6, one ImagePositionPatient for all, rows
    # tilted 20 degrees about x (oblique_mr's orientation), SpacingBetweenSlices 2.5 mm;
    # voxel = 100 frame + 10 y + x.
    a = math.radians(20)
    tilted = (1.0, 0.0, 0.0, 0.0, math.cos(a), math.sin(a))
    px = [100 * f + 10 * y + x for f in range(4) for y in range(6) for x in range(8)]
    write(os.path.join(ROOT, "multiframe", "mf.dcm"), "1.2.826.0.1.3680043.8.498.83", 1, 6, 8, (0.6, 0.8),
          (10.0, -20.0, 30.0), tilted, px, ["(0028,0008) IS [4]", "(0018,0088) DS [2.5]"],
          description="multiframe", series_number=11)

    for folder, uid, spacing in [("zero_spacing", "40", (0.0, 0.8)), ("negative_spacing", "41", (-0.5, 0.5))]:
        for z in range(2):
            write(os.path.join(ROOT, folder, f"s{z}.dcm"), f"1.2.826.0.1.3680043.8.498.{uid}", z + 1,
                  4, 4, spacing, (0.0, 0.0, 2.0 * z), axial, list(range(16)), description=folder)

    write_seg(os.path.join(ROOT, "seg", "seg.dcm"))
    write_dx(os.path.join(ROOT, "dx", "dx.dcm"))
    # Projections of two sizes in one series (no slice geometry): none is an odd slice.
    for n, (rows, cols) in enumerate([(3, 4), (3, 4), (5, 6)]):
        write_dx(os.path.join(ROOT, "dx_sizes", f"dx{n}.dcm"), rows, cols, n + 1, "71")

    good = os.path.join(ROOT, "bad", "truncated.dcm")
    write(good, "1.2.826.0.1.3680043.8.498.50", 1, 6, 8, (1.0, 1.0), (0.0, 0.0, 0.0), axial, list(range(48)))
    size = os.path.getsize(good)
    with open(good, "r+b") as f:
        f.truncate(size - 48)  # half of the 96 bytes of pixel data
    with open(os.path.join(ROOT, "bad", "notes.txt"), "w") as f:
        f.write("not a DICOM file\n")


if __name__ == "__main__":
    main()
