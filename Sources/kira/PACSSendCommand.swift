import ArgumentParser
import Foundation
import KiraCore
import KiraPACS

struct PACSSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send DICOM files to a PACS (C-STORE), e.g. SEG and SR objects Kira wrote.",
        discussion: """
        FILES may be files or folders (every regular file under a folder is sent, hidden
        files skipped). All go over one association; each file's own SOP class and transfer
        syntax are proposed, so nothing is re-encoded. A file that is not DICOM stops the
        command before anything is sent (exit 1, file named).

        \(PACSCommand.exitText)
        """
    )

    @Argument(help: "DICOM files or folders.")
    var files: [String]

    @OptionGroup var connection: PACSConnectionOptions

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if connection.dicomweb != nil { throw ValidationError("send uses DICOM C-STORE: give --host, --port and --called-aet") }
        if files.isEmpty { throw ValidationError("no files given") }
        for f in files where !FileManager.default.fileExists(atPath: f) { throw ValidationError("'\(f)' does not exist") }
    }

    /// Files as given, folders expanded (sorted, hidden entries skipped).
    func expanded() -> [URL] {
        var out: [URL] = []
        for f in files {
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: f, isDirectory: &isDir)
            guard isDir.boolValue else { out.append(URL(fileURLWithPath: f)); continue }
            let e = FileManager.default.enumerator(at: URL(fileURLWithPath: f), includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
            var found: [URL] = []
            while let u = e?.nextObject() as? URL {
                if (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { found.append(u) }
            }
            out += found.sorted { $0.path < $1.path }
        }
        return out
    }

    struct Summary: Encodable {
        var destination: String
        var sent: Int
        var failed: Int
    }

    func run() throws {
        let logger = logging.makeLogger(label: "kira.pacs")
        let node = connection.node!
        let list = expanded()
        if list.isEmpty { throw PACSSupport.fail("send", PACSError.local("no files found in \(files.joined(separator: ", "))")) }
        do {
            let sent = try PACS.store(files: list, to: node, logger: logger)
            if json {
                print(try PACSSupport.json(Summary(destination: node.description, sent: sent, failed: 0)))
            } else {
                print("\(sent) files stored at \(node)")
            }
        } catch let PACSError.failed(n, reason, stored) where stored > 0 {
            if json { print(try PACSSupport.json(Summary(destination: n, sent: stored, failed: list.count - stored))) }
            throw PACSSupport.fail("send", PACSError.failed(node: n, reason: reason, received: stored), code: .partial)
        } catch {
            throw PACSSupport.fail("send", error)
        }
    }
}
