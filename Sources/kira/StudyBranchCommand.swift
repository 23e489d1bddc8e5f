import ArgumentParser
import Foundation
import KiraCore
import KiraStudy

struct StudyBranchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branch",
        abstract: "Compute one case × modality × reader of a study into its cache (a workflow engine's job).",
        discussion: """
        The per-case step of kira study run, alone: load, geometry QC, preprocessing, regions
        and features of one branch, reused when the study's cache already holds it for the
        same input contents and settings, recorded in OUTPUT/ledger.sqlite (unless
        --no-ledger). On success it
        writes OUTPUT/branches/<case>/<modality>/reader<N>.json (the cache key and file),
        rewritten every time so a workflow engine (workflow/Snakefile) sees it newer than
        its inputs. Branches of one study may run at the same time; kira study run, analyse
        and predict wait for none of them and are refused while one runs.

        EXIT CODES:
          0  the branch was computed or reused
          1  bad usage: an invalid study file, an unknown case or modality, a reader the study
             or the case does not have, or the output folder in use by run/analyse/predict
          2  the branch failed (case, modality, reader, step and reason on stderr and in the
             ledger); no marker is written
          130  interrupted by SIGINT, 143 by SIGTERM; running it again resumes
        """
    )

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Option(name: .customLong("case"), help: "The case id (the study's id column).")
    var caseID: String

    @Option(help: "The modality (a key of the study's modalities).")
    var modality: String

    @Option(help: "The reader: 1 for the first mask column, 2 for the second, ...")
    var reader: Int = 1

    @Flag(help: "Do not write the branch's rows to OUTPUT/ledger.sqlite (a cluster's shared file system, where SQLite's WAL mode is unsafe across hosts); kira study analyse records them.")
    var noLedger = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard reader >= 1 else { throw ValidationError("--reader must be at least 1, got \(reader)") }
        guard !caseID.isEmpty else { throw ValidationError("--case must not be empty") }
        guard FileManager.default.fileExists(atPath: studyFile) else { throw ValidationError("'\(studyFile)' does not exist") }
        let (study, cohort) = try StudySupport.load(studyFile)
        guard let c = cohort.cases.first(where: { $0.id == caseID }) else {
            throw ValidationError("\(study.cohort.lastPathComponent): no case \"\(caseID)\"")
        }
        guard let m = study.modalities.first(where: { $0.name == modality }) else {
            throw ValidationError("\(study.file.lastPathComponent): no modality \"\(modality)\" (modalities: \(study.modalities.map(\.name).joined(separator: ", ")))")
        }
        guard reader <= m.maskColumns.count else {
            throw ValidationError("--reader \(reader): modality \(modality) has \(m.maskColumns.count) reader(s)")
        }
        guard let masks = c.masks[modality], reader <= masks.count, masks[reader - 1] != nil else {
            throw ValidationError("case \(caseID) has no mask in column \(m.maskColumns[reader - 1])")
        }
    }

    func run() throws {
        let logger = StudySupport.logger(logging)
        let (study, cohort) = try StudySupport.load(studyFile)
        let outcome: (failure: StudyFailure?, reused: Bool, marker: URL)
        do {
            outcome = try StudyRun(study: study, cohort: cohort, jobs: 1, logger: logger)
                .branch(caseID: caseID, modality: modality, reader: reader - 1, recordInLedger: !noLedger)
        } catch {
            throw StudySupport.fail("branch", error)
        }
        if let f = outcome.failure {
            FileHandle.standardError.write(Data("kira study branch: \(f.caseID) \(f.modality) reader \(f.reader) failed at \(f.step): \(f.reason)\n".utf8))
            throw ExitCode(KiraExit.partial.rawValue)
        }
        FileHandle.standardError.write(Data("kira study branch: \(caseID) \(modality) reader \(reader) \(outcome.reused ? "reused" : "computed"); \(outcome.marker.path)\n".utf8))
    }
}
