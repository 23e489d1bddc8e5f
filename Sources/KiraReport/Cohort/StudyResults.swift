import Foundation
import KiraCore
import KiraLearn
import KiraSurvival

/// The files `kira study run` writes into its results folder, read for a report. Each is
/// optional: what is missing or unreadable becomes a problem the report lists (and the
/// sections that need it say so), rather than no report at all.
public struct StudyResults: Sendable {
    public struct Summary: Sendable, Decodable {
        public struct Cohort: Sendable, Decodable {
            public var cases: Int
            public var splits: [String: Int]
            public var positives: [String: Int]
            public var labelRule: String
            enum CodingKeys: String, CodingKey { case cases, splits, positives, labelRule = "label_rule" }
        }
        public struct Reliability: Sendable, Decodable {
            public var form: String?
            public var min: Double?
            public var kept: [String: Int]
            public var dropped: [String: Int]
            public var notes: [String]
        }
        public struct Best: Sendable, Decodable {
            public var model: String
            public var rule: String
            public var cvAUCMean: Double
            public var selectedFeatures: [String]
            public var threshold: Double
            public var thresholdRule: String
            enum CodingKeys: String, CodingKey {
                case model, rule, cvAUCMean = "cv_auc_mean", selectedFeatures = "selected_features", threshold, thresholdRule = "threshold_rule"
            }
        }
        public var kiraVersion: String
        public var studyFile: String
        public var studyHash: String
        public var cohort: Cohort
        public var reproducibility: Reliability
        public var best: Best
        enum CodingKeys: String, CodingKey {
            case kiraVersion = "kira_version", studyFile = "study_file", studyHash = "study_hash", cohort, reproducibility, best
        }
    }

    public struct Metrics: Sendable, Decodable {
        public struct Model: Sendable, Decodable {
            public var model: String
            public var aucMean: Double
            public var aucSD: Double
            public var cv: Evaluation
            enum CodingKeys: String, CodingKey { case model, aucMean = "auc_mean", aucSD = "auc_sd", cv }
        }
        public var best: String
        public var threshold: Double
        public var models: [Model]
        public var heldOut: [String: Evaluation]
        enum CodingKeys: String, CodingKey { case best, threshold, models, heldOut = "held_out" }
    }

    public struct Survival: Sendable, Decodable {
        public typealias Group = GroupSurvival.Group
        public typealias Split = GroupSurvival
        public var cutoff: Double
        public var cutoffRule: String
        public var splits: [String: Split]
        enum CodingKeys: String, CodingKey { case cutoff, cutoffRule = "cutoff_rule", splits }
    }

    /// One row of predictions_<split>.csv.
    public struct Prediction: Sendable {
        public var id: String
        public var probability: Double
        public var label: Bool?
        /// Training split: the out-of-fold cross-validated probability.
        public var cvProbability: Double?
    }

    public struct ICCRow: Sendable {
        public var modality: String
        public var feature: String
        public var icc: Double?
        public var kept: Bool
    }

    public static let splits = ["train", "internal", "external"]

    public var directory: URL
    public var summary: Summary?
    public var metrics: Metrics?
    public var survival: Survival?
    public var predictions: [String: [Prediction]] = [:]
    public var icc: [ICCRow]?
    public var problems: [String] = []

    public init(directory: URL) {
        self.directory = directory
        summary = load("summary.json", required: true)
        metrics = load("metrics.json", required: true)
        survival = load("survival.json", required: false)
        for split in Self.splits {
            let url = directory.appendingPathComponent("predictions_\(split).csv")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            do { predictions[split] = try Self.readPredictions(url) } catch { problems.append(Self.describe(error, url)) }
        }
        if predictions.isEmpty { problems.append("\(directory.path): no predictions_<split>.csv") }
        let iccURL = directory.appendingPathComponent("icc.csv")
        if FileManager.default.fileExists(atPath: iccURL.path) {
            do { icc = try Self.readICC(iccURL) } catch { problems.append(Self.describe(error, iccURL)) }
        }
    }

    static func describe(_ error: Error, _ url: URL) -> String {
        if let k = error as? KiraError { return k.description }
        if let d = error as? DecodingError {
            switch d {
            case let .keyNotFound(key, ctx): return "\(url.path): key '\((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))' is missing"
            case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx), let .dataCorrupted(ctx):
                return "\(url.path): '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))': \(ctx.debugDescription)"
            @unknown default: return "\(url.path): \(d)"
            }
        }
        return "\(url.path): \(error.localizedDescription)"
    }

    mutating func load<T: Decodable>(_ name: String, required: Bool) -> T? {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            if required { problems.append("\(url.path) does not exist") }
            return nil
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
        } catch {
            problems.append(Self.describe(error, url))
            return nil
        }
    }

    static func readPredictions(_ url: URL) throws -> [Prediction] {
        let t = try CSVTable(contentsOf: url)
        let ids = try t.strings("id"), p = try t.requiredNumbers("probability")
        let labels = t.hasColumn("label") ? try t.numbers("label") : ids.map { _ in nil }
        let cv = t.hasColumn("cv_probability") ? try t.numbers("cv_probability") : ids.map { _ in nil }
        return ids.indices.map { Prediction(id: ids[$0], probability: p[$0], label: labels[$0].map { $0 == 1 }, cvProbability: cv[$0]) }
    }

    static func readICC(_ url: URL) throws -> [ICCRow] {
        let t = try CSVTable(contentsOf: url)
        // The ICC column is named after the form (icc2, icc3, …): the fourth column.
        guard t.header.count >= 4 else { throw KiraError.invalidData("\(url.path): expected modality, feature, column, icc… columns") }
        let modality = try t.strings("modality"), feature = try t.strings("feature")
        let icc = try t.numbers(t.header[3]), kept = try t.strings("kept")
        return modality.indices.map { ICCRow(modality: modality[$0], feature: feature[$0], icc: icc[$0], kept: kept[$0] == "1") }
    }

    /// The probabilities a set's ROC is drawn from: held-out sets their frozen-model
    /// probabilities, training its out-of-fold cross-validated ones (the refitted model's own
    /// training predictions would flatter it).
    public func scored(_ split: String) -> (p: [Double], y: [Bool])? {
        guard let rows = predictions[split] else { return nil }
        var p: [Double] = [], y: [Bool] = []
        for r in rows {
            guard let l = r.label else { continue }
            let v = split == "train" ? r.cvProbability : r.probability
            guard let v else { continue }
            p.append(v); y.append(l)
        }
        return p.isEmpty ? nil : (p, y)
    }
}
