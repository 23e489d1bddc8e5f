import ArgumentParser
import Foundation
import KiraCore
import KiraIO
import KiraPreprocess

struct MaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mask",
        abstract: "Mask operations: dilation, erosion, peritumoral rings, components, labels, habitats.",
        discussion: """
        Distances are exact Euclidean distances between voxel centres, in mm (anisotropic
        spacing honoured) with --mm, or in voxel units with --voxels. Every output NIfTI gets a
        JSON sidecar naming the operation.

        \(KiraExit.helpText)
        """,
        subcommands: [MaskDilate.self, MaskErode.self, MaskRing.self, MaskLargest.self, MaskLabel.self, MaskHabitats.self]
    )
}

/// The input mask, its label and the output, shared by the single-mask operations.
struct MaskIO: ParsableArguments {
    @Argument(help: "The mask (NIfTI, NRRD).")
    var mask: String

    @Option(name: .shortAndLong, help: "Output NIfTI (.nii or .nii.gz).")
    var output: String

    @Option(help: "Use only this label of a label map (default: every non-zero voxel).")
    var label: Int?

    @OptionGroup var replace: OutputOptions

    func validate() throws {
        guard FileManager.default.fileExists(atPath: mask) else { throw ValidationError("mask '\(mask)' does not exist") }
        try replace.check(OutputGuard.Output.niftiWithSidecar(output, option: "--output"), inputs: [mask])
    }

    func read() throws -> Volume {
        try MaskReader.read(URL(fileURLWithPath: mask), label: label, matching: nil, imagePath: nil)
    }

    func write(_ v: Volume) throws {
        try MaskOutput.write(v, to: output, sources: [mask])
    }
}

/// How far to reach: exactly one of --mm and --voxels.
struct ReachOptions: ParsableArguments {
    @Option(help: "Distance in mm.")
    var mm: Double?

    @Option(help: "Distance in voxels (Euclidean, index units).")
    var voxels: Double?

    func validate() throws {
        guard (mm == nil) != (voxels == nil) else { throw ValidationError("give exactly one of --mm and --voxels") }
        if let d = mm ?? voxels, !(d > 0 && d.isFinite) { throw ValidationError("the distance must be positive, got \(d)") }
    }

    var reach: MaskOperations.Reach { mm.map { .millimetres($0) } ?? .voxels(voxels!) }
}

enum MaskOutput {
    static func write(_ v: Volume, to path: String, sources: [String]) throws {
        let url = URL(fileURLWithPath: path)
        try NIfTIWriter.write(v, to: url)
        var doc = Sidecar.document(for: v, sources: sources, keepPHI: false)
        doc["ConversionSoftware"] = "Kira mask"
        try Sidecar.write(doc, to: ResampleCommand.sidecarURL(for: url))
    }

    /// Runs one mask operation; a Kira error is printed with the command name and exits 1.
    static func run(_ name: String, _ body: () throws -> Void) throws {
        do { try body() } catch let e as KiraError {
            FileHandle.standardError.write(Data("kira mask \(name): \(e.description)\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }
}

struct MaskDilate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dilate", abstract: "Grow a mask by a distance (tumour + ring).")
    @OptionGroup var io: MaskIO
    @OptionGroup var reach: ReachOptions
    func run() throws { try MaskOutput.run("dilate") { try io.write(MaskOperations.dilate(try io.read(), by: reach.reach)) } }
}

struct MaskErode: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "erode", abstract: "Shrink a mask by a distance (the image edge is not background).")
    @OptionGroup var io: MaskIO
    @OptionGroup var reach: ReachOptions
    func run() throws { try MaskOutput.run("erode") { try io.write(MaskOperations.erode(try io.read(), by: reach.reach)) } }
}

struct MaskRing: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ring", abstract: "Peritumoral ring: the dilation minus the tumour, clipped to the image.")
    @OptionGroup var io: MaskIO
    @OptionGroup var reach: ReachOptions
    func run() throws { try MaskOutput.run("ring") { try io.write(MaskOperations.ring(try io.read(), width: reach.reach)) } }
}

struct MaskLargest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "largest", abstract: "Keep the largest 26-connected component.")
    @OptionGroup var io: MaskIO
    func run() throws { try MaskOutput.run("largest") { try io.write(MaskOperations.largestComponent(try io.read())) } }
}

struct MaskLabel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "label", abstract: "A binary mask of chosen labels of a label map.")

    @Argument(help: "The label map (NIfTI, NRRD).")
    var labels: String

    @Option(name: .shortAndLong, help: "Output NIfTI (.nii or .nii.gz).")
    var output: String

    @Option(help: "Labels to keep, comma-separated.")
    var keep: String

    @OptionGroup var replace: OutputOptions

    func validate() throws {
        guard FileManager.default.fileExists(atPath: labels) else { throw ValidationError("label map '\(labels)' does not exist") }
        try replace.check(OutputGuard.Output.niftiWithSidecar(output, option: "--output"), inputs: [labels])
        _ = try keptLabels()
    }

    func keptLabels() throws -> Set<Int> {
        let parts = keep.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! != 0 }) else {
            throw ValidationError("--keep takes non-zero integer labels separated by commas: '\(keep)'")
        }
        return Set(parts.map { $0! })
    }

    func run() throws {
        try MaskOutput.run("label") {
            let v = try ImageFileReader.read(URL(fileURLWithPath: labels))
            let out = try MaskOperations.selectLabels(v, try keptLabels())
            try MaskOutput.write(out, to: output, sources: [labels])
        }
    }
}
