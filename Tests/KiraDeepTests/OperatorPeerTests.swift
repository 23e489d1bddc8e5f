import Foundation
import KiraDeep
import KiraTestSupport
import Testing

/// Every operator and attribute combination KiraDeep implements, each a one- to three-node
/// model made with the onnx helper, against ONNX Runtime on the same seeded input.
@Suite("ONNX operators against ONNX Runtime")
struct OperatorPeerTests {
    /// Case name → tolerance on |kira − ort| ≤ tol · (1 + |ort|). Exact (0) where both sides
    /// do the same float32 operations in the same order (copies, max, one addition);
    /// 2e-6 for averages (division after summing in another order); 1e-5 for dot products
    /// (SGEMM blocking sums in another order, and Winograd's transforms add in another order
    /// again: float32 rounding, ~1e-6 here) and for batch
    /// normalisation (applied as one affine map, ONNX Runtime in steps). The deep cases sum 300
    /// and 2,700 products to values up to 64 and 143: there each side is up to 9.5e-6 (Kira's
    /// SGEMM; ONNX Runtime 8.5e-6) and 3.4e-5 (Kira's Winograd; ONNX Runtime's direct sum
    /// 8.9e-6) from the sum in double precision, and the tolerance is that bound plus ONNX
    /// Runtime's own. The blocked Winograd case sums 1,152 products to values up to 142: ONNX
    /// Runtime is 2.2e-5 from the double sum and Kira 5.5e-5 from ONNX Runtime (the same with
    /// the tiles in one block), so 8e-5.
    static let cases: [(String, Float)] = [
        ("conv_default", 1e-5), ("conv_stride_asymmetric_pads", 1e-5), ("conv_dilation", 1e-5), ("conv_group", 1e-5),
        ("conv_depthwise", 1e-5), ("conv_1x1_direct", 1e-5), ("conv_1x1_stride2", 1e-5), ("conv_kernel_shape_rect", 1e-5),
        ("conv_same_upper", 1e-5), ("conv_same_lower", 1e-5), ("conv_valid", 1e-5), ("conv_7x7_stride2_pad3", 1e-5),
        ("conv_winograd_pads", 1e-5), ("conv_winograd_asymmetric_pads", 1e-5), ("conv_1x1_deep_wide", 2e-5), ("conv_winograd_deep", 5e-5),
        ("conv_winograd_blocks", 8e-5),
        ("relu", 0), ("identity", 0), ("add_same_shape", 0), ("add_broadcast_channel", 0), ("add_broadcast_both", 0),
        ("add_scalar", 0),
        ("maxpool_k3_s2_p1", 0), ("maxpool_default_stride", 0), ("maxpool_ceil_mode", 0), ("maxpool_ceil_mode_pads", 0),
        ("maxpool_dilation", 0), ("maxpool_same_upper", 0), ("maxpool_storage_order_0", 0),
        ("avgpool_exclude_pad", 2e-6), ("avgpool_include_pad", 2e-6), ("avgpool_k2_s2", 2e-6), ("avgpool_ceil_mode", 2e-6),
        ("avgpool_ceil_mode_include_pad", 2e-6), ("avgpool_same_lower", 2e-6), ("avgpool_valid", 2e-6),
        ("maxpool_wide_rows", 0), ("avgpool_wide_rows_include_pad", 2e-6), ("avgpool_wide_rows_exclude_pad", 2e-6),
        ("global_average_pool", 2e-6),
        ("flatten_default", 0), ("flatten_axis0", 0), ("flatten_axis_negative", 0), ("flatten_axis2", 0),
        ("gemm_transB_bias_row", 1e-5), ("gemm_plain_no_c", 1e-5), ("gemm_transA_alpha_beta", 1e-5),
        ("gemm_both_transposed_col_c", 1e-5), ("gemm_scalar_c", 1e-5),
        ("concat_channels", 0), ("concat_three_negative_axis", 0), ("concat_axis0", 0),
        ("batchnorm", 1e-5), ("batchnorm_default_eps_rank2", 1e-5), ("conv_batchnorm_relu_folded", 1e-5),
        ("add_relu_fused", 0), ("concat_batchnorm_relu_fused", 1e-5), ("concat_batchnorm_relu_conv1x1", 1e-5), ("concat_conv1x1", 1e-5),
        ("conv_add_relu_fused", 2e-5), ("conv_add_broadcast", 1e-5), ("conv_winograd_add_relu", 1e-5),
        ("conv_batchnorm_shared_not_folded", 1e-5),
        ("pad_constant_default", 0), ("pad_constant_value", 0), ("pad_reflect", 0), ("pad_edge", 0), ("pad_negative_crop", 0),
        ("pad_opset10_attributes", 0), ("pad_from_constant_node", 0),
        ("constant_tensor_add", 0), ("constant_value_float_add", 0), ("constant_value_floats_add", 0),
    ]

    @Test(arguments: cases)
    func matchesONNXRuntime(_ c: (name: String, tolerance: Float)) throws {
        let dir = try DeepPeer.operatorCaseFolder()
        let model = try DeepModel(path: dir.appendingPathComponent("\(c.name).onnx").path)
        let x = try NumPyArray.read(dir.appendingPathComponent("\(c.name).input.npy").path)
        let expected = try NumPyArray.read(dir.appendingPathComponent("\(c.name).ort.npy").path)
        let y = try #require(try model.run(["x": x])["y"])
        #expect(y.shape == expected.shape)
        var worst: Float = 0
        for (a, b) in zip(y.data, expected.data) { worst = max(worst, abs(a - b) / (1 + abs(b))) }
        #expect(worst <= c.tolerance, "\(c.name): worst scaled difference \(worst)")
    }

    /// The Python script and this list name the same cases.
    @Test func everyGeneratedCaseIsChecked() throws {
        let dir = try DeepPeer.operatorCaseFolder()
        let generated = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".onnx") }.map { String($0.dropLast(5)) }
        #expect(Set(generated) == Set(Self.cases.map(\.0)))
    }

    /// Folding replaces the Conv + BatchNormalization pair by one convolution, and keeps it
    /// apart when the convolution's output is asked for by name.
    @Test func batchNormalizationIsFoldedUnlessItsInputIsWanted() throws {
        let path = try DeepPeer.operatorCaseFolder().appendingPathComponent("conv_batchnorm_relu_folded.onnx").path
        #expect(try DeepModel(path: path).operatorCounts == ["Conv": 1, "Relu": 1])
        let kept = try DeepModel(path: path, keep: ["c"])
        #expect(kept.operatorCounts == ["Conv": 1, "BatchNormalization": 1, "Relu": 1])
        let shared = try DeepModel(path: try DeepPeer.operatorCaseFolder().appendingPathComponent("conv_batchnorm_shared_not_folded.onnx").path)
        #expect(shared.operatorCounts["BatchNormalization"] == 1)
    }

    /// In the real networks every ReLU runs inside the node before it, every
    /// BatchNormalization is folded into a convolution or, in DenseNet, applied by the Concat
    /// whose output it normalises, every residual Add of ResNet-50 is stored by the
    /// convolution before it, and every Concat of DenseNet-169 but the last (read by norm5,
    /// not a convolution) is read part by part by the 1×1 convolution after it: no node of
    /// these is left, and no operator is lost (counted against the ONNX file as the onnx
    /// package reads it).
    @Test(arguments: ["resnet50", "densenet169"])
    func activationsRunInsideTheNodeBefore(_ arch: String) throws {
        let path = try DeepPeer.network(arch).model
        let model = try DeepModel(path: path)
        let text = try PythonPeer.run("import collections, json, onnx, sys; print(json.dumps(collections.Counter(n.op_type for n in onnx.load(sys.argv[1]).graph.node)))", arguments: [path])
        let onnxCounts = try JSONDecoder().decode([String: Int].self, from: Data(text.utf8))
        print("\(arch): ONNX \(onnxCounts.sorted { $0.key < $1.key }); run \(model.nodeCounts.sorted { $0.key < $1.key })")
        #expect(model.nodeCounts["Relu"] == nil && model.nodeCounts["BatchNormalization"] == nil && model.nodeCounts["Add"] == nil)
        #expect(model.operatorCounts["Relu"] == onnxCounts["Relu"])
        #expect(model.operatorCounts["Add"] == onnxCounts["Add"])
        #expect(model.operatorCounts["Concat"] == onnxCounts["Concat"])
        #expect(model.nodeCounts["Concat"] == (arch == "densenet169" ? 1 : nil))
        for op in ["Conv", "Gemm", "MaxPool", "AveragePool", "GlobalAveragePool"] {
            #expect(model.nodeCounts[op] == onnxCounts[op], "\(op)")
        }
    }
}
