import Foundation
import KiraCore
import KiraDeep
import KiraRadiomics

/// A modality's `deep:` key: a convolutional network's features of tumour and peritumoral
/// crops, computed per case beside the radiomics features and cached apart from them (a change
/// of network or crop settings recomputes the deep part only).
public struct DeepSpec: Sendable {
    public var model: URL
    /// The columns' first part (`dn169` in `dn169_tumour_f0001`).
    public var name: String
    public var crops: [CropOptions.Region]
    /// Mode, margin, intensity scaling, mean and std (the region is set per crop).
    public var options: CropOptions
    public var output: FeatureLayer
    /// Grad-CAM overlays of the primary reader's crops into results/deep/<case>/.
    public var cam: Bool
    /// The model file's content hash and every setting: what the deep cache key takes.
    public var settingsHash: String

    static let keys = ["model", "name", "crops", "input", "margin", "scaling", "mean", "std", "output", "cam"]

    /// The `output:` text as `FeatureLayer`: pooled, map (the last feature map, flattened) or a tensor name.
    static func layer(_ s: String) -> FeatureLayer {
        switch s {
        case "pooled": .pooled
        case "map": .flattenedMap
        default: .named(s)
        }
    }

    static func parse(_ value: ConfigValue, path: String, _ r: StudyReader, resolve: (String) -> URL) throws -> DeepSpec {
        let m = try r.map(value, path, known: keys, what: "a mapping {model: FILE.onnx, crops: [tumour, ring:5mm], …}")
        let modelText = try r.string(try r.required(m, "model", path), "\(path).model", what: "an ONNX file path")
        let model = resolve(modelText)
        guard FileManager.default.fileExists(atPath: model.path) else { throw r.fail("\(path).model", "\(model.path) does not exist") }
        let name = try r.value(m, "name").map { try r.string($0, "\(path).name", what: "a column prefix") }
            ?? model.deletingPathExtension().lastPathComponent
        guard name.range(of: "^[A-Za-z][A-Za-z0-9]*$", options: .regularExpression) != nil else {
            throw r.fail(r.value(m, "name") == nil ? "\(path).model" : "\(path).name",
                         "the column prefix \"\(name)\" must be letters and digits, starting with a letter (give name: dn169)")
        }
        let cropTexts = try r.value(m, "crops").map { try r.strings($0, "\(path).crops", what: "a list of crops (tumour, ring:5mm)") } ?? ["tumour"]
        var crops: [CropOptions.Region] = []
        for (k, text) in cropTexts.enumerated() {
            let t = text.trimmingCharacters(in: .whitespaces).lowercased()
            // The study's regions say ring:5mm; kira deep features says tumour+ring:5mm. Both
            // mean the box of the tumour dilated by the ring.
            let spelled = t.hasPrefix("ring:") ? "tumour+" + t : t
            let region: CropOptions.Region
            do { region = try CropOptions.Region(parsing: spelled) } catch {
                throw r.fail("\(path).crops[\(k)]", "crop '\(text)' must be tumour, ring:<mm>mm or tumour+ring:<mm>mm, e.g. ring:5mm")
            }
            if crops.contains(where: { $0.label == region.label }) { throw r.fail("\(path).crops[\(k)]", "crop \(text) is given twice") }
            crops.append(region)
        }
        let modeText = try r.value(m, "input").map { try r.string($0, "\(path).input", what: "2d or 2.5d") } ?? "2d"
        guard let mode = CropOptions.Mode(rawValue: modeText) else { throw r.fail("\(path).input", "must be 2d or 2.5d, got \"\(modeText)\"") }
        let margin = try r.value(m, "margin").map { try r.number($0, "\(path).margin") } ?? 0
        guard margin >= 0 else { throw r.fail("\(path).margin", "must be ≥ 0 mm, got \(margin)") }
        let scalingText = try r.value(m, "scaling").map { try r.string($0, "\(path).scaling", what: "percentile:LOW,HIGH or window:LOW,HIGH") }
            ?? "percentile:0.5,99.5"
        let intensity: CropOptions.Intensity
        do { intensity = try CropOptions.Intensity(parsing: scalingText) } catch let KiraError.invalidArgument(msg) {
            throw r.fail("\(path).scaling", msg)
        }
        func triple(_ key: String, _ fallback: [Float]) throws -> [Float] {
            guard let v = r.value(m, key) else { return fallback }
            guard case let .list(items) = v, items.count == 3 else { throw r.fail("\(path).\(key)", "expected three numbers (one per channel), got \(v.display)") }
            return try items.enumerated().map { Float(try r.number($1, "\(path).\(key)[\($0)]")) }
        }
        let mean = try triple("mean", CropOptions.imageNetMean), std = try triple("std", CropOptions.imageNetStd)
        if let bad = std.firstIndex(where: { !($0 > 0) }) { throw r.fail("\(path).std[\(bad)]", "must be greater than 0") }
        let outputText = try r.value(m, "output").map { try r.string($0, "\(path).output", what: "pooled, map or a tensor name") } ?? "pooled"
        var cam = false
        if let v = r.value(m, "cam") {
            guard case let .bool(b) = v else { throw r.fail("\(path).cam", "expected true or false, got \(v.display)") }
            cam = b
        }
        let options = CropOptions(region: crops[0], mode: mode, marginMM: margin, intensity: intensity, mean: mean, std: std)
        let modelHash: String
        do { modelHash = try FeatureOutput.fileHash(model) } catch {
            throw r.fail("\(path).model", "\(model.path): cannot read: \(error.localizedDescription)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hashInput = Data("\(modelHash)\n\(name)\n\(crops.map(\.description))\n\(outputText)\n".utf8)
        hashInput += try encoder.encode(options)
        return DeepSpec(model: model, name: name, crops: crops, options: options, output: layer(outputText), cam: cam,
                        settingsHash: FeatureOutput.hash(hashInput))
    }
}
