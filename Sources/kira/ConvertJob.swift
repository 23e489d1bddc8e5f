import ArgumentParser
import CKiraKernels
import Foundation
import KiraCore
import KiraIO
import Logging

/// What one `kira convert` invocation asks for, as plain values: `ConvertCommand` (through
/// ArgumentParser) and `ConvertFastPath` both produce one, and validating and running it is
/// the same code either way.
struct ConvertJob: Equatable {
    var inputs: [String]
    var output: String
    var template: String = OutputTemplate.defaultTemplate
    var keepPhi = false
    var keepRgb = false
    var gzip = false
    var overwrite = false
    var spacing: String?
    var json = false
    var verbose = false
    var quiet = false
    var philipsPrecise = false

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
        // Existing files in the folder get a numeric suffix (or are replaced with
        // --overwrite) as each output is named; here only the folder itself is checked.
        try OutputOptions.check([.init(output, option: "--output", format: .folder)], inputs: inputs, overwrite: overwrite)
    }

    func run() throws {
        // Scanning and decoding threads come and go: with an arena each, every arena keeps
        // its own high-water mark and the resident peak grew with the archive (16 copies
        // of the reference archive: 115 MiB, against 65 MiB with one arena at no cost in time).
        kira_single_arena()
        let logger = LoggingBootstrap.logger(label: "kira.convert", verbose: verbose, quiet: quiet)
        let outDir = URL(fileURLWithPath: output)
        do {
            try InterruptCleanup.createDirectory(at: outDir)
        } catch let e as KiraError {
            FileHandle.standardError.write(Data("kira convert: \(e.description)\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
        var converter = Converter(
            outputFolder: outDir,
            template: try OutputTemplate(template),
            options: .init(keepPHI: keepPhi, keepRGB: keepRgb, gzip: gzip, overwrite: overwrite,
                           rasterSpacing: parsedSpacing),
            logger: logger)
        converter.philipsPrecise = philipsPrecise
        let report = converter.convert(inputs.map { URL(fileURLWithPath: $0) })
        if json {
            print(String(decoding: try report.jsonData(), as: UTF8.self))
        } else {
            for o in report.outputs { print(o.path) }
        }
        for f in report.failures { logger.error("\(Converter.line(file: f.file, reason: f.reason))") }
        if report.skippedNonDICOM > 0 { logger.info("skipped \(report.skippedNonDICOM) non-DICOM file(s)") }
        for s in report.skipped.dropFirst(report.skippedNonDICOM) { logger.info("skipped \(s.file): \(s.reason)") }
        if report.outputs.isEmpty {
            if report.failures.isEmpty && !json {
                FileHandle.standardError.write(Data("kira convert: no image found in \(inputs.map { "'\($0)'" }.joined(separator: ", "))\n".utf8))
            }
            throw ExitCode(KiraExit.failure.rawValue)
        }
        if !report.failures.isEmpty { throw ExitCode(KiraExit.partial.rawValue) }
    }
}
