import Foundation
import KiraCore

/// The saved model: versioned JSON with the whole fitted pipeline, how it was specified,
/// where its training data came from and which Kira wrote it.
public struct ModelFile: Sendable, Codable {
    public static let currentVersion = 1

    public struct Provenance: Sendable, Codable {
        public var featureFiles: [String]
        public var labelsFile: String
        public var idColumn: String
        public var labelColumn: String
        public var ki67Threshold: Double?
        public var prefixes: [String]?
        public var cases: Int
        public var positives: Int
        public var created: String

        public init(featureFiles: [String], labelsFile: String, idColumn: String, labelColumn: String, ki67Threshold: Double?,
                    prefixes: [String]?, cases: Int, positives: Int, created: String) {
            self.featureFiles = featureFiles; self.labelsFile = labelsFile; self.idColumn = idColumn
            self.labelColumn = labelColumn; self.ki67Threshold = ki67Threshold; self.prefixes = prefixes
            self.cases = cases; self.positives = positives; self.created = created
        }

        enum CodingKeys: String, CodingKey {
            case featureFiles = "feature_files", labelsFile = "labels_file", idColumn = "id_column",
                 labelColumn = "label_column", ki67Threshold = "ki67_threshold", prefixes, cases, positives, created
        }
    }

    public var format = "kira-model"
    public var version = ModelFile.currentVersion
    public var kiraVersion: String
    public var training: Provenance
    public var spec: PipelineSpec
    public var pipeline: FittedPipeline
    /// Means, minima and maxima of the model's inputs over the training rows (SHAP
    /// background, nomogram ranges).
    public var inputMean: [Double]
    public var inputMin: [Double]
    public var inputMax: [Double]

    enum CodingKeys: String, CodingKey {
        case format, version, kiraVersion = "kira_version", training, spec, pipeline,
             inputMean = "input_mean", inputMin = "input_min", inputMax = "input_max"
    }

    public init(kiraVersion: String, training: Provenance, spec: PipelineSpec, pipeline: FittedPipeline, trainingX: Matrix) {
        self.kiraVersion = kiraVersion
        self.training = training
        self.spec = spec
        self.pipeline = pipeline
        let t = pipeline.transform(trainingX)
        inputMean = (0..<t.cols).map { t.column($0).reduce(0, +) / Double(max(1, t.rows)) }
        inputMin = (0..<t.cols).map { t.column($0).min() ?? 0 }
        inputMax = (0..<t.cols).map { t.column($0).max() ?? 0 }
    }

    public func write(to url: URL) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicOutput.write(try e.encode(self), to: url)
    }

    public static func read(_ url: URL) throws -> ModelFile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw KiraError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        struct Header: Decodable { var format: String?; var version: Int? }
        guard let h = try? JSONDecoder().decode(Header.self, from: data), h.format == "kira-model" else {
            throw KiraError.unsupportedFormat(path: url.path, reason: "not a Kira model file (no \"format\": \"kira-model\")")
        }
        guard h.version == currentVersion else {
            throw KiraError.unsupportedFormat(path: url.path, reason: "model file version \(h.version ?? 0); this Kira reads version \(currentVersion)")
        }
        do { return try JSONDecoder().decode(ModelFile.self, from: data) } catch {
            throw KiraError.invalidData("\(url.path): damaged model file: \(error)")
        }
    }
}
