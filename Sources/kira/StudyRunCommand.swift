import ArgumentParser
import Foundation
import KiraCore
import KiraStudy

struct StudyRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a study file: per-case features, ICC filter, model comparison, frozen model, evaluation, survival.",
        discussion: """
        The study file (YAML) names the cohort CSV, its id, label, split and survival columns,
        the modalities (image column, phase or subtraction of a 4D series, one mask column per
        reader, resampling, feature preset or settings file), the regions, the ICC filter,
        the selection steps, the candidate models and the cross-validation. Every key is
        checked before any work; man kira-study-run lists them.

        Each case × modality × reader is one branch: load (DICOM folder or NIfTI/NRRD), geometry
        QC of the mask against the image, resampling, regions, features. Branches run in
        parallel (--jobs) and are cached in OUTPUT/cache/ by a hash of their inputs' contents
        and settings: a rerun with nothing changed reuses every branch and the analysis
        (stderr says so) and leaves the outputs byte-identical; a changed mask recomputes only
        its branch and the analysis. OUTPUT/ledger.sqlite records every step (kira study
        status). A killed run is resumed by running it again.

        OUTPUT: features_<modality>_reader<N>.csv, icc.csv, features.csv (fused,
        <modality>_<region>_<feature>), model.json, predictions_<split>.csv, metrics.json,
        survival.json, failures.csv, summary.json, report.html (the cohort report), and one
        study report per case, reports/<case>.html and reports/<case>.json (as kira report study
        writes them, without a time stamp; a case whose report names a problem, such as no
        prediction or a mask off its image, is listed in reports/problems.csv, exit 2). With export: {seg: true, sr: true}, per case
        and modality whose image is a DICOM series (primary reader): dicom/<case>/<modality>_seg.dcm
        (the study's regions) and dicom/<case>/<modality>_sr.dcm (TID 1500: the features and the
        case's prediction), kept when unchanged; with destination: {pacs: {...}} they are sent
        (C-STORE) at the end. Export and send failures: dicom/failures.csv, exit 2. With
        deep: {cam: true}: deep/<case>/<modality>_<crop>_cam.png/.nii.gz (the network's top
        class) and, when the frozen model is lr or svm, <modality>_<crop>_decision_cam.png/.nii.gz
        (Grad-CAM of the model's log-odds; ledger step decision-cam, a failed case in
        failures.csv, exit 2).

        \(StudySupport.exitText)
        """
    )

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Option(help: "Case branches computed in parallel.")
    var jobs: Int = 1

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        try StudySupport.validateStudyFile(studyFile)
    }

    func run() throws {
        let logger = StudySupport.logger(logging)
        let (study, cohort) = try StudySupport.load(studyFile)
        let started = Date()
        let report: StudyRun.Report
        do {
            report = try StudyRun(study: study, cohort: cohort, jobs: jobs, logger: logger).run()
        } catch {
            throw StudySupport.fail("run", error)
        }
        let seconds = Date().timeIntervalSince(started)
        FileHandle.standardError.write(Data(("kira study run: \(report.computed) branch(es) computed, \(report.reused) reused, "
            + "\(report.failures.count) failed; analysis \(report.analysisReused ? "reused" : "computed"); "
            + String(format: "%.1f s", seconds) + "; results in \(study.output.path)\n").utf8))
        if study.export.any {
            FileHandle.standardError.write(Data(("kira study run: DICOM export: \(report.exportWritten) written, \(report.exportReused) unchanged, "
                + "\(report.exportFailures.count) failed" + (study.destination.map { "; \(report.sent) sent to \($0)" } ?? "") + "\n").utf8))
            for f in report.exportFailures {
                FileHandle.standardError.write(Data("kira study run: \(f.caseID) \(f.modality) \(f.step): \(f.reason)\n".utf8))
            }
        }
        if report.decisionMapsComputed + report.decisionMapsReused + report.decisionFailures.count > 0 {
            FileHandle.standardError.write(Data(("kira study run: decision maps: \(report.decisionMapsComputed) computed, "
                + "\(report.decisionMapsReused) reused, \(report.decisionFailures.count) failed\n").utf8))
        }
        StudySupport.printReports("run", report, output: study.output)
        if !report.failures.isEmpty || !report.decisionFailures.isEmpty || !report.exportFailures.isEmpty || !report.reportProblems.isEmpty {
            throw ExitCode(KiraExit.partial.rawValue)
        }
    }
}
