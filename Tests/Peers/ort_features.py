"""ONNX Runtime's outputs of a CNN classifier for KiraDeep's tests: the logits, the pooled
features (GlobalAveragePool's output) and the last feature map (its input).
    ort_features.py MODEL.onnx INPUT.npy OUTDIR
Writes OUTDIR/{logits,pooled,map}.npy (samples run one at a time, stacked) and prints
'map_name pooled_name logits_name'."""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort

model_path, input_path, out_dir = sys.argv[1:4]
m = onnx.load(model_path)
gap = [n for n in m.graph.node if n.op_type == "GlobalAveragePool"][-1]
names = {"map": gap.input[0], "pooled": gap.output[0], "logits": m.graph.output[0].name}
for key in ("map", "pooled"):
    m.graph.output.append(onnx.helper.make_empty_tensor_value_info(names[key]))
opts = ort.SessionOptions()
opts.intra_op_num_threads = 2
sess = ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])
x = np.load(input_path)
results = {k: [] for k in names}
for i in range(x.shape[0]):
    outs = sess.run([names[k] for k in names], {m.graph.input[0].name: x[i:i + 1]})
    for k, v in zip(names, outs):
        results[k].append(v)
for k in names:
    np.save(os.path.join(out_dir, k + ".npy"), np.concatenate(results[k]).astype(np.float32))
print(names["map"], names["pooled"], names["logits"])
