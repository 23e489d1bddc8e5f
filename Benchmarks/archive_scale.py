#!/usr/bin/env python3
"""kira convert against dcm2niix on one archive copied 1x, 4x and 16x, in one run.

The archive is every DICOM folder of ../shared/reference/dicom, the IBSI CT phantom's 60
slices and TestData/dicom. Each copy gets fresh Study, Series and SOP Instance UIDs
(pydicom), so a copy is new series for both tools, not duplicates of the first. Copies are
written once; the 4x and 16x folders hard-link them, so the inputs cost one 16x of disk.

For each scale both tools run REPEATS times (default 1) under GNU time, which gives wall
time, CPU time (user + system) and peak resident memory of the tool itself (a process
started from Python would inherit Python's high-water mark in ru_maxrss). The goals: time
and CPU ratios <= 1.0, Kira's peak <= 2x dcm2niix's and flat from 1x to 16x. Timing is a
benchmark, never a test: run it with `make bench-archive`.

KIRA_BASELINE=/path/to/older/kira runs that build too, in the same repeats, and prints its
wall, CPU and peak on a second line per scale (before/after comparisons on a machine whose
load changes from minute to minute).

dcm2niix names its outputs `%f_%s_%j` (folder, series number, SeriesInstanceUID): with
`%f_%s` alone, the copies of one series share a name, dcm2niix gives up on a name after 26
letter suffixes ("Too many NIFTI images with the name"), and at 16x it skipped 302 series
(418 of 720 NIfTI files written), so it did less work than Kira. SAME_WORK=1 also leaves
out, for both tools, the files this dcm2niix cannot decode (see DCM2NIIX_CANNOT_DECODE),
which Kira decodes: the time ratio then compares the same decoding work.
"""
import os, shutil, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.environ.get("KIRA_REFERENCE", os.path.join(os.path.dirname(ROOT), "shared", "reference"))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
REPEATS = int(os.environ.get("REPEATS", "1"))
SCALES = [int(s) for s in os.environ.get("SCALES", "1,4,16").split(",")]
WORK = os.environ.get("ARCHIVE_WORK", "")
BASELINE = os.environ.get("KIRA_BASELINE", "")

SOURCES = [
    ("dcm_qa_enh", os.path.join(REF, "dicom", "dcm_qa_enh", "In")),
    ("dcm_qa_ts", os.path.join(REF, "dicom", "dcm_qa_ts", "In")),
    ("samples", os.path.join(REF, "dicom", "samples")),
    ("ct_phantom", os.path.join(REF, "ibsi", "ct_phantom", "dicom", "image")),
    ("testdata", os.path.join(ROOT, "TestData", "dicom")),
]
# The Debian dcm2niix (1.0.20220720) crashes on this file (see ../shared/reference/README.md),
# which would end its run before most of the archive: left out for both tools.
EXCLUDE = {"samples/us/pdd_color3d_jpeg_baseline.dcm"}
# Files the Debian dcm2niix (1.0.20220720) refuses, which Kira converts: JPEG-LS ("Unsupported
# transfer syntax"), and frames in several fragments ("Compressed image stored as N
# fragments"). Together about half of Kira's decoding time on the archive (the JPEG 2000
# radiograph alone 0.18 s CPU a copy). Left out for both tools only with SAME_WORK=1.
DCM2NIIX_CANNOT_DECODE = {
    "dcm_qa_ts/7.dcm", "dcm_qa_ts/8.dcm",
    "samples/mr/pdd_emri_small_jpeg_ls_lossless.dcm", "samples/mr/pyd_MR_small_jpeg_ls_lossless.dcm",
    "samples/dx_cr/pdd_RG3_J2KR.dcm", "samples/us/pdd_US1_J2KR.dcm",
    "samples/us/pyd_examples_ybr_color.dcm", "samples/mr/pdd_emri_small_RLE.dcm",
}
SAME_WORK = os.environ.get("SAME_WORK", "") not in ("", "0")


def fresh_copy(src, dst, copy):
    """`src` written to `dst` with UIDs derived from the old ones and the copy number:
    files of one series stay one series, and no copy shares a UID with another. Files
    pydicom cannot read (the archive's deliberately broken ones) are copied as they are."""
    import pydicom
    from pydicom.uid import generate_uid
    try:
        ds = pydicom.dcmread(src)
    except Exception:
        shutil.copyfile(src, dst)
        return
    new = lambda uid: generate_uid(entropy_srcs=[str(uid), str(copy)])
    for tag in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        if tag in ds:
            setattr(ds, tag, new(getattr(ds, tag)))
    meta = getattr(ds, "file_meta", None)
    if meta is not None and "MediaStorageSOPInstanceUID" in meta and "SOPInstanceUID" in ds:
        meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    try:
        ds.save_as(dst, enforce_file_format=False)
    except Exception:
        shutil.copyfile(src, dst)


def make_archive(work, copies):
    """work/copies/c<k>/<source>/... for k < copies, then work/x<n>/ hard-linking the first n."""
    files = []
    for name, path in SOURCES:
        if not os.path.isdir(path):
            print(f"archive: {path} is absent, left out")
            continue
        for d, dirs, names in os.walk(path):
            dirs[:] = sorted(x for x in dirs if not x.startswith("."))
            for n in sorted(names):
                full = os.path.join(d, n)
                rel = os.path.join(name, os.path.relpath(full, path))
                if not n.startswith(".") and rel not in EXCLUDE:
                    files.append((full, rel))
    for k in range(copies):
        base = os.path.join(work, "copies", f"c{k}")
        if os.path.isdir(base):
            continue
        for src, rel in files:
            dst = os.path.join(base, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            fresh_copy(src, dst, k)
    folders = {}
    if SAME_WORK:
        files = [(src, rel) for src, rel in files if rel not in DCM2NIIX_CANNOT_DECODE]
    for n in SCALES:
        out = os.path.join(work, f"x{n}" + ("-same" if SAME_WORK else ""))
        if not os.path.isdir(out):
            for k in range(n):
                for _, rel in files:
                    dst = os.path.join(out, f"c{k}", rel)
                    os.makedirs(os.path.dirname(dst), exist_ok=True)
                    os.link(os.path.join(work, "copies", f"c{k}", rel), dst)
        folders[n] = (out, n * len(files))
    return folders


def timed(cmd):
    """(wall s, CPU s, peak MiB, exit code) of cmd, from GNU time. GNU time's own peak is
    a few MiB; it is the child's that %M reports."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        p = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%e %U %S %M"] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        e, u, s, m = t.read().split()[-4:]
    return float(e), float(u) + float(s), int(m) / 1024.0, p.returncode


def main():
    dcm2niix = shutil.which("dcm2niix")
    if not dcm2niix or not os.path.exists(KIRA):
        sys.exit(f"needs dcm2niix and {KIRA} (make release)")
    work = WORK or tempfile.mkdtemp(prefix="kira-archive-")
    folders = make_archive(work, max(SCALES))
    print(f"archive in {work}; REPEATS={REPEATS} (medians; a shared machine makes single runs noisy); "
          "outputs: NIfTI files written by kira/dcm2niix")
    print(f"{'copies':>6} {'files':>6} {'outputs':>11} {'kira s':>7} {'d2n s':>7} {'ratio':>6} {'kira cpu':>8} {'d2n cpu':>8} "
          f"{'ratio':>6} {'kira MiB':>8} {'d2n MiB':>8} {'ratio':>6}")
    peaks = {}
    for n in SCALES:
        path, count = folders[n]
        k, d, b = [], [], []
        for _ in range(REPEATS):
            with tempfile.TemporaryDirectory() as ko, tempfile.TemporaryDirectory() as do:
                r = timed([KIRA, "convert", path, "-o", ko, "-q"])
                if r[3] not in (0, 2):
                    sys.exit(f"kira failed on {path} with exit code {r[3]}")
                k.append(r)
                r = timed([dcm2niix, "-z", "n", "-f", "%f_%s_%j", "-o", do, path])
                # Exit codes below 128 are per-file failures (JPEG-LS, which this dcm2niix lacks);
                # above, a crash that ended the run early.
                if not 0 <= r[3] < 128:
                    sys.exit(f"dcm2niix failed on {path} with exit code {r[3]}")
                d.append(r)
                outputs = (sum(x.endswith(".nii") for x in os.listdir(ko)), sum(x.endswith(".nii") for x in os.listdir(do)))
            if BASELINE:
                with tempfile.TemporaryDirectory() as bo:
                    b.append(timed([BASELINE, "convert", path, "-o", bo, "-q"]))
        kw, kc, km = (statistics.median(x[i] for x in k) for i in range(3))
        dw, dc, dm = (statistics.median(x[i] for x in d) for i in range(3))
        peaks[n] = (km, dm)
        print(f"{n:>6} {count:>6} {outputs[0]:>5}/{outputs[1]:<5} {kw:7.2f} {dw:7.2f} {kw / dw:6.2f} {kc:8.2f} {dc:8.2f} {kc / dc:6.2f} "
              f"{km:8.1f} {dm:8.1f} {km / dm:6.2f}")
        if b:
            bw, bc, bm = (statistics.median(x[i] for x in b) for i in range(3))
            print(f"{'baseline':>25} {bw:7.2f} {'':7} {bw / dw:6.2f} {bc:8.2f} {'':8} {bc / dc:6.2f} {bm:8.1f} {'':8} {bm / dm:6.2f}")
    lo, hi = min(SCALES), max(SCALES)
    if lo != hi:
        print(f"peak growth {lo}x -> {hi}x: kira {peaks[hi][0] - peaks[lo][0]:+.1f} MiB, "
              f"dcm2niix {peaks[hi][1] - peaks[lo][1]:+.1f} MiB")
    if not WORK:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
