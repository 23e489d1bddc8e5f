import Foundation
import KiraCore

/// One case's deep features over several crops (e.g. tumour and tumour + 5 mm ring): the
/// columns side by side, names carrying model prefix, crop and index.
public struct DeepCaseResult: Sendable {
    public var names: [String]
    public var values: [Float]
    /// Per crop (its region label): where it came from and how it was scaled.
    public var crops: [String: CropRecord]
    /// The network inputs, one N=1 tensor per crop, in crop order.
    public var inputs: [Tensor]
}

public enum DeepCaseFeatures {
    public static func compute(image: Volume, mask: Volume, regions: [CropOptions.Region], options: CropOptions,
                               extractor: DeepFeatureExtractor, prefix: String, subject: String, threads: Int) throws -> DeepCaseResult {
        var inputs: [Tensor] = []
        var records: [String: CropRecord] = [:]
        for r in regions {
            var o = options
            o.region = r
            let (t, rec) = try CropBuilder.build(image: image, mask: mask, options: o, height: extractor.inputHeight,
                                                 width: extractor.inputWidth, subject: subject)
            inputs.append(t)
            records[r.label] = rec
        }
        let vectors = try extractor.features(inputs, threads: threads)
        var names: [String] = [], values: [Float] = []
        for (r, v) in zip(regions, vectors) {
            names += DeepFeatureExtractor.names(prefix: prefix, region: r.label, count: v.count)
            values += v
        }
        return DeepCaseResult(names: names, values: values, crops: records, inputs: inputs)
    }

    /// The provenance document: options, model file and hash, layer, and each crop's record.
    public static func provenance(modelPath: String, modelHash: String, extractor: DeepFeatureExtractor, options: CropOptions,
                                  regions: [CropOptions.Region], prefix: String) throws -> MetaValue {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let opts = try JSONDecoder().decode(MetaValue.self, from: try enc.encode(options))
        return .object([
            "kira_version": .string(KiraVersion.current),
            "model": .string(modelPath), "model_fnv1a64": .string(modelHash), "opset": .integer(extractor.model.opset),
            "layer": .string(extractor.tensorName), "prefix": .string(prefix),
            "input_size": .array([.integer(extractor.inputHeight), .integer(extractor.inputWidth)]),
            "resize": .string("bilinear, half-pixel centres (PyTorch align_corners=False), no antialiasing"),
            "crops": .array(regions.map { .string($0.description) }),
            "options": opts,
        ])
    }
}
