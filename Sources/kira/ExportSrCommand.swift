import ArgumentParser
import Foundation
import KiraCore
import KiraDICOM
import KiraDICOMExport

struct ExportSrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sr",
        abstract: "Write a feature table as a TID 1500 Measurement Report (Comprehensive 3D SR).",
        discussion: """
        --source is the DICOM series the features were computed on, --seg the SEG that kira
        export seg wrote of its regions, --features the case's kira features CSV. One
        measurement group (TID 1411) per region: tracking identifier (the segment label) and a
        new tracking UID, the SEG segment, the source series, the finding (Neoplasm or Tissue,
        as in the SEG). A one-region table is the first segment's; a table made with --region
        is split by the region prefix of each feature name (the segment label with ':' dropped,
        '+' written _and_, '.' written p).

        Each defined feature is a numeric measurement: concept = its IBSI code in scheme
        "IBSI" (meaning: the IBSI tag) where the table has one, else private scheme "99KIRA",
        code "K" + the FNV-1a hash of the name; unit in UCUM (mm, mm2, mm3, /mm for
        morphology; [hnsf'U] for CT intensities, [arb'U] otherwise, squared for variance and
        energy; 1 for the rest); the image filter (original, wavelet-LLH, ...) as a modifier;
        the algorithm (Kira and its version). Undefined features are left out and listed with
        their reasons in one text item of the group. --prediction (kira predict's CSV; --case
        picks the row) adds the Ki-67 probability as a measurement and the class (high/low) as
        a qualitative evaluation to the first group. The source images form the image library
        and, with the SEG, the evidence; the study is the SEG's; no patient name or ID.

        BAD INPUT: a file that cannot be read, a SEG that is not one, a feature named after no
        segment, a prediction without the case: exit status 1, nothing written.

        \(KiraExit.helpText)
        """
    )

    @Option(help: ArgumentHelp("The source DICOM series (folder).", valueName: "dir"))
    var source: String

    @Option(help: "The SEG of the regions (kira export seg).")
    var seg: String

    @Option(help: "The case's feature table (kira features CSV).")
    var features: String

    @Option(help: "kira predict's CSV (id,probability,class).")
    var prediction: String?

    @Option(name: .customLong("case"), help: "The prediction row to report (default: the only row).")
    var caseID: String?

    @Option(name: .shortAndLong, help: "Output SR file (.dcm).")
    var output: String

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        for (flag, path) in [("--source", source), ("--seg", seg), ("--features", features), ("--prediction", prediction ?? source)]
            where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(flag) '\(path)' does not exist")
        }
        if caseID != nil && prediction == nil { throw ValidationError("--case needs --prediction") }
        try replace.check([OutputGuard.Output(output, option: "--output", format: .dicom)], inputs: [source, seg, features, prediction])
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.export.sr")
        do {
            let series = try SegmentationExport.sourceSeries(URL(fileURLWithPath: source), logger: logger)
            let segURL = URL(fileURLWithPath: seg)
            let segments = try DICOMSegReader.segments(segURL)
            let table = try MeasurementReportExport.readFeatures(URL(fileURLWithPath: features))
            let groups = try MeasurementReportExport.groups(table, segments: segments, table: features)
            let p = try prediction.map { try MeasurementReportExport.readPrediction(URL(fileURLWithPath: $0), caseID: caseID) }
            let modality = series.summary["Modality"].flatMap { if case let .string(s) = $0 { s } else { nil } } ?? ""
            _ = try MeasurementReportExport.write(seg: segURL, source: series, groups: groups, prediction: p, modality: modality,
                                                  to: URL(fileURLWithPath: output), logger: logger)
        } catch {
            FileHandle.standardError.write(Data("kira export sr: \(FailureText.describe(error))\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }
}
