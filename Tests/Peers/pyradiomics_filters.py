#!/usr/bin/env python3
"""pyradiomics' own image-type functions (radiomics.imageoperations.get<Kind>Image): the
yardstick for Kira's response maps.

usage: pyradiomics_filters.py OUTDIR KIND PARAMS_JSON IMAGE.nrrd MASK.nrrd
       pyradiomics_filters.py OUTDIR KIND PARAMS_JSON --raw VOXELS.f64 NX NY NZ SX SY SZ
Writes OUTDIR/<n>.f64 (float64, x fastest) per map and prints a JSON list of
{"name": <pyradiomics image type name>, "file": <path>}. The raw image gets an all-ones mask."""
import json, logging, os, sys
import numpy as np
import SimpleITK as sitk
import radiomics
from radiomics import imageoperations

radiomics.logger.setLevel(logging.ERROR)
out, kind, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if sys.argv[4] == "--raw":
    nx, ny, nz = (int(v) for v in sys.argv[6:9])
    sx, sy, sz = (float(v) for v in sys.argv[9:12])
    a = np.fromfile(sys.argv[5], dtype=np.float64).reshape(nz, ny, nx)
    image = sitk.GetImageFromArray(a)
    image.SetSpacing((sx, sy, sz))
    mask = sitk.GetImageFromArray(np.ones(a.shape, dtype=np.uint8))
    mask.CopyInformation(image)
else:
    image, mask = sitk.ReadImage(sys.argv[4]), sitk.ReadImage(sys.argv[5])
maps = []
for n, (im, name, _) in enumerate(getattr(imageoperations, "get%sImage" % kind)(image, mask, **params)):
    path = os.path.join(out, "%d.f64" % n)
    sitk.GetArrayFromImage(im).astype(np.float64).tofile(path)
    maps.append({"name": name, "file": path})
print(json.dumps(maps))
