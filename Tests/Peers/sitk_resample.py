#!/usr/bin/env python3
"""SimpleITK's resampling of one image onto a given grid: the yardstick for Kira's resampler.

usage: sitk_resample.py IN.nii.gz OUT.nii.gz nearest|linear|bspline SX SY SZ  DX DY DZ  OX OY OZ  D11 D12 ... D33
(size, spacing, origin in LPS mm, direction row-major; points outside take 0, SimpleITK's default)."""
import sys
import SimpleITK as sitk

src, dst, interp = sys.argv[1:4]
nums = [float(v) for v in sys.argv[4:]]
size = [int(v) for v in nums[0:3]]
image = sitk.Cast(sitk.ReadImage(src), sitk.sitkFloat64)
f = sitk.ResampleImageFilter()
f.SetSize(size)
f.SetOutputSpacing(nums[3:6])
f.SetOutputOrigin(nums[6:9])
f.SetOutputDirection(nums[9:18])
f.SetInterpolator({"nearest": sitk.sitkNearestNeighbor, "linear": sitk.sitkLinear,
                   "bspline": sitk.sitkBSpline}[interp])
f.SetDefaultPixelValue(0.0)
f.SetOutputPixelType(sitk.sitkFloat64)
sitk.WriteImage(f.Execute(image), dst)
