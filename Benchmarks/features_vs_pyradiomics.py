#!/usr/bin/env python3
"""kira features against pyradiomics on the same inputs, in one run.

Both compute every feature class on the original image (no filters yet in Kira) with
pyradiomics-like settings: fixed bin width 25, 3D texture, distance 1, label 1. Kira also
computes what pyradiomics lacks (GLDZM, IVH, local intensity, Moran's I, convex hull...), so
the comparison favours pyradiomics. Prints median wall time, the ratio pyradiomics/kira
(goal >= 20), peak resident memory, CPU time / wall time (cores used within one case), and
Kira's peak against the cropped ROI volume. With KIRA_BASELINE=/path/to/another/kira, that
binary is timed in the same run too (before/after a change, same machine load). Timing is a
benchmark, never a test: run it with `make bench-features`.
"""
import os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REF = os.environ.get("KIRA_REFERENCE", os.path.join(os.path.dirname(ROOT), "shared", "reference"))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
BASELINE = os.environ.get("KIRA_BASELINE")
REPEATS = int(os.environ.get("REPEATS", "3"))
DATA = os.path.join(REF, "pyradiomics", "data")
CASES = [("breast1", "breast1_image.nrrd", "breast1_label.nrrd"),
         ("brain1", "brain1_image.nrrd", "brain1_label.nrrd"),
         ("IBSI CT phantom", os.path.join(REF, "ibsi", "ct_phantom", "nifti", "image", "phantom.nii.gz"),
          os.path.join(REF, "ibsi", "ct_phantom", "nifti", "mask", "mask.nii.gz"))]

PYRADIOMICS = r"""
import logging, sys, radiomics
from radiomics import featureextractor
radiomics.logger.setLevel(logging.ERROR)
e = featureextractor.RadiomicsFeatureExtractor(binWidth=25, label=1)
e.enableAllFeatures()
e.execute(sys.argv[1], sys.argv[2])
"""


def run(cmd):
    """Runs cmd; returns (wall seconds, peak RSS MiB, CPU seconds, exit code)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def roi_mib(kira, image, mask):
    """Cropped ROI grid size from kira's own diagnostics, as doubles."""
    import json
    out = subprocess.run([kira, "features", "--image", image, "--mask", mask, "--label", "1", "--json", "-q"],
                         capture_output=True, text=True, check=True)
    nx, ny, nz = json.loads(out.stdout)["diagnostics"]["roi_grid_size"]
    return nx * ny * nz * 8 / 2**20


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    if subprocess.run([sys.executable, "-c", "import radiomics"], capture_output=True).returncode != 0:
        sys.exit("pyradiomics is not installed (make peers)")
    print(f"{'case':16} {'kira s':>8} {'pyrad s':>8} {'speed-up':>8} {'kira MiB':>9} {'pyrad MiB':>9} {'kira cpu/wall':>13} {'ROI MiB':>8} {'peak/ROI':>8}")
    ups = []
    for label, image, mask in CASES:
        image, mask = os.path.join(DATA, image), os.path.join(DATA, mask)
        if not (os.path.exists(image) and os.path.exists(mask)):
            print(f"{label:16} skipped: inputs absent")
            continue
        kt, km, kc, pt, pm, bt, bm = [], [], [], [], [], [], []
        for _ in range(REPEATS):
            if BASELINE:
                s, m, _, code = run([BASELINE, "features", "--image", image, "--mask", mask, "--label", "1", "-q", "-o", os.devnull])
                if code == 0:
                    bt.append(s); bm.append(m)
            s, m, c, code = run([KIRA, "features", "--image", image, "--mask", mask, "--label", "1", "-q", "-o", os.devnull])
            if code != 0:
                print(f"{label:16} kira failed with exit code {code}")
                break
            kt.append(s); km.append(m); kc.append(c)
            s, m, _, code = run([sys.executable, "-c", PYRADIOMICS, image, mask])
            if code != 0:
                print(f"{label:16} pyradiomics failed with exit code {code}")
                break
            pt.append(s); pm.append(m)
        if not kt or not pt:
            continue
        k, p = statistics.median(kt), statistics.median(pt)
        roi = roi_mib(KIRA, image, mask)
        ups.append(p / k)
        print(f"{label:16} {k:8.3f} {p:8.3f} {p / k:8.1f} {max(km):9.1f} {max(pm):9.1f} {statistics.median(kc) / k:13.2f} {roi:8.2f} {max(km) / roi:8.1f}")
        if bt:
            b = statistics.median(bt)
            print(f"{'  baseline':16} {b:8.3f} {p:8.3f} {p / b:8.1f} {max(bm):9.1f} {'':9} {'':13} {'':8} {max(bm) / roi:8.1f}   (kira is {b / k:.2f}x faster than the baseline)")
    if ups:
        print(f"geometric-mean speed-up pyradiomics/kira: {statistics.geometric_mean(ups):.1f}x (goal >= 20x)")


if __name__ == "__main__":
    main()
