import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KiraCore
import Logging

/// The DICOMweb route to a PACS: QIDO-RS to search, WADO-RS to retrieve whole Part 10
/// files, into the same folder layout as `PACS.retrieve` (`<SOPInstanceUID>.dcm`).
public enum DICOMweb {
    public static func search(_ query: PACSQuery, at endpoint: DICOMwebEndpoint, logger: Logger = Logger(label: "kira.dicomweb")) throws -> [PACSMatch] {
        if let p = query.problem { throw PACSError.local(p) }
        typealias T = PACSQuery.Tag
        var params: [(String, String)] = []
        for (tag, value) in query.keys where !value.isEmpty { params.append((tag.replacingOccurrences(of: ",", with: ""), value)) }
        for (tag, value) in query.keys where value.isEmpty { params.append(("includefield", tag.replacingOccurrences(of: ",", with: ""))) }
        let path = query.level == .study ? "/studies" : "/series"
        logger.debug("QIDO-RS \(query.description) at \(endpoint)")
        let (data, status, _) = try request(endpoint, endpoint.url(path, query: params), accept: "application/dicom+json")
        if status == 204 || data.isEmpty { return [] }
        try check(status, endpoint, what: "QIDO-RS \(query.description)")
        guard let items = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw PACSError.failed(node: endpoint.description, reason: "QIDO-RS answer is not a DICOM JSON array", received: 0)
        }
        let matches = items.map { PACSMatch(level: query.level, attributes: attributes($0)) }
        return matches.sorted { ($0.studyDate ?? "", $0.studyUID, $0.seriesNumber ?? 0) < ($1.studyDate ?? "", $1.studyUID, $1.seriesNumber ?? 0) }
    }

    /// Retrieves one study or one series (WADO-RS, one multipart/related answer) into `output`.
    public static func retrieve(studyUID: String? = nil, seriesUID: String? = nil, from endpoint: DICOMwebEndpoint, into output: URL,
                                overwrite: Bool = false, logger: Logger = Logger(label: "kira.dicomweb")) throws -> Retrieval {
        guard (studyUID == nil) != (seriesUID == nil) else { throw PACSError.local("give a study UID or a series UID, not both or neither") }
        let query = PACSQuery(level: seriesUID == nil ? .study : .series, studyUID: studyUID, seriesUID: seriesUID)
        if let p = query.problem { throw PACSError.local(p) }
        if let p = RetrievalFolder.problem(output, overwrite: overwrite) { throw PACSError.local(p) }
        let start = Date()
        guard let match = try search(query, at: endpoint, logger: logger).first else {
            throw PACSError.noMatches(node: endpoint.description, query: query.description)
        }
        let path = "/studies/\(match.studyUID)" + (seriesUID.map { "/series/\($0)" } ?? "")
        logger.debug("WADO-RS \(query.description) from \(endpoint)")
        let (data, status, contentType) = try request(endpoint, endpoint.url(path), accept: "multipart/related; type=\"application/dicom\"")
        if status == 404 { throw PACSError.noMatches(node: endpoint.description, query: query.description) }
        try check(status, endpoint, what: "WADO-RS \(query.description)")
        guard let boundary = MultipartRelated.boundary(contentType: contentType) else {
            throw PACSError.failed(node: endpoint.description, reason: "WADO-RS answer is not multipart/related (Content-Type \(contentType))", received: 0)
        }
        let parts: [MultipartRelated.Part]
        do {
            parts = try MultipartRelated.parse(data, boundary: boundary)
        } catch let PACSError.local(r) {
            throw PACSError.failed(node: endpoint.description, reason: "WADO-RS answer: \(r)", received: 0)
        }
        if parts.isEmpty { throw PACSError.noMatches(node: endpoint.description, query: query.description + " (no instances sent)") }
        let staging = try RetrievalFolder.stage(for: output)
        do {
            for (i, part) in parts.enumerated() {
                guard let meta = Part10Meta.read(part.body), let uid = meta.sopInstanceUID, PACSQuery.isUID(uid) else {
                    throw PACSError.failed(node: endpoint.description, reason: "WADO-RS part \(i + 1) is not a DICOM Part 10 file with a SOP Instance UID", received: 0)
                }
                let file = staging.appendingPathComponent("\(uid).dcm")
                do {
                    try part.body.write(to: file)
                } catch {
                    throw PACSError.local("\(file.path): cannot write: \(error.localizedDescription)")
                }
            }
            let files = try RetrievalFolder.commit(staging, to: output)
            logger.info("retrieved \(files.count) files from \(endpoint) into \(output.path)")
            return Retrieval(folder: output, files: files, seconds: Date().timeIntervalSince(start))
        } catch {
            RetrievalFolder.discard(staging)
            throw error
        }
    }

    /// DICOM JSON (PS3.18 F.2) → "gggg,eeee" → value, values joined by backslashes.
    static func attributes(_ item: [String: Any]) -> [String: String] {
        var out: [String: String] = [:]
        for (key, v) in item where key.count == 8 {
            guard let obj = v as? [String: Any], let values = obj["Value"] as? [Any] else { continue }
            let text = values.compactMap { x -> String? in
                if let s = x as? String { return s }
                if let n = x as? NSNumber { return n.stringValue }
                return nil
            }
            out["\(key.prefix(4).uppercased()),\(key.suffix(4).uppercased())"] = text.joined(separator: "\\")
        }
        return out
    }

    private static func check(_ status: Int, _ endpoint: DICOMwebEndpoint, what: String) throws {
        switch status {
        case 200..<300: return
        case 401, 403: throw PACSError.refused(node: endpoint.description, reason: "\(what): HTTP \(status) (credentials missing or not accepted)")
        default: throw PACSError.failed(node: endpoint.description, reason: "\(what): HTTP \(status)", received: 0)
        }
    }

    private final class Box: @unchecked Sendable {
        var data = Data()
        var response: URLResponse?
        var error: Error?
    }

    private static func request(_ endpoint: DICOMwebEndpoint, _ url: URL, accept: String) throws -> (Data, Int, String) {
        var r = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: endpoint.timeout)
        r.setValue(accept, forHTTPHeaderField: "Accept")
        if let a = endpoint.authorization { r.setValue(a, forHTTPHeaderField: "Authorization") }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: r) { d, resp, e in
            box.data = d ?? Data()
            box.response = resp
            box.error = e
            done.signal()
        }.resume()
        done.wait()
        if let e = box.error {
            // The URL in Foundation's message carries no credentials (they travel in a header).
            throw PACSError.unreachable(node: endpoint.description, reason: e.localizedDescription)
        }
        guard let http = box.response as? HTTPURLResponse else {
            throw PACSError.unreachable(node: endpoint.description, reason: "no HTTP response")
        }
        return (box.data, http.statusCode, http.value(forHTTPHeaderField: "Content-Type") ?? "")
    }
}
