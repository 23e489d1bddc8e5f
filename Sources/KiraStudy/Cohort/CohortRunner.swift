import Foundation
import KiraCore
import Logging

/// What a cohort run will do (`CohortRunner.plan`).
public struct CohortPlan: @unchecked Sendable {
    /// Every case of the manifest, in its order.
    public let cases: [CohortCase]
    /// The cases to compute now: new, failed before, or with changed inputs.
    public let pending: [CohortCase]
    /// Finished cases whose inputs changed since their row was computed, with the reason
    /// (manifest order); they are in `pending`.
    public let stale: [(id: String, reason: String)]
    /// Finished cases kept as they are.
    public let reused: Int
    let store: CohortStore
    let settings: CohortSettings
    let hashes: FileHashes
}

/// One computed case, as `CohortRunner.run` reports it.
public struct CohortOutcome: Sendable {
    public let id: String
    public let status: CohortRecord.Status
    /// Why the case failed.
    public let reason: String?
    /// Problems that did not stop the case (e.g. constant intensity).
    public let warnings: [String]
    /// The case was computed but could not be journalled.
    public let journalError: String?
}

public struct CohortSummary: Sendable {
    /// Cases in the manifest.
    public let cases: Int
    /// Cases that failed in this run, manifest order.
    public let failed: [CohortRecord]
    public var succeeded: Int { cases - failed.count }
}

/// A cohort manifest, every case through `extractor`, up to `jobs` at a time, into one wide
/// table (see `CohortStore` for the files and how a rerun resumes).
///
/// Two steps, so the caller can report between them: `plan` reads the manifest and what
/// earlier runs left, and decides which cases are reused and which are (re)computed; `run`
/// computes those, reports each as it finishes, and writes the table. Nothing is printed.
public struct CohortRunner<Extractor: CohortCaseExtractor>: Sendable {
    public var manifest: URL
    public var output: URL
    public var jobs: Int
    public var extractor: Extractor
    /// An existing table and journal are ignored, and replaced at the end (--overwrite).
    public var fresh: Bool

    public init(manifest: URL, output: URL, jobs: Int = 1, extractor: Extractor, fresh: Bool = false) {
        self.manifest = manifest; self.output = output; self.jobs = jobs; self.extractor = extractor; self.fresh = fresh
    }

    /// Reads the manifest and the outputs of earlier runs, checks finished cases against
    /// their current inputs (`jobs` at a time: hashing reads every byte of the files) and
    /// forgets those that changed. Throws for an unreadable manifest, an output that is one
    /// of the inputs, or an existing output made with other settings.
    public func plan(logger: Logger) throws -> CohortPlan {
        let cases = try CohortManifest.read(manifest)
        let inputs = cases.flatMap { extractor.inputs(of: $0).map(\.path) }
        try OutputGuard.check([.init(output.path, option: "--output", format: .csv)], inputs: inputs, overwrite: true)
        let settings = try extractor.cohortSettings()
        let store = CohortStore(output: output, settings: settings.value, settingsHash: settings.hash,
                                format: { [extractor] in extractor.format($0) })
        let done = try store.load(fresh: fresh)
        let hashes = FileHashes()
        let finished = cases.filter { done[$0.id] != nil }
        let reasons = concurrentMap(finished.count, workers: jobs) { k in
            extractor.staleReason(finished[k], recorded: done[finished[k].id]!, hashes: hashes)
        }
        var staleById: [String: String] = [:]
        for (k, c) in finished.enumerated() { if let r = reasons[k] { staleById[c.id] = r } }
        var pending: [CohortCase] = []
        var stale: [(id: String, reason: String)] = []
        for c in cases where done[c.id] == nil || staleById[c.id] != nil {
            if let reason = staleById[c.id] {
                logger.debug("case '\(c.id)': \(reason), recomputed")
                stale.append((c.id, reason))
                store.invalidate(c.id)
            }
            pending.append(c)
        }
        return CohortPlan(cases: cases, pending: pending, stale: stale, reused: finished.count - stale.count,
                          store: store, settings: settings, hashes: hashes)
    }

    /// Computes the plan's pending cases, up to `jobs` at a time, journalling each as it ends
    /// and handing its outcome to `caseFinished` (called from the workers, one call at a
    /// time per case), then writes the table, provenance and failures.
    public func run(_ plan: CohortPlan, logger: Logger, caseFinished: @Sendable (CohortOutcome) -> Void = { _ in }) throws -> CohortSummary {
        let cases = plan.cases
        // The cases of one image run one after the other, so that it is read once for all of
        // them and dropped when they have it (the table keeps the manifest's order).
        var firstUse: [String: Int] = [:]
        for (k, c) in plan.pending.enumerated() where firstUse[SharedImages.key(c.image)] == nil { firstUse[SharedImages.key(c.image)] = k }
        let todo = plan.pending.enumerated().sorted { a, b in
            let (fa, fb) = (firstUse[SharedImages.key(a.element.image)]!, firstUse[SharedImages.key(b.element.image)]!)
            return fa != fb ? fa < fb : a.offset < b.offset
        }.map(\.element)
        let images = SharedImages(images: todo.map(\.image))
        InterruptCleanup.setProgress(total: cases.count, unit: "cases", verb: "done",
                                     note: "finished cases kept in \(output.lastPathComponent).journal for a rerun to resume")
        InterruptCleanup.advance(by: cases.count - todo.count)
        concurrentForEach(todo.count, workers: jobs) { k in
            let c = todo[k]
            let record = record(for: c, plan: plan, images: images, logger: logger)
            var journalError: String?
            do {
                try plan.store.append(record)
                if record.status == .ok { InterruptCleanup.advance() }
            } catch {
                journalError = FailureText.describe(error)
            }
            caseFinished(CohortOutcome(id: c.id, status: record.status, reason: record.reason, warnings: record.warnings,
                                       journalError: journalError))
        }
        let failed = try plan.store.finish(order: cases.map(\.id))
        return CohortSummary(cases: cases.count, failed: failed)
    }

    func record(for c: CohortCase, plan: CohortPlan, images: SharedImages, logger: Logger) -> CohortRecord {
        do {
            let v = try extractor.compute(c, settings: plan.settings, hashes: plan.hashes, images: images, logger: logger)
            return CohortRecord(id: c.id, status: .ok, warnings: v.warnings, names: v.names, values: v.values,
                                diagnostics: v.diagnostics, settingsHash: plan.settings.hash)
        } catch {
            return CohortRecord(id: c.id, status: .failed, reason: extractor.failureReason(error, case: c), settingsHash: plan.settings.hash)
        }
    }
}
