import Foundation

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
