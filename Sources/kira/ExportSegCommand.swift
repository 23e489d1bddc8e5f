import ArgumentParser
import Foundation
import KiraCore
import KiraDICOM
import KiraDICOMExport
import KiraStudy

struct ExportSegCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seg",
        abstract: "Write masks as a binary DICOM Segmentation referencing their source series.",
        discussion: """
        --source is the DICOM series the masks lie on (a folder holding that one series, one
        single-frame file per slice). Each --mask (NIfTI, NRRD, or an RT Structure Set with
        --roi) becomes one segment, in the order given, labelled by the matching --label
        (default: the mask's file name without extension). Every mask must be on the series'
        grid; every slice of every segment is written as a frame, empty or not, with the
        position, orientation and pixel spacing of its source slice, and derives from that
        slice. Segments are coded SNOMED CT: a label starting "ring" as Tissue/Tissue, any
        other as Morphologically Altered Structure/Neoplasm; the algorithm is Kira (automatic).
        The object carries the source's Study Instance UID and Frame of Reference UID and no
        patient name, ID or date. Written temp-then-rename.

        BAD INPUT: a source that is not one series, a mask off its grid, an empty label list
        entry or a mask that cannot be read fails naming the file, exit status 1.

        \(KiraExit.helpText)
        """
    )

    @Option(help: ArgumentHelp("The source DICOM series (folder).", valueName: "dir"))
    var source: String

    @Option(help: "A mask on the source grid (repeatable): one segment each.")
    var mask: [String] = []

    @Option(help: "Segment label for the mask at the same position (repeatable).")
    var label: [String] = []

    @Option(help: ArgumentHelp("The ROI of RT Structure Set masks (default: each one's only ROI).", valueName: "name"))
    var roi: String?

    @Option(name: .shortAndLong, help: "Output SEG file (.dcm).")
    var output: String

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard FileManager.default.fileExists(atPath: source) else { throw ValidationError("--source '\(source)' does not exist") }
        guard !mask.isEmpty else { throw ValidationError("give at least one --mask") }
        for m in mask where !FileManager.default.fileExists(atPath: m) { throw ValidationError("--mask '\(m)' does not exist") }
        guard label.isEmpty || label.count == mask.count else {
            throw ValidationError("give one --label per --mask (\(mask.count) mask(s), \(label.count) label(s)), or none")
        }
        if let bad = label.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.count > 64 }) {
            throw ValidationError("--label '\(bad)' must be 1 to 64 characters")
        }
        try replace.check([OutputGuard.Output(output, option: "--output", format: .dicom)], inputs: [source] + mask)
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.export.seg")
        do {
            let series = try SegmentationExport.sourceSeries(URL(fileURLWithPath: source), logger: logger)
            let geometry = try series.sliceFiles().geometry
            var masks: [Volume] = []
            for m in mask {
                let url = URL(fileURLWithPath: m)
                // --roi names the ROI of the RT Structure Sets among the masks; label maps ignore it.
                masks.append(try MaskInput.read(url, label: nil, roi: RTStructFile.isRTStruct(url) ? roi : nil, matching: geometry,
                                                imagePath: source, logger: logger))
            }
            let labels = label.isEmpty ? mask.map(Self.defaultLabel) : label
            let written = try SegmentationExport.write(series: series, masks: masks, segments: labels.map(SegmentDefinition.forRegion),
                                                       to: URL(fileURLWithPath: output), maskNames: mask, logger: logger)
            logger.info("SEG \(written.sopInstanceUID): \(written.frames) frames")
        } catch {
            FileHandle.standardError.write(Data("kira export seg: \(FailureText.describe(error))\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }

    /// `tumour.nii.gz` → `tumour`.
    static func defaultLabel(_ path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        for ext in [".nii.gz", ".nii", ".nrrd", ".nhdr", ".dcm"] where name.lowercased().hasSuffix(ext) {
            name.removeLast(ext.count)
            break
        }
        return String(name.prefix(64))
    }
}
