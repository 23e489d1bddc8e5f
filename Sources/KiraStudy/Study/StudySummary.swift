import Foundation
import KiraCore
import KiraLearn

/// summary.json: everything a report needs, in one document.
public struct StudySummary: Sendable, Codable {
    public struct Cohort: Sendable, Codable {
        public var cases: Int
        public var splits: [String: Int]
        public var positives: [String: Int]
        public var labelRule: String
        enum CodingKeys: String, CodingKey { case cases, splits, positives, labelRule = "label_rule" }
    }
    public struct Features: Sendable, Codable {
        public var branches: Int
        public var computed: Int
        public var reused: Int
        public var failed: Int
        /// Feature columns per modality (per case and reader, before the ICC filter).
        public var perModality: [String: Int]
        public var regions: [String]
        enum CodingKeys: String, CodingKey { case branches, computed, reused, failed, perModality = "per_modality", regions }
    }
    public struct Reliability: Sendable, Codable {
        public var form: String?
        public var min: Double?
        public var kept: [String: Int]
        public var dropped: [String: Int]
        public var notes: [String]
    }
    public struct Fused: Sendable, Codable {
        public var cases: Int
        public var columns: Int
        public var droppedCases: [String: String]
        public var droppedColumns: [String]
        enum CodingKeys: String, CodingKey { case cases, columns, droppedCases = "dropped_cases", droppedColumns = "dropped_columns" }
    }
    public struct Best: Sendable, Codable {
        public var model: String
        public var rule: String
        public var cvAUCMean: Double
        public var params: [String: String]
        public var selectedFeatures: [String]
        public var threshold: Double
        public var thresholdRule: String
        enum CodingKeys: String, CodingKey {
            case model, rule, cvAUCMean = "cv_auc_mean", params, selectedFeatures = "selected_features", threshold,
                 thresholdRule = "threshold_rule"
        }
    }
    public struct Held: Sendable, Codable {
        public var n: Int
        public var positives: Int
        public var auc: Double
        public var aucCI95: [Double]
        public var accuracy: Double
        public var sensitivity: Double
        public var specificity: Double
        public var brier: Double
        public var calibrationSlope: Double?
        public var calibrationIntercept: Double?
        enum CodingKeys: String, CodingKey {
            case n, positives, auc, aucCI95 = "auc_ci95", accuracy, sensitivity, specificity, brier,
                 calibrationSlope = "calibration_slope", calibrationIntercept = "calibration_intercept"
        }
        init(_ e: Evaluation) {
            n = e.n; positives = e.positives; auc = e.auc; aucCI95 = e.aucCI95; accuracy = e.accuracy
            sensitivity = e.sensitivity; specificity = e.specificity; brier = e.brier
            calibrationSlope = e.calibration?.slope; calibrationIntercept = e.calibration?.intercept
        }
    }
    public struct SurvivalLine: Sendable, Codable {
        public var n: Int
        public var logrankP: Double?
        public var hazardRatio: Double?
        public var hazardRatioCI95: [Double]?
        public var cutoff: Double
        public var cutoffRule: String
        enum CodingKeys: String, CodingKey {
            case n, logrankP = "logrank_p", hazardRatio = "hazard_ratio", hazardRatioCI95 = "hazard_ratio_ci95", cutoff, cutoffRule = "cutoff_rule"
        }
    }

    /// The Grad-CAM maps of the frozen model's decision (`deep: {cam: true}`): the model's
    /// family, the target of the maps the reports show ("decision", or "top class" when the
    /// model has no gradient, with the reason), and the maps written, relative to the results.
    public struct DecisionMaps: Sendable, Codable {
        public var model: String
        public var target: String
        public var note: String?
        public var maps: [String]
    }

    public var format = "kira-study-summary"
    public var version = 1
    public var kiraVersion: String
    public var studyFile: String
    public var studyHash: String
    public var cohort: Cohort
    public var features: Features
    public var failures: [StudyFailure]
    public var reproducibility: Reliability
    public var fused: Fused
    public var models: [ModelComparison.Short]
    public var best: Best
    public var heldOut: [String: Held]
    public var survival: [String: SurvivalLine]
    public var outputs: [String]
    /// nil when no modality has `deep: {cam: true}`.
    public var decisionMaps: DecisionMaps? = nil

    enum CodingKeys: String, CodingKey {
        case format, version, kiraVersion = "kira_version", studyFile = "study_file", studyHash = "study_hash", cohort, features,
             failures, reproducibility, fused, models, best, heldOut = "held_out", survival, outputs, decisionMaps = "decision_maps"
    }
}

extension ModelComparison {
    public struct Short: Sendable, Codable {
        public var model: String
        public var aucMean: Double
        public var aucSD: Double
        public var aucCI95: [Double]
        enum CodingKeys: String, CodingKey { case model, aucMean = "cv_auc_mean", aucSD = "cv_auc_sd", aucCI95 = "cv_auc_ci95" }
    }
    var short: Short { Short(model: model, aucMean: aucMean, aucSD: aucSD, aucCI95: cv.aucCI95) }
}
