#!/usr/bin/env python3
"""kira preprocess --n4 against SimpleITK's N4BiasFieldCorrectionImageFilter (Python) on the
same 3D image with the same settings, in one run.

Both read the same NIfTI, fit on the voxels with a positive intensity after shrinking by 4,
run N4's defaults (4 levels of at most 50 iterations, threshold 0.001, 4 control points,
200 bins, FWHM 0.15, Wiener noise 0.01), rebuild the log field at full resolution, divide,
and write an uncompressed Float32 NIfTI; each is a fresh process, so start-up and I/O count
on both sides. Prints median wall and CPU time, the ratios kira/SimpleITK and peak resident
memory, and the largest relative difference between the two corrected images inside the
mask. Run with `make bench-n4`.
"""
import os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
REPEATS = int(os.environ.get("REPEATS", "3"))

SITK_SCRIPT = r"""
import sys
import SimpleITK as sitk
src, dst = sys.argv[1:3]
img = sitk.Cast(sitk.ReadImage(src), sitk.sitkFloat32)
mask = sitk.BinaryThreshold(img, 0.0, 0.0, 0, 1)  # 1 where the intensity is not 0 (all are >= 0 here)
small = sitk.Shrink(img, [4] * 3)
small_mask = sitk.Shrink(mask, [4] * 3)
n4 = sitk.N4BiasFieldCorrectionImageFilter()
n4.SetMaximumNumberOfIterations([50, 50, 50, 50])
n4.Execute(small, small_mask)
field = n4.GetLogBiasFieldAsImage(img)
sitk.WriteImage(sitk.Cast(img / sitk.Exp(field), sitk.sitkFloat32), dst)
"""


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    err = p.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{cmd[0]} failed ({code}): {err}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def make_image(path, size, spacing):
    """A head-sized ellipsoid of two tissues with noise, a zero background and a smooth bias."""
    import numpy as np
    import SimpleITK as sitk
    rng = np.random.default_rng(0)
    z, y, x = np.meshgrid(*[np.linspace(-1, 1, n) for n in reversed(size)], indexing="ij")
    r2 = x * x + y * y + z * z
    tissue = np.where(r2 < 0.9, np.where((x - 0.2) ** 2 / 0.2 + y * y / 0.3 + z * z / 0.4 < 1, 180.0, 100.0), 0.0)
    bias = np.exp(0.3 * x - 0.2 * y + 0.15 * np.sin(2 * z))
    a = tissue * (1 + rng.normal(0, 0.03, size=z.shape)) * bias
    img = sitk.GetImageFromArray(np.clip(a, 0, None).astype(np.float32))
    img.SetSpacing(spacing)
    img.SetOrigin((-99.5, 120.25, -60.0))
    sitk.WriteImage(img, path)


def max_relative_difference(a_path, b_path, mask_source):
    import numpy as np
    import SimpleITK as sitk
    a = sitk.GetArrayFromImage(sitk.ReadImage(a_path)).astype(np.float64)
    b = sitk.GetArrayFromImage(sitk.ReadImage(b_path)).astype(np.float64)
    m = sitk.GetArrayFromImage(sitk.ReadImage(mask_source)) > 0
    return float(np.max(np.abs(a[m] - b[m]) / np.abs(b[m])))


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    try:
        import SimpleITK  # noqa: F401
    except ImportError:
        sys.exit("SimpleITK is not installed (make peers)")
    work = tempfile.mkdtemp(prefix="kira-bench-n4-")
    # 4n + 1 voxels per axis: the shrunk grid's centred first sample is a whole voxel (no tie for
    # sitk.Shrink to break by rounding), so both fit on the same voxels.
    size, spacing = (257, 257, 97), (0.9, 0.9, 1.8)
    src = os.path.join(work, "in.nii")
    # In a child process: a child's peak RSS starts from its parent's, so the parent stays small.
    subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
                    f"import n4_vs_simpleitk as b; b.make_image({src!r}, {size!r}, {spacing!r})"], check=True)
    sitk_py = os.path.join(work, "sitk_n4.py")
    with open(sitk_py, "w") as f:
        f.write(SITK_SCRIPT)
    print(f"input {size[0]}x{size[1]}x{size[2]} float32 at {spacing} mm; N4 defaults, shrink 4")
    print(f"{'kira s':>8} {'sitk s':>8} {'ratio':>6} {'kira cpu':>9} {'sitk cpu':>9} {'cpu ratio':>9} {'kira MiB':>9} {'sitk MiB':>9}")
    kt, km, kc, st, sm, sc = [], [], [], [], [], []
    k_out, s_out = os.path.join(work, "k.nii"), os.path.join(work, "s.nii")
    for _ in range(REPEATS):
        s, m, c = run([KIRA, "preprocess", src, "-o", k_out, "--n4", "--n4-shrink", "4", "-q"])
        kt.append(s); km.append(m); kc.append(c)
        s, m, c = run([sys.executable, sitk_py, src, s_out])
        st.append(s); sm.append(m); sc.append(c)
    k, s = statistics.median(kt), statistics.median(st)
    k_c, s_c = statistics.median(kc), statistics.median(sc)
    print(f"{k:8.3f} {s:8.3f} {k / s:6.2f} {k_c:9.2f} {s_c:9.2f} {k_c / s_c:9.2f} {max(km):9.1f} {max(sm):9.1f}")
    print(f"max relative difference of the corrected images inside the mask: {max_relative_difference(k_out, s_out, src):.2e}")
    for f in os.listdir(work):
        os.remove(os.path.join(work, f))
    os.rmdir(work)


if __name__ == "__main__":
    main()
