import ArgumentParser

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write results as DICOM objects: masks as a Segmentation (SEG), features as a TID 1500 report (SR), a report as an Encapsulated PDF.",
        discussion: """
        seg: masks on a DICOM series' grid → one binary DICOM Segmentation referencing that series.
        sr: a case's feature table (and prediction) → a TID 1500 Measurement Report referencing the SEG.
        pdf: a report PDF → an Encapsulated PDF in the study of the series it reports on.

        \(KiraExit.helpText)
        """,
        subcommands: [ExportSegCommand.self, ExportSrCommand.self, ExportPdfCommand.self]
    )
}
