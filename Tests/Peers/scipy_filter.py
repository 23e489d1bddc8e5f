#!/usr/bin/env python3
"""scipy.ndimage's box mean and median filters (mode "nearest"): the yardstick for Kira's.

usage: scipy_filter.py IN.csv OUT.csv NX NY NZ KX KY KZ mean|median
IN.csv holds the voxels x fastest, one per line; KX.. are the kernel sizes in voxels."""
import sys
import numpy as np
from scipy import ndimage

src, dst = sys.argv[1:3]
nx, ny, nz, kx, ky, kz = (int(v) for v in sys.argv[3:9])
a = np.loadtxt(src).reshape(nz, ny, nx)
f = ndimage.uniform_filter if sys.argv[9] == "mean" else ndimage.median_filter
out = f(a, size=(kz, ky, kx), mode="nearest")
np.savetxt(dst, out.ravel(), fmt="%.17g")
