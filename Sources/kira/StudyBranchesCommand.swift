import ArgumentParser
import Foundation
import KiraCore
import KiraStudy

struct StudyBranchesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "branches",
        abstract: "List a study's branches (case × modality × reader with a mask) for a workflow engine.",
        discussion: """
        One line per branch kira study run would compute, tab-separated with a header:
        case, modality, reader (1-based), image and mask (absolute paths). --json prints
        {"output": OUTPUT, "study": ..., "cohort": ..., "branches": [...]} with each branch's
        marker path (what kira study branch writes): workflow/Snakefile reads it. Reads
        only; writes nothing.

        EXIT CODES:
          0  the branches were printed
          1  bad usage or an invalid study file or cohort CSV
          130  interrupted by SIGINT, 143 by SIGTERM
        """
    )

    @Argument(help: "The study file (YAML).")
    var studyFile: String

    @Flag(help: "Print JSON instead of a tab-separated table.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        try StudySupport.validateStudyFile(studyFile)
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.study")
        let (study, cohort) = try StudySupport.load(studyFile)
        let list = StudyRun(study: study, cohort: cohort, jobs: 1, logger: logger).branches()
        if json {
            struct Branch: Encodable { var `case`: String; var modality: String; var reader: Int; var image: String?; var mask: String; var marker: String }
            struct Doc: Encodable { var output: String; var study: String; var cohort: String; var branches: [Branch] }
            let files = StudyFiles(root: study.output)
            let doc = Doc(output: study.output.path, study: study.file.standardizedFileURL.path, cohort: study.cohort.path,
                          branches: list.map { b in
                              Branch(case: b.caseID, modality: b.modality, reader: b.reader + 1, image: b.image?.path, mask: b.mask.path,
                                     marker: files.branchMarker(caseID: b.caseID, modality: b.modality, reader: b.reader).path)
                          })
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try e.encode(doc), as: UTF8.self))
            return
        }
        print(["case", "modality", "reader", "image", "mask"].joined(separator: "\t"))
        for b in list { print([b.caseID, b.modality, String(b.reader + 1), b.image?.path ?? "", b.mask.path].joined(separator: "\t")) }
    }
}
