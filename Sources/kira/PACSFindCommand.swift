import ArgumentParser
import Foundation
import KiraCore
import KiraPACS

struct PACSFindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "List the studies or series a PACS holds that match (C-FIND, or QIDO-RS with --dicomweb).",
        discussion: """
        One line per match on stdout (or a JSON array with --json): study UID, date,
        modalities, counts; at series level also series UID, number and description.
        Patient name, ID, birth date and accession number are never printed, even when used
        to match. No match is an error (exit 1) naming the PACS and the query.

        \(PACSCommand.exitText)
        """
    )

    @OptionGroup var connection: PACSConnectionOptions

    @Option(help: "study or series.")
    var level: String = "study"

    @Option(name: .customLong("patient-id"), help: "Match this Patient ID (not printed).")
    var patientID: String?

    @Option(help: "Match this accession number.")
    var accession: String?

    @Option(help: "Study date or range: YYYYMMDD, YYYYMMDD-YYYYMMDD, -YYYYMMDD, YYYYMMDD-.")
    var date: String?

    @Option(help: "Modality (MR, CT, MG, US, SEG, SR ...).")
    var modality: String?

    @Option(name: .customLong("study-uid"), help: "Only this study (e.g. its series, with --level series).")
    var studyUID: String?

    @Flag(help: "Print the matches as a JSON array.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    var query: PACSQuery {
        PACSQuery(level: PACSQuery.Level(rawValue: level.uppercased()) ?? .study, patientID: patientID, accession: accession,
                  date: date, modality: modality, studyUID: studyUID)
    }

    func validate() throws {
        guard PACSQuery.Level(rawValue: level.uppercased()) != nil else { throw ValidationError("--level '\(level)': study or series") }
        if let p = query.problem { throw ValidationError(p) }
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.pacs")
        let matches: [PACSMatch]
        let source: String
        do {
            if let endpoint = try connection.endpoint() {
                source = endpoint.description
                matches = try DICOMweb.search(query, at: endpoint, logger: logger)
            } else {
                let node = connection.node!
                source = node.description
                matches = try PACS.find(query, at: node, logger: logger)
            }
        } catch {
            throw PACSSupport.fail("find", error)
        }
        if matches.isEmpty { throw PACSSupport.fail("find", PACSError.noMatches(node: source, query: query.description)) }
        if json {
            print(try PACSSupport.json(matches))
            return
        }
        for m in matches {
            var line = m.level == "series" ? "series \(m.seriesUID ?? "?") of study \(m.studyUID)" : "study \(m.studyUID)"
            if let d = m.studyDate { line += " date \(d)" }
            if !m.modalities.isEmpty { line += " modality \(m.modalities.joined(separator: ","))" }
            if let n = m.seriesNumber { line += " number \(n)" }
            if let s = m.seriesCount { line += " series \(s)" }
            if let i = m.instanceCount { line += " instances \(i)" }
            if let d = m.seriesDescription ?? m.studyDescription { line += " \"\(d)\"" }
            print(line)
        }
    }
}
