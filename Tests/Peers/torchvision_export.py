"""Exports a torchvision network with seeded random weights to ONNX (opset 13, batch size
1) for KiraDeep's tests; nothing is downloaded. Runs under Debian's /usr/bin/python3, where
python3-torch and python3-torchvision live.
    torchvision_export.py resnet50|densenet169 MODEL.onnx INPUT.npy TORCH_LOGITS.npy
INPUT.npy (N×3×H×W float32) is run through PyTorch itself too; its logits are saved.
`build(arch)` makes the same network for other peers (gradcam_reference.py)."""
import sys

import numpy as np
import torch
import torchvision


def build(arch):
    torch.manual_seed(21)
    net = {"resnet50": torchvision.models.resnet50, "densenet169": torchvision.models.densenet169}[arch](weights=None)
    # Batch-norm statistics away from their initial 0/1, so that folding them is really tested.
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return net.eval()


if __name__ == "__main__":
    arch, model_path, input_path, logits_path = sys.argv[1:5]
    net = build(arch)
    x = torch.from_numpy(np.load(input_path))
    torch.onnx.export(net, x[:1], model_path, opset_version=13, input_names=["input"], output_names=["logits"],
                      do_constant_folding=True)
    with torch.no_grad():
        np.save(logits_path, net(x).numpy().astype(np.float32))
