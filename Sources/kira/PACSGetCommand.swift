import ArgumentParser
import Foundation
import KiraCore
import KiraPACS

struct PACSGetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Retrieve one study or series from a PACS into a folder (C-GET, C-MOVE with --move-port, or WADO-RS with --dicomweb).",
        discussion: """
        Files are written as DIR/<SOPInstanceUID>.dcm, as the PACS sent them (bit for bit:
        the dataset is streamed to disk, not re-encoded), into a folder `kira convert` and
        study files read. With --move-port Kira runs a storage SCP with its calling AE title
        on that port while the C-MOVE lasts; the PACS must know that AE title at this host
        and port. Files arrive in a hidden staging folder beside DIR and are moved into DIR
        only when the retrieve succeeded; DIR must be absent or empty unless --overwrite
        (then files of the same name are replaced, others kept).

        \(PACSCommand.exitText)
        """
    )

    @OptionGroup var connection: PACSConnectionOptions

    @Option(name: .customLong("study-uid"), help: "Retrieve this study.")
    var studyUID: String?

    @Option(name: .customLong("series-uid"), help: "Retrieve this series.")
    var seriesUID: String?

    @Option(name: .customLong("move-port"), help: "Use C-MOVE to Kira's own storage SCP listening on this port.")
    var movePort: Int?

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @OptionGroup var replace: OutputOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (studyUID == nil) != (seriesUID == nil) else { throw ValidationError("give --study-uid or --series-uid (one of them)") }
        let q = PACSQuery(studyUID: studyUID, seriesUID: seriesUID)
        if let p = q.problem { throw ValidationError(p) }
        if let m = movePort {
            if connection.dicomweb != nil { throw ValidationError("--move-port is for DICOM C-MOVE, not --dicomweb") }
            if !(1...65535).contains(m) { throw ValidationError("--move-port \(m) is not a TCP port (1–65535)") }
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDir) {
            if !isDir.boolValue { throw ValidationError("-o \(output): exists and is not a folder") }
            if !replace.overwrite, let e = try? FileManager.default.contentsOfDirectory(atPath: output), !e.isEmpty {
                throw ValidationError("-o \(output): folder not empty (use --overwrite to add the retrieved files)")
            }
        }
    }

    struct Summary: Encodable {
        var source: String
        var method: String
        var output: String
        var files: Int
        var seconds: Double
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.pacs")
        let out = URL(fileURLWithPath: output)
        InterruptCleanup.setProgress(total: nil, unit: "retrieve", verb: "completed")
        let r: Retrieval
        let source: String, method: String
        do {
            if let endpoint = try connection.endpoint() {
                (source, method) = (endpoint.description, "WADO-RS")
                r = try DICOMweb.retrieve(studyUID: studyUID, seriesUID: seriesUID, from: endpoint, into: out, overwrite: replace.overwrite, logger: logger)
            } else {
                let node = connection.node!
                source = node.description
                method = movePort == nil ? "C-GET" : "C-MOVE"
                r = try PACS.retrieve(studyUID: studyUID, seriesUID: seriesUID, from: node, method: movePort.map { .move(port: $0) } ?? .get,
                                      into: out, overwrite: replace.overwrite, logger: logger)
            }
        } catch {
            throw PACSSupport.fail("get", error)
        }
        InterruptCleanup.advance()
        if json {
            print(try PACSSupport.json(Summary(source: source, method: method, output: out.path, files: r.files.count, seconds: r.seconds)))
        } else {
            print("\(out.path): \(r.files.count) files from \(source) by \(method) in \(String(format: "%.1f", r.seconds)) s")
        }
    }
}
