#!/usr/bin/env python3
"""kira resample against SimpleITK (Python) on the same 3D image to 1 mm, in one run.

Both read the same NIfTI, resample it onto the same grid (origin kept, size
ceil(n*spacing/1 mm)) and write an uncompressed Float32 NIfTI; each is a fresh process, so
start-up and I/O count on both sides. Prints median wall time, the ratio kira/SimpleITK
(goal <= 1.0) and peak resident memory. Run with `make bench-resample`.
"""
import math, os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIRA = os.environ.get("KIRA", os.path.join(ROOT, ".build", "release", "kira"))
REPEATS = int(os.environ.get("REPEATS", "3"))

SITK_SCRIPT = r"""
import math, sys
import SimpleITK as sitk
src, dst, interp = sys.argv[1:4]
img = sitk.ReadImage(src)
sp = img.GetSpacing()
size = [max(1, math.ceil(n * s / 1.0 - 1e-9)) for n, s in zip(img.GetSize(), sp)]
f = sitk.ResampleImageFilter()
f.SetSize(size); f.SetOutputSpacing((1.0, 1.0, 1.0))
f.SetOutputOrigin(img.GetOrigin()); f.SetOutputDirection(img.GetDirection())
f.SetInterpolator({"linear": sitk.sitkLinear, "bspline": sitk.sitkBSpline, "nearest": sitk.sitkNearestNeighbor}[interp])
f.SetOutputPixelType(sitk.sitkFloat32)
sitk.WriteImage(f.Execute(img), dst)
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
    import numpy as np
    import SimpleITK as sitk
    rng = np.random.default_rng(0)
    z, y, x = np.meshgrid(*[np.arange(n) for n in reversed(size)], indexing="ij")
    a = 400 * np.sin(x * 0.05) * np.cos(y * 0.04) + 5 * z + rng.normal(0, 20, size=z.shape)
    img = sitk.GetImageFromArray(a.astype(np.int16))
    img.SetSpacing(spacing)
    img.SetOrigin((-120.5, 80.25, -30.0))
    c, s = math.cos(0.2), math.sin(0.2)
    img.SetDirection((c, -s, 0, s, c, 0, 0, 0, 1))
    sitk.WriteImage(img, path)


def main():
    if not os.access(KIRA, os.X_OK):
        sys.exit(f"no release kira at {KIRA}; run `make release` first")
    try:
        import SimpleITK  # noqa: F401
    except ImportError:
        sys.exit("SimpleITK is not installed (make peers)")
    work = tempfile.mkdtemp(prefix="kira-bench-resample-")
    size, spacing = (448, 448, 120), (0.78, 0.78, 2.0)
    src = os.path.join(work, "in.nii")
    # In a child process: a child's peak RSS starts from its parent's, so the parent stays small.
    subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
                    f"import resample_vs_simpleitk as b; b.make_image({src!r}, {size!r}, {spacing!r})"], check=True)
    sitk_py = os.path.join(work, "sitk_resample.py")
    with open(sitk_py, "w") as f:
        f.write(SITK_SCRIPT)
    out_voxels = math.prod(math.ceil(n * s - 1e-9) for n, s in zip(size, spacing))
    print(f"input {size[0]}x{size[1]}x{size[2]} int16 at {spacing} mm -> 1 mm ({out_voxels / 1e6:.1f} M voxels, "
          f"{out_voxels * 4 / 2**20:.0f} MiB Float32)")
    # CPU seconds (user + system) are printed too: on a shared machine they vary less than wall time.
    print(f"{'interpolator':12} {'kira s':>8} {'sitk s':>8} {'ratio':>6} {'kira cpu':>9} {'sitk cpu':>9} {'cpu ratio':>9} {'kira MiB':>9} {'sitk MiB':>9}")
    for interp in ("linear", "bspline", "nearest"):
        kt, km, kc, st, sm, sc = [], [], [], [], [], []
        for _ in range(REPEATS):
            s, m, c = run([KIRA, "resample", src, "-o", os.path.join(work, "k.nii"), "--spacing", "1",
                           "--interpolator", interp, "-q"])
            kt.append(s); km.append(m); kc.append(c)
            s, m, c = run([sys.executable, sitk_py, src, os.path.join(work, "s.nii"), interp])
            st.append(s); sm.append(m); sc.append(c)
        k, s = statistics.median(kt), statistics.median(st)
        k_c, s_c = statistics.median(kc), statistics.median(sc)
        print(f"{interp:12} {k:8.3f} {s:8.3f} {k / s:6.2f} {k_c:9.2f} {s_c:9.2f} {k_c / s_c:9.2f} {max(km):9.1f} {max(sm):9.1f}")
    for f in os.listdir(work):
        os.remove(os.path.join(work, f))
    os.rmdir(work)


if __name__ == "__main__":
    main()
