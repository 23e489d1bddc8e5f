import Foundation
import KiraCore

/// Grad-CAM (Selvaraju et al. 2017) as pytorch-grad-cam computes it: channel weights are the
/// spatial mean of ∂(target)/∂A, the map is ReLU(Σ_k w_k A_k), min–max scaled
/// ((m − min) / (max − min + 1e-7)), resized bilinearly to the network input and scaled again.
///
/// The gradient is closed-form for the heads torchvision's classifiers have after their last
/// feature map A: [Relu →] GlobalAveragePool → Flatten → Gemm. Then ∂logit_c/∂A[k,i,j] =
/// W[c,k] / (H·W), times 1[A > 0] when a Relu comes first (DenseNet-169's norm5); for ResNet-50's
/// last block output exactly W[c,k] / (H·W). Other heads are refused (no general backward pass).
public struct GradCAM: Sendable {
    public let model: DeepModel
    /// The tensor the map is computed on, and the logits it leads to.
    public let layer: String
    public let logits: String
    let reluFirst: Bool
    /// Gemm weights as [classes][channels].
    let weights: [[Float]]
    /// Channels of the layer, one pooled feature each.
    public var channels: Int { weights.first?.count ?? 0 }

    public struct Map: Sendable {
        /// The class explained (given, or the highest logit); nil for a pooled-gradient target.
        public var targetClass: Int?
        public var logit: Float?
        /// ReLU(Σ w A) at the layer's resolution, unscaled.
        public var raw: Tensor
        /// Min–max scaled and resized to the input's H × W.
        public var scaled: Tensor
    }

    /// `layer` nil: the input of the last GlobalAveragePool (the last feature map).
    public init(modelPath: String, layer: String? = nil) throws {
        let loaded = try ONNXLoader.load(path: modelPath)
        let nodes = loaded.nodes
        func refuse(_ reason: String) -> DeepError { .unsupported(model: modelPath, node: "(Grad-CAM head)", reason: reason) }
        guard let gapIndex = nodes.lastIndex(where: { $0.op == .globalAveragePool }) else {
            throw refuse("no GlobalAveragePool: only heads [Relu →] GlobalAveragePool → Flatten → Gemm have the closed-form gradient")
        }
        let gap = nodes[gapIndex]
        let target = layer ?? gap.inputs[0]
        var relu = false
        if target != gap.inputs[0] {
            guard let r = nodes.first(where: { $0.op == .relu && $0.outputs == [gap.inputs[0]] }), r.inputs[0] == target else {
                throw refuse("layer '\(target)' is neither the input of the last GlobalAveragePool nor of the Relu before it; a backward pass through other layers is not implemented")
            }
            relu = true
        }
        let readers = { (name: String) in nodes.filter { $0.inputs.contains(name) } }
        guard let flat = readers(gap.outputs[0]).first, readers(gap.outputs[0]).count == 1, flat.op == .flatten,
              let gemm = readers(flat.outputs[0]).first, readers(flat.outputs[0]).count == 1, gemm.op == .gemm,
              let w = loaded.initializers[gemm.inputs[1]], w.rank == 2, gemm.int("transA", default: 0) == 0,
              gemm.float("alpha", default: 1) == 1 else {
            throw refuse("the head after GlobalAveragePool is not Flatten → Gemm with constant weights")
        }
        let transB = gemm.int("transB", default: 0) != 0
        let (classes, channels) = transB ? (w.shape[0], w.shape[1]) : (w.shape[1], w.shape[0])
        weights = (0..<classes).map { c in (0..<channels).map { k in transB ? w.data[c * channels + k] : w.data[k * classes + c] } }
        model = try DeepModel(path: modelPath, loaded: loaded, keep: [target, gemm.outputs[0]])
        self.layer = target
        logits = gemm.outputs[0]
        reluFirst = relu
    }

    /// One N=1 input; `targetClass` nil explains the highest logit.
    public func map(_ input: Tensor, targetClass: Int?, outputHeight: Int, outputWidth: Int) throws -> Map {
        let out = try model.run([model.inputs[0].name: input], outputs: [layer, logits])
        return try map(activations: out[layer]!, logits: out[logits]!, targetClass: targetClass, outputHeight: outputHeight, outputWidth: outputWidth)
    }

    /// The map from the layer's activations and the logits of one forward pass already run
    /// (a study takes its features from the same pass).
    public func map(activations a: Tensor, logits z: Tensor, targetClass: Int?, outputHeight: Int, outputWidth: Int) throws -> Map {
        let c = targetClass ?? z.data.indices.max { z.data[$0] < z.data[$1] || (z.data[$0] == z.data[$1] && $0 > $1) }!
        guard c >= 0, c < weights.count else {
            throw DeepError.shapeMismatch(model: model.path, node: "logits '\(logits)'", reason: "class \(c) is not among the \(weights.count) outputs")
        }
        var m = try map(activations: a, pooledGradient: weights[c].map(Double.init), outputHeight: outputHeight, outputWidth: outputWidth)
        m.targetClass = c
        m.logit = z.data[c]
        return m
    }

    /// The map of any score s(p) of the pooled features p (the GlobalAveragePool's output,
    /// through the Relu before it where the layer is that Relu's input), given ∂s/∂p per
    /// channel: a downstream model's decision (`FittedPipeline.logOddsGradient` restricted to
    /// this network's features) or a linear score of the user's. A class is the case
    /// ∂s/∂p = the Gemm's row for that class.
    public func map(_ input: Tensor, pooledGradient g: [Double], outputHeight: Int, outputWidth: Int) throws -> Map {
        let out = try model.run([model.inputs[0].name: input], outputs: [layer])
        return try map(activations: out[layer]!, pooledGradient: g, outputHeight: outputHeight, outputWidth: outputWidth)
    }

    public func map(activations a: Tensor, pooledGradient g: [Double], outputHeight: Int, outputWidth: Int) throws -> Map {
        guard a.rank == 4, a.shape[0] == 1 else {
            throw DeepError.shapeMismatch(model: model.path, node: "layer '\(layer)'", reason: "Grad-CAM needs a 1×C×H×W map, got \(shapeText(a.shape))")
        }
        guard g.count == a.shape[1] else {
            throw DeepError.shapeMismatch(model: model.path, node: "layer '\(layer)'",
                                          reason: "the target's gradient has \(g.count) values; the layer has \(a.shape[1]) channels")
        }
        let (raw, scaled) = weighted(a, pooledGradient: g, outputHeight: outputHeight, outputWidth: outputWidth)
        return Map(targetClass: nil, logit: nil, raw: raw, scaled: scaled)
    }

    /// ∂s/∂A[k,i,j] = ∂s/∂p_k · gate(i, j) / (H·W); the channel weight is its spatial mean.
    private func weighted(_ a: Tensor, pooledGradient g: [Double], outputHeight: Int, outputWidth: Int) -> (Tensor, Tensor) {
        let (k, h, w) = (a.shape[1], a.shape[2], a.shape[3])
        let plane = h * w
        // w_k = mean over (i, j) of ∂s/∂p_k / (H·W) · gate(i, j).
        var channelWeights = [Double](repeating: 0, count: k)
        for ch in 0..<k {
            let gated = reluFirst ? a.data[(ch * plane)..<((ch + 1) * plane)].reduce(0) { $0 + ($1 > 0 ? 1 : 0) } : plane
            channelWeights[ch] = g[ch] / Double(plane) * Double(gated) / Double(plane)
        }
        // Behind a Relu the activations weighted are the rectified ones: torchvision's DenseNet
        // applies that Relu in place, so the activations pytorch-grad-cam keeps are rectified.
        var cam = [Double](repeating: 0, count: plane)
        for ch in 0..<k where channelWeights[ch] != 0 {
            let wk = channelWeights[ch]
            for i in 0..<plane {
                let v = Double(a.data[ch * plane + i])
                cam[i] += wk * (reluFirst ? max(v, 0) : v)
            }
        }
        cam = cam.map { max($0, 0) }
        // Scaled before and after the resize, as pytorch-grad-cam does (per layer, then again
        // after averaging its layers).
        let resized = Self.minMax(CropBuilder.bilinear(Self.minMax(cam), width: w, height: h, toWidth: outputWidth, toHeight: outputHeight))
        return (Tensor(shape: [h, w], data: cam.map { Float($0) }), Tensor(shape: [outputHeight, outputWidth], data: resized.map { Float($0) }))
    }

    /// (m − min) / (max − min + 1e-7).
    static func minMax(_ m: [Double]) -> [Double] {
        let lo = m.min() ?? 0
        let hi = (m.max() ?? 0) - lo
        return m.map { ($0 - lo) / (hi + 1e-7) }
    }
}
