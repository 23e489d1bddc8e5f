import ArgumentParser
import Foundation
import KiraCore
import KiraPACS

struct PACSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pacs",
        abstract: "Query and retrieve from a PACS (DICOM C-FIND, C-GET, C-MOVE; or DICOMweb), and send files to one (C-STORE).",
        subcommands: [PACSFindCommand.self, PACSGetCommand.self, PACSSendCommand.self]
    )

    static let exitText = """
    EXIT CODES:
      0  done
      1  nothing was done: bad usage, an unreachable PACS (host and port named), an association
         the PACS refused (wrong called AE title, or the calling AE title unknown to it), no
         match for the query, or a retrieve that failed (nothing is left in the output folder:
         files are received into a hidden staging folder and moved into place only when all
         arrived)
      2  send only: some files were stored and some refused (the first refused is named)
      130  interrupted by SIGINT, 143 by SIGTERM: the staging folder is removed
    """
}

/// Where the PACS is: DICOM (host, port, AE titles) or a DICOMweb root. Credentials for
/// DICOMweb come from the URL's user information or KIRA_DICOMWEB_TOKEN (a bearer token);
/// neither is ever printed: messages show the URL without them.
struct PACSConnectionOptions: ParsableArguments {
    @Option(help: "PACS host name or address (DICOM).")
    var host: String?

    @Option(help: "PACS DICOM port.")
    var port: Int?

    @Option(name: .customLong("called-aet"), help: "The PACS's AE title.")
    var calledAET: String?

    @Option(name: .customLong("calling-aet"), help: "Kira's AE title (also the C-MOVE destination).")
    var callingAET = "KIRA"

    @Option(help: "DICOMweb service root (QIDO-RS, WADO-RS) instead of DICOM, e.g. http://pacs:8042/dicom-web. A bearer token is read from KIRA_DICOMWEB_TOKEN.")
    var dicomweb: String?

    @Option(help: "Seconds for the connection and for each network read.")
    var timeout = 30

    func validate() throws {
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
        if dicomweb != nil {
            if host != nil || port != nil || calledAET != nil {
                throw ValidationError("give either --dicomweb or --host/--port/--called-aet, not both")
            }
            _ = try endpoint()
            return
        }
        guard let host, let port, let calledAET else {
            throw ValidationError("--host, --port and --called-aet are required (or --dicomweb URL)")
        }
        if let p = PACSNode.problem(host: host, port: port, calledAET: calledAET, callingAET: callingAET) { throw ValidationError(p) }
    }

    var node: PACSNode? {
        guard dicomweb == nil, let host, let port, let calledAET else { return nil }
        return PACSNode(host: host, port: port, calledAET: calledAET, callingAET: callingAET, timeout: timeout)
    }

    func endpoint() throws -> DICOMwebEndpoint? {
        guard let dicomweb else { return nil }
        do {
            return try DICOMwebEndpoint(dicomweb, bearerToken: ProcessInfo.processInfo.environment["KIRA_DICOMWEB_TOKEN"], timeout: Double(timeout))
        } catch let e as PACSError {
            throw ValidationError(e.description)
        }
    }
}

enum PACSSupport {
    static func fail(_ command: String, _ error: Error, code: KiraExit = .failure) -> ExitCode {
        FileHandle.standardError.write(Data("kira pacs \(command): \(error)\n".utf8))
        return ExitCode(code.rawValue)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try enc.encode(value), as: UTF8.self)
    }
}
