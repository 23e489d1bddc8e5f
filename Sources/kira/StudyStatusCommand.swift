import ArgumentParser
import Foundation
import KiraCore
import KiraStudy

struct StudyStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print a study's run ledger: each step × case × modality × reader with its status.",
        discussion: """
        Reads OUTPUT/ledger.sqlite of the study file's output folder. The table has one line per
        step (per case, modality and reader: branch, then load, qc, preprocess, regions,
        features; for the cohort, case *: icc, fuse, model, evaluate, survival, analysis) with
        status (running, done, reused, failed), seconds
        and error, then a count per status and the runs. --json prints {"runs": [...],
        "steps": [...], "counts": {...}} with input hashes, cache keys and output paths.
        A step left "running" was interrupted; the next run redoes it.

        EXIT CODES:
          0  the ledger was printed
          1  bad usage, an invalid study file, or no ledger yet
          130  interrupted by SIGINT, 143 by SIGTERM
        """
    )

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Flag(help: "Print the ledger as JSON on stdout.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard FileManager.default.fileExists(atPath: studyFile) else { throw ValidationError("'\(studyFile)' does not exist") }
    }

    func run() throws {
        _ = logging.makeLogger(label: "kira.study")
        do {
            let study = try StudySpec.load(URL(fileURLWithPath: studyFile))
            let ledger = try RunLedger(url: StudyFiles(root: study.output).ledger, create: false)
            let steps = try ledger.entries(), runs = try ledger.runs()
            var counts: [String: Int] = [:]
            for s in steps { counts[s.status, default: 0] += 1 }
            if json {
                struct Doc: Encodable { var runs: [RunLedger.Run]; var steps: [RunLedger.Entry]; var counts: [String: Int] }
                let e = JSONEncoder()
                e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try e.encode(Doc(runs: runs, steps: steps, counts: counts)), as: UTF8.self))
                return
            }
            let header = ["step", "case", "modality", "reader", "status", "seconds", "error"]
            let rows = steps.map { [$0.step, $0.caseID, $0.modality, $0.reader, $0.status,
                                    $0.seconds.map { String(format: "%.2f", $0) } ?? "", $0.error ?? ""] }
            let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max()! }
            for r in [header] + rows {
                print(r.enumerated().map { c, v in c == r.count - 1 ? v : v.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
            print("")
            print(counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
            if let last = runs.last {
                print("runs: \(runs.count); last run \(last.id): \(last.status)\(last.jobs.map { ", --jobs \($0)" } ?? "")")
            }
        } catch {
            throw StudySupport.fail("status", error)
        }
    }
}
