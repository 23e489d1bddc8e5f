import ArgumentParser
import Foundation
import KiraCore
import KiraIO
import KiraPreprocess
import KiraStudy

struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Intensity preprocessing: N4 bias-field correction, denoising, 2D resizing, re-segmentation, z-score.",
        discussion: """
        The steps asked for run in this fixed order:
          1. --n4        N4 bias-field correction (on the raw, positive intensities)
          2. --denoise   mean or median box filter
          3. --resize    2D images to a fixed matrix (the mask follows, nearest neighbour)
          4. --range, --outliers   re-segmentation of the mask by intensity (written to --mask-out)
          5. --zscore    z-score normalisation (whole image, or inside the mask with --zscore-mask)
        N4 fits on the voxels of --n4-mask (default: every voxel with a positive intensity),
        shrunk by --n4-shrink, and rebuilds the field at full resolution; --bias-field-out
        writes the multiplicative field (image = corrected × field).
        Every output NIfTI gets a JSON sidecar recording the steps and their parameters.

        \(KiraExit.helpText)
        """
    )

    @Argument(help: "The image (NIfTI, NRRD, PNG/JPEG/TIFF).")
    var image: String

    @Option(name: .shortAndLong, help: "Output NIfTI (.nii or .nii.gz), written as Float32.")
    var output: String

    @Option(help: "ROI mask on the image's grid, for --zscore-mask and re-segmentation: a label map or an RT Structure Set.")
    var mask: String?

    @Option(help: ArgumentHelp("The ROI of an RT Structure Set mask (default: its only ROI).", valueName: "name"))
    var roi: String?

    @Option(help: "Mask label to keep (default: every non-zero voxel).")
    var label: Int?

    @Option(help: "Output path of the (resized and/or re-segmented) mask.")
    var maskOut: String?

    @Flag(help: "Apply N4 bias-field correction.")
    var n4 = false

    @Option(help: "N4: mask of the voxels the field is fitted on (default: positive intensities).")
    var n4Mask: String?

    @Option(help: "N4: shrink factor before fitting (default 4).")
    var n4Shrink: Int?

    @Option(help: "N4: maximum iterations per fitting level, comma-separated (default 50,50,50,50).")
    var n4Iterations: String?

    @Option(help: "N4: control points per axis at the first level: N or X,Y,Z (default 4).")
    var n4ControlPoints: String?

    @Option(help: "N4: convergence threshold (default 0.001).")
    var n4Convergence: Double?

    @Option(help: "N4: write the multiplicative bias field to this NIfTI.")
    var biasFieldOut: String?

    @Option(help: "Denoise with a box filter: mean or median.")
    var denoise: IntensityFilters.Statistic?

    @Option(help: "Denoising kernel: an odd voxel count (3) or a size in mm (5mm).")
    var kernel: String?

    @Option(help: "Resize a 2D image to WIDTHxHEIGHT voxels (e.g. 960x720), keeping its extent.")
    var resize: String?

    @Option(help: "Re-segment the mask to intensities in LO,HI (either side may be empty: ,HI).")
    var range: String?

    @Option(help: "Re-segment the mask to mean ± this many SDs of its intensities.")
    var outliers: Double?

    @Flag(help: "Z-score normalise the image.")
    var zscore = false

    @Flag(help: "Take the z-score mean and SD inside the mask instead of the whole image.")
    var zscoreMask = false

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard FileManager.default.fileExists(atPath: image) else { throw ValidationError("image '\(image)' does not exist") }
        for (flag, path) in [("--mask", mask), ("--n4-mask", n4Mask)] {
            if let path, !FileManager.default.fileExists(atPath: path) { throw ValidationError("\(flag) '\(path)' does not exist") }
        }
        if maskOut != nil, mask == nil { throw ValidationError("--mask-out needs --mask") }
        let outputs = [(output, "--output"), (maskOut, "--mask-out"), (biasFieldOut, "--bias-field-out")]
            .flatMap { path, option in path.map { OutputGuard.Output.niftiWithSidecar($0, option: option) } ?? [] }
        try replace.check(outputs, inputs: [image, mask, n4Mask])
        let n4Options = [n4Mask != nil, n4Shrink != nil, n4Iterations != nil, n4ControlPoints != nil,
                         n4Convergence != nil, biasFieldOut != nil]
        if !n4, n4Options.contains(true) {
            throw ValidationError("the --n4-* options and --bias-field-out need --n4")
        }
        if n4 { try n4Settings().validate() }
        if (denoise == nil) != (kernel == nil) { throw ValidationError("--denoise and --kernel go together") }
        if kernel != nil { _ = try parsedKernel(spacing: [1, 1, 1]) }
        if resize != nil { _ = try parsedResize() }
        if range != nil { _ = try parsedRange() }
        if let outliers, !(outliers > 0 && outliers.isFinite) {
            throw ValidationError("--outliers takes a positive number of SDs, got \(outliers)")
        }
        if range != nil || outliers != nil {
            guard mask != nil, maskOut != nil else { throw ValidationError("--range and --outliers re-segment the mask: give --mask and --mask-out") }
        }
        if zscoreMask {
            guard zscore else { throw ValidationError("--zscore-mask needs --zscore") }
            guard mask != nil else { throw ValidationError("--zscore-mask needs --mask") }
        }
        guard n4 || denoise != nil || resize != nil || range != nil || outliers != nil || zscore else {
            throw ValidationError("no step asked for: give at least one of --n4, --denoise, --resize, --range, --outliers, --zscore")
        }
    }

    func n4Settings() throws -> N4Settings {
        var s = N4Settings()
        if let n4Shrink { s.shrinkFactor = n4Shrink }
        if let n4Iterations {
            let parts = n4Iterations.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--n4-iterations takes comma-separated whole numbers, one per level (e.g. 50,50,50,50): '\(n4Iterations)'")
            }
            s.maximumIterations = parts.map { $0! }
        }
        if let n4ControlPoints {
            let parts = n4ControlPoints.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 1 || parts.count == 3, parts.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--n4-control-points takes N or X,Y,Z: '\(n4ControlPoints)'")
            }
            s.controlPoints = parts.count == 1 ? SIMD3(repeating: parts[0]!) : SIMD3(parts[0]!, parts[1]!, parts[2]!)
        }
        if let n4Convergence { s.convergenceThreshold = n4Convergence }
        do { try s.validate() } catch let e as KiraError { throw ValidationError(e.description) }
        return s
    }

    /// Half-widths from "N" (odd voxel count) or "Nmm".
    func parsedKernel(spacing: SIMD3<Double>) throws -> SIMD3<Int> {
        guard let kernel else { return .zero }
        let text = kernel.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("mm") {
            guard let mm = Double(text.dropLast(2)), mm > 0, mm.isFinite else {
                throw ValidationError("--kernel takes an odd voxel count (3) or a size in mm (5mm): '\(kernel)'")
            }
            return IntensityFilters.halfWidths(kernelMM: mm, spacing: spacing)
        }
        guard let n = Int(text), n > 0, n % 2 == 1 else {
            throw ValidationError("--kernel takes an odd voxel count (3) or a size in mm (5mm): '\(kernel)'")
        }
        return SIMD3(repeating: (n - 1) / 2)
    }

    func parsedResize() throws -> (width: Int, height: Int) {
        let parts = (resize ?? "").lowercased().split(separator: "x").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let w = parts[0], let h = parts[1], w > 0, h > 0 else {
            throw ValidationError("--resize takes WIDTHxHEIGHT with positive whole numbers (e.g. 960x720): '\(resize ?? "")'")
        }
        return (w, h)
    }

    func parsedRange() throws -> (lower: Double?, upper: Double?) {
        let text = range ?? ""
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { throw ValidationError("--range takes LO,HI (either may be empty): '\(text)'") }
        func bound(_ s: String) throws -> Double? {
            if s.isEmpty { return nil }
            guard let v = Double(s), v.isFinite else { throw ValidationError("--range takes LO,HI (either may be empty): '\(text)'") }
            return v
        }
        let lo = try bound(parts[0]), hi = try bound(parts[1])
        guard lo != nil || hi != nil else { throw ValidationError("--range needs at least one bound: '\(text)'") }
        if let lo, let hi, lo > hi { throw ValidationError("--range: the lower bound \(lo) exceeds the upper \(hi)") }
        return (lo, hi)
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.preprocess")
        do {
            var volume = try ImageFileReader.read(URL(fileURLWithPath: image))
            let inputGeometry = volume.geometry
            var roi = try mask.map { try MaskInput.read(URL(fileURLWithPath: $0), label: label, roi: self.roi, matching: volume.geometry, imagePath: image, logger: logger) }
            var steps = [MetaValue]()
            var summary: [String: MetaValue] = [:]
            var biasField: Volume? = nil

            if n4 {
                let n4MaskVolume = try n4Mask.map { try MaskReader.read(URL(fileURLWithPath: $0), label: nil, matching: volume.geometry, imagePath: image) }
                let settings = try n4Settings()
                let r = try N4BiasFieldCorrection.correct(volume, mask: n4MaskVolume, settings: settings, logger: logger)
                volume = r.corrected
                if biasFieldOut != nil {
                    var field = r.logBiasField
                    field.voxels = .float32(r.logBiasField.voxels.toDoubles().map { Float(exp($0)) })
                    field.metadata["BiasField"] = "multiplicative: image = corrected × field"
                    biasField = field
                }
                let c = settings.controlPoints
                steps.append(.object([
                    "Step": "N4", "ShrinkFactor": .integer(settings.shrinkFactor),
                    "MaximumIterations": .array(settings.maximumIterations.map { .integer($0) }),
                    "Iterations": .array(r.iterations.map { .integer($0) }),
                    "Convergence": .array(r.convergence.map { .number($0) }),
                    "ConvergenceThreshold": .number(settings.convergenceThreshold),
                    "ControlPoints": .array([c.x, c.y, c.z].map { .integer($0) }),
                    "FittedVoxels": .integer(r.fittedVoxels),
                    "Mask": .string(n4Mask ?? "positive intensities"),
                ]))
            }
            if let denoise {
                let h = try parsedKernel(spacing: volume.geometry.spacing)
                volume = try IntensityFilters.filter(volume, halfWidth: h, statistic: denoise)
                steps.append(.object(["Step": "Denoise", "Statistic": .string(denoise.rawValue),
                                      "KernelVoxels": .array([h.x, h.y, h.z].map { .integer(2 * $0 + 1) })]))
            }
            if resize != nil {
                let (w, h) = try parsedResize()
                volume = try IntensityFilters.resize2D(volume, width: w, height: h)
                if let m = roi { roi = try Resampler.resampleMask(m, onto: volume.geometry, method: .nearest) }
                steps.append(.object(["Step": "Resize", "Matrix": .array([.integer(w), .integer(h)]),
                                      "Spacing": MetaValue(volume.geometry.spacing)]))
            }
            if range != nil || outliers != nil, let m = roi {
                var masks = ROIMasks(m)
                let before = masks.intensity.reduce(0) { $0 + Int($1) }
                var step: [String: MetaValue] = ["Step": "Resegmentation", "VoxelsBefore": .integer(before)]
                if range != nil {
                    let (lo, hi) = try parsedRange()
                    Resegmentation.range(volume, &masks, lower: lo, upper: hi)
                    step["Range"] = .array([lo.map { .number($0) } ?? .null, hi.map { .number($0) } ?? .null])
                }
                if let outliers {
                    if let bounds = Resegmentation.outliers(volume, &masks, sigmas: outliers) {
                        step["OutlierBounds"] = .array([.number(bounds.lowerBound), .number(bounds.upperBound)])
                    }
                    step["OutlierSDs"] = .number(outliers)
                }
                let after = masks.intensity.reduce(0) { $0 + Int($1) }
                guard after > 0 else {
                    throw KiraError.invalidArgument("re-segmentation left no voxel in the mask \(mask ?? "") (\(before) before)")
                }
                step["VoxelsAfter"] = .integer(after)
                roi = try Volume(geometry: m.geometry, voxels: .uint8(masks.intensity), metadata: m.metadata)
                steps.append(.object(step))
            }
            if zscore {
                volume = try IntensityFilters.zScore(volume, mask: zscoreMask ? roi : nil)
                var stats: [String: MetaValue] = [:]
                if case .object(let o)? = volume.metadata["ZScore"] { stats = o }
                steps.append(.object(["Step": "ZScore", "Region": .string(zscoreMask ? "mask" : "image"),
                                      "Mean": stats["Mean"] ?? .null, "SD": stats["SD"] ?? .null]))
            }
            if volume.voxels.scalarType != .float32 {
                volume.voxels = .float32(volume.voxels.toFloats())
            }
            volume.metadata["PreprocessingSteps"] = .array(steps)

            var outputs = [try write(volume, to: output, source: image)]
            if let biasFieldOut, let biasField { outputs.append(try write(biasField, to: biasFieldOut, source: image)) }
            if let maskOut, var m = roi {
                m.metadata["PreprocessingSteps"] = .array(steps)
                outputs.append(try write(m, to: maskOut, source: mask ?? image))
            }
            if json {
                summary["outputs"] = .array(outputs.map { .string($0) })
                summary["steps"] = .array(steps)
                summary["input_size"] = .array([inputGeometry.size.x, inputGeometry.size.y, inputGeometry.size.z].map { .integer($0) })
                summary["output_size"] = .array([volume.geometry.size.x, volume.geometry.size.y, volume.geometry.size.z].map { .integer($0) })
                print(String(decoding: try Sidecar.encode(summary), as: UTF8.self))
            }
        } catch let KiraError.tooLarge(subject, reason) {
            // The steps know grids, not files.
            let named = subject.contains(image) ? subject : "\(image): \(subject)"
            FileHandle.standardError.write(Data("kira preprocess: \(KiraError.tooLarge(subject: named, reason: reason))\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        } catch let e as KiraError {
            FileHandle.standardError.write(Data("kira preprocess: \(e.description)\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }

    private func write(_ v: Volume, to path: String, source: String) throws -> String {
        try ResampleCommand.writeWithSidecar(v, to: path, source: source, software: "Kira preprocess")
    }
}

extension IntensityFilters.Statistic: ExpressibleByArgument {}
