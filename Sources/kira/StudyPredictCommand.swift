import ArgumentParser
import Foundation
import KiraCore
import KiraLearn
import KiraReport
import Logging
import KiraStudy

struct StudyPredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Apply a study's frozen model to a new cohort: one prediction per case with its QC flags.",
        discussion: """
        The new cohort CSV has the study's id column and each modality's image column and
        primary-reader mask column (paths relative to the CSV); label, split and survival
        columns are not needed. Features are computed as in the study (same settings,
        regions and resampling; the study's cache is reused), then the model's frozen
        selection, scaling and classifier are applied.

        OUTPUT: CSV id,probability,predicted_high,qc_flags,status,reason on stdout or to -o.
        predicted_high uses the model's training threshold; qc_flags lists the geometry QC
        findings that did not stop the case (touches_border, multiple_components, …); a case
        that could not be scored has status failed and its reason.

        With --reports DIR, one study report per case is written there (<case>.html and
        <case>.json, as kira report study writes them; SHAP from the case's inputs just
        computed); a case that could not be scored still gets its report naming why.

        EXIT CODES:
          0  every case was scored
          1  bad usage, an invalid study file, model or cohort, or no case could be scored
          2  some cases could not be scored (status failed in the output)
          130  interrupted by SIGINT, 143 by SIGTERM
        """
    )

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Option(help: "The frozen model (results/model.json of kira study run).")
    var model: String

    @Option(help: "The new cohort CSV.")
    var cohort: String

    @Option(help: "Case branches computed in parallel.")
    var jobs: Int = 1

    @Option(name: .shortAndLong, help: "Output CSV (default: stdout).")
    var output: String?

    @Option(help: "Also write one study report per case (HTML and JSON) into this folder.")
    var reports: String?

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        for f in [studyFile, model, cohort] where !FileManager.default.fileExists(atPath: f) {
            throw ValidationError("'\(f)' does not exist")
        }
        var outputs: [OutputGuard.Output] = output.map { [.init($0, option: "--output", format: .csv)] } ?? []
        if let reports { outputs.append(.init(reports, option: "--reports", format: .folder)) }
        try replace.check(outputs, inputs: [studyFile, model, cohort])
        _ = try StudySupport.load(studyFile, cohort: cohort, requireOutcome: false)
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.study")
        let (study, newCohort) = try StudySupport.load(studyFile, cohort: cohort, requireOutcome: false)
        let rows: [StudyPredict.Row]
        do {
            let file = try ModelFile.read(URL(fileURLWithPath: model))
            rows = try StudyPredict(study: study, model: file, cohort: newCohort, jobs: jobs, logger: logger).run()
            let text = StudyPredict.csv(rows)
            if let output {
                try AtomicOutput.write(Data(text.utf8), to: URL(fileURLWithPath: output))
            } else {
                print(text, terminator: "")
            }
            if let reports { try writeReports(reports, rows: rows, study: study, cohort: newCohort, file: file, logger: logger) }
        } catch {
            throw StudySupport.fail("predict", error)
        }
        let failed = rows.filter { $0.probability == nil }
        for r in failed { FileHandle.standardError.write(Data("kira study predict: case \(r.id): \(r.reason ?? "failed")\n".utf8)) }
        if failed.count == rows.count { throw ExitCode(KiraExit.failure.rawValue) }
        if !failed.isEmpty { throw ExitCode(KiraExit.partial.rawValue) }
    }

    func writeReports(_ folder: String, rows: [StudyPredict.Row], study: StudySpec, cohort: StudyCohort, file: ModelFile,
                      logger: Logger) throws {
        let dir = URL(fileURLWithPath: folder)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
        let builder = StudyCaseReport(study: study, logger: logger)
        for c in cohort.cases {
            let row = byID[c.id]
            var report = builder.make(c, modelURL: URL(fileURLWithPath: model), model: file, modelProblem: nil, results: study.output,
                                      probability: row?.probability, inputs: row?.inputs)
            if let reason = row?.reason { report.problems.insert("\(c.id) could not be scored: \(reason)", at: 0) }
            let html = dir.appendingPathComponent("\(c.id).html"), json = dir.appendingPathComponent("\(c.id).json")
            for url in [html, json] where FileManager.default.fileExists(atPath: url.path) && !replace.overwrite {
                throw KiraError.invalidArgument("--reports: \(url.path) exists; give --overwrite to replace it")
            }
            try AtomicOutput.write(try report.json(), to: json)
            try AtomicOutput.write(Data(report.page().html().utf8), to: html)
        }
    }
}
