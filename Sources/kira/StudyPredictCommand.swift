import ArgumentParser
import Foundation
import KiraCore
import KiraLearn
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

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        for f in [studyFile, model, cohort] where !FileManager.default.fileExists(atPath: f) {
            throw ValidationError("'\(f)' does not exist")
        }
        if let output {
            try replace.check([.init(output, option: "--output", format: .csv)], inputs: [studyFile, model, cohort])
        }
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
        } catch {
            throw StudySupport.fail("predict", error)
        }
        let failed = rows.filter { $0.probability == nil }
        for r in failed { FileHandle.standardError.write(Data("kira study predict: case \(r.id): \(r.reason ?? "failed")\n".utf8)) }
        if failed.count == rows.count { throw ExitCode(KiraExit.failure.rawValue) }
        if !failed.isEmpty { throw ExitCode(KiraExit.partial.rawValue) }
    }
}
