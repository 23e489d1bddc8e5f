/// Which convolutions run by Winograd F(2×2, 3×3) (see `Kernels.conv3x3Winograd`): 3×3
/// kernels with stride and dilation 1 in one group, whose weights are initializers, so that
/// the filters are transformed once at load. The transformed bank is handed to the node as a
/// fourth input (ONNX's Conv has at most three; see `Node.winogradInput`), named after the weights.
enum WinogradPlan {
    static func prepare(_ nodes: [Node], initializers: inout [String: Tensor]) -> [Node] {
        nodes.map { node in
            guard node.op == .conv, node.inputs.count >= 2, let w = initializers[node.inputs[1]], w.rank == 4,
                  w.shape[2] == 3, w.shape[3] == 3, node.int("group", default: 1) == 1,
                  (node.ints("strides") ?? [1, 1]) == [1, 1], (node.ints("dilations") ?? [1, 1]) == [1, 1],
                  node.string("auto_pad", default: "NOTSET") == "NOTSET" else { return node }
            let name = "\(node.inputs[1])::winograd"
            if initializers[name] == nil { initializers[name] = Kernels.winogradFilter(w) }
            return node.settingInput(Node.winogradInput, to: name)
        }
    }
}
