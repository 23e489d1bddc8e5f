import Foundation
import KiraCore

/// Which tensor of the network becomes the feature vector.
public enum FeatureLayer: Sendable, Equatable, Codable {
    /// The output of the last GlobalAveragePool (2048 values for ResNet-50, 1664 for DenseNet-169).
    case pooled
    /// Its input, the last feature map, flattened in C order (1664 × 7 × 7 for DenseNet-169).
    case flattenedMap
    /// Any tensor of the graph by name, flattened.
    case named(String)
}

/// Crops → network → named feature columns (`dn169_tumour_f0001`), for one case or many.
public struct DeepFeatureExtractor: Sendable {
    public let model: DeepModel
    public let layer: FeatureLayer
    /// The tensor read for `layer`.
    public let tensorName: String
    public let inputHeight: Int, inputWidth: Int

    public init(modelPath: String, layer: FeatureLayer) throws {
        let loaded = try ONNXLoader.load(path: modelPath)
        let name: String
        switch layer {
        case let .named(n): name = n
        case .pooled, .flattenedMap:
            guard let gap = loaded.nodes.last(where: { $0.op == .globalAveragePool }) else {
                throw DeepError.unsupported(model: modelPath, node: "(model)", reason: "no GlobalAveragePool node to take pooled features or the last feature map from; name a tensor with --output-layer")
            }
            name = layer == .pooled ? gap.outputs[0] : gap.inputs[0]
        }
        model = try DeepModel(path: modelPath, loaded: loaded, keep: [name])
        guard Set(model.tensorNames).union(model.inputs.map(\.name)).contains(name) else { throw DeepError.unknownOutput(model: modelPath, name: name) }
        guard model.inputs.count == 1, let dims = model.inputs.first?.dims, dims.count == 4, dims[1] == nil || dims[1] == 3,
              let h = dims[2], let w = dims[3] else {
            throw DeepError.shapeMismatch(model: modelPath, node: "input '\(model.inputs.first?.name ?? "?")'",
                                          reason: "deep features need one N×3×H×W input of fixed H and W")
        }
        self.layer = layer
        tensorName = name
        inputHeight = h
        inputWidth = w
    }

    /// Feature vectors, one per crop (each N=1 tensor), `threads` crops at a time.
    public func features(_ crops: [Tensor], threads: Int) throws -> [[Float]] {
        guard !crops.isEmpty else { return [] }
        let out = try model.runBatch(Tensor.stack(crops), outputs: [tensorName], threads: threads)[tensorName]!
        let per = out.count / crops.count
        return (0..<crops.count).map { Array(out.data[($0 * per)..<(($0 + 1) * per)]) }
    }

    /// `prefix_region_f0001` …, zero-padded to at least four digits.
    public static func names(prefix: String, region: String, count: Int) -> [String] {
        names(stem: "\(prefix)_\(region)", count: count)
    }

    /// `stem_f0001` … (a fused table's stem carries the modality too: `us_dn169_tumour`).
    public static func names(stem: String, count: Int) -> [String] {
        let digits = max(4, String(count).count)
        return (1...max(count, 1)).prefix(count).map { i in
            let n = String(i)
            return "\(stem)_f" + String(repeating: "0", count: digits - n.count) + n
        }
    }
}
