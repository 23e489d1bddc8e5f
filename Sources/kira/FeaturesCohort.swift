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
        let todo = cases.filter { !done.contains($0.id) }
        InterruptCleanup.setProgress(total: cases.count, unit: "cases", verb: "done",
                                     note: "finished cases kept in \(output.lastPathComponent).journal for a rerun to resume")
        InterruptCleanup.advance(by: cases.count - todo.count)
        if todo.count < cases.count {
            note("kira features: \(cases.count - todo.count) of \(cases.count) cases already in \(output.lastPathComponent), skipped")
        }
        let progress = CohortProgress(total: todo.count, quiet: quiet)
        let next = ConcurrentCounter()
        let workers = max(1, min(jobs, todo.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let k = next.next(below: todo.count) {
                let c = todo[k]
                let record = Self.record(for: c, label: label, habitats: habitats, regions: regions, settings: settings,
                                         provenance: provenance, origin: origin, logger: logger)
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

    static func record(for c: CohortCase, label: Int?, habitats: URL?, regions: [FeatureRegion], settings: ExtractionSettings,
                       provenance: (value: MetaValue, hash: String), origin: [String: MetaValue], logger: Logger) -> CohortRecord {
        do {
            let one = FeaturesCase(image: c.image, mask: c.mask, label: c.label ?? label, habitats: c.habitats ?? habitats)
            let result = try one.run(regions: regions, settings: settings, settingsProvenance: provenance, origin: origin, logger: logger)
            var diagnostics = result.set.diagnostics
            // The settings are stored once for the cohort, not per case.
            diagnostics["settings"] = nil
            return CohortRecord(id: c.id, status: .ok, warnings: result.warnings, names: result.set.rows.map(\.name),
                                values: result.set.rows.map(\.value.number), diagnostics: .object(diagnostics),
                                settingsHash: provenance.hash)
        } catch {
            return CohortRecord(id: c.id, status: .failed, reason: Converter.describe(error), settingsHash: provenance.hash)
        }
    }

    func note(_ s: String) {
        if !quiet { FileHandle.standardError.write(Data((s + "\n").utf8)) }
    }
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
