import Foundation
import KiraCore
import Logging

/// How files come back from a PACS: C-GET on the query's own association, or C-MOVE to a
/// storage SCP Kira runs on `port` for the duration of the call (the PACS must know Kira's
/// calling AE title at this host and that port).
public enum RetrieveMethod: Sendable, Equatable {
    case get
    case move(port: Int)
}

/// What a retrieve put in place.
public struct Retrieval: Sendable {
    public var folder: URL
    /// The files now in `folder`, named `<SOPInstanceUID>.dcm`, sorted by name.
    public var files: [URL]
    public var seconds: Double
}

/// DICOM networking with a PACS: query (C-FIND), retrieve (C-GET or C-MOVE) into a folder
/// that `kira convert` and studies read, and send files (C-STORE). One association per call.
public enum PACS {
    public static func find(_ query: PACSQuery, at node: PACSNode, logger: Logger = Logger(label: "kira.pacs")) throws -> [PACSMatch] {
        if let p = query.problem { throw PACSError.local(p) }
        logger.debug("C-FIND \(query.description) at \(node)")
        let rows = try DcmNetBridge.find(node, level: query.level.rawValue, keys: query.keys)
        let matches = rows.map { PACSMatch(level: query.level, attributes: $0) }
        return matches.sorted { ($0.studyDate ?? "", $0.studyUID, $0.seriesNumber ?? 0) < ($1.studyDate ?? "", $1.studyUID, $1.seriesNumber ?? 0) }
    }

    /// Retrieves one study or one series into `output` (created; an existing non-empty folder
    /// only with `overwrite`). The PACS is asked first whether it holds the UID, so a wrong UID
    /// is "no match", not an empty folder.
    public static func retrieve(studyUID: String? = nil, seriesUID: String? = nil, from node: PACSNode, method: RetrieveMethod = .get,
                                into output: URL, overwrite: Bool = false, logger: Logger = Logger(label: "kira.pacs")) throws -> Retrieval {
        let query = PACSQuery(level: seriesUID == nil ? .study : .series, studyUID: studyUID, seriesUID: seriesUID)
        guard (studyUID == nil) != (seriesUID == nil) else { throw PACSError.local("give a study UID or a series UID, not both or neither") }
        if let p = query.problem { throw PACSError.local(p) }
        if let p = RetrievalFolder.problem(output, overwrite: overwrite) { throw PACSError.local(p) }
        if case let .move(port) = method, !(1...65535).contains(port) { throw PACSError.local("--move-port \(port) is not a TCP port (1–65535)") }
        let start = Date()
        // Study Root retrieves at series level need the study UID above the series UID.
        let found = try find(query, at: node, logger: logger)
        guard let match = found.first else { throw PACSError.noMatches(node: node.description, query: query.description) }
        var keys: [(tag: String, value: String)] = [(PACSQuery.Tag.studyUID, match.studyUID)]
        if let s = seriesUID { keys.append((PACSQuery.Tag.seriesUID, s)) }
        let staging = try RetrievalFolder.stage(for: output)
        do {
            let t: DcmNetBridge.Transfer
            switch method {
            case .get:
                logger.debug("C-GET \(query.description) from \(node)")
                t = try DcmNetBridge.get(node, level: query.level.rawValue, keys: keys, into: staging)
            case let .move(port):
                logger.debug("C-MOVE \(query.description) from \(node) to \(node.callingAET) on port \(port)")
                t = try DcmNetBridge.move(node, level: query.level.rawValue, keys: keys, port: port, into: staging)
            }
            let staged = RetrievalFolder.files(in: staging)
            if staged.isEmpty { throw PACSError.noMatches(node: node.description, query: query.description + " (nothing was sent)") }
            if t.failed > 0 {
                throw PACSError.failed(node: node.description, reason: "\(t.failed) objects not retrieved", received: staged.count)
            }
            let files = try RetrievalFolder.commit(staging, to: output)
            logger.info("retrieved \(files.count) files from \(node) into \(output.path)")
            return Retrieval(folder: output, files: files, seconds: Date().timeIntervalSince(start))
        } catch {
            RetrievalFolder.discard(staging)
            throw error
        }
    }

    /// Sends DICOM files to `node` over one association. Returns the number stored; throws
    /// (naming the first file refused) when any was not.
    @discardableResult
    public static func store(files: [URL], to node: PACSNode, logger: Logger = Logger(label: "kira.pacs")) throws -> Int {
        guard !files.isEmpty else { throw PACSError.local("no files to send") }
        for f in files where !FileManager.default.isReadableFile(atPath: f.path) {
            throw PACSError.local("\(f.path): cannot read")
        }
        logger.debug("C-STORE \(files.count) files to \(node)")
        let t = try DcmNetBridge.store(node, files: files)
        return t.received
    }
}
