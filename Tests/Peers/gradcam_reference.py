"""pytorch-grad-cam's GradCAM map for KiraDeep's tests, on the network torchvision_export.py
builds (Debian's /usr/bin/python3 with PyPI grad-cam installed without dependencies):
    gradcam_reference.py resnet50|densenet169 INPUT.npy CLASS|WEIGHTS.npy OUT.npy
Target layers as the library's README gives them: resnet50 layer4[-1], densenet169 features
(norm5). Writes the grayscale CAM (H×W, min–max scaled, resized) and prints the target.
With WEIGHTS.npy the classifier is replaced by the identity, so the network's output is its
pooled features p, and the target is Σ_k w_k p_k."""
import os
import sys

import numpy as np
import torch
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_export import build  # noqa: E402

arch, input_path, target, out_path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
net = build(arch)
layer = net.layer4[-1] if arch == "resnet50" else net.features
x = torch.from_numpy(np.load(input_path))
if target.endswith(".npy"):
    w = torch.from_numpy(np.load(target).astype(np.float32))
    if arch == "resnet50":
        net.fc = torch.nn.Identity()
    else:
        net.classifier = torch.nn.Identity()
    targets = [lambda pooled: (pooled * w).sum()]
else:
    targets = [ClassifierOutputTarget(int(target))]
with GradCAM(model=net, target_layers=[layer]) as cam:
    maps = cam(input_tensor=x, targets=targets)
np.save(out_path, maps[0].astype(np.float32))
print(target)
