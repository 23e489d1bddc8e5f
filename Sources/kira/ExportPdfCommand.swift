import ArgumentParser
import Foundation
import KiraCore
import KiraDICOM
import KiraDICOMExport

struct ExportPdfCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pdf",
        abstract: "Wrap a report PDF as a DICOM Encapsulated PDF in its source series' study.",
        discussion: """
        --pdf is the report (kira report study --pdf, or any PDF), --source the DICOM series it
        reports on (a folder holding that one series). The object is Encapsulated PDF Storage
        (1.2.840.10008.5.1.4.1.1.104.1), modality DOC, series number 9902: the PDF's bytes
        unchanged as Encapsulated Document (one zero pad byte when its length is odd;
        Encapsulated Document Length gives the PDF's own length), MIME type application/pdf,
        document title --title, every source file in the Source Instance Sequence. As in
        kira export seg and sr, the object takes the source's Study Instance UID and nothing
        else of its patient or study: Patient Name and ID, birth date, sex, study date and
        time, accession number, study ID and referring physician are empty; Burned In
        Annotation is NO. Written temp-then-rename.

        BAD INPUT: a --pdf that is not a PDF (does not start with %PDF-), a source that is not
        one series, a file that cannot be read: the message names it, exit status 1, nothing
        written.

        \(KiraExit.helpText)
        """
    )

    @Option(help: ArgumentHelp("The source DICOM series (folder).", valueName: "dir"))
    var source: String

    @Option(help: ArgumentHelp("The report PDF.", valueName: "report.pdf"))
    var pdf: String

    @Option(help: "Document Title (0042,0010).")
    var title = "Kira study report"

    @Option(name: .shortAndLong, help: "Output Encapsulated PDF file (.dcm).")
    var output: String

    @OptionGroup var replace: OutputOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        for (flag, path) in [("--source", source), ("--pdf", pdf)] where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(flag) '\(path)' does not exist")
        }
        guard !title.isEmpty, title.count <= 64, !title.contains("\\") else {
            throw ValidationError("--title '\(title)' must be 1 to 64 characters without a backslash")
        }
        try replace.check([OutputGuard.Output(output, option: "--output", format: .dicom)], inputs: [source, pdf])
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.export.pdf")
        do {
            let document = try EncapsulatedPDFExport.readPDF(URL(fileURLWithPath: pdf))
            let series = try SegmentationExport.sourceSeries(URL(fileURLWithPath: source), logger: logger)
            let written = try EncapsulatedPDFExport.write(pdf: document, sources: [series], title: title,
                                                          to: URL(fileURLWithPath: output), logger: logger)
            logger.info("Encapsulated PDF \(written.sopInstanceUID): \(written.pdfBytes) bytes")
        } catch {
            FileHandle.standardError.write(Data("kira export pdf: \(FailureText.describe(error))\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
    }
}
