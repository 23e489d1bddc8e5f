#!/usr/bin/env python3
"""kira features with filters against pyradiomics' featureextractor, in one run.

Both read the same parameter file (imageType: Original, LoG sigma 1, 2, 3 mm, Wavelet
coif1; setting: binWidth 25; all feature classes) and extract every feature of brain1
(label 1): 1 + 3 + 8 = 12 response maps. Prints the median wall time of each, the ratio
pyradiomics/kira (goal >= 20), peak resident memory, Kira's CPU time / wall time (cores used
within one case) and Kira's peak against 4 x the cropped ROI volume (float64) x 12 maps.
It first prints the time pyradiomics spends in its filter functions alone (imageoperations'
getLoGImage and getWaveletImage), so the filters' share of its total is visible.

`kira features --params` comes from the pyradiomics-settings work; while the kira binary
lacks it, the end-to-end comparison is skipped with a message. Timing is a benchmark, never a
test: run it with `make bench-filters`.
"""
import os, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.environ.get("KIRA_REFERENCE", os.path.join(os.path.dirname(ROOT), "shared", "reference"))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
REPEATS = int(os.environ.get("REPEATS", "3"))
DATA = os.path.join(REF, "pyradiomics", "data")
IMAGE, MASK = os.path.join(DATA, "brain1_image.nrrd"), os.path.join(DATA, "brain1_label.nrrd")
MAPS = 12

PARAMS = """imageType:
  Original: {}
  LoG:
    sigma: [1.0, 2.0, 3.0]
  Wavelet: {}
setting:
  binWidth: 25
  label: 1
"""

PYRADIOMICS = r"""
import logging, sys, radiomics
from radiomics import featureextractor
radiomics.logger.setLevel(logging.ERROR)
featureextractor.RadiomicsFeatureExtractor(sys.argv[3]).execute(sys.argv[1], sys.argv[2])
"""

# pyradiomics' filter functions alone (no features), timed inside one process.
PYRADIOMICS_FILTERS = r"""
import logging, sys, time, SimpleITK as sitk, radiomics
from radiomics import imageoperations as io
radiomics.logger.setLevel(logging.ERROR)
im, ma = sitk.ReadImage(sys.argv[1]), sitk.ReadImage(sys.argv[2])
for name, gen in (("LoG 1,2,3", lambda: io.getLoGImage(im, ma, sigma=[1.0, 2.0, 3.0])), ("Wavelet", lambda: io.getWaveletImage(im, ma))):
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter(); [sitk.GetArrayFromImage(x[0]) for x in gen()]; best = min(best, time.perf_counter() - t0)
    print(name, best)
"""


def run(cmd):
    """Runs cmd; returns (wall seconds, peak RSS MiB, CPU seconds, exit code)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def heap_peak_mib(cmd, tmp):
    """Peak heap of one run under heaptrack (data only: no code, stacks or allocator slack),
    or None when heaptrack is not installed."""
    if shutil.which("heaptrack") is None or shutil.which("heaptrack_print") is None:
        print("heaptrack is not installed; heap peak skipped")
        return None
    out = os.path.join(tmp, "heap")
    subprocess.run(["heaptrack", "-o", out] + cmd, capture_output=True)
    text = subprocess.run(["heaptrack_print", out + ".zst"], capture_output=True, text=True).stdout
    m = re.search(r"peak heap memory consumption: ([0-9.]+)([KMG]?)", text)
    if not m:
        return None
    return float(m.group(1)) * {"": 1 / 2**20, "K": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20}[m.group(2)]


def tiny_case(tmp):
    """A 24×24×8 int16 image with an 8×8×4 ROI (raw NRRD): the same command on it costs what
    any case costs (runtime, libraries, threads), so brain1's peak minus its peak is what
    brain1's data takes."""
    import struct
    n = (24, 24, 8)
    paths = []
    for name, value in (("tiny_image.nrrd", lambda x, y, z: 100 + 7 * x - 3 * y + 11 * z + (x * y * z) % 13),
                        ("tiny_label.nrrd", lambda x, y, z: int(8 <= x < 16 and 8 <= y < 16 and 2 <= z < 6))):
        path = os.path.join(tmp, name)
        head = ("NRRD0004\ntype: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 24 24 8\n"
                "space directions: (1,0,0) (0,1,0) (0,0,2)\nkinds: domain domain domain\nendian: little\n"
                "encoding: raw\nspace origin: (0,0,0)\n\n")
        with open(path, "wb") as f:
            f.write(head.encode())
            f.write(b"".join(struct.pack("<h", value(x, y, z)) for z in range(n[2]) for y in range(n[1]) for x in range(n[0])))
        paths.append(path)
    return paths


def roi_mib(mask):
    """The label's bounding box as float64 MiB (the cropped ROI volume)."""
    import SimpleITK as sitk
    f = sitk.LabelShapeStatisticsImageFilter()
    f.Execute(sitk.ReadImage(mask))
    bb = f.GetBoundingBox(1)
    return bb[3] * bb[4] * bb[5] * 8 / 2**20


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    if subprocess.run([sys.executable, "-c", "import radiomics"], capture_output=True).returncode != 0:
        sys.exit("pyradiomics is not installed (make peers)")
    if not (os.path.exists(IMAGE) and os.path.exists(MASK)):
        sys.exit(f"brain1 is absent under {DATA}")
    print("pyradiomics' filter functions alone on brain1 (best of 3):")
    print(subprocess.run([sys.executable, "-c", PYRADIOMICS_FILTERS, IMAGE, MASK], capture_output=True, text=True).stdout, end="")
    help_text = subprocess.run([KIRA, "features", "--help"], capture_output=True, text=True).stdout
    if "--params" not in help_text:
        print("kira features has no --params option in this build (it arrives with the pyradiomics-settings work); end-to-end comparison skipped")
        return
    with tempfile.TemporaryDirectory() as tmp:
        params = os.path.join(tmp, "params.yaml")
        with open(params, "w") as f:
            f.write(PARAMS)
        kt, km, kc, pt, pm = [], [], [], [], []
        for _ in range(REPEATS):
            s, m, c, code = run([KIRA, "features", "--image", IMAGE, "--mask", MASK, "--params", params, "-q", "-o", os.devnull])
            if code != 0:
                sys.exit(f"kira failed with exit code {code}")
            kt.append(s); km.append(m); kc.append(c)
            s, m, _, code = run([sys.executable, "-c", PYRADIOMICS, IMAGE, MASK, params])
            if code != 0:
                sys.exit(f"pyradiomics failed with exit code {code}")
            pt.append(s); pm.append(m)
        # The heap peak depends on how the threads interleave: the largest of three runs.
        heaps = [heap_peak_mib([KIRA, "features", "--image", IMAGE, "--mask", MASK, "--params", params, "-q", "-o", os.devnull], tmp)
                 for _ in range(3)]
        heap = None if None in heaps else max(heaps)
        tiny_image, tiny_mask = tiny_case(tmp)
        tiny = []
        for _ in range(3):
            _, m, _, code = run([KIRA, "features", "--image", tiny_image, "--mask", tiny_mask, "--params", params, "-q", "-o", os.devnull])
            if code != 0:
                sys.exit(f"kira failed on the 24x24x8 case with exit code {code}")
            tiny.append(m)
    idle = max(run([KIRA, "--version"])[1] for _ in range(3))
    k, p = statistics.median(kt), statistics.median(pt)
    budget = 4 * roi_mib(MASK) * MAPS
    print(f"{'case':8} {'kira s':>8} {'pyrad s':>8} {'speed-up':>8} {'kira MiB':>9} {'pyrad MiB':>9} {'cpu/wall':>8} {'4xROIx12 MiB':>12}")
    print(f"{'brain1':8} {k:8.3f} {p:8.3f} {p / k:8.1f} {max(km):9.1f} {max(pm):9.1f} {statistics.median(kc) / k:8.2f} {budget:12.1f}")
    print(f"speed-up pyradiomics/kira: {p / k:.1f}x (goal >= 20x); peak {max(km):.1f} MiB against {budget:.1f} MiB")
    print(f"kira's idle process (kira --version): {idle:.1f} MiB; peak above it {max(km) - idle:.1f} MiB")
    print(f"the same command on a 24x24x8 case: {max(tiny):.1f} MiB; brain1's peak above it {max(km) - max(tiny):.1f} MiB against {budget:.1f} MiB")
    if heap is not None:
        print(f"kira's heap peak (heaptrack, largest of 3 runs): {heap:.2f} MiB against {budget:.1f} MiB")


if __name__ == "__main__":
    main()
