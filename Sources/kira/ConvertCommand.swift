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
        stop the others. Existing files are never overwritten unless --overwrite is given,
        and an input file never is. SIGINT or SIGTERM removes the temporary files (and
        output folders the run made and left empty), prints how many series were written
        and exits 130 or 143.
        A lone file whose matrix size differs from the rest of its series is excluded and
        listed as a failure (exit 2); the contiguous slices still form the volume.
        A multi-frame file whose frames share one position becomes slices
        SpacingBetweenSlices apart along the slice normal (as dcm2niix), with a warning.

        TEMPLATE FIELDS: \(OutputTemplate.fields.map { "{\($0)}" }.joined(separator: " "))
        Field values are reduced to letters, digits, '.', '_', '+', '-'.
        A series split by echo, image kind or orientation gets dcm2niix's post-fixes:
        _e<N> per echo (unless the template holds {echo}), _ph (phase), _real, _imaginary,
        _i<N> (non-parallel slices); names already taken get _2, _3, ...

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

    @Flag(help: "Write .nii.gz instead of .nii (compressed on every core as frames decode).")
    var gzip = false

    @Flag(help: "Replace existing outputs instead of adding a numeric suffix.")
    var overwrite = false

    @Flag(help: "Philips DICOM: write the floating-point values, (stored × RescaleSlope + RescaleIntercept) / (RescaleSlope × ScaleSlope 2005,100E), as dcm2niix does by default, instead of the displayed rescaled values.")
    var philipsPrecise = false

    @Option(help: "Pixel spacing in mm for PNG/JPEG/TIFF inputs, as 'x,y' or one value.")
    var spacing: String?

    @Flag(help: "Print one JSON document with every output and failure on stdout.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    /// The plain values the parsed options stand for; `ConvertFastPath` builds the same
    /// value without ArgumentParser.
    var job: ConvertJob {
        ConvertJob(inputs: inputs, output: output, template: template, keepPhi: keepPhi, keepRgb: keepRgb,
                   gzip: gzip, overwrite: overwrite, spacing: spacing, json: json,
                   verbose: logging.verbose, quiet: logging.quiet, philipsPrecise: philipsPrecise)
    }

    func validate() throws { try job.validate() }

    func run() throws { try job.run() }
}
