"""The network input KiraDeep's crop builder should make, computed independently with NumPy
and PyTorch's own resize (Debian's /usr/bin/python3, where torch lives):
    deep_crop_reference.py IMAGE.npy MASK.npy SPACING_X SPACING_Y RING_MM MODE H W OUT.npy
IMAGE and MASK are z×y×x arrays; MODE is 2d or 2.5d. Percentile scaling 0.5–99.5 over the
crop's slices, ImageNet mean and std."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

image_path, mask_path, sx, sy, ring, mode, h, w, out_path = sys.argv[1:10]
img = np.load(image_path).astype(np.float64)
mask = np.load(mask_path) != 0
sx, sy, ring, h, w = float(sx), float(sy), float(ring), int(h), int(w)
area = mask.sum(axis=(1, 2))
z = int(np.argmax(area))  # first slice of the largest area
ys, xs = np.nonzero(mask[z])
gx, gy = int(np.floor(ring / sx)), int(np.floor(ring / sy))
x0, x1, y0, y1 = xs.min() - gx, xs.max() + gx, ys.min() - gy, ys.max() + gy
assert x0 >= 0 and y0 >= 0 and x1 < img.shape[2] and y1 < img.shape[1], "crop outside the image"
slices = [z, z, z] if mode == "2d" else [z - 1, z, z + 1]
planes = np.stack([img[s, y0:y1 + 1, x0:x1 + 1] for s in slices])
lo, hi = np.percentile(planes[1:2] if mode == "2d" else planes, [0.5, 99.5])
resized = F.interpolate(torch.from_numpy(planes[None]), size=(h, w), mode="bilinear", align_corners=False)[0].numpy()
unit = np.clip((resized - lo) / (hi - lo), 0, 1)
mean = np.array([0.485, 0.456, 0.406])[:, None, None]
std = np.array([0.229, 0.224, 0.225])[:, None, None]
np.save(out_path, ((unit.astype(np.float32) - mean.astype(np.float32)) / std.astype(np.float32))[None].astype(np.float32))
print(z, x0, x1, y0, y1)
