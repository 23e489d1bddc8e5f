import ArgumentParser
import Foundation
import KiraCore
import KiraIO
import KiraPreprocess

struct ResampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resample",
        abstract: "Resample an image (and its mask) to a new voxel spacing in physical space.",
        discussion: """
        The output keeps the input's direction cosines. --grid origin keeps the origin
        (ITK/pyradiomics style); --grid center centres the new grid on the old one (IBSI).
        The size along each axis is ceil(size × spacing / new spacing). A spacing of 0 on an
        axis keeps that axis as it is (in-plane resampling: --spacing 2,2,0).
        Samples beyond half a voxel outside the input take --outside-value with --grid origin
        (SimpleITK's rule) and the nearest edge value with --grid center (IBSI's rule), unless
        --outside is given. Every output NIfTI gets a JSON sidecar naming the grid policy,
        interpolator and outside rule.

        \(KiraExit.helpText)
        """
    )

    @Argument(help: "The image (NIfTI, NRRD, PNG/JPEG/TIFF).")
    var image: String

    @Option(name: .shortAndLong, help: "Output NIfTI (.nii or .nii.gz).")
    var output: String

    @Option(help: "New spacing in mm: one value for all axes, or x,y,z.")
    var spacing: String = "1"

    @Option(help: "nearest, linear or bspline.")
    var interpolator: Interpolator = .linear

    @Option(help: "origin (keep origin) or center (IBSI: centred grid).")
    var grid: GridPolicy = .origin

    @Option(help: "Outside the input: 'constant' (--outside-value) or 'edge' (nearest edge value).")
    var outside: OutsideChoice?

    @Option(help: "Value for samples outside the input with --outside constant.")
    var outsideValue: Double = 0

    @Flag(help: "Round resampled intensities to the nearest integer (IBSI CT configurations).")
    var round = false

    @Option(help: "A mask on the image's grid, resampled onto the same new grid.")
    var mask: String?

    @Option(help: "Output path of the resampled mask.")
    var maskOut: String?

    @Option(help: "Mask label to keep (default: every non-zero voxel).")
    var label: Int?

    @Option(help: "Mask interpolation: nearest, or a partial-volume threshold such as 0.5 (linear, IBSI).")
    var maskInterpolation: String = "nearest"

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    enum OutsideChoice: String, ExpressibleByArgument { case constant, edge }

    func validate() throws {
        _ = try parsedSpacing()
        _ = try parsedMaskInterpolation()
        guard FileManager.default.fileExists(atPath: image) else { throw ValidationError("image '\(image)' does not exist") }
        if (mask == nil) != (maskOut == nil) { throw ValidationError("--mask and --mask-out go together") }
        if let m = mask, !FileManager.default.fileExists(atPath: m) { throw ValidationError("mask '\(m)' does not exist") }
        try replace.check(OutputGuard.Output.niftiWithSidecar(output, option: "--output") + (maskOut.map { OutputGuard.Output.niftiWithSidecar($0, option: "--mask-out") } ?? []),
                          inputs: [image, mask])
    }

    func parsedSpacing() throws -> SIMD3<Double> {
        let parts = spacing.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.allSatisfy({ $0 != nil && $0! >= 0 && $0!.isFinite }), parts.count == 1 || parts.count == 3,
              parts.contains(where: { $0! > 0 })
        else {
            throw ValidationError("--spacing takes one positive number or three non-negative numbers x,y,z (0 keeps an axis): '\(spacing)'")
        }
        return parts.count == 1 ? SIMD3(repeating: parts[0]!) : SIMD3(parts[0]!, parts[1]!, parts[2]!)
    }

    func parsedMaskInterpolation() throws -> MaskInterpolation {
        if maskInterpolation == "nearest" { return .nearest }
        guard let t = Double(maskInterpolation), t > 0, t <= 1 else {
            throw ValidationError("--mask-interpolation takes 'nearest' or a threshold in (0, 1]: '\(maskInterpolation)'")
        }
        return .partialVolume(threshold: t)
    }

    func run() throws {
        _ = logging.makeLogger(label: "kira.resample")
        do {
            let input = try ImageFileReader.read(URL(fileURLWithPath: image))
            let target = try ResampleGrid.make(from: input.geometry, spacing: try parsedSpacing(), policy: grid, source: "image \(image)")
            // A bad mask stops the run before the image is written: nothing half done is left.
            var maskResult: Volume?
            if let mask, maskOut != nil {
                let m = try MaskReader.read(URL(fileURLWithPath: mask), label: label, matching: input.geometry, imagePath: image)
                var r = try Resampler.resampleMask(m, onto: target, method: try parsedMaskInterpolation())
                r.metadata["ResampleGridPolicy"] = .string(grid.rawValue)
                maskResult = r
            }
            let outsidePolicy: OutsidePolicy
            switch outside ?? (grid == .origin ? .constant : .edge) {
            case .constant: outsidePolicy = .constant(outsideValue)
            case .edge: outsidePolicy = .nearestEdge
            }
            var result = try Resampler.resample(input, onto: target, interpolator: interpolator,
                                                outside: outsidePolicy, roundIntensities: round)
            result.metadata["ResampleGridPolicy"] = .string(grid.rawValue)
            var outputs: [String] = []
            do {
                outputs.append(try write(result, to: output, source: image))
                if let r = maskResult, let mask, let maskOut { outputs.append(try write(r, to: maskOut, source: mask)) }
            } catch {
                // The image without its mask is not the result asked for.
                for o in outputs {
                    try? FileManager.default.removeItem(atPath: o)
                    try? FileManager.default.removeItem(at: Self.sidecarURL(for: URL(fileURLWithPath: o)))
                }
                throw error
            }
            if json {
                let summary: [String: MetaValue] = [
                    "outputs": .array(outputs.map { .string($0) }),
                    "grid": .string(grid.rawValue),
                    "interpolator": .string(interpolator.rawValue),
                    "outside": .string(outsidePolicy.name),
                    "input_size": .array([input.geometry.size.x, input.geometry.size.y, input.geometry.size.z].map { .integer($0) }),
                    "input_spacing": MetaValue(input.geometry.spacing),
                    "output_size": .array([target.size.x, target.size.y, target.size.z].map { .integer($0) }),
                    "output_spacing": MetaValue(target.spacing),
                    "output_origin": MetaValue(target.origin),
                ]
                print(String(decoding: try Sidecar.encode(summary), as: UTF8.self))
            }
        } catch let e as KiraError {
            FileHandle.standardError.write(Data("kira resample: \(e.description)\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }

    private func write(_ v: Volume, to path: String, source: String) throws -> String {
        try Self.writeWithSidecar(v, to: path, source: source, software: "Kira resample")
    }

    /// Writes the NIfTI and its sidecar (no patient fields); returns the NIfTI path.
    static func writeWithSidecar(_ v: Volume, to path: String, source: String, software: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        try NIfTIWriter.write(v, to: url)
        var doc = Sidecar.document(for: v, sources: [source], keepPHI: false)
        doc["ConversionSoftware"] = .string(software)
        try Sidecar.write(doc, to: sidecarURL(for: url))
        return url.path
    }

    static func sidecarURL(for nifti: URL) -> URL {
        URL(fileURLWithPath: OutputGuard.sidecarPath(for: nifti.path))
    }
}

extension Interpolator: ExpressibleByArgument {}
extension GridPolicy: ExpressibleByArgument {}
