import ArgumentParser
import Foundation
import KiraCore
import KiraSurvival

struct SurvivalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "survival",
        abstract: "Survival analysis: Kaplan–Meier and log-rank, Cox and penalised Cox, cut-offs, time-dependent AUC.",
        discussion: """
        Every subcommand reads one CSV table (--data) with a time column and an event column
        (1/0, true/false). Rows with a missing value in any column the analysis uses are dropped
        and counted ("dropped_rows"); other bad cells stop the run with the file, row and column,
        and so does a case id (--id, or a column id or case_id) that appears twice.

        \(SurvivalExit.helpText)
        """,
        subcommands: [SurvivalKMCommand.self, SurvivalCoxCommand.self, SurvivalCutoffCommand.self, SurvivalTDAUCCommand.self]
    )
}

enum SurvivalExit {
    static let helpText = """
    EXIT CODES:
      0  the analysis ran and its results are printed
      1  nothing was computed: bad usage, unreadable table, unknown column, a bad cell, a case
         id given twice, or data that cannot answer the question (no events for cox, cutoff and tdauc; a single
         group; a constant covariate). km without events prints S = 1 with a warning.
      2  cox only: results are printed but the model did not converge (e.g. perfect
         separation); the output says which coefficients and why ("converged": false, "warnings")
      130  interrupted by SIGINT, 143 by SIGTERM (temporary files removed)
    A --rad-score or --groups-out table that is the input (or a link to it), does not end in
    .csv, or exists without --overwrite is bad usage (exit 1).
    """
}

/// The table and the two survival columns every subcommand reads.
struct SurvivalInputOptions: ParsableArguments {
    @Option(help: "CSV table, one row per subject.")
    var data: String

    @Option(help: "Column with the follow-up time (≥ 0).")
    var time: String

    @Option(help: "Column with the event indicator (1 = event, 0 = censored).")
    var event: String

    @Option(help: "Column with the case id, copied into per-row outputs (default: a column named id or case_id, if any).")
    var id: String?

    func validate() throws {
        guard FileManager.default.fileExists(atPath: data) else { throw ValidationError("--data '\(data)' does not exist") }
    }

    func load(numeric: [String] = [], text: [String] = []) throws -> SurvivalTable {
        try loadWithIDs(numeric: numeric, text: text).table
    }

    /// The table and, when it has an id column (--id, else `id` or `case_id`), that column's
    /// name and values row by row, so per-row outputs say which case each row is.
    func loadWithIDs(numeric: [String] = [], text: [String] = []) throws -> (table: SurvivalTable, ids: (column: String, values: [String])?) {
        let table = try CSVTable(contentsOf: URL(fileURLWithPath: data))
        let idColumn = id ?? ["id", "case_id"].first { table.hasColumn($0) }
        let t = try SurvivalTable(table: table, time: time, event: event, numeric: numeric, text: text + (idColumn.map { [$0] } ?? []))
        if let s = t.droppedSummary { FileHandle.standardError.write(Data(("kira survival: " + s + "\n").utf8)) }
        if idColumn != nil {
            // One row per subject: an id twice is a merge gone wrong, and per-row outputs
            // (--rad-score, --groups-out) could not say which row is which.
            var seen: [String: Int] = [:]
            for (i, v) in t.text[text.count].enumerated() {
                if let first = seen[v] {
                    throw KiraError.invalidData("\(t.source): id \"\(v)\" appears twice (rows \(t.sourceRows[first]) and \(t.sourceRows[i])); the table holds one row per subject")
                }
                seen[v] = i
            }
        }
        return (t, idColumn.map { ($0, t.text[text.count]) })
    }
}

/// Runs a subcommand body, turning Kira's data errors into exit 1 with the message on stderr.
func survivalRun(_ name: String, _ body: () throws -> Void) throws {
    do { try body() } catch let e as KiraError {
        FileHandle.standardError.write(Data("kira survival \(name): \(e.description)\n".utf8))
        throw ExitCode(KiraExit.failure.rawValue)
    }
}

/// Parses "12,36,60".
func parseTimes(_ s: String, option: String) throws -> [Double] {
    let parts = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let values = parts.compactMap(Double.init)
    guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
        throw ValidationError("\(option) '\(s)' must be a comma-separated list of times ≥ 0, e.g. 12,36,60")
    }
    return values
}

/// JSON values: non-finite numbers and absent values become null.
enum JSONOut {
    static func num(_ v: Double?) -> Any { guard let v, v.isFinite else { return NSNull() }; return v }
    static func nums(_ v: [Double]) -> [Any] { v.map { num($0) } }

    static func print(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}

func chiSquareJSON(_ t: ChiSquareTest) -> [String: Any] { ["statistic": JSONOut.num(t.statistic), "df": t.df, "p": JSONOut.num(t.p)] }

func format(_ v: Double?, _ digits: Int = 4) -> String {
    guard let v, v.isFinite else { return "NA" }
    return String(format: "%.\(digits)g", v)
}
