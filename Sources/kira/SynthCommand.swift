import ArgumentParser
import Foundation
import KiraCore
import KiraSynth

struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a synthetic multi-modality breast cohort (DICOM DCE/T2 MR, MG, US, two readers' masks) with a planted Ki-67 signal.",
        discussion: """
        Every file is simulated: no patient data. Per case: a DCE-MRI series (3 phases,
        oblique), a T2 series, a mammogram (ImagerPixelSpacing and PixelSpacing), an
        ultrasound image (region calibration) and its JPEG export, and tumour masks (NIfTI)
        from two readers. Ki-67 is driven by tumour texture heterogeneity and peritumoral
        enhancement; disease-free survival by Ki-67. DIR gets cases.csv, study.yaml (runs the
        cohort), synth.json (the model's constants and the signal strength they imply),
        truth.csv (hidden drivers) and README.txt. The same seed writes the same bytes.
        Cases are written one at a time into a hidden folder beside DIR, renamed to DIR when
        complete; an existing non-empty DIR is replaced only with --overwrite, and only when
        it is a cohort kira synth wrote (it holds synth.json).

        \(KiraExit.helpText)
        """
    )

    @Option(name: .shortAndLong, help: "Output folder (must not exist, be empty, or --overwrite).")
    var output: String

    @Option(help: "Number of cases.")
    var cases: Int

    @Option(help: "Seed of every random draw (UIDs, images, labels).")
    var seed: UInt64

    @Option(help: "Number of centres: 2 or 3.")
    var centres = 3

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions
    @OptionGroup var logging: LoggingOptions

    var options: SyntheticCohort.Options {
        .init(output: URL(fileURLWithPath: output), cases: cases, seed: seed, centres: centres, overwrite: replace.overwrite)
    }

    func validate() throws {
        if let p = SyntheticCohort.problem(options) { throw ValidationError(p) }
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.synth")
        InterruptCleanup.setProgress(total: nil, unit: "cohort", verb: "written")
        let s: SyntheticCohort.Summary
        do {
            s = try SyntheticCohort.write(options, logger: logger)
        } catch let e as KiraError {
            FileHandle.standardError.write(Data("kira synth: \(e.description)\n".utf8))
            throw ExitCode(KiraExit.failure.rawValue)
        }
        if json {
            let doc: [String: MetaValue] = [
                "output": .string(s.output.path), "cases": .integer(s.cases), "files": .integer(s.files),
                "sets": .object(s.perSet.mapValues { .integer($0) }), "centres": .object(s.perCentre.mapValues { .integer($0) }),
                "ki67_high": .integer(s.highKi67), "dfs_events": .integer(s.events), "seconds": .number(s.seconds),
            ]
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try enc.encode(doc), as: UTF8.self))
        } else {
            let sets = s.perSet.keys.sorted().map { "\($0) \(s.perSet[$0]!)" }.joined(separator: ", ")
            let centres = s.perCentre.keys.sorted().map { "\($0) \(s.perCentre[$0]!)" }.joined(separator: ", ")
            print("\(s.output.path): \(s.cases) synthetic cases (\(sets); centres \(centres)), \(s.highKi67) with Ki-67 > 20%, \(s.events) DFS events, \(s.files) files in \(String(format: "%.1f", s.seconds)) s")
        }
    }
}
