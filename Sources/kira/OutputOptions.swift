import ArgumentParser
import Dispatch
import Foundation
import KiraCore

/// `--overwrite`, shared by every command that writes files, and the output checks run from
/// each command's validate() (see `OutputGuard`).
struct OutputOptions: ParsableArguments {
    @Flag(help: "Replace existing output files (an input is never written over).")
    var overwrite = false

    /// Problems are usage errors (exit 1) naming the output and, when it is one, the input.
    func check(_ outputs: [OutputGuard.Output], inputs: [String?]) throws {
        try Self.check(outputs, inputs: inputs, overwrite: overwrite)
    }

    static func check(_ outputs: [OutputGuard.Output], inputs: [String?], overwrite: Bool) throws {
        do {
            try OutputGuard.check(outputs, inputs: inputs.compactMap { $0 }, overwrite: overwrite)
        } catch let e as KiraError {
            throw ValidationError(e.description)
        }
        InterruptCleanup.expectFiles(outputs.filter { $0.format != .folder }.count)
    }
}

/// SIGINT and SIGTERM: the signals are ignored as signals and delivered to a dispatch source
/// on a queue of its own, so the cleanup runs as ordinary code, not in a signal handler.
enum InterruptHandling {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install(arguments: [String]) {
        let command = commandName(arguments)
        let queue = DispatchQueue(label: "kira.interrupt")
        for (number, name, status) in [(SIGINT, "SIGINT", KiraExit.interrupted), (SIGTERM, "SIGTERM", KiraExit.terminated)] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { InterruptCleanup.interrupt(signal: name, command: command, status: status.rawValue) }
            source.resume()
            sources.append(source)
        }
    }

    /// "kira convert", "kira mask dilate": the words before the first option or operand.
    static func commandName(_ arguments: [String]) -> String {
        var words = ["kira"]
        if arguments.count > 1, !arguments[1].hasPrefix("-") {
            words.append(arguments[1])
            if ["mask", "qc", "survival", "study", "report", "deep", "export", "pacs"].contains(arguments[1]), arguments.count > 2, !arguments[2].hasPrefix("-") {
                words.append(arguments[2])
            }
        }
        return words.joined(separator: " ")
    }
}
