import Foundation
import KiraCore
import KiraDICOM
import KiraIO
import Logging

/// One conversion run (`kira convert`): scans the inputs, plans each DICOM series, writes
/// NIfTI + sidecar, and records every output and failure; one bad input never stops the
/// others. Nothing is printed: the caller reports the returned `ConversionReport`.
public struct Converter {
    public struct Options {
        public var keepPHI: Bool
        public var keepRGB: Bool
        public var gzip: Bool
        public var overwrite: Bool
        public var rasterSpacing: SIMD2<Double>?

        public init(keepPHI: Bool = false, keepRGB: Bool = false, gzip: Bool = false, overwrite: Bool = false,
                    rasterSpacing: SIMD2<Double>? = nil) {
            self.keepPHI = keepPHI; self.keepRGB = keepRGB; self.gzip = gzip; self.overwrite = overwrite
            self.rasterSpacing = rasterSpacing
        }
    }

    public let outputFolder: URL
    public let template: OutputTemplate
    public let options: Options
    public let logger: Logger
    // Kept out of `Options`: one more field there crashed the debug build in `init` (a
    // misaligned 16-byte load of the struct's SIMD2; Swift 6.3.1, x86-64).
    public var philipsPrecise = false
    private var claimed: Set<String> = []
    /// Files named on the command line: never an output, even with --overwrite.
    private var namedInputs: [URL] = []
    private var index = 0

    public init(outputFolder: URL, template: OutputTemplate, options: Options, logger: Logger) {
        self.outputFolder = outputFolder
        self.template = template
        self.options = options
        self.logger = logger
    }

    /// Creates the output folder (recorded for removal if the run leaves it empty) and
    /// converts `inputs`. Throws only when the folder cannot be made.
    public mutating func run(_ inputs: [URL]) throws -> ConversionReport {
        try InterruptCleanup.createDirectory(at: outputFolder)
        return convert(inputs)
    }

    /// Converts `inputs` into the existing output folder.
    public mutating func convert(_ inputs: [URL]) -> ConversionReport {
        var report = ConversionReport()
        var dicomInputs: [URL] = []
        namedInputs = inputs.filter { !InputClassifier.isDirectory($0) }
        let files = inputs.filter { !InputClassifier.isDirectory($0) && InputClassifier.isImageFile($0) }.count
        InterruptCleanup.setProgress(total: files == inputs.count ? files : nil, unit: "series")
        for url in inputs {
            if !InputClassifier.isDirectory(url) && InputClassifier.isImageFile(url) {
                convertFile(url, into: &report)
            } else {
                dicomInputs.append(url)
            }
        }
        if !dicomInputs.isEmpty {
            var scan = DICOMScanner.scan(dicomInputs, options: dicomOptions, logger: logger)
            report.skipped += (scan.skippedNonDICOM + scan.nonImageObjects).map { .init(file: $0.file, reason: $0.reason) }
            report.skipped += scan.segmentations.map {
                .init(file: $0.path, reason: "DICOM Segmentation: a mask, not an image series; it is not converted")
            }
            report.failures += scan.failures.map { .init(file: $0.file, reason: $0.reason) }
            // A file named on the command line that is not DICOM is a failure, not a skip.
            let named = Set(dicomInputs.filter { !InputClassifier.isDirectory($0) }.map(\.path))
            for s in report.skipped where named.contains(s.file) {
                report.failures.append(.init(file: s.file, reason: "not converted: \(s.reason)"))
            }
            report.skipped.removeAll { named.contains($0.file) }
            let nonDICOM = Set(scan.skippedNonDICOM.map(\.file))
            report.skippedNonDICOM = report.skipped.filter { nonDICOM.contains($0.file) }.count
            InterruptCleanup.setProgress(total: files + scan.series.count, unit: "series")
            // Each series' records are released once it is written, so the run never holds
            // more than the scan's compact records and one series being decoded.
            var pending = Array(scan.series.reversed())
            scan.series = []
            while let series = pending.popLast() {
                logger.debug("converting series \(series.key) (\(series.files.count) files)")
                do {
                    let plan = try series.plan(options: dicomOptions)
                    let source = series.files.first.map { $0.deletingLastPathComponent().lastPathComponent } ?? "dicom"
                    let sources = series.files.map(\.lastPathComponent)
                    // The NIfTI is written frame by frame as the series decodes: memory
                    // stays at a few frames however large the series.
                    let logger = logger
                    // dcm2niix's post-fixes tell apart the stacks one series split into.
                    let echo = template.template.contains("{echo}") ? "" : series.echoPostfix
                    try write(plan.header, source: source, sources: sources, postfix: echo + series.namePostfix, files: series.files,
                              into: &report) { url, options in
                        let writer = try NIfTIFrameWriter(url: url, options: options)
                        let decoded = try series.stream(plan, into: writer, logger: logger)
                        try writer.finish()
                        return decoded
                    }
                } catch {
                    report.failures.append(.init(file: series.files.first?.path ?? series.key,
                                                 reason: FailureText.describe(error, series: series.key)))
                }
            }
        }
        return report
    }

    private var dicomOptions: DICOMReadOptions {
        DICOMReadOptions(keepRGB: options.keepRGB, keepPHI: options.keepPHI, philipsPrecise: philipsPrecise)
    }

    private mutating func convertFile(_ url: URL, into report: inout ConversionReport) {
        do {
            let volume = try ImageFileReader.read(url, rasterSpacing: options.rasterSpacing, keepRGB: options.keepRGB)
            let stem = url.lastPathComponent.components(separatedBy: ".").first ?? "image"
            try write(volume.header, source: stem, sources: [url.lastPathComponent], files: [url], into: &report) { url, options in
                try NIfTIWriter.write(volume, to: url, options: options)
                return nil
            }
        } catch {
            report.failures.append(.init(file: url.path, reason: FailureText.describe(error)))
        }
    }

    /// Names the output from `header`'s metadata, has `writeNIfTI` write it (returning the
    /// header as written when decoding settled its type), then writes the sidecar.
    private mutating func write(_ header: VolumeHeader, source: String, sources: [String], postfix: String = "", files: [URL],
                                into report: inout ConversionReport,
                                _ writeNIfTI: (URL, NIfTIWriter.Options) throws -> VolumeHeader?) throws {
        index += 1
        let m = header.metadata
        func s(_ k: String) -> String? {
            switch m[k] {
            case let .string(v): v
            case let .integer(v): String(v)
            case let .number(v): String(v)
            default: nil
            }
        }
        let fields: [String: String] = [
            "source": source, "series": s("SeriesNumber") ?? "", "description": s("SeriesDescription") ?? "",
            "protocol": s("ProtocolName") ?? "", "modality": s("Modality") ?? "", "echo": s("EchoNumber") ?? "",
            "laterality": s("ImageLaterality") ?? s("Laterality") ?? "", "view": s("ViewPosition") ?? "",
            "index": String(index),
        ]
        let (nifti, sidecar) = try claimPaths(for: template.render(fields) + postfix, avoiding: files)
        try InterruptCleanup.createDirectory(at: nifti.deletingLastPathComponent())
        // A NIfTI without its sidecar would lose the acquisition record, so an interrupt
        // removes both until both exist. Files being replaced are the user's until the new
        // NIfTI is in place.
        let pair = [nifti, sidecar]
        let replacing = FileManager.default.fileExists(atPath: nifti.path) || FileManager.default.fileExists(atPath: sidecar.path)
        if !replacing { pair.forEach(InterruptCleanup.register) }
        let volume: VolumeHeader
        do {
            volume = try writeNIfTI(nifti, .init(timeStep: Self.timeStep(header))) ?? header
        } catch {
            if !replacing { pair.forEach(InterruptCleanup.unregister) }
            throw error
        }
        if replacing { pair.forEach(InterruptCleanup.register) }
        do {
            let doc = Sidecar.document(for: volume, sources: sources, keepPHI: options.keepPHI)
            try Sidecar.write(doc, to: sidecar)
        } catch {
            try? FileManager.default.removeItem(at: nifti)
            pair.forEach(InterruptCleanup.unregister)
            throw error
        }
        InterruptCleanup.complete(pair)
        report.outputs.append(.init(
            path: nifti.path, sidecar: sidecar.path, size: volume.size4D,
            spacing: [volume.geometry.spacing.x, volume.geometry.spacing.y, volume.geometry.spacing.z],
            modality: s("Modality") ?? "", series: s("SeriesNumber")))
    }

    /// Reserves a name no other output of this run uses, no input file, and, unless
    /// overwriting, no existing file.
    private mutating func claimPaths(for name: String, avoiding files: [URL]) throws -> (URL, URL) {
        let ext = options.gzip ? ".nii.gz" : ".nii"
        var candidate = name
        var n = 1
        while true {
            let nifti = outputFolder.appendingPathComponent(candidate + ext)
            let sidecar = outputFolder.appendingPathComponent(candidate + ".json")
            let exists = FileManager.default.fileExists(atPath: nifti.path) || FileManager.default.fileExists(atPath: sidecar.path)
            let taken = claimed.contains(nifti.path) || (exists && (!options.overwrite || (files + namedInputs).contains {
                OutputGuard.isSameFile($0.path, nifti.path) || OutputGuard.isSameFile($0.path, sidecar.path)
            }))
            if !taken {
                claimed.insert(nifti.path)
                return (nifti, sidecar)
            }
            n += 1
            candidate = "\(name)_\(n)"
        }
    }

    /// The interval between time points: from phase times when known, else TR.
    public static func timeStep(_ v: VolumeHeader) -> Double? {
        guard v.timepoints > 1 else { return nil }
        if case let .array(times)? = v.metadata["FrameTimes"] {
            let t = times.compactMap(\.doubleValue)
            if t.count > 1 { return (t.last! - t.first!) / Double(t.count - 1) }
        }
        return v.metadata["RepetitionTime"]?.doubleValue
    }
}
