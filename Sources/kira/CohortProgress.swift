import Foundation
import KiraCore
import KiraStudy
import Logging

/// Runs a cohort and reports it on stderr: stale and reused cases, each failure and warning,
/// progress, the summary. Exit status: success when every case is in the table, partial when
/// some failed, failure when none could be done.
func reportCohort<E: CohortCaseExtractor>(_ cohort: CohortRunner<E>, command: String, quiet: Bool, logger: Logger) throws -> KiraExit {
    func note(_ s: String) {
        if !quiet { FileHandle.standardError.write(Data((s + "\n").utf8)) }
    }
    let output = cohort.output
    let plan = try cohort.plan(logger: logger)
    for (id, reason) in plan.stale { note("\(command): case '\(id)': \(reason), recomputed") }
    if plan.reused > 0 {
        note("\(command): \(plan.reused) of \(plan.cases.count) cases already in \(output.lastPathComponent) with unchanged inputs, reused")
    }
    let progress = CohortProgress(total: plan.pending.count, quiet: quiet, label: command)
    let summary = try cohort.run(plan, logger: logger) { c in
        if let e = c.journalError { progress.message("\(command): case '\(c.id)': cannot write the journal: \(e)") }
        if let reason = c.reason { progress.message("\(command): case '\(c.id)' failed: \(reason)") }
        for w in c.warnings { progress.message("\(command): case '\(c.id)': warning: \(w)") }
        progress.finished(failed: c.status == .failed)
    }
    progress.end()
    note("\(command): \(summary.succeeded) of \(summary.cases) cases in \(output.path)"
         + (summary.failed.isEmpty ? "" : "; \(summary.failed.count) failed, listed in \(output.lastPathComponent).failures.csv"))
    if summary.failed.isEmpty { return .success }
    return summary.succeeded == 0 ? .failure : .partial
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
