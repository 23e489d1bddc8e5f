import ArgumentParser

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write results as DICOM objects: masks as a Segmentation (SEG), features as a TID 1500 report (SR).",
        discussion: """
        seg: masks on a DICOM series' grid → one binary DICOM Segmentation referencing that series.
        sr: a case's feature table (and prediction) → a TID 1500 Measurement Report referencing the SEG.

        \(KiraExit.helpText)
        """,
        subcommands: [ExportSegCommand.self, ExportSrCommand.self]
    )
}
