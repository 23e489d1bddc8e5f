import Foundation
import KiraCore
import KiraLearn
import KiraReport
import KiraRadiomics
import Logging

/// `kira study run`: the per-case branches (parallel, cached by content), then the cohort
/// analysis (ICC filter, fused table, model comparison, frozen model, evaluation per split,
/// survival), itself reused when nothing it depends on changed.
public struct StudyRun {
    public var study: StudySpec
    public var cohort: StudyCohort
    public var jobs: Int
    public var logger: Logger

    public struct Report: Sendable {
        public var computed: Int
        public var reused: Int
        public var failures: [StudyFailure]
        public var analysisReused: Bool
        public var summary: URL
        /// `export:`: DICOM objects written and kept unchanged, instances sent to the
        /// destination, and what failed (also in dicom/failures.csv).
        public var exportWritten = 0
        public var exportReused = 0
        public var sent = 0
        public var exportFailures: [StudyFailure] = []
        /// Per-study reports (reports/<case>.html, .json) written and left unchanged, and the
        /// problems they name (also in reports/problems.csv).
        public var reportsWritten = 0
        public var reportsUnchanged = 0
        public var reportProblems: [StudyFailure] = []
        public var reportsSeconds = 0.0
        /// Grad-CAM maps of the frozen model's decision (case × modality) computed and reused,
        /// and those that failed (also in failures.csv, step decision-cam).
        public var decisionMapsComputed = 0
        public var decisionMapsReused = 0
        public var decisionFailures: [StudyFailure] = []
        /// The branches' features, passed from the feature stage to the export stage.
        var features: [CaseFeatures] = []
    }

    public init(study: StudySpec, cohort: StudyCohort, jobs: Int, logger: Logger) {
        self.study = study; self.cohort = cohort; self.jobs = jobs; self.logger = logger
    }

    public func run() throws -> Report { try locked(cachedOnly: false) }

    /// `run()` and `analyse()`: the exclusive folder lock, leftovers removed, the ledger's run
    /// record around the stages.
    private func locked(cachedOnly: Bool) throws -> Report {
        // A network Kira cannot run stops the run before anything is written (the error names
        // the study key and the model's node).
        let networks = DeepNetworks(studyFile: study.file.lastPathComponent)
        if !cachedOnly { try networks.preload(study.modalities) }
        let files = StudyFiles(root: study.output)
        try files.createFolders()
        let lock = try files.lock()
        defer { close(lock) }
        files.removeLeftovers()
        if !cachedOnly { StudySource.pull(study: study, cohort: cohort, logger: logger) }
        let ledger = try RunLedger(url: files.ledger)
        try ledger.beginRun(jobs: jobs)
        do {
            var report = try runStages(files: files, ledger: ledger, networks: networks, cachedOnly: cachedOnly)
            let started = Date()
            let reports = try CaseReportStage(study: study, cohort: cohort, files: files, jobs: jobs, logger: logger).run()
            report.reportsSeconds = Date().timeIntervalSince(started)
            report.reportsWritten = reports.written; report.reportsUnchanged = reports.unchanged
            report.reportProblems = reports.problems
            if !cachedOnly && study.export.any {
                let e = try ExportStage(study: study, cohort: cohort, files: files, ledger: ledger, logger: logger)
                    .run(features: report.features)
                report.exportWritten = e.written; report.exportReused = e.reused; report.sent = e.sent
                report.exportFailures = e.failures
            }
            report.features = []
            try ledger.pruneStale()
            let clean = report.failures.isEmpty && report.decisionFailures.isEmpty && report.exportFailures.isEmpty && report.reportProblems.isEmpty
            try ledger.finishRun(status: clean ? "complete" : "partial")
            return report
        } catch {
            try? ledger.finishRun(status: "failed")
            throw error
        }
    }

    /// `kira study branch`: one case × modality × reader computed (or reused) into the cache,
    /// with its ledger rows, as `run()` does for each branch; then its marker
    /// (branches/<case>/<modality>/reader<N>.json, rewritten on every success so a workflow
    /// engine sees it newer than its inputs). Branches of one study may run side by side.
    /// `recordInLedger`: false on a cluster's shared file system, where SQLite's WAL mode is
    /// not safe across hosts; `analyse` then records every branch it reads.
    public func branch(caseID: String, modality: String, reader: Int, recordInLedger: Bool = true) throws -> (failure: StudyFailure?, reused: Bool, marker: URL) {
        guard let c = cohort.cases.first(where: { $0.id == caseID }) else {
            throw KiraError.invalidArgument("\(study.cohort.lastPathComponent): no case \"\(caseID)\"")
        }
        guard let m = study.modalities.first(where: { $0.name == modality }) else {
            throw KiraError.invalidArgument("\(study.file.lastPathComponent): no modality \"\(modality)\" (modalities: \(study.modalities.map(\.name).joined(separator: ", ")))")
        }
        guard reader >= 0, reader < m.maskColumns.count else {
            throw KiraError.invalidArgument("\(study.file.lastPathComponent): modality \(modality) has \(m.maskColumns.count) reader(s), not \(reader + 1)")
        }
        guard let masks = c.masks[modality], reader < masks.count, masks[reader] != nil else {
            throw KiraError.invalidArgument("\(study.cohort.lastPathComponent): case \(caseID) has no mask in column \(m.maskColumns[reader])")
        }
        let networks = DeepNetworks(studyFile: study.file.lastPathComponent)
        try networks.preload([m])
        let files = StudyFiles(root: study.output)
        try files.createFolders()
        let lock = try files.lock(shared: true)
        defer { close(lock) }
        StudySource.pull(study: study, cohort: cohort, cases: [caseID], logger: logger)
        // Branches started together may race to create the ledger and switch it to WAL, a step
        // SQLite's busy timeout does not cover: a few retries settle it.
        var opened: RunLedger?
        for attempt in 0..<20 where recordInLedger {
            do { opened = try RunLedger(url: files.ledger); break } catch {
                if attempt == 19 { throw error }
                usleep(100_000)
            }
        }
        let stage = FeatureStage(study: study, files: files, ledger: opened, jobs: 1, logger: logger, deep: networks)
        let outcome = stage.run([c], only: (modality, reader))
        let marker = files.branchMarker(caseID: caseID, modality: modality, reader: reader)
        if let f = outcome.failures.first {
            try? FileManager.default.removeItem(at: marker)
            return (f, false, marker)
        }
        let x = outcome.features[0]
        struct Marker: Encodable { var `case`: String; var modality: String; var reader: Int; var key: String; var cache: String }
        let cache = files.featureCacheFile(caseID: caseID, modality: modality, reader: reader, key: x.key)
        let data = try StudyFiles.json(Marker(case: caseID, modality: modality, reader: reader + 1, key: x.key,
                                              cache: "cache/features/" + cache.lastPathComponent))
        do {
            try FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw KiraError.writeFailed(path: marker.path, reason: error.localizedDescription)
        }
        try AtomicOutput.write(data, to: marker)
        return (nil, outcome.reused == 1, marker)
    }

    /// `kira study analyse`: the cohort analysis of `run()` from the cached branches alone (none
    /// is computed); a branch not in the cache is an error naming it, before anything is written.
    public func analyse() throws -> Report { try locked(cachedOnly: true) }

    /// Every branch of the study: what `run()` computes and `kira study branches` lists.
    public func branches() -> [(caseID: String, modality: String, reader: Int, image: URL?, mask: URL)] {
        var out: [(caseID: String, modality: String, reader: Int, image: URL?, mask: URL)] = []
        for c in cohort.cases {
            for m in study.modalities {
                for (k, mask) in (c.masks[m.name] ?? []).enumerated() {
                    guard let mask else { continue }
                    out.append((c.id, m.name, k, c.images[m.name] ?? nil, mask))
                }
            }
        }
        return out
    }

    private func runStages(files: StudyFiles, ledger: RunLedger, networks: DeepNetworks, cachedOnly: Bool = false) throws -> Report {
        var stage = FeatureStage(study: study, files: files, ledger: ledger, jobs: jobs, logger: logger, deep: networks)
        stage.cachedOnly = cachedOnly
        let outcome = stage.run(cohort.cases)
        if cachedOnly {
            let missing = outcome.failures.filter { $0.step == "cache" }
            if !missing.isEmpty {
                let names = missing.map { "\($0.caseID) \($0.modality) reader \($0.reader)" }
                throw KiraError.invalidArgument("\(missing.count) branch(es) not in the cache: \(names.prefix(10).joined(separator: ", "))"
                    + (missing.count > 10 ? ", …" : "") + " (kira study branch computes one; kira study run computes all)")
            }
        }
        logger.info("features: \(outcome.computed) computed, \(outcome.reused) reused, \(outcome.failures.count) failed")
        let order = cohort.cases.map(\.id)
        let failures = outcome.failures.sorted { a, b in
            (order.firstIndex(of: a.caseID)!, a.modality, a.reader) < (order.firstIndex(of: b.caseID)!, b.modality, b.reader)
        }
        var f = CSVWriter(header: ["case", "modality", "reader", "step", "reason"])
        for x in failures { f.append([x.caseID, x.modality, x.reader, x.step, x.reason]) }
        try StudyFiles.write(Data(f.text.utf8), to: files.failures)

        // The analysis depends on the study's settings, the cohort table (labels, splits,
        // survival) and every branch's key or failure: the same inputs give the same outputs.
        var keyText = study.settingsHash + "\n" + (try FeatureOutput.fileHash(study.cohort)) + "\n"
        for x in outcome.features.sorted(by: { ($0.caseID, $0.modality, $0.reader) < ($1.caseID, $1.modality, $1.reader) }) {
            keyText += "\(x.caseID) \(x.modality) \(x.reader) \(x.key)" + (x.deepKey.map { " deep \($0)" } ?? "") + "\n"
        }
        keyText += f.text
        let key = FeatureOutput.hash(Data(keyText.utf8))
        let outputs = analysisOutputs(files)
        if let done = try ledger.entries().first(where: { $0.step == "analysis" && $0.caseID == "*" }),
           done.status != "failed", done.cacheKey == key,
           outputs.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) {
            let now = Date().timeIntervalSince1970
            for step in ["icc", "fuse", "model", "evaluate", "survival", "analysis"] {
                try ledger.record(.init(step: step, caseID: "*", modality: "*", reader: "*", status: "reused", cacheKey: key,
                                        output: files.root.path, started: now, finished: now, seconds: 0))
                logger.info("\(step): reused (inputs unchanged, key \(key))")
            }
            // The decision maps hang on the model file: with the analysis reused they are too
            // (placed from the cache), unless a cached one is missing.
            let decision = try decisionMaps(outcome: outcome, files: files, ledger: ledger, networks: networks)
            try writeFailures(failures + decision.failures, files: files)
            return Report(computed: outcome.computed, reused: outcome.reused, failures: failures, analysisReused: true, summary: files.summary,
                          decisionMapsComputed: decision.computed, decisionMapsReused: decision.reused, decisionFailures: decision.failures,
                          features: outcome.features)
        }
        let decision = try analyse(outcome: outcome, failures: failures, key: key, files: files, ledger: ledger, networks: networks)
        try writeFailures(failures + decision.failures, files: files)
        return Report(computed: outcome.computed, reused: outcome.reused, failures: failures, analysisReused: false, summary: files.summary,
                      decisionMapsComputed: decision.computed, decisionMapsReused: decision.reused, decisionFailures: decision.failures,
                      features: outcome.features)
    }

    /// The Grad-CAM maps of the frozen model's decision (`DecisionCAMStage`).
    private func decisionMaps(outcome: FeatureStage.Outcome, files: StudyFiles, ledger: RunLedger, networks: DeepNetworks) throws -> DecisionCAMStage.Outcome {
        try DecisionCAMStage(study: study, cohort: cohort, files: files, ledger: ledger, jobs: jobs, logger: logger, networks: networks)
            .run(features: outcome.features)
    }

    /// failures.csv again when a stage after the features added rows (unchanged bytes left alone).
    private func writeFailures(_ failures: [StudyFailure], files: StudyFiles) throws {
        var f = CSVWriter(header: ["case", "modality", "reader", "step", "reason"])
        for x in failures { f.append([x.caseID, x.modality, x.reader, x.step, x.reason]) }
        try StudyFiles.write(Data(f.text.utf8), to: files.failures)
    }

    func analysisOutputs(_ files: StudyFiles) -> [URL] {
        var out = [files.fused, files.model, files.metrics, files.summary, files.predictions("train")]
        if study.reproducibility != nil { out.append(files.icc) }
        if study.survival != nil { out.append(files.survival) }
        return out
    }

    private func timed<T>(_ step: String, key: String, output: URL, ledger: RunLedger, _ body: () throws -> T) throws -> T {
        let started = Date()
        var e = RunLedger.Entry(step: step, caseID: "*", modality: "*", reader: "*", status: "running", cacheKey: key,
                                output: output.path, started: started.timeIntervalSince1970)
        try ledger.record(e)
        do {
            let r = try body()
            e.status = "done"
            e.finished = Date().timeIntervalSince1970; e.seconds = Date().timeIntervalSince(started)
            try ledger.record(e)
            logger.info("\(step): computed (\(String(format: "%.2f", e.seconds!)) s)")
            return r
        } catch {
            e.status = "failed"; e.error = (error as? KiraError)?.description ?? "\(error)"
            e.finished = Date().timeIntervalSince1970; e.seconds = Date().timeIntervalSince(started)
            try? ledger.record(e)
            throw error
        }
    }

    private func analyse(outcome: FeatureStage.Outcome, failures: [StudyFailure], key: String, files: StudyFiles, ledger: RunLedger,
                         networks: DeepNetworks) throws -> DecisionCAMStage.Outcome {
        let order = cohort.cases.map(\.id)
        let cases = Dictionary(uniqueKeysWithValues: cohort.cases.map { ($0.id, $0) })
        var tables: [String: [ReaderTable]] = [:]
        var written: [URL] = []
        for m in study.modalities {
            tables[m.name] = m.maskColumns.indices.map { ReaderTable(modality: m.name, reader: $0, features: outcome.features, order: order) }
            for t in tables[m.name]! where !t.ids.isEmpty {
                let url = files.readerTable(m.name, reader: t.reader)
                try StudyFiles.write(Data(t.csvText.utf8), to: url)
                written.append(url)
            }
        }
        let reliability = try timed("icc", key: key, output: files.icc, ledger: ledger) {
            let r = try ReliabilityStage.run(study: study, tables: tables)
            if let spec = study.reproducibility {
                try StudyFiles.write(Data(ReliabilityStage.csv(r.rows, form: spec.form.rawValue).utf8), to: files.icc)
            }
            for n in r.notes { logger.warning("icc: \(n)") }
            return r
        }
        if study.reproducibility != nil { written.append(files.icc) }
        var primary: [String: ReaderTable] = [:]
        for (name, t) in tables where !t.isEmpty { primary[name] = t[0] }
        let fused = try timed("fuse", key: key, output: files.fused, ledger: ledger) {
            let fused = FusedTable(study: study, primary: primary, kept: reliability.kept, order: order)
            try StudyFiles.write(Data(fused.csvText.utf8), to: files.fused)
            return fused
        }
        written.append(files.fused)
        let model = try timed("model", key: key, output: files.model, ledger: ledger) {
            let r = try ModelStage.run(study: study, fused: fused, cases: cases, logger: logger)
            try StudyFiles.write(try StudyFiles.json(r.file), to: files.model)
            return r
        }
        written.append(files.model)
        let threshold = model.file.pipeline.threshold
        try timed("evaluate", key: key, output: files.metrics, ledger: ledger) {
            for split in StudyCohort.splits {
                let p = model.predictions.filter { $0.split == split }
                guard !p.isEmpty else { continue }
                let url = files.predictions(split)
                try StudyFiles.write(Data(ModelStage.predictionsCSV(p, threshold: threshold, training: split == "train").utf8), to: url)
                written.append(url)
            }
            let metrics = StudyMetrics(rule: ModelStage.rule, best: model.best.name, threshold: threshold,
                                       models: model.comparisons, heldOut: model.evaluations)
            try StudyFiles.write(try StudyFiles.json(metrics), to: files.metrics)
        }
        written.append(files.metrics)
        var survival: [String: SurvivalSplit] = [:]
        if study.survival != nil {
            survival = try timed("survival", key: key, output: files.survival, ledger: ledger) {
                let s = SurvivalStage.run(predictions: model.predictions, cases: cases, cutoff: threshold)
                let doc = StudySurvival(cutoff: threshold, cutoffRule: StudySurvival.rule, splits: s)
                try StudyFiles.write(try StudyFiles.json(doc), to: files.survival)
                return s
            }
            written.append(files.survival)
        }
        let decision = try decisionMaps(outcome: outcome, files: files, ledger: ledger, networks: networks)
        written.append(files.summary)
        written.append(files.report)
        var summary = makeSummary(outcome: outcome, failures: failures, tables: tables, reliability: reliability, fused: fused,
                                  model: model, survival: survival, outputs: written + [files.failures, files.ledger])
        summary.decisionMaps = decision.summary
        summary.failures += decision.failures
        try StudyFiles.write(try StudyFiles.json(summary), to: files.summary)
        // The cohort report from the files just written (no time stamp: a rerun with nothing
        // changed leaves every output byte-identical).
        let page = CohortReport(results: StudyResults(directory: files.root), title: "Kira cohort report: \(study.file.lastPathComponent)")
            .page(created: nil)
        try StudyFiles.write(Data(page.html().utf8), to: files.report)
        // Last: the analysis counts as done only once every output is in place.
        let now = Date().timeIntervalSince1970
        try ledger.record(.init(step: "analysis", caseID: "*", modality: "*", reader: "*", status: "done", cacheKey: key,
                                output: files.summary.path, started: now, finished: now, seconds: 0))
        return decision
    }

    private func makeSummary(outcome: FeatureStage.Outcome, failures: [StudyFailure], tables: [String: [ReaderTable]],
                             reliability: (kept: [String: Set<String>], rows: [ICCRow], notes: [String]), fused: FusedTable,
                             model: ModelStage.Outcome, survival: [String: SurvivalSplit], outputs: [URL]) -> StudySummary {
        var splits: [String: Int] = [:], positives: [String: Int] = [:]
        for c in cohort.cases {
            splits[c.split, default: 0] += 1
            if c.label == true { positives[c.split, default: 0] += 1 }
        }
        let labelRule = study.label.threshold.map { "\(study.label.column) > \(CSVWriter.format($0)) is high" } ?? "\(study.label.column) = 1 is high"
        var perModality: [String: Int] = [:]
        for (name, t) in tables { perModality[name] = t.first?.names.count ?? 0 }
        var kept: [String: Int] = [:], dropped: [String: Int] = [:]
        for r in reliability.rows { if r.kept { kept[r.modality, default: 0] += 1 } else { dropped[r.modality, default: 0] += 1 } }
        let bestComparison = model.comparisons.first { $0.model == model.best.name }!
        let fitted = model.file.pipeline
        return StudySummary(
            kiraVersion: KiraVersion.current, studyFile: study.file.lastPathComponent, studyHash: study.settingsHash,
            cohort: .init(cases: cohort.cases.count, splits: splits, positives: positives, labelRule: labelRule),
            features: .init(branches: outcome.features.count + failures.count, computed: outcome.computed, reused: outcome.reused,
                            failed: failures.count, perModality: perModality, regions: study.regions.map(\.description)),
            failures: failures,
            reproducibility: .init(form: study.reproducibility?.form.rawValue, min: study.reproducibility?.min, kept: kept, dropped: dropped,
                                   notes: reliability.notes),
            fused: .init(cases: fused.ids.count, columns: fused.names.count, droppedCases: fused.droppedCases, droppedColumns: fused.droppedColumns),
            models: model.comparisons.map(\.short),
            best: .init(model: model.best.name, rule: ModelStage.rule, cvAUCMean: bestComparison.aucMean, params: fitted.params,
                        selectedFeatures: fitted.selectedFeatures, threshold: fitted.threshold,
                        thresholdRule: ModelStage.thresholdRule),
            heldOut: model.evaluations.mapValues(StudySummary.Held.init),
            survival: survival.mapValues {
                .init(n: $0.n, logrankP: $0.logRankP, hazardRatio: $0.hazardRatio, hazardRatioCI95: $0.hazardRatioCI95,
                      cutoff: fitted.threshold, cutoffRule: StudySurvival.rule)
            },
            outputs: outputs.map { $0.lastPathComponent })
    }
}

/// metrics.json.
struct StudyMetrics: Codable {
    var rule: String
    var best: String
    var threshold: Double
    var thresholdRule = ModelStage.thresholdRule
    var models: [ModelComparison]
    var heldOut: [String: Evaluation]
    enum CodingKeys: String, CodingKey { case rule, best, threshold, thresholdRule = "threshold_rule", models, heldOut = "held_out" }
}

/// survival.json.
struct StudySurvival: Codable {
    static let rule = "the frozen model's threshold (Youden's J on the training cases' out-of-fold probabilities); high = probability at or above it"
    var cutoff: Double
    var cutoffRule: String
    var splits: [String: SurvivalSplit]
    enum CodingKeys: String, CodingKey { case cutoff, cutoffRule = "cutoff_rule", splits }
}
