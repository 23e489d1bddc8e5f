import ArgumentParser
import Foundation
import KiraCore
import KiraLearn
import KiraReport

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Reports people look at: self-contained HTML (optionally PDF) with Kira's own plots.",
        subcommands: [ReportCohortCommand.self, ReportStudyCommand.self]
    )

    static let exitText = """
    EXIT CODES:
      0  the report was written and nothing it needed was missing
      1  nothing was written: bad usage, a results folder that does not exist, an existing
         output without --overwrite, or --pdf with no Chromium on PATH (checked first)
      2  the report was written, but it lists problems (a missing or unreadable results file,
         a clinical column that does not exist, a model that could not be fitted); each is
         named on stderr and in the report's Problems box
      130  interrupted by SIGINT, 143 by SIGTERM
    """
}

/// The HTML (and PDF) of a report, written temp-then-rename.
enum ReportWriter {
    static func write(_ page: ReportPage, html: String, pdf: String?, chromium: Chromium?) throws {
        let url = URL(fileURLWithPath: html)
        try AtomicOutput.write(Data(page.html().utf8), to: url)
        if let pdf, let chromium {
            try AtomicOutput.write(to: URL(fileURLWithPath: pdf)) { tmp in try chromium.printPDF(url, to: tmp) }
        }
    }

    /// `--pdf` needs Chromium; its absence is a usage error before anything is read.
    static func chromium(for pdf: String?) throws -> Chromium? {
        guard pdf != nil else { return nil }
        guard let c = Chromium.find() else { throw ValidationError(Chromium.missingMessage) }
        return c
    }

    static func finish(_ command: String, problems: [String]) throws {
        for p in problems { FileHandle.standardError.write(Data("kira report \(command): \(p)\n".utf8)) }
        if !problems.isEmpty { throw ExitCode(KiraExit.partial.rawValue) }
    }
}

struct ReportCohortCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohort",
        abstract: "The cohort report of a study run: ROC, model comparison, calibration, decision curves, SHAP, LASSO, Kaplan–Meier, ICC, Table 1, clinical model.",
        discussion: """
        Reads the results folder `kira study run` wrote (summary.json, metrics.json,
        predictions_<set>.csv, survival.json, icc.csv). ROC curves and the class metrics are
        recomputed from the predictions at the model's frozen threshold (the training set from
        its out-of-fold cross-validated probabilities), so the AUC in each legend is the one
        `kira evaluate --cutoff <threshold>` prints for the same predictions.

        With --clinical-table (the study's cohort CSV), Table 1 compares the sets (--group-by)
        and the Ki-67 groups: --normal, --nonnormal and --categorical name its variables; and
        --clinical names the predictors of a logistic model of high Ki-67 fitted on the
        training cases (univariate and multivariate odds ratios, Wald 95% CI, p; the
        multivariate model also as a nomogram).

        The page is one file: styles inline, plots as inline SVG, no script, and a
        Content-Security-Policy that forbids fetching anything. --pdf prints the same page
        through headless Chromium (`chromium` on PATH; without it the command stops before
        reading anything, exit 1).

        \(ReportCommand.exitText)
        """
    )

    @Option(help: "The study's results folder.")
    var results: String

    @Option(name: .shortAndLong, help: "The HTML report to write (.html).")
    var output: String

    @Option(help: "Also print the report to this PDF through headless Chromium.")
    var pdf: String?

    @Option(help: "Clinical table (CSV with one row per case) for Table 1 and the clinical model.")
    var clinicalTable: String?

    @Option(help: "The clinical table's case id column.")
    var idColumn = "case_id"

    @Option(help: "Column of the clinical table that Table 1 groups by (the study's split column).")
    var groupBy: String?

    @Option(help: "Comma-separated normally distributed variables (mean, SD, t-test/ANOVA).")
    var normal: String?

    @Option(help: "Comma-separated non-normal variables (median, quartiles, Kruskal–Wallis).")
    var nonnormal: String?

    @Option(help: "Comma-separated categorical variables (n, %, χ²/Fisher).")
    var categorical: String?

    @Option(help: "Comma-separated predictors of the clinical logistic model.")
    var clinical: String?

    @Option(help: "Report title.")
    var title: String?

    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var logging: LoggingOptions

    static func list(_ s: String?) -> [String] {
        (s ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func validate() throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: results, isDirectory: &isDir), isDir.boolValue else {
            throw ValidationError("--results '\(results)' is not a folder")
        }
        if let t = clinicalTable, !FileManager.default.fileExists(atPath: t) { throw ValidationError("--clinical-table '\(t)' does not exist") }
        let named = Self.list(normal) + Self.list(nonnormal) + Self.list(categorical) + Self.list(clinical) + (groupBy.map { [$0] } ?? [])
        if clinicalTable == nil && !named.isEmpty { throw ValidationError("Table 1 and clinical-model options need --clinical-table") }
        var outputs = [OutputGuard.Output(output, option: "--output", format: .html)]
        if let pdf { outputs.append(.init(pdf, option: "--pdf", format: .pdf)) }
        try outputOptions.check(outputs, inputs: [results, clinicalTable])
        _ = try ReportWriter.chromium(for: pdf)
    }

    func run() throws {
        _ = logging.makeLogger(label: "kira.report")
        let chromium = try ReportWriter.chromium(for: pdf)
        let results = StudyResults(directory: URL(fileURLWithPath: results))
        var clinicalInput: CohortReport.Clinical?
        var problems: [String] = []
        if let path = clinicalTable {
            do {
                let table = try CSVTable(contentsOf: URL(fileURLWithPath: path))
                let variables = Self.list(normal).map { ($0, BaselineTable.Kind.normal) } + Self.list(nonnormal).map { ($0, .nonnormal) }
                    + Self.list(categorical).map { ($0, .categorical) }
                for name in [idColumn] + variables.map(\.0) + Self.list(clinical) + (groupBy.map { [$0] } ?? []) where !table.hasColumn(name) {
                    problems.append("\(path): no column '\(name)'")
                }
                if problems.isEmpty {
                    clinicalInput = .init(table: table, idColumn: idColumn, groupColumn: groupBy,
                                          variables: variables.map { (name: $0.0, kind: $0.1) }, predictors: Self.list(clinical))
                }
            } catch {
                problems.append((error as? KiraError)?.description ?? "\(path): \(error)")
            }
        }
        var page = CohortReport(results: results, clinical: clinicalInput, title: title).page()
        page.problems += problems
        do {
            try ReportWriter.write(page, html: output, pdf: pdf, chromium: chromium)
        } catch {
            FileHandle.standardError.write(Data("kira report cohort: \((error as? KiraError)?.description ?? "\(error)")\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
        try ReportWriter.finish("cohort", problems: page.problems)
    }
}
