#!/usr/bin/env python3
"""SimpleITK's N4 bias-field correction, run the way SimpleITK's own example runs it: the
yardstick for Kira's N4.

usage: sitk_n4.py IMAGE MASK CORRECTED_OUT LOGFIELD_OUT SHRINK ITERS CONTROL_POINTS BINS FWHM NOISE THRESHOLD
  ITERS: maximum iterations per level, comma-separated (their count is the number of levels);
  CONTROL_POINTS: x,y,z.  The image is cast to float64 and the mask (0/1) to uint8; both are
shrunk, N4 runs on the shrunk pair, the log field is rebuilt on the full image
(GetLogBiasFieldAsImage) and corrected = image / exp(log field).
Shrinking follows ITK's ShrinkImageFilter (floor(N/k) voxels, every k-th, grids sharing their
centre) but is done by slicing: where the centred first sample falls exactly half-way between
two voxels, sitk.Shrink picks one or the other depending on floating-point rounding of its
physical round trip (seen on oblique grids), while Kira and this script round ties up. N4
itself works in index space, so the shrunk image's geometry does not enter the fit.
Prints a JSON line with the last level's elapsed iterations and convergence measure."""
import json
import sys
import time

import SimpleITK as sitk

(src, mask_path, corrected_out, field_out, shrink, iters, cps, bins, fwhm, noise, threshold) = sys.argv[1:12]
image = sitk.Cast(sitk.ReadImage(src), sitk.sitkFloat64)
mask = sitk.Cast(sitk.ReadImage(mask_path), sitk.sitkUInt8)
mask.CopyInformation(image)
k = int(shrink)


def shrunk(img):
    a = sitk.GetArrayFromImage(img)  # z, y, x
    cut = []
    for axis, n in enumerate(a.shape):
        m = max(1, n // k)
        first = max(0, ((n - 1) - k * (m - 1) + 1) // 2)
        cut.append(slice(first, first + k * (m - 1) + 1, k))
    out = sitk.GetImageFromArray(a[tuple(cut)].copy())
    out.SetSpacing([sp * k for sp in img.GetSpacing()])
    out.SetDirection(img.GetDirection())
    return out


small = shrunk(image) if k > 1 else image
small_mask = shrunk(mask) if k > 1 else mask

n4 = sitk.N4BiasFieldCorrectionImageFilter()
n4.SetMaximumNumberOfIterations([int(v) for v in iters.split(",")])
n4.SetNumberOfControlPoints([int(v) for v in cps.split(",")])
n4.SetNumberOfHistogramBins(int(bins))
n4.SetBiasFieldFullWidthAtHalfMaximum(float(fwhm))
n4.SetWienerFilterNoise(float(noise))
n4.SetConvergenceThreshold(float(threshold))
start = time.perf_counter()
n4.Execute(small, small_mask)
log_field = sitk.Cast(n4.GetLogBiasFieldAsImage(image), sitk.sitkFloat64)
corrected = image / sitk.Exp(log_field)
elapsed = time.perf_counter() - start
sitk.WriteImage(corrected, corrected_out)
sitk.WriteImage(log_field, field_out)
print(json.dumps({"level": n4.GetCurrentLevel(), "elapsed_iterations": n4.GetElapsedIterations(),
                  "convergence": n4.GetCurrentConvergenceMeasurement(), "seconds": elapsed,
                  "shrunk_size": list(small.GetSize())}))
