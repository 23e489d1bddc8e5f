import ArgumentParser
import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import Logging

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert DICOM series (and NRRD or raster images) to NIfTI with a JSON sidecar.",
        discussion: """
        Folders are scanned recursively; files that are not DICOM are skipped and counted.
        Each DICOM series becomes one NIfTI (a DCE series one 4D NIfTI, phases in time order)
        with a JSON sidecar beside it. Outputs are written to a temporary file and renamed,
        so a failed or interrupted run leaves no partial file, and a failed series does not
        stop the others. Existing files are never overwritten unless --overwrite is given.

        TEMPLATE FIELDS: \(OutputTemplate.fields.map { "{\($0)}" }.joined(separator: " "))
        Field values are reduced to letters, digits, '.', '_', '+', '-'.

        \(KiraExit.helpText)
        """
    )

    @Argument(help: "DICOM files or folders, NIfTI/NRRD files, or PNG/JPEG/TIFF images.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Output folder (created if missing).")
    var output: String

    @Option(help: "Output name template, without extension.")
    var template: String = OutputTemplate.defaultTemplate

    @Flag(help: "Keep patient-identifying DICOM fields in sidecars and names.")
    var keepPhi = false

    @Flag(help: "Keep colour images as RGB instead of converting them to luminance.")
    var keepRgb = false

    @Flag(help: "Write .nii.gz instead of .nii.")
    var gzip = false

    @Flag(help: "Replace existing outputs instead of adding a numeric suffix.")
    var overwrite = false

    @Option(help: "Pixel spacing in mm for PNG/JPEG/TIFF inputs, as 'x,y' or one value.")
    var spacing: String?

    @Flag(help: "Print one JSON document with every output and failure on stdout.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    var parsedSpacing: SIMD2<Double>? {
        guard let spacing else { return nil }
        let parts = spacing.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        switch parts.count {
        case 1: return SIMD2(parts[0], parts[0])
        case 2: return SIMD2(parts[0], parts[1])
        default: return nil
        }
    }

    func validate() throws {
        do { _ = try OutputTemplate(template) } catch let e as KiraError {
            throw ValidationError(e.description)
        }
        if spacing != nil {
            guard let s = parsedSpacing, s.x > 0, s.y > 0, s.x.isFinite, s.y.isFinite else {
                throw ValidationError("--spacing '\(spacing!)' must be one or two positive numbers in mm, e.g. 0.1 or 0.1,0.12")
            }
        }
        for input in inputs where !FileManager.default.fileExists(atPath: input) {
            throw ValidationError("input '\(input)' does not exist")
        }
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.convert")
        let outDir = URL(fileURLWithPath: output)
        do {
            try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create output folder '\(output)': \(error.localizedDescription)")
        }
        var converter = Converter(
            outputFolder: outDir,
            template: try OutputTemplate(template),
            options: .init(keepPHI: keepPhi, keepRGB: keepRgb, gzip: gzip, overwrite: overwrite,
                           rasterSpacing: parsedSpacing),
            logger: logger)
        let report = converter.convert(inputs.map { URL(fileURLWithPath: $0) })
        if json {
            print(String(decoding: try report.jsonData(), as: UTF8.self))
        } else {
            for o in report.outputs { print(o.path) }
        }
        for f in report.failures { logger.error("\(f.file): \(f.reason)") }
        if !report.skipped.isEmpty { logger.info("skipped \(report.skipped.count) non-DICOM file(s)") }
        if report.outputs.isEmpty {
            if report.failures.isEmpty && !json {
                FileHandle.standardError.write(Data("kira convert: no image found in the inputs\n".utf8))
            }
            throw ExitCode(KiraExit.failure.rawValue)
        }
        if !report.failures.isEmpty { throw ExitCode(KiraExit.partial.rawValue) }
    }
}
