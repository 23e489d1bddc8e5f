import Foundation
import KiraCore
import KiraPACS
import KiraRadiomics
import Logging

/// Where a study's images come from when the cohort names series instead of paths:
/// `source: {pacs: {host, port, aet, calling_aet}}` or `source: {dicomweb: URL}`. With a
/// source, an image cell that is a UID is a Series Instance UID; `kira study run` and
/// `kira study branch` retrieve each such series once into OUTPUT/pacs/<UID>/ (staged, then
/// renamed, so a folder there is always complete) and read it from there. Masks stay files.
public enum StudySource: Sendable, CustomStringConvertible {
    case pacs(PACSNode)
    case dicomweb(DICOMwebEndpoint)

    /// The source without credentials, as messages and summary.json show it.
    public var description: String {
        switch self {
        case let .pacs(n): "PACS \(n)"
        case let .dicomweb(e): "DICOMweb \(e)"
        }
    }

    /// What summary.json records for `source:` (the DICOMweb URL without user information).
    var redacted: MetaValue {
        switch self {
        case let .pacs(n):
            .object(["pacs": .object(["host": .string(n.host), "port": .integer(n.port), "aet": .string(n.calledAET),
                                      "calling_aet": .string(n.callingAET)])])
        case let .dicomweb(e): .object(["dicomweb": .string(e.description)])
        }
    }

    static func parse(_ v: ConfigValue, _ r: StudyReader) throws -> StudySource {
        let m = try r.map(v, "source", known: ["pacs", "dicomweb"], what: "{pacs: {host, port, aet, calling_aet}} or {dicomweb: URL}")
        guard m.count == 1 else { throw r.fail("source", "give one of pacs or dicomweb") }
        if let url = r.value(m, "dicomweb") {
            guard case let .string(text) = url, !text.isEmpty else { throw r.fail("source.dicomweb", "expected a URL") }
            do {
                return .dicomweb(try DICOMwebEndpoint(text, bearerToken: ProcessInfo.processInfo.environment["KIRA_DICOMWEB_TOKEN"]))
            } catch let e as PACSError {
                throw r.fail("source.dicomweb", e.description)
            }
        }
        return .pacs(try node(try r.required(m, "pacs", "source"), "source.pacs", r))
    }

    /// A DIMSE peer `{host, port, aet, calling_aet, timeout}` at key path `path` (also the
    /// study file's `destination.pacs`).
    static func node(_ v: ConfigValue, _ path: String, _ r: StudyReader) throws -> PACSNode {
        let p = try r.map(v, path, known: ["host", "port", "aet", "calling_aet", "timeout"],
                          what: "a mapping {host, port, aet, calling_aet}")
        let host = try r.string(try r.required(p, "host", path), "\(path).host", what: "a host name")
        let port = try r.integer(try r.required(p, "port", path), "\(path).port", atLeast: 1)
        let aet = try r.string(try r.required(p, "aet", path), "\(path).aet", what: "an AE title")
        let calling = try r.value(p, "calling_aet").map { try r.string($0, "\(path).calling_aet", what: "an AE title") } ?? "KIRA"
        let timeout = try r.value(p, "timeout").map { try r.integer($0, "\(path).timeout", atLeast: 1) } ?? 30
        if let problem = PACSNode.problem(host: host, port: port, calledAET: aet, callingAET: calling) {
            throw r.fail(path, problem.replacingOccurrences(of: "--called-aet", with: "aet").replacingOccurrences(of: "--calling-aet", with: "calling_aet")
                .replacingOccurrences(of: "--port", with: "port").replacingOccurrences(of: "--host", with: "host"))
        }
        return PACSNode(host: host, port: port, calledAET: aet, callingAET: calling, timeout: timeout)
    }

    /// The folder a series of the source is read from.
    public static func folder(output: URL, seriesUID: String) -> URL {
        output.appendingPathComponent("pacs").appendingPathComponent(seriesUID)
    }

    /// Whether a cohort cell names a series of the source rather than a path.
    static func isSeriesUID(_ cell: String) -> Bool { PACSQuery.isUID(cell.trimmingCharacters(in: .whitespaces)) }

    /// Retrieves the series of `cases` (all when nil) not yet in OUTPUT/pacs. A series that
    /// cannot be retrieved is logged with its case and reason and left absent: its branches
    /// then fail at load (and are listed in failures.csv) while the others go on.
    /// Returns the number retrieved.
    @discardableResult
    public static func pull(study: StudySpec, cohort: StudyCohort, cases: Set<String>? = nil, logger: Logger) -> Int {
        guard let source = study.source else { return 0 }
        let root = study.output.appendingPathComponent("pacs").standardizedFileURL.path
        var pulled = 0
        var seen: Set<String> = []
        for c in cohort.cases where cases?.contains(c.id) ?? true {
            for m in study.modalities {
                guard let url = c.images[m.name] ?? nil, url.deletingLastPathComponent().standardizedFileURL.path == root else { continue }
                let uid = url.lastPathComponent
                guard seen.insert(uid).inserted, !FileManager.default.fileExists(atPath: url.path) else { continue }
                do {
                    let r: Retrieval
                    switch source {
                    case let .pacs(node): r = try PACS.retrieve(seriesUID: uid, from: node, into: url, logger: logger)
                    case let .dicomweb(e): r = try DICOMweb.retrieve(seriesUID: uid, from: e, into: url, logger: logger)
                    }
                    pulled += 1
                    logger.info("case \(c.id) \(m.name): series \(uid): \(r.files.count) files from \(source)")
                } catch {
                    logger.error("case \(c.id) \(m.name): series \(uid) not retrieved: \(error)")
                }
            }
        }
        return pulled
    }
}
