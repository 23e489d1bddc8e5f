"""Small ONNX models, one per operator and attribute combination KiraDeep implements, with
their input and ONNX Runtime's output: `onnx_operator_cases.py OUTDIR` writes NAME.onnx,
NAME.input.npy and NAME.ort.npy for every case and prints the case names."""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

out_dir = sys.argv[1]
rng = np.random.default_rng(21)


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def model(name, nodes, x_shape, initializers=(), opset=13, extra_inputs=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, name, [x, *extra_inputs], [y],
                              initializer=[numpy_helper.from_array(v, k) for k, v in initializers])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    # ORT checks the model when it loads it; the checker wants an output shape we leave open.
    path = os.path.join(out_dir, name + ".onnx")
    onnx.save(m, path)
    inp = f32(*x_shape)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (res,) = sess.run(["y"], {"x": inp})
    np.save(os.path.join(out_dir, name + ".input.npy"), inp)
    np.save(os.path.join(out_dir, name + ".ort.npy"), res.astype(np.float32))
    print(name)


def conv(name, x_shape, w_shape, bias=True, **attrs):
    inits = [("w", f32(*w_shape))]
    inputs = ["x", "w"]
    if bias:
        inits.append(("b", f32(w_shape[0])))
        inputs.append("b")
    model(name, [helper.make_node("Conv", inputs, ["y"], **attrs)], x_shape, inits)


conv("conv_default", (1, 3, 9, 9), (4, 3, 3, 3))
conv("conv_stride_asymmetric_pads", (2, 3, 11, 10), (5, 3, 3, 3), strides=[2, 2], pads=[1, 2, 0, 1])
conv("conv_dilation", (1, 2, 12, 12), (3, 2, 3, 3), dilations=[2, 2], pads=[2, 2, 2, 2])
conv("conv_group", (1, 4, 8, 8), (6, 2, 3, 3), group=2, pads=[1, 1, 1, 1])
conv("conv_depthwise", (1, 4, 8, 8), (4, 1, 3, 3), group=4, pads=[1, 1, 1, 1], bias=False)
conv("conv_1x1_direct", (2, 6, 7, 7), (5, 6, 1, 1), bias=False)
conv("conv_1x1_stride2", (1, 6, 7, 7), (5, 6, 1, 1), strides=[2, 2])
conv("conv_kernel_shape_rect", (1, 3, 9, 13), (4, 3, 3, 5), kernel_shape=[3, 5], strides=[1, 2], pads=[1, 2, 1, 2])
conv("conv_same_upper", (1, 3, 10, 9), (4, 3, 4, 4), auto_pad="SAME_UPPER", strides=[2, 2])
conv("conv_same_lower", (1, 3, 10, 9), (4, 3, 4, 4), auto_pad="SAME_LOWER", strides=[2, 2])
conv("conv_valid", (1, 3, 10, 9), (4, 3, 3, 3), auto_pad="VALID", strides=[2, 1])
conv("conv_7x7_stride2_pad3", (1, 3, 32, 32), (8, 3, 7, 7), strides=[2, 2], pads=[3, 3, 3, 3])
# 3×3 with stride 1 runs by Winograd F(2×2, 3×3): odd sizes leave partial tiles at the edges,
# and rows of 4 tiles or more take the four-tiles-at-once path.
conv("conv_winograd_pads", (2, 5, 13, 11), (6, 5, 3, 3), pads=[1, 1, 1, 1])
conv("conv_winograd_asymmetric_pads", (1, 4, 10, 17), (3, 4, 3, 3), pads=[0, 2, 1, 0], bias=False)
# Kira's own SGEMM in slices: 300 input channels (two slices of K), 17 outputs (a partial
# panel of rows) and 20 × 21 = 420 columns (a second block of columns ending in a narrow tile).
conv("conv_1x1_deep_wide", (1, 300, 20, 21), (17, 300, 1, 1))
conv("conv_winograd_deep", (1, 300, 6, 7), (10, 300, 3, 3), pads=[1, 1, 1, 1])

model("relu", [helper.make_node("Relu", ["x"], ["y"])], (2, 3, 4, 5))
model("identity", [helper.make_node("Identity", ["x"], ["y"])], (2, 3, 4))
model("add_same_shape", [helper.make_node("Add", ["x", "c"], ["y"])], (2, 3, 4, 5), [("c", f32(2, 3, 4, 5))])
model("add_broadcast_channel", [helper.make_node("Add", ["x", "c"], ["y"])], (2, 3, 4, 5), [("c", f32(3, 1, 1))])
model("add_broadcast_both", [helper.make_node("Add", ["c", "x"], ["y"])], (2, 1, 4, 1), [("c", f32(3, 1, 5))])
model("add_scalar", [helper.make_node("Add", ["x", "c"], ["y"])], (2, 3), [("c", np.array(0.75, dtype=np.float32))])


def pool(name, op, x_shape, **attrs):
    model(name, [helper.make_node(op, ["x"], ["y"], **attrs)], x_shape)


pool("maxpool_k3_s2_p1", "MaxPool", (1, 3, 11, 11), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
pool("maxpool_default_stride", "MaxPool", (1, 2, 6, 7), kernel_shape=[2, 3])
pool("maxpool_ceil_mode", "MaxPool", (1, 2, 10, 10), kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
pool("maxpool_ceil_mode_pads", "MaxPool", (1, 2, 9, 8), kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
pool("maxpool_dilation", "MaxPool", (1, 2, 12, 12), kernel_shape=[3, 3], dilations=[2, 2], strides=[1, 1])
pool("maxpool_same_upper", "MaxPool", (1, 2, 9, 10), kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER")
pool("maxpool_storage_order_0", "MaxPool", (1, 2, 6, 6), kernel_shape=[2, 2], strides=[2, 2], storage_order=0)
pool("avgpool_exclude_pad", "AveragePool", (1, 3, 11, 11), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
pool("avgpool_include_pad", "AveragePool", (1, 3, 11, 11), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)
pool("avgpool_k2_s2", "AveragePool", (2, 4, 8, 8), kernel_shape=[2, 2], strides=[2, 2])
pool("avgpool_ceil_mode", "AveragePool", (1, 2, 9, 9), kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
pool("avgpool_ceil_mode_include_pad", "AveragePool", (1, 2, 10, 9), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1)
pool("avgpool_same_lower", "AveragePool", (1, 2, 9, 10), kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_LOWER")
pool("avgpool_valid", "AveragePool", (1, 2, 9, 10), kernel_shape=[3, 2], strides=[2, 2], auto_pad="VALID")
# Rows long enough for the eight-wide passes and a run of windows wholly inside the row, with
# padding on one side only.
pool("maxpool_wide_rows", "MaxPool", (1, 2, 13, 37), kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 0, 2])
pool("avgpool_wide_rows_include_pad", "AveragePool", (1, 2, 13, 37), kernel_shape=[3, 2], strides=[2, 3], pads=[1, 1, 2, 1], count_include_pad=1)
pool("avgpool_wide_rows_exclude_pad", "AveragePool", (1, 2, 13, 37), kernel_shape=[3, 2], strides=[2, 3], pads=[1, 1, 2, 1])
pool("global_average_pool", "GlobalAveragePool", (2, 5, 7, 6))

model("flatten_default", [helper.make_node("Flatten", ["x"], ["y"])], (2, 3, 4, 5))
model("flatten_axis0", [helper.make_node("Flatten", ["x"], ["y"], axis=0)], (2, 3, 4))
model("flatten_axis_negative", [helper.make_node("Flatten", ["x"], ["y"], axis=-1)], (2, 3, 4, 5))
model("flatten_axis2", [helper.make_node("Flatten", ["x"], ["y"], axis=2)], (2, 3, 4, 5))


def gemm(name, x_shape, b_shape, c_shape=None, **attrs):
    inits = [("b", f32(*b_shape))]
    inputs = ["x", "b"]
    if c_shape is not None:
        inits.append(("c", f32(*c_shape)))
        inputs.append("c")
    model(name, [helper.make_node("Gemm", inputs, ["y"], **attrs)], x_shape, inits)


gemm("gemm_transB_bias_row", (2, 6), (4, 6), (4,), transB=1)
gemm("gemm_plain_no_c", (3, 5), (5, 4))
gemm("gemm_transA_alpha_beta", (5, 3), (5, 4), (3, 4), transA=1, alpha=0.5, beta=2.0)
gemm("gemm_both_transposed_col_c", (5, 3), (4, 5), (3, 1), transA=1, transB=1)
gemm("gemm_scalar_c", (2, 6), (6, 3), (1,), beta=-1.5)

model("concat_channels", [helper.make_node("Concat", ["x", "c"], ["y"], axis=1)], (1, 2, 4, 4), [("c", f32(1, 3, 4, 4))])
model("concat_three_negative_axis", [helper.make_node("Concat", ["c", "x", "d"], ["y"], axis=-1)], (2, 3, 2),
      [("c", f32(2, 3, 1)), ("d", f32(2, 3, 4))])
model("concat_axis0", [helper.make_node("Concat", ["x", "c"], ["y"], axis=0)], (1, 3), [("c", f32(2, 3))])


def bn_params(c, prefix=""):
    return [(prefix + "scale", (rng.random(c) + 0.5).astype(np.float32)), (prefix + "bias", f32(c)),
            (prefix + "mean", f32(c)), (prefix + "var", (rng.random(c) + 0.2).astype(np.float32))]


model("batchnorm", [helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], epsilon=1e-3)],
      (2, 4, 3, 3), bn_params(4))
model("batchnorm_default_eps_rank2", [helper.make_node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"])],
      (3, 4), bn_params(4))
# Conv → BatchNormalization → Relu: the folded path.
model("conv_batchnorm_relu_folded",
      [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
       helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["n"], epsilon=1e-5),
       helper.make_node("Relu", ["n"], ["y"])],
      (1, 3, 8, 8), [("w", f32(6, 3, 3, 3)), ("b", f32(6))] + bn_params(6))
# A convolution without bias whose output also feeds an Add: not folded.
model("conv_batchnorm_shared_not_folded",
      [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
       helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["n"]),
       helper.make_node("Add", ["n", "c"], ["y"])],
      (1, 3, 6, 6), [("w", f32(4, 3, 3, 3))] + bn_params(4))
# ResNet's residual join: the ReLU runs inside the Add.
model("add_relu_fused",
      [helper.make_node("Add", ["x", "r"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
      (1, 4, 5, 5), [("r", f32(1, 4, 5, 5))])
# ResNet's bottleneck end: the 1×1 convolution stores onto the residual (here another
# convolution's output) and takes the ReLU, across slices, blocks and edge tiles as above.
model("conv_add_relu_fused",
      [helper.make_node("Conv", ["x", "w", "b"], ["a"]), helper.make_node("Conv", ["x", "w2"], ["r"]),
       helper.make_node("Add", ["a", "r"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
      (1, 300, 20, 21), [("w", f32(17, 300, 1, 1)), ("b", f32(17)), ("w2", f32(17, 300, 1, 1))])
# An Add after a convolution that is not a residual of the same shape (a broadcast), and one
# after a Winograd convolution: both still taken by the Conv, added after it.
model("conv_add_broadcast",
      [helper.make_node("Conv", ["x", "w"], ["a"]), helper.make_node("Add", ["a", "c"], ["s"]),
       helper.make_node("Relu", ["s"], ["y"])],
      (1, 9, 5, 7), [("w", f32(4, 9, 1, 1)), ("c", f32(4, 1, 1))])
model("conv_winograd_add_relu",
      [helper.make_node("Conv", ["x", "w"], ["a"], pads=[1, 1, 1, 1]), helper.make_node("Conv", ["x", "w2"], ["r"]),
       helper.make_node("Add", ["a", "r"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
      (1, 7, 9, 10), [("w", f32(8, 7, 3, 3)), ("w2", f32(8, 7, 1, 1))])
# DenseNet's dense layer: Concat → BatchNormalization → Relu runs as one Concat, and the
# Winograd convolution takes its ReLU.
model("concat_batchnorm_relu_fused",
      [helper.make_node("Conv", ["x", "w"], ["a"], pads=[1, 1, 1, 1]),
       helper.make_node("Relu", ["a"], ["ar"]),
       helper.make_node("Concat", ["x", "ar"], ["c"], axis=1),
       helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["n"]),
       helper.make_node("Relu", ["n"], ["y"])],
      (1, 3, 9, 10), [("w", f32(2, 3, 3, 3))] + bn_params(5))
# DenseNet's layer: the 1×1 convolution reads the Concat's parts row by row, normalised and
# clamped as they are packed. Two images, parts of 100, 90 and 80 channels (two K slices of
# Kira's SGEMM), 13 × 11 = 143 columns (a partial last panel, which the shift must not leak
# into), 40 outputs (a partial panel of rows); one part is made inside the graph. Weights
# scaled by 1/√fan-in keep every value near 1, as in a trained network.
model("concat_batchnorm_relu_conv1x1",
      [helper.make_node("Conv", ["x", "wa"], ["a"], pads=[1, 1, 1, 1]),
       helper.make_node("Conv", ["x", "wb"], ["b"]),
       helper.make_node("Concat", ["x", "a", "b"], ["c"], axis=1),
       helper.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["n"]),
       helper.make_node("Relu", ["n"], ["r"]),
       helper.make_node("Conv", ["r", "w", "wbias"], ["s"]),
       helper.make_node("Relu", ["s"], ["y"])],
      (2, 100, 13, 11), [("wa", f32(90, 100, 3, 3) / 30), ("wb", f32(80, 100, 1, 1) / 10),
                         ("w", f32(40, 270, 1, 1) / 16), ("wbias", f32(40))] + bn_params(270))
# The same join with no normalisation between, read with a negative axis.
model("concat_conv1x1",
      [helper.make_node("Conv", ["x", "wb"], ["b"]),
       helper.make_node("Concat", ["b", "x"], ["c"], axis=-3),
       helper.make_node("Conv", ["c", "w"], ["y"])],
      (1, 7, 5, 9), [("wb", f32(3, 7, 1, 1)), ("w", f32(6, 10, 1, 1))])


def pad(name, x_shape, pads, mode=None, value=None):
    inits = [("pads", np.array(pads, dtype=np.int64))]
    inputs = ["x", "pads"]
    if value is not None:
        inits.append(("value", np.array(value, dtype=np.float32)))
        inputs.append("value")
    attrs = {} if mode is None else {"mode": mode}
    model(name, [helper.make_node("Pad", inputs, ["y"], **attrs)], x_shape, inits)


pad("pad_constant_default", (1, 2, 3, 4), [0, 0, 1, 2, 0, 0, 2, 1])
pad("pad_constant_value", (1, 2, 3, 4), [0, 1, 1, 0, 0, 0, 1, 3], value=-2.5)
pad("pad_reflect", (1, 2, 4, 5), [0, 0, 2, 3, 0, 0, 3, 1], mode="reflect")
pad("pad_edge", (1, 2, 4, 5), [0, 0, 2, 3, 0, 0, 3, 1], mode="edge")
pad("pad_negative_crop", (1, 2, 6, 6), [0, 0, -1, 2, 0, 0, 1, -2])
model("pad_opset10_attributes", [helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 1, 0, 0, 2, 0], value=1.25)],
      (1, 2, 3, 3), opset=10)
model("pad_from_constant_node",
      [helper.make_node("Constant", [], ["p"], value=numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64))),
       helper.make_node("Pad", ["x", "p"], ["y"], mode="edge")], (1, 1, 3, 3))

model("constant_tensor_add",
      [helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(f32(3, 1, 1))),
       helper.make_node("Add", ["x", "k"], ["y"])], (1, 3, 2, 2))
model("constant_value_float_add",
      [helper.make_node("Constant", [], ["k"], value_float=0.375), helper.make_node("Add", ["x", "k"], ["y"])], (2, 2))
model("constant_value_floats_add",
      [helper.make_node("Constant", [], ["k"], value_floats=[1.0, -2.0, 0.5]), helper.make_node("Add", ["x", "k"], ["y"])], (2, 3))

# Winograd in blocks of 48 tiles (128 + 32 channels): 23 × 19 = 437 tiles make eight blocks that
# start and end inside rows of tiles and a last block of 53, for each of two images; the
# asymmetric pads leave partial tiles on the right and at the bottom. (Last, so that the seeded
# inputs of the cases above stay as they were.)
conv("conv_winograd_blocks", (2, 128, 46, 38), (32, 128, 3, 3), pads=[1, 0, 0, 1])

# Models the interpreter must refuse, naming the node (not run through ONNX Runtime).
bad_dir = os.path.join(out_dir, "bad")
os.makedirs(bad_dir, exist_ok=True)


def bad(name, nodes, opset=13, initializers=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, name, [x], [y], initializer=[numpy_helper.from_array(v, k) for k, v in initializers])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), os.path.join(bad_dir, name + ".onnx"))


bad("unsupported_operator", [helper.make_node("Relu", ["x"], ["r"], name="stem_relu"),
                             helper.make_node("Sigmoid", ["r"], ["y"], name="head_sigmoid")])
bad("unknown_attribute", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv_odd", pads=[1, 1, 1, 1], foo=3)],
    initializers=[("w", f32(2, 3, 3, 3))])
bad("training_batchnorm", [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn_train", training_mode=1)],
    opset=15, initializers=[("s", np.ones(3, np.float32)), ("b", np.zeros(3, np.float32)), ("m", np.zeros(3, np.float32)), ("v", np.ones(3, np.float32))])
bad("old_opset", [helper.make_node("Relu", ["x"], ["y"], name="r")], opset=6)
bad("undefined_input", [helper.make_node("Add", ["x", "missing"], ["y"], name="add_missing")])
