/// Convolution weights packed once at load for Kira's own SGEMM (`kira_gemm_packed`), as
/// ONNX Runtime packs its own: OpenBLAS repacks the weights on every call, which costs most
/// on the late layers whose 7×7 maps give each product only 49 columns. A Winograd node's
/// transformed bank (input 4) is replaced by its packed form; any other convolution whose
/// weights are an initializer gets its packed weights, one block per group, as a fifth input
/// (`Node.packedInput`).
/// On a CPU without AVX2 and FMA nothing changes and OpenBLAS does every product.
enum GEMMPlan {
    static func prepare(_ nodes: [Node], initializers: inout [String: Tensor]) -> [Node] {
        guard Kernels.ownGEMM else { return nodes }
        return nodes.map { node in
            guard node.op == .conv, node.inputs.count >= 2, let w = initializers[node.inputs[1]], w.rank == 4, w.shape[0] > 0 else { return node }
            let wino = node.inputs.count > Node.winogradInput ? node.inputs[Node.winogradInput] : ""
            if !wino.isEmpty, let u = initializers[wino] {
                // A bank shared by two nodes is packed once.
                if u.rank == 3 {
                    let packed = Kernels.packGEMM(u.data, count: 16, rows: u.shape[1], columns: u.shape[2])
                    initializers[wino] = Tensor(shape: [16, packed.count / 16], data: packed)
                }
                return node
            }
            let groups = node.int("group", default: 1)
            guard groups >= 1, w.shape[0] % groups == 0 else { return node }
            let name = "\(node.inputs[1])::packed"
            if initializers[name] == nil {
                let packed = Kernels.packGEMM(w.data, count: groups, rows: w.shape[0] / groups, columns: w.count / w.shape[0])
                initializers[name] = Tensor(shape: [groups, packed.count / groups], data: packed)
            }
            return node.settingInput(Node.packedInput, to: name)
        }
    }
}
