import ArgumentParser
import Foundation
import KiraCore
import KiraStudy

struct StudyAnalyseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyse",
        abstract: "Run a study's cohort analysis from its cached branches (after kira study branch).",
        discussion: """
        The cohort stage of kira study run, alone and by the same code: ICC filter, fused
        table, model comparison, frozen model, evaluation per split, survival, summary, from
        the branches in OUTPUT/cache/ (none is computed). Its outputs are those of kira study
        run on the same study (summary.json counts the branches as reused). A branch missing
        from the cache for the current inputs and settings is an error naming it, before any
        output is written. The analysis itself is reused when nothing it depends on changed.

        EXIT CODES:
          0  the analysis was written (or reused)
          1  nothing was done: bad usage, an invalid study file, a branch not in the cache
             (named on stderr), the output folder in use, or an analysis that could not run
          2  partial: some branches failed before they could be cached (no image; listed in
             failures.csv); the analysis used the others; or a case's study report
             (reports/<case>.html, .json, written as by kira study run) names a problem
             (reports/problems.csv)
          130  interrupted by SIGINT, 143 by SIGTERM; rerunning resumes
        """
    )

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Option(help: "Threads for hashing the inputs.")
    var jobs: Int = 1

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        try StudySupport.validateStudyFile(studyFile)
    }

    func run() throws {
        let logger = StudySupport.logger(logging)
        let (study, cohort) = try StudySupport.load(studyFile)
        let report: StudyRun.Report
        do {
            report = try StudyRun(study: study, cohort: cohort, jobs: jobs, logger: logger).analyse()
        } catch {
            throw StudySupport.fail("analyse", error)
        }
        FileHandle.standardError.write(Data(("kira study analyse: \(report.reused) cached branch(es), \(report.failures.count) failed; "
            + "analysis \(report.analysisReused ? "reused" : "computed"); results in \(study.output.path)\n").utf8))
        if report.decisionMapsComputed + report.decisionMapsReused + report.decisionFailures.count > 0 {
            FileHandle.standardError.write(Data(("kira study analyse: decision maps: \(report.decisionMapsComputed) computed, "
                + "\(report.decisionMapsReused) reused, \(report.decisionFailures.count) failed\n").utf8))
        }
        StudySupport.printReports("analyse", report, output: study.output)
        if !report.failures.isEmpty || !report.decisionFailures.isEmpty || !report.reportProblems.isEmpty { throw ExitCode(KiraExit.partial.rawValue) }
    }
}
