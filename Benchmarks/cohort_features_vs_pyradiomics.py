#!/usr/bin/env python3
"""The feature stage of a study: kira features --manifest against pyradiomics' batch mode.

A synthetic cohort from `kira synth` (CASES cases, default 40), two modalities (T2 MRI and
ultrasound, converted to NIfTI by `kira convert`) × two regions (tumour and its 5 mm ring, the
ring written once by `kira mask ring` so both tools read the same files): 4 × CASES rows. Both
tools run with `--jobs 2` and the same pyradiomics parameter file (original image, bin width 25,
every feature class), Kira in its pyradiomics-compatible mode. Preparing the inputs is not
timed. 8-bit images (the ultrasound) are given to both tools as a float32 copy: pyradiomics
computes its top bin edge as `maximum + 2 * binWidth` in the image's own type, which under
NumPy 2 wraps for uint8 (255 + 50 = 49) and puts every grey level above 25 in one bin
(on the float copy pyradiomics agrees with Kira's value for the uint8 file). Prints wall and CPU seconds, the speed-up (goal >= 50), the peak resident memory of
each run (the largest single process: pyradiomics' workers are its children), and how many
feature values agree within a relative 1e-6 (equal values are the condition of the ratio).
Run it with `make bench-study-features`; timing is a benchmark, never a test.

SPACING=1 resamples every image (linear) and tumour mask (nearest) to 1 mm isotropic with
`kira resample` before the rings are made, so the regions are ~15 times larger than on the
native grid (T2 2.3 x 2.3 x 3 mm): the same comparison where per-voxel work dominates.
WORK=DIR keeps the inputs in DIR (one folder per SPACING) and reuses them on the next run (for profiling one tool
on the same files); otherwise they go to a temporary folder that is removed.
"""
import csv, math, os, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
CASES = int(os.environ.get("CASES", "40"))
JOBS = os.environ.get("JOBS", "2")
SPACING = os.environ.get("SPACING")
WORK = os.environ.get("WORK")

PARAMS = """\
imageType:
  Original: {}
featureClass:
  shape:
  firstorder:
  glcm:
  glrlm:
  glszm:
  gldm:
  ngtdm:
setting:
  binWidth: 25
  label: 1
"""


def run(cmd, cwd=None):
    """Runs cmd; returns (wall s, CPU s of it and its children, peak RSS MiB, exit code)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        sys.exit(f"{cmd[0]} failed ({code}):\n{err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, code


def quiet(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def only_nifti(folder):
    names = [n for n in os.listdir(folder) if n.endswith(".nii") or n.endswith(".nii.gz")]
    if len(names) != 1:
        sys.exit(f"{folder}: expected one converted volume, found {names}")
    return os.path.join(folder, names[0])


def widen_8bit(path):
    """A float32 copy of an 8-bit image beside it (see the module comment), else the path."""
    import nibabel, numpy
    img = nibabel.load(path)
    if img.get_data_dtype() not in (numpy.uint8, numpy.int8):
        return path
    copy = nibabel.Nifti1Image(numpy.asarray(img.dataobj, dtype=numpy.float32), img.affine, img.header)
    copy.set_data_dtype(numpy.float32)
    widened = path.replace(".nii", "_float32.nii")
    nibabel.save(copy, widened)
    return widened


def prepare(work):
    """Synthesises the cohort and writes the shared NIfTI inputs; returns [(id, image, mask)]."""
    cohort = os.path.join(work, "cohort")
    quiet([KIRA, "synth", "-o", cohort, "--cases", str(CASES), "--seed", "0"])
    rows = []
    with open(os.path.join(cohort, "cases.csv")) as f:
        for case in csv.DictReader(f):
            cid = case["case_id"]
            for modality in ("t2", "us"):
                out = os.path.join(work, "nifti", cid, modality)
                quiet([KIRA, "convert", os.path.join(cohort, case[f"{modality}_path"]), "-o", out, "-q"])
                image = widen_8bit(only_nifti(out))
                tumour = os.path.join(cohort, case[f"{modality}_r1"])
                if SPACING:
                    fine, fine_mask = os.path.join(out, "resampled.nii"), os.path.join(out, "tumour_resampled.nii.gz")
                    quiet([KIRA, "resample", image, "-o", fine, "--spacing", SPACING,
                           "--mask", tumour, "--mask-out", fine_mask, "-q"])
                    image, tumour = fine, fine_mask
                ring = os.path.join(out, "ring5mm.nii.gz")
                quiet([KIRA, "mask", "ring", tumour, "--mm", "5", "-o", ring])
                rows.append((f"{cid}_{modality}_tumour", image, tumour))
                rows.append((f"{cid}_{modality}_ring", image, ring))
    return rows


def read_table(path, id_column):
    with open(path) as f:
        return {r[id_column]: r for r in csv.DictReader(f)}


def compare(kira_csv, pyrad_csv):
    """(values compared, values equal within 1e-6 relative, worst feature and its difference)."""
    kira = read_table(kira_csv, "id")
    pyrad = read_table(pyrad_csv, "ID")
    compared = equal = 0
    worst = ("", 0.0)
    for cid, prow in pyrad.items():
        krow = kira.get(cid)
        if krow is None:
            continue
        for name, pv in prow.items():
            if not name.startswith("original_") or name not in krow or krow[name] == "":
                continue
            try:
                p, k = float(pv), float(krow[name])
            except ValueError:
                continue
            compared += 1
            scale = max(abs(p), abs(k), 1e-12)
            diff = abs(p - k) / scale if not (math.isnan(p) and math.isnan(k)) else 0.0
            if diff <= 1e-6:
                equal += 1
            elif diff > worst[1]:
                worst = (name, diff)
    return compared, equal, worst


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    if subprocess.run(["pyradiomics", "--version"], capture_output=True).returncode != 0:
        sys.exit("pyradiomics is not installed (make peers)")
    if WORK:
        # Inputs differ by grid: a folder of native inputs must not be reused as 1 mm ones.
        work = os.path.join(WORK, f"spacing-{SPACING}" if SPACING else "native")
        os.makedirs(work, exist_ok=True)
        bench(work)
    else:
        with tempfile.TemporaryDirectory(prefix="kira-bench-cohort-") as work:
            bench(work)


def bench(work):
    manifest = os.path.join(work, "manifest.csv")
    if os.path.exists(manifest):
        with open(manifest) as f:
            rows = [tuple(r) for r in list(csv.reader(f))[1:]]
    else:
        rows = prepare(work)
    params = os.path.join(work, "params.yaml")
    with open(params, "w") as f:
        f.write(PARAMS)
    batch = os.path.join(work, "batch.csv")
    with open(manifest, "w", newline="") as m, open(batch, "w", newline="") as b:
        mw, bw = csv.writer(m), csv.writer(b)
        mw.writerow(["id", "image", "mask"])
        bw.writerow(["ID", "Image", "Mask"])
        for row in rows:
            mw.writerow(row)
            bw.writerow(row)
    kira_out = os.path.join(work, "kira.csv")
    pyrad_out = os.path.join(work, "pyradiomics.csv")
    # A kept table would be resumed (reused), not recomputed.
    for old in (kira_out, kira_out + ".provenance.json", kira_out + ".failures.csv", pyrad_out):
        if os.path.exists(old):
            os.remove(old)
    kw, kc, km, _ = run([KIRA, "features", "--manifest", manifest, "--params", params,
                         "--jobs", JOBS, "-o", kira_out, "-q"])
    pw, pc, pm, _ = run(["pyradiomics", batch, "-p", params, "-o", pyrad_out, "-f", "csv",
                         "--jobs", JOBS])
    compared, equal, worst = compare(kira_out, pyrad_out)
    grid = f"{SPACING} mm isotropic" if SPACING else "native grids"
    print(f"feature stage: {CASES} cases x 2 modalities (T2, US) x 2 regions (tumour, 5 mm ring) = "
          f"{len(rows)} rows, {grid}, --jobs {JOBS} each")
    print(f"{'tool':12} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
    print(f"{'kira':12} {kw:8.2f} {kc:8.2f} {km:9.1f}")
    print(f"{'pyradiomics':12} {pw:8.2f} {pc:8.2f} {pm:9.1f}")
    print(f"speed-up (pyradiomics / kira wall): {pw / kw:.1f}x   (goal >= 50x)")
    print(f"values equal within 1e-6 relative: {equal} of {compared}"
          + (f"; worst {worst[0]} ({worst[1]:.2e})" if equal < compared else ""))


if __name__ == "__main__":
    main()
