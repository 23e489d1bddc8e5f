import ArgumentParser
import Foundation
import KiraCore
import KiraLearn
import KiraReport
import KiraStudy

struct ReportStudyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "study",
        abstract: "One case's report: ROI over each image, probability of high Ki-67, SHAP, QC flags, provenance.",
        discussion: """
        The case's row comes from the study's cohort CSV (the study file is --study, else the
        one named in DIR/summary.json, found beside DIR's parent folder). Each modality's image
        is shown at the cross-section where the first reader's ROI is largest, with every
        reader's outline (PNG, inline). The probability is the case's row of
        DIR/predictions_<set>.csv; the SHAP values come from its row of DIR/features.csv.
        Series are named by modality, description and number; patient-identifying DICOM
        attributes (names, IDs, dates, UIDs) appear only with --keep-phi.

        The same content is written as JSON (--json, default OUT with .json for .html).
        A case missing a modality the model needs, a model file from another Kira, or a mask
        that does not fit its image still gets its report, which names the problem; the
        command then exits 2.

        \(ReportCommand.exitText)
        """
    )

    @Option(help: "The model file (results/model.json).")
    var model: String

    @Option(name: .customLong("case"), help: "The case id.")
    var caseID: String

    @Option(help: "The study's results folder.")
    var results: String

    @Option(help: "The study file (default: the one summary.json names, in the results folder's parent).")
    var study: String?

    @Option(name: .shortAndLong, help: "The HTML report to write (.html).")
    var output: String

    @Option(help: "The JSON report to write (default: OUT with .json).")
    var json: String?

    @Option(help: "Also print the report to this PDF through headless Chromium.")
    var pdf: String?

    @Flag(help: "Show patient-identifying DICOM attributes (names, IDs, dates, UIDs).")
    var keepPHI = false

    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var logging: LoggingOptions

    var jsonPath: String {
        if let json { return json }
        let base = output.hasSuffix(".html") ? String(output.dropLast(5)) : output.hasSuffix(".htm") ? String(output.dropLast(4)) : output
        return base + ".json"
    }

    func studyPath() throws -> String {
        if let study { return study }
        let url = URL(fileURLWithPath: results).appendingPathComponent("summary.json")
        struct Head: Decodable { var study_file: String }
        guard let data = try? Data(contentsOf: url), let h = try? JSONDecoder().decode(Head.self, from: data) else {
            throw ValidationError("no --study, and \(url.path) does not name the study file")
        }
        return URL(fileURLWithPath: results).standardizedFileURL.deletingLastPathComponent().appendingPathComponent(h.study_file).path
    }

    func validate() throws {
        for f in [model, results] where !FileManager.default.fileExists(atPath: f) { throw ValidationError("'\(f)' does not exist") }
        try StudySupport.validateStudyFile(try studyPath())
        var outputs = [OutputGuard.Output(output, option: "--output", format: .html), .init(jsonPath, option: "--json", format: .json)]
        if let pdf { outputs.append(.init(pdf, option: "--pdf", format: .pdf)) }
        try outputOptions.check(outputs, inputs: [model, results])
        _ = try ReportWriter.chromium(for: pdf)
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.report")
        let chromium = try ReportWriter.chromium(for: pdf)
        let (spec, cohort) = try StudySupport.load(try studyPath(), requireOutcome: false)
        guard let c = cohort.cases.first(where: { $0.id == caseID }) else {
            throw ValidationError("case '\(caseID)' is not in \(spec.cohort.path)")
        }
        let modelURL = URL(fileURLWithPath: model)
        var file: ModelFile?, problem: String?
        do { file = try ModelFile.read(modelURL) } catch { problem = (error as? KiraError)?.description ?? "\(error)" }
        let report = StudyCaseReport(study: spec, logger: logger, keepPHI: keepPHI)
            .make(c, modelURL: modelURL, model: file, modelProblem: problem, results: URL(fileURLWithPath: results))
        do {
            try AtomicOutput.write(try report.json(), to: URL(fileURLWithPath: jsonPath))
            try ReportWriter.write(report.page(), html: output, pdf: pdf, chromium: chromium)
        } catch {
            FileHandle.standardError.write(Data("kira report study: \((error as? KiraError)?.description ?? "\(error)")\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
        try ReportWriter.finish("study", problems: report.problems)
    }
}
