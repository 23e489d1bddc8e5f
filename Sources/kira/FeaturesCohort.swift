import Dispatch
import Foundation
import KiraCore
import KiraRadiomics
import Logging

/// `kira features --manifest`: every case of the manifest, up to `jobs` at a time, into one
/// wide table (see `CohortStore` for the files and how a rerun resumes).
struct FeaturesCohort {
    var manifest: URL
    var output: URL
    var jobs: Int
    var label: Int?
    var habitats: URL?
    var regions: [FeatureRegion]
    var settings: ExtractionSettings
    var origin: [String: MetaValue]
    var quiet: Bool
    /// --overwrite: an existing table and journal are ignored, and replaced at the end.
    var fresh = false

    /// Exit status: success when every case is in the table, partial when some failed,
    /// failure when none could be done.
    func run(logger: Logger) throws -> KiraExit {
        let cases = try CohortManifest.read(manifest)
        let inputs = cases.flatMap { [$0.image.path, $0.mask.path] + ($0.habitats.map { [$0.path] } ?? []) }
        try OutputGuard.check([.init(output.path, option: "--output", format: .csv)], inputs: inputs, overwrite: true)
        let provenance = try CaseProvenance.settings(settings, regions: regions)
        let store = CohortStore(output: output, settings: provenance.value, settingsHash: provenance.hash)
        let done = try store.load(fresh: fresh)
        let hashes = FileHashes()
        // Finished cases are checked against their current inputs, `jobs` at a time (hashing
        // reads every byte of the files).
        let finished = cases.filter { done[$0.id] != nil }
        let reasons = ConcurrentSlots<String?>(count: finished.count)
        let checkNext = ConcurrentCounter()
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, finished.count))) { _ in
            while let k = checkNext.next(below: finished.count) {
                reasons.set(k, Self.staleReason(finished[k], recorded: done[finished[k].id]!, label: label, habitats: habitats,
                                                regions: regions, settings: settings, hashes: hashes))
            }
        }
        var stale: [String: String] = [:]
        for (k, c) in finished.enumerated() { if let r = reasons.get(k) ?? nil { stale[c.id] = r } }
        var pending: [CohortCase] = []
        for c in cases where done[c.id] == nil || stale[c.id] != nil {
            if let reason = stale[c.id] {
                note("kira features: case '\(c.id)': \(reason), recomputed")
                store.invalidate(c.id)
            }
            pending.append(c)
        }
        let reused = finished.count - stale.count
        if reused > 0 {
            note("kira features: \(reused) of \(cases.count) cases already in \(output.lastPathComponent) with unchanged inputs, reused")
        }
        let todo = pending
        InterruptCleanup.setProgress(total: cases.count, unit: "cases", verb: "done",
                                     note: "finished cases kept in \(output.lastPathComponent).journal for a rerun to resume")
        InterruptCleanup.advance(by: cases.count - todo.count)
        let progress = CohortProgress(total: todo.count, quiet: quiet)
        let next = ConcurrentCounter()
        let workers = max(1, min(jobs, todo.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let k = next.next(below: todo.count) {
                let c = todo[k]
                let record = Self.record(for: c, label: label, habitats: habitats, regions: regions, settings: settings,
                                         provenance: provenance, origin: origin, hashes: hashes, logger: logger)
                do {
                    try store.append(record)
                    if record.status == .ok { InterruptCleanup.advance() }
                } catch {
                    progress.message("kira features: case '\(c.id)': cannot write the journal: \(Converter.describe(error))")
                }
                if let reason = record.reason { progress.message("kira features: case '\(c.id)' failed: \(reason)") }
                for w in record.warnings { progress.message("kira features: case '\(c.id)': warning: \(w)") }
                progress.finished(failed: record.status == .failed)
            }
        }
        progress.end()
        let failed = try store.finish(order: cases.map(\.id))
        let succeeded = cases.count - failed.count
        note("kira features: \(succeeded) of \(cases.count) cases in \(output.path)"
             + (failed.isEmpty ? "" : "; \(failed.count) failed, listed in \(output.lastPathComponent).failures.csv"))
        if failed.isEmpty { return .success }
        return succeeded == 0 ? .failure : .partial
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
            return "its inputs cannot be hashed (\(Converter.describe(error)))"
        }
    }

    static func record(for c: CohortCase, label: Int?, habitats: URL?, regions: [FeatureRegion], settings: ExtractionSettings,
                       provenance: (value: MetaValue, hash: String), origin: [String: MetaValue], hashes: FileHashes,
                       logger: Logger) -> CohortRecord {
        do {
            let one = FeaturesCase(image: c.image, mask: c.mask, label: c.label ?? label, habitats: c.habitats ?? habitats, hashes: hashes)
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
            return CohortRecord(id: c.id, status: .failed, reason: Converter.describe(error), settingsHash: provenance.hash)
        }
    }

    func note(_ s: String) {
        if !quiet { FileHandle.standardError.write(Data((s + "\n").utf8)) }
    }
}

/// One result slot per index, filled by concurrent workers.
final class ConcurrentSlots<T>: @unchecked Sendable {
    private var values: [T?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ v: T) { lock.lock(); values[k] = v; lock.unlock() }
    func get(_ k: Int) -> T? { lock.lock(); defer { lock.unlock() }; return values[k] }
}

/// Hands out 0, 1, 2, … to concurrent workers.
final class ConcurrentCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

/// Progress on stderr: a redrawn bar when stderr is a terminal, otherwise a line at most
/// every 10 s (and at the end), so logs of batch jobs stay readable.
final class CohortProgress: @unchecked Sendable {
    let total: Int
    let quiet: Bool
    /// The command the periodic lines name, e.g. "kira features".
    let label: String
    let isTerminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var done = 0, failed = 0
    private let started = Date()
    private var lastLine = Date.distantPast
    private var barShown = false

    init(total: Int, quiet: Bool, label: String = "kira features") { self.total = total; self.quiet = quiet; self.label = label }

    /// A message on its own line (clearing the bar first).
    func message(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        if barShown { write("\r\u{1B}[K") }
        write(s + "\n")
        if barShown { drawBar() }
    }

    func finished(failed f: Bool) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        if f { failed += 1 }
        guard !quiet else { return }
        if isTerminal {
            drawBar()
        } else if Date().timeIntervalSince(lastLine) >= 10 || done == total {
            lastLine = Date()
            write("\(label): \(status)\n")
        }
    }

    func end() {
        lock.lock(); defer { lock.unlock() }
        if barShown { write("\n"); barShown = false }
    }

    private var status: String {
        let elapsed = Date().timeIntervalSince(started)
        let eta = done > 0 && done < total ? String(format: ", about %.0f s left", elapsed / Double(done) * Double(total - done)) : ""
        return "\(done)/\(total) cases done" + (failed > 0 ? " (\(failed) failed)" : "") + String(format: ", %.0f s", elapsed) + eta
    }

    private func drawBar() {
        let width = 30
        let filled = total > 0 ? width * done / total : width
        write("\r\u{1B}[K[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + status)
        barShown = true
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
