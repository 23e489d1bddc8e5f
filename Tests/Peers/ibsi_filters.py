#!/usr/bin/env python3
"""scipy.ndimage and PyWavelets as yardsticks for Kira's IBSI-2 filters.

usage: ibsi_filters.py IN.f64 NX NY NZ JSON OUTDIR
IN.f64 holds float64 voxels, x fastest. JSON picks the filter:
  {"filter": "mean", "support": 5, "dims": 3, "mode": "reflect"}      scipy uniform_filter
  {"filter": "log", "sigma": [sx, sy, sz] (voxels), "spacing": [hx, hy, hz], "truncate": 4, "mode": ...}
        sum over axes d of gaussian_filter(order 2 along d) / h_d^2
  {"filter": "swtn", "wavelet": "coif1", "level": 1, "dims": 3, "mode": "periodization"|"symmetric"|"edge"|"constant"}
        pywt.swtn (axes x, y, z); other modes pad with numpy.pad first (level 1 only) and crop
Writes OUTDIR/<n>.f64 per map and prints a JSON list of {"name", "file"}."""
import json, os, sys
import numpy as np
from scipy import ndimage

src, nx, ny, nz, cfg, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]), sys.argv[6]
a = np.fromfile(src, dtype=np.float64).reshape(nz, ny, nx)
maps = []
if cfg["filter"] == "mean":
    m = cfg["support"]
    size = (m if cfg["dims"] == 3 else 1, m, m)
    maps.append(("mean", ndimage.uniform_filter(a, size=size, mode=cfg["mode"], cval=0.0)))
elif cfg["filter"] == "log":
    sx, sy, sz = cfg["sigma"]
    hx, hy, hz = cfg["spacing"]
    total = np.zeros_like(a)
    for axis, h in ((2, hx), (1, hy), (0, hz)):
        order = [0, 0, 0]
        order[axis] = 2
        total += ndimage.gaussian_filter(a, sigma=(sz, sy, sx), order=order, mode=cfg["mode"], cval=0.0, truncate=cfg["truncate"]) / (h * h)
    maps.append(("log", total))
else:
    import pywt
    axes = (2, 1, 0) if cfg["dims"] == 3 else (2, 1)
    level, mode = cfg["level"], cfg["mode"]
    if mode == "periodization":
        coeffs = pywt.swtn(a, cfg["wavelet"], level=level, axes=axes)[0]
        crop = tuple(slice(None) for _ in range(3))
    else:
        reach = len(pywt.Wavelet(cfg["wavelet"]).dec_lo) * 2
        pads = []
        for ax, n in enumerate(a.shape):
            if ax not in axes:
                pads.append((0, 0)); continue
            extra = (-(n + 2 * reach)) % 2
            pads.append((reach, reach + extra))
        kw = {"constant_values": 0.0} if mode == "constant" else {}
        p = np.pad(a, pads, mode=mode, **kw)
        coeffs = pywt.swtn(p, cfg["wavelet"], level=1, axes=axes)[0]
        crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, a.shape))
    for key in sorted(coeffs):
        maps.append((key.replace("a", "L").replace("d", "H"), coeffs[key][crop]))
result = []
for n, (name, m) in enumerate(maps):
    path = os.path.join(out, "%d.f64" % n)
    np.ascontiguousarray(m, dtype=np.float64).tofile(path)
    result.append({"name": name, "file": path})
print(json.dumps(result))
