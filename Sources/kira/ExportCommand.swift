import ArgumentParser

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write results as DICOM objects: masks as a Segmentation (SEG).",
        discussion: """
        seg: masks on a DICOM series' grid → one binary DICOM Segmentation referencing that series.

        \(KiraExit.helpText)
        """,
        subcommands: [ExportSegCommand.self]
    )
}
