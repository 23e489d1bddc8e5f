import Foundation
import KiraCore
import KiraRadiomics
import Logging

/// `kira features --manifest`: every case of the manifest, up to `jobs` at a time, into one
/// wide table (see `CohortStore` for the files and how a rerun resumes).
///
/// Two steps, so the caller can report between them: `plan` reads the manifest and what
/// earlier runs left, and decides which cases are reused and which are (re)computed; `run`
/// computes those, reports each as it finishes, and writes the table. Nothing is printed.
public struct FeatureCohort: Sendable {
    public var manifest: URL
    public var output: URL
    public var jobs: Int
    /// Mask label for cases whose manifest row has none.
    public var label: Int?
    /// Habitat map for cases whose manifest row has none.
    public var habitats: URL?
    public var regions: [FeatureRegion]
    public var settings: ExtractionSettings
    /// What chose the settings (preset or params file and its hash), for every case's diagnostics.
    public var origin: [String: MetaValue]
    /// An existing table and journal are ignored, and replaced at the end (--overwrite).
    public var fresh: Bool

    public init(manifest: URL, output: URL, jobs: Int = 1, label: Int? = nil, habitats: URL? = nil, regions: [FeatureRegion] = [],
                settings: ExtractionSettings, origin: [String: MetaValue] = [:], fresh: Bool = false) {
        self.manifest = manifest; self.output = output; self.jobs = jobs; self.label = label; self.habitats = habitats
        self.regions = regions; self.settings = settings; self.origin = origin; self.fresh = fresh
    }

    /// What a run will do.
    public struct Plan: @unchecked Sendable {
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
        let provenance: (value: MetaValue, hash: String)
        let hashes: FileHashes
    }

    /// One computed case, as `run` reports it.
    public struct Outcome: Sendable {
        public let id: String
        public let status: CohortRecord.Status
        /// Why the case failed.
        public let reason: String?
        /// Problems that did not stop the case (e.g. constant intensity).
        public let warnings: [String]
        /// The case was computed but could not be journalled.
        public let journalError: String?
    }

    public struct Summary: Sendable {
        /// Cases in the manifest.
        public let cases: Int
        /// Cases that failed in this run, manifest order.
        public let failed: [CohortRecord]
        public var succeeded: Int { cases - failed.count }
    }

    /// Reads the manifest and the outputs of earlier runs, checks finished cases against
    /// their current inputs (`jobs` at a time: hashing reads every byte of the files) and
    /// forgets those that changed. Throws for an unreadable manifest, an output that is one
    /// of the inputs, or an existing output made with other settings.
    public func plan(logger: Logger) throws -> Plan {
        let cases = try CohortManifest.read(manifest)
        let inputs = cases.flatMap { [$0.image.path, $0.mask.path] + ($0.habitats.map { [$0.path] } ?? []) }
        try OutputGuard.check([.init(output.path, option: "--output", format: .csv)], inputs: inputs, overwrite: true)
        let provenance = try CaseProvenance.settings(settings, regions: regions)
        let store = CohortStore(output: output, settings: provenance.value, settingsHash: provenance.hash)
        let done = try store.load(fresh: fresh)
        let hashes = FileHashes()
        let finished = cases.filter { done[$0.id] != nil }
        let reasons = concurrentMap(finished.count, workers: jobs) { k in
            Self.staleReason(finished[k], recorded: done[finished[k].id]!, label: label, habitats: habitats,
                             regions: regions, settings: settings, hashes: hashes)
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
        return Plan(cases: cases, pending: pending, stale: stale, reused: finished.count - stale.count,
                    store: store, provenance: provenance, hashes: hashes)
    }

    /// Computes the plan's pending cases, up to `jobs` at a time, journalling each as it ends
    /// and handing its outcome to `caseFinished` (called from the workers, one call at a
    /// time per case), then writes the table, provenance and failures.
    public func run(_ plan: Plan, logger: Logger, caseFinished: @Sendable (Outcome) -> Void = { _ in }) throws -> Summary {
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
            let record = Self.record(for: c, label: label, habitats: habitats, regions: regions, settings: settings,
                                     provenance: plan.provenance, origin: origin, hashes: plan.hashes, images: images, logger: logger)
            var journalError: String?
            do {
                try plan.store.append(record)
                if record.status == .ok { InterruptCleanup.advance() }
            } catch {
                journalError = FailureText.describe(error)
            }
            caseFinished(Outcome(id: c.id, status: record.status, reason: record.reason, warnings: record.warnings,
                                 journalError: journalError))
        }
        let failed = try plan.store.finish(order: cases.map(\.id))
        return Summary(cases: cases.count, failed: failed)
    }

    /// Why the finished case `c` must be recomputed, or nil when its row can be reused.
    static func staleReason(_ c: CohortCase, recorded: CaseInputs, label: Int?, habitats: URL?, regions: [FeatureRegion],
                            settings: ExtractionSettings, hashes: FileHashes) -> String? {
        let habitatMap = regions.contains(where: \.needsHabitats) ? (c.habitats ?? habitats) : nil
        do {
            return try recorded.staleReason(label: CaseProvenance.maskLabel(c.label ?? label ?? settings.label),
                                            habitats: habitatMap != nil) { file in
                switch file {
                case .image: try hashes.hash(c.image)
                case .mask: try hashes.hash(c.mask)
                case .habitats: try hashes.hash(habitatMap!)
                }
            }
        } catch {
            return "its inputs cannot be hashed (\(FailureText.describe(error)))"
        }
    }

    static func record(for c: CohortCase, label: Int?, habitats: URL?, regions: [FeatureRegion], settings: ExtractionSettings,
                       provenance: (value: MetaValue, hash: String), origin: [String: MetaValue], hashes: FileHashes,
                       images: SharedImages? = nil, logger: Logger) -> CohortRecord {
        do {
            let one = FeatureCase(image: c.image, mask: c.mask, label: c.label ?? label, habitats: c.habitats ?? habitats, hashes: hashes,
                                  images: images)
            let result = try one.run(regions: regions, settings: settings, settingsProvenance: provenance, origin: origin, logger: logger)
            var diagnostics = result.set.diagnostics
            // The settings are stored once for the cohort, not per case.
            diagnostics["settings"] = nil
            return CohortRecord(id: c.id, status: .ok, warnings: result.warnings, names: result.set.rows.map(\.name),
                                values: result.set.rows.map(\.value.number), diagnostics: .object(diagnostics),
                                settingsHash: provenance.hash)
        } catch let KiraError.tooLarge(subject, reason) {
            // The pipeline knows grids, not files (single-case mode prefixes the image itself).
            let named = subject.contains(c.image.path) ? subject : "image \(c.image.path): \(subject)"
            return CohortRecord(id: c.id, status: .failed, reason: KiraError.tooLarge(subject: named, reason: reason).description,
                                settingsHash: provenance.hash)
        } catch {
            return CohortRecord(id: c.id, status: .failed, reason: FailureText.describe(error), settingsHash: provenance.hash)
        }
    }
}
