import ArgumentParser
import Foundation
import Logging
import KiraCore
import KiraStudy

struct StudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "A whole radiomics study from one file: features, ICC filter, models, validation, survival.",
        subcommands: [StudyRunCommand.self, StudyStatusCommand.self, StudyPredictCommand.self,
                      StudyBranchesCommand.self, StudyBranchCommand.self, StudyAnalyseCommand.self]
    )
}

/// Shared by the study subcommands: the study file loaded and checked, errors on stderr.
enum StudySupport {
    /// The per-study reports' line, and each problem a report names, on stderr.
    static func printReports(_ command: String, _ report: StudyRun.Report, output: URL) {
        let cases = Set(report.reportProblems.map(\.caseID)).count
        var text = "kira study \(command): study reports: \(report.reportsWritten) written, \(report.reportsUnchanged) unchanged, "
            + "\(cases) with problems (" + String(format: "%.2f s", report.reportsSeconds) + "); in \(output.appendingPathComponent("reports").path)\n"
        for p in report.reportProblems { text += "kira study \(command): report \(p.caseID): \(p.reason)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    static let exitText = """
    EXIT CODES:
      0  done: every case × modality × reader computed (or reused) and the analysis written
      1  nothing was done: bad usage, a study file with an unknown key or a wrong-typed value
         (the message names the file and key path), a cohort CSV missing a named column or
         holding an unknown split, or an analysis that could not run (e.g. one class only)
      2  partial: some branches failed (listed in results/failures.csv: case, modality,
         reader, step, reason); the others went on and the analysis used them. run: or
         some DICOM exports or sends failed (results/dicom/failures.csv); results are kept.
         Or a case's study report names a problem (results/reports/problems.csv), or a
         case's decision map failed (step decision-cam in results/failures.csv)
      130  interrupted by SIGINT, 143 by SIGTERM; rerunning resumes from the cache and ledger
    """

    /// The study file and its cohort, checked before any work; a problem is a usage error (exit 1).
    static func load(_ path: String, cohort: String? = nil, requireOutcome: Bool = true) throws -> (StudySpec, StudyCohort) {
        do {
            let study = try StudySpec.load(URL(fileURLWithPath: path))
            let c = try StudyCohort.load(cohort.map { URL(fileURLWithPath: $0) } ?? study.cohort, study: study, requireOutcome: requireOutcome)
            return (study, c)
        } catch let e as KiraError {
            throw ValidationError(e.description)
        }
    }

    /// validate()'s check of the study file: it exists, it parses, its cohort loads.
    static func validateStudyFile(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("'\(path)' does not exist") }
        _ = try load(path)
    }

    /// The study commands' logger: progress at info unless --quiet, debug with --verbose.
    static func logger(_ logging: LoggingOptions) -> Logger {
        var logger = logging.makeLogger(label: "kira.study")
        if !logging.quiet { logger.logLevel = logging.verbose ? .debug : .info }
        return logger
    }

    static func fail(_ command: String, _ error: Error) -> ExitCode {
        let message = (error as? KiraError)?.description ?? "\(error)"
        FileHandle.standardError.write(Data("kira study \(command): \(message)\n".utf8))
        return ExitCode(KiraExit.failure.rawValue)
    }
}
