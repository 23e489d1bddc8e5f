import Foundation
import KiraCore
import KiraLearn
import Logging

/// `kira study predict`: the frozen model (with its frozen selection and scaling) applied to a
/// new cohort, whose features are computed exactly as in the study (primary reader, same
/// settings, same cache), one prediction per case with its QC flags.
public struct StudyPredict {
    public struct Row: Sendable, Equatable {
        public var id: String
        /// nil: the case could not be scored (`reason`).
        public var probability: Double?
        public var predictedHigh: Bool?
        public var qcFlags: [String]
        public var reason: String?
        /// The model's raw inputs for this case (in `inputFeatures` order), when scored.
        public var inputs: [Double]? = nil
    }

    public var study: StudySpec
    public var model: ModelFile
    public var cohort: StudyCohort
    public var jobs: Int
    public var logger: Logger

    public init(study: StudySpec, model: ModelFile, cohort: StudyCohort, jobs: Int, logger: Logger) {
        self.study = study; self.model = model; self.cohort = cohort; self.jobs = jobs; self.logger = logger
    }

    public func run() throws -> [Row] {
        let inputs = model.pipeline.inputFeatures
        let modalities = study.modalities.map(\.name)
        for name in inputs where !modalities.contains(where: { name.hasPrefix($0 + "_") }) {
            throw KiraError.invalidArgument("the model's feature \"\(name)\" belongs to no modality of \(study.file.lastPathComponent); was the model trained on this study?")
        }
        let files = StudyFiles(root: study.output)
        try files.createFolders()
        let lock = try files.lock()
        defer { close(lock) }
        let outcome = FeatureStage(study: study, files: files, ledger: nil, jobs: jobs, logger: logger,
                                   deep: DeepNetworks(studyFile: study.file.lastPathComponent)).run(cohort.cases, readers: 1)
        var byCase: [String: [String: CaseFeatures]] = [:]
        for f in outcome.features { byCase[f.caseID, default: [:]][f.modality] = f }
        var failed: [String: String] = [:]
        for f in outcome.failures where failed[f.caseID] == nil { failed[f.caseID] = "\(f.modality): \(f.step): \(f.reason)" }
        var rows: [Row] = []
        var scoreRows: [Int] = [], x: [[Double]] = []
        for c in cohort.cases {
            let features = byCase[c.id] ?? [:]
            let flags = study.modalities.flatMap { m in (features[m.name]?.qcFlags ?? []).map { "\(m.name): \($0)" } }
            var row = Row(id: c.id, probability: nil, predictedHigh: nil, qcFlags: flags, reason: failed[c.id])
            if row.reason == nil {
                var values: [Double] = []
                for name in inputs {
                    let m = modalities.filter { name.hasPrefix($0 + "_") }.max { $0.count < $1.count }!
                    let f = features[m]
                    let rest = String(name.dropFirst(m.count + 1))
                    guard let f else { row.reason = "\(m): no features (no mask from the primary reader)"; break }
                    guard let j = f.names.firstIndex(of: rest), let v = f.values[j] else {
                        row.reason = "feature \(name) is undefined for this case"; break
                    }
                    values.append(v)
                }
                if row.reason == nil { scoreRows.append(rows.count); x.append(values); row.inputs = values }
            }
            rows.append(row)
        }
        if !x.isEmpty {
            let p = try model.pipeline.probabilities(Matrix(x))
            for (k, r) in scoreRows.enumerated() {
                rows[r].probability = p[k]
                rows[r].predictedHigh = p[k] >= model.pipeline.threshold
            }
        }
        return rows
    }

    public static func csv(_ rows: [Row]) -> String {
        var w = CSVWriter(header: ["id", "probability", "predicted_high", "qc_flags", "status", "reason"])
        for r in rows {
            w.append([r.id, r.probability.map(CSVWriter.format) ?? "", r.predictedHigh.map { $0 ? "1" : "0" } ?? "",
                      r.qcFlags.joined(separator: "; "), r.probability == nil ? "failed" : "ok", r.reason ?? ""])
        }
        return w.text
    }
}
