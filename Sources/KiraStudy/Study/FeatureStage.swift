import Dispatch
import Foundation
import KiraCore
import KiraRadiomics
import Logging

/// A branch that could not be computed: one row of failures.csv.
public struct StudyFailure: Sendable, Codable, Equatable {
    public var caseID: String
    public var modality: String
    /// 1-based reader, or "" for a case-level problem.
    public var reader: String
    public var step: String
    public var reason: String

    enum CodingKeys: String, CodingKey { case caseID = "case", modality, reader, step, reason }
}

/// The per-case stage: every case × modality × reader with a mask, in parallel (`jobs`),
/// each reused from the content-keyed cache when its inputs and settings are unchanged.
struct FeatureStage {
    var study: StudySpec
    var files: StudyFiles
    var ledger: RunLedger?
    var jobs: Int
    var logger: Logger
    /// Read branches from the cache only (`kira study analyse`): a branch not cached fails at
    /// step "cache" instead of being computed.
    var cachedOnly = false
    /// The networks of `deep:` keys, loaded on first use (or before, by `preload`).
    var deep: DeepNetworks

    struct Outcome {
        var features: [CaseFeatures]
        var failures: [StudyFailure]
        var computed = 0
        var reused = 0
    }

    struct Task {
        var caseID: String
        var modality: ModalitySpec
        var reader: Int
        var image: URL?
        var mask: URL
    }

    /// `readers`: nil for every reader the study lists; 1 for the primary reader only (predict).
    /// `only`: a single branch (modality, 0-based reader) of each case (`kira study branch`).
    func run(_ cases: [StudyCase], readers: Int? = nil, only: (modality: String, reader: Int)? = nil) -> Outcome {
        var tasks0: [Task] = []
        for c in cases {
            for m in study.modalities {
                let masks = c.masks[m.name] ?? []
                for (k, mask) in masks.prefix(readers ?? masks.count).enumerated() {
                    guard let mask else { continue }
                    if let only, only.modality != m.name || only.reader != k { continue }
                    tasks0.append(Task(caseID: c.id, modality: m, reader: k, image: c.images[m.name] ?? nil, mask: mask))
                }
            }
        }
        let tasks = tasks0
        let hashes = FileHashes()
        // At most `jobs` branches in flight, each worker taking the next as it finishes one.
        let results = concurrentMap(tasks.count, workers: jobs) { i in runTask(tasks[i], hashes: hashes) }
        var out = Outcome(features: [], failures: [])
        for (t, r) in zip(tasks, results) {
            switch r {
            case let .success((f, reused)):
                out.features.append(f)
                if reused { out.reused += 1 } else { out.computed += 1 }
            case let .failure(e):
                out.failures.append(StudyFailure(caseID: t.caseID, modality: t.modality.name, reader: String(t.reader + 1),
                                                 step: e.step, reason: e.reason))
            }
        }
        return out
    }

    /// The radiomics part, then (with `deep:`) the deep part, each cached on its own: the
    /// branch counts as reused only when both are.
    private func runTask(_ t: Task, hashes: FileHashes) -> Result<(CaseFeatures, Bool), StepFailure> {
        let radiomics = radiomicsTask(t, hashes: hashes)
        guard case let .success((features, reused)) = radiomics, let spec = t.modality.deep, let image = t.image else { return radiomics }
        let started = Date()
        let branch = DeepBranch(modality: t.modality, spec: spec, caseID: t.caseID, reader: t.reader, image: image, mask: t.mask, files: files)
        let where_ = "\(t.caseID) \(t.modality.name) reader \(t.reader + 1)"
        var entry = RunLedger.Entry(step: "deep", caseID: t.caseID, modality: t.modality.name, reader: String(t.reader + 1),
                                    status: "running", started: started.timeIntervalSince1970)
        func finish(_ status: String, error: String? = nil) {
            let now = Date()
            entry.status = status; entry.error = error
            entry.finished = now.timeIntervalSince1970; entry.seconds = now.timeIntervalSince(started)
            try? ledger?.record(entry)
        }
        let record: DeepCaseRecord
        var deepReused = false
        do {
            let ih = try CaseBranch.contentHash(image, hashes: hashes), mh = try CaseBranch.contentHash(t.mask, hashes: hashes)
            let key = try branch.key(imageHash: ih, maskHash: mh)
            entry.inputHashes = "image=\(ih) mask=\(mh)"
            entry.cacheKey = key
            entry.output = files.deepCacheFile(caseID: t.caseID, modality: t.modality.name, reader: t.reader, key: key).path
            if let cached = branch.cached(key: key) {
                record = cached
                deepReused = true
                finish("reused")
                logger.info("\(where_): deep features reused (cache \(key))")
            } else if cachedOnly {
                return .failure(StepFailure(step: "cache", reason: "deep features not computed for these inputs and settings (run kira study branch \(t.caseID) \(t.modality.name) reader \(t.reader + 1) first)"))
            } else {
                let network: DeepNetworks.Network
                do { network = try deep.network(t.modality)! } catch {
                    throw StepFailure(step: "deep", reason: (error as? KiraError)?.description ?? "\(error)")
                }
                try? ledger?.record(entry)
                record = try branch.compute(key: key, network: network, logger: logger)
                finish("done")
                logger.info("\(where_): deep features computed (\(record.values.count) values, \(String(format: "%.2f", Date().timeIntervalSince(started))) s)")
            }
        } catch {
            let f = error as? StepFailure ?? StepFailure(step: "deep", reason: (error as? KiraError)?.description ?? "\(error)")
            finish("failed", error: f.description)
            logger.warning("\(where_): failed at \(f.step): \(f.reason)")
            return .failure(f)
        }
        var merged = features
        merged.names += record.names
        merged.values += record.values.map { Double($0) }
        let blank = [String](repeating: "", count: record.names.count)
        merged.tags += blank; merged.ibsiCodes += blank; merged.reasons += blank
        merged.deepKey = record.key
        return .success((merged, reused && deepReused))
    }

    private func radiomicsTask(_ t: Task, hashes: FileHashes) -> Result<(CaseFeatures, Bool), StepFailure> {
        let started = Date()
        let where_ = "\(t.caseID) \(t.modality.name) reader \(t.reader + 1)"
        var entry = RunLedger.Entry(step: "branch", caseID: t.caseID, modality: t.modality.name, reader: String(t.reader + 1),
                                    status: "running", started: started.timeIntervalSince1970)
        // The branch's steps, each a ledger row of its own beside the branch's row.
        func subStep(_ step: String, _ status: String, seconds: Double?, error: String? = nil) {
            let now = Date().timeIntervalSince1970
            try? ledger?.record(.init(step: step, caseID: t.caseID, modality: t.modality.name, reader: String(t.reader + 1),
                                      status: status, inputHashes: entry.inputHashes, cacheKey: entry.cacheKey, output: entry.output,
                                      started: now - (seconds ?? 0), finished: now, seconds: seconds, error: error))
        }
        func fail(_ f: StepFailure) -> Result<(CaseFeatures, Bool), StepFailure> {
            subStep(f.step, "failed", seconds: nil, error: f.reason)
            let now = Date()
            entry.status = "failed"; entry.error = f.description
            entry.finished = now.timeIntervalSince1970; entry.seconds = now.timeIntervalSince(started)
            try? ledger?.record(entry)
            logger.warning("\(where_): failed at \(f.step): \(f.reason)")
            return .failure(f)
        }
        guard let image = t.image else { return fail(StepFailure(step: "load", reason: "no image in column \(t.modality.imageColumn)")) }
        let branch = CaseBranch(study: study, modality: t.modality, caseID: t.caseID, reader: t.reader, image: image, mask: t.mask)
        let key: String
        do {
            let ih = try CaseBranch.contentHash(image, hashes: hashes), mh = try CaseBranch.contentHash(t.mask, hashes: hashes)
            entry.inputHashes = "image=\(ih) mask=\(mh)"
            key = try branch.key(imageHash: ih, maskHash: mh)
        } catch let f as StepFailure { return fail(f) } catch { return fail(StepFailure(step: "hash", reason: "\(error)")) }
        entry.cacheKey = key
        let file = files.featureCacheFile(caseID: t.caseID, modality: t.modality.name, reader: t.reader, key: key)
        entry.output = file.path
        if let data = FileManager.default.contents(atPath: file.path),
           let cached = try? JSONDecoder().decode(CaseFeatures.self, from: data), cached.key == key {
            let now = Date()
            entry.status = "reused"; entry.finished = now.timeIntervalSince1970; entry.seconds = now.timeIntervalSince(started)
            for step in CaseBranch.steps(modality: t.modality) { subStep(step, "reused", seconds: 0) }
            try? ledger?.record(entry)
            logger.info("\(where_): features reused (cache \(key))")
            return .success((cached, true))
        }
        if cachedOnly {
            return .failure(StepFailure(step: "cache", reason: "not computed for these inputs and settings (run kira study branch \(t.caseID) \(t.modality.name) reader \(t.reader + 1) first)"))
        }
        try? ledger?.record(entry)
        do {
            let f = try branch.compute(key: key, logger: logger) { step, seconds in subStep(step, "done", seconds: seconds) }
            try StudyFiles.write(try StudyFiles.json(f), to: file)
            let now = Date()
            entry.status = "done"; entry.finished = now.timeIntervalSince1970; entry.seconds = now.timeIntervalSince(started)
            try? ledger?.record(entry)
            logger.info("\(where_): features computed (\(f.names.count) values, \(String(format: "%.2f", now.timeIntervalSince(started))) s)")
            return .success((f, false))
        } catch let f as StepFailure {
            return fail(f)
        } catch {
            return fail(StepFailure(step: "features", reason: (error as? KiraError)?.description ?? "\(error)"))
        }
    }
}
