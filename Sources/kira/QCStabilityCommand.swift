import ArgumentParser
import Foundation
import KiraCore
import KiraQC

struct QCStabilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stability",
        abstract: "Per-feature ICC between readers' feature tables, and the features kept at --min-icc.",
        discussion: """
        Each --features file is one reader's table: a row per case, the --id-column, one column \
        per feature (as written by a radiomics extractor). Cases are matched by id; cases absent \
        from any table are left out and listed. A case with a missing value (empty, NA, NaN) is \
        left out of that feature only. Columns that are not numeric in every table, or missing \
        from some table, are listed as ignored. A feature whose ICC is undefined (constant, fewer \
        than 2 complete cases) is listed with the reason and not kept.

        Without --json the kept features are printed one per line on stdout and a summary on \
        stderr; --output writes every feature's ICC, CI, F, p and decision to a CSV file.

        \(QCOutput.exitText)
        """
    )

    @Option(parsing: .upToNextOption, help: "Feature tables (CSV), one per reader; at least two.")
    var features: [String]

    @Option(help: "Column holding the case id.")
    var idColumn: String

    @Option(help: "ICC form: ICC1, ICC2, ICC3, ICC1k, ICC2k or ICC3k.")
    var form: String = "ICC2"

    @Option(help: "Keep features whose ICC is at least this value.")
    var minIcc: Double = 0.8

    @Option(name: .shortAndLong, help: "Write the per-feature table to this CSV file.")
    var output: String?

    @Flag(help: "Print one JSON document on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard features.count >= 2 else { throw ValidationError("--features needs at least two tables (one per reader); got \(features.count)") }
        for f in features where !FileManager.default.fileExists(atPath: f) { throw ValidationError("feature table '\(f)' does not exist") }
        guard ICCForm(name: form) != nil else {
            throw ValidationError("--form '\(form)' is not one of \(ICCForm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard minIcc.isFinite, minIcc <= 1 else { throw ValidationError("--min-icc must be a number no greater than 1") }
        if let output { try replace.check([.init(output, option: "--output", format: .csv)], inputs: features) }
    }

    struct Report: Encodable {
        struct Feature: Encodable {
            var name: String
            var icc: JSONNumber
            var ci95: [JSONNumber]
            var f: JSONNumber
            var p: JSONNumber
            var cases: Int
            var dropped_cases: Int
            var kept: Bool
            var reason: String?
        }
        struct Ignored: Encodable { var column: String; var reason: String }
        var form: String
        var min_icc: Double
        var readers: [String]
        var cases: Int
        var unmatched_cases: [String]
        var features: [Feature]
        var kept: [String]
        var ignored: [Ignored]
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.qc.stability")
        let r: FeatureStability.Report
        do {
            // Wall and CPU time per phase: on a shared machine the CPU time is the stable number.
            let start = PhaseClock()
            let tables = try features.map { try CSVTable(contentsOf: URL(fileURLWithPath: $0)) }
            let read = PhaseClock()
            r = try FeatureStability.evaluate(tables: tables, idColumn: idColumn, form: ICCForm(name: form)!, minICC: minIcc)
            let done = PhaseClock()
            logger.debug("timing: read tables \(read.since(start)), ICC of \(r.features.count) features \(done.since(read))")
        } catch { throw QCOutput.fail("stability", error) }
        let evaluated = r.features.filter { $0.estimate != nil }.count
        if let output {
            var w = CSVWriter(header: ["feature", "icc", "ci95_low", "ci95_high", "f", "p", "cases", "dropped_cases", "kept", "reason"])
            func num(_ v: Double?) -> String { v.map { $0.isFinite ? CSVWriter.format($0) : ($0 > 0 ? "inf" : "-inf") } ?? "" }
            for f in r.features {
                let e = f.estimate
                w.append([f.name, num(e?.icc), num(e?.ci95?.lowerBound), num(e?.ci95?.upperBound), num(e?.f), num(e?.p),
                          String(f.cases), String(f.droppedCases), f.kept ? "yes" : "no", f.reason ?? ""])
            }
            do { try w.write(to: URL(fileURLWithPath: output)) } catch { throw QCOutput.fail("stability", error) }
        }
        if json {
            try QCOutput.printJSON(Report(
                form: r.form.rawValue, min_icc: r.minICC, readers: r.readers, cases: r.cases.count, unmatched_cases: r.unmatchedCases,
                features: r.features.map { f in
                    Report.Feature(name: f.name, icc: JSONNumber(f.estimate?.icc),
                                   ci95: [JSONNumber(f.estimate?.ci95?.lowerBound), JSONNumber(f.estimate?.ci95?.upperBound)],
                                   f: JSONNumber(f.estimate?.f), p: JSONNumber(f.estimate?.p), cases: f.cases,
                                   dropped_cases: f.droppedCases, kept: f.kept, reason: f.reason)
                },
                kept: r.kept, ignored: r.ignored.map { .init(column: $0.column, reason: $0.reason) }))
        } else {
            for name in r.kept { print(name) }
        }
        if !r.unmatchedCases.isEmpty {
            QCOutput.warn("stability", "\(r.unmatchedCases.count) case id(s) not in every table were left out: "
                          + r.unmatchedCases.prefix(10).joined(separator: ", ") + (r.unmatchedCases.count > 10 ? ", …" : ""))
        }
        let gappy = r.features.filter { $0.droppedCases > 0 }
        if let worst = gappy.max(by: { $0.droppedCases < $1.droppedCases }) {
            QCOutput.warn("stability", "\(gappy.count) feature(s) have missing or NaN values; those cases were left out of that feature "
                          + "(most: \"\(worst.name)\", \(worst.droppedCases) of \(r.cases.count) cases)")
        }
        for g in r.ignored { QCOutput.warn("stability", "column \"\(g.column)\" ignored: \(g.reason)") }
        for f in r.features where f.estimate == nil { QCOutput.warn("stability", "feature \"\(f.name)\": \(f.reason ?? "no ICC")") }
        if !json {
            QCOutput.warn("stability", "\(r.kept.count) of \(r.features.count) features kept at \(r.form.rawValue) ≥ \(minIcc) "
                          + "(\(r.cases.count) cases, \(r.readers.count) readers, \(r.ignored.count) column(s) ignored)")
        }
        guard evaluated > 0 else {
            QCOutput.warn("stability", "no feature column had a computable ICC")
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }
}

/// Wall-clock and process CPU time at one moment.
struct PhaseClock {
    let wall = DispatchTime.now().uptimeNanoseconds
    let cpu: Double = {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }()

    func since(_ earlier: PhaseClock) -> String {
        String(format: "%.3f s (cpu %.3f s)", Double(wall - earlier.wall) / 1e9, cpu - earlier.cpu)
    }
}
