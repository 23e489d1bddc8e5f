import Dispatch
import Foundation
import KiraCore

/// The outcome of one cohort case as journalled: feature values in column order, or the
/// reason it failed; warnings (e.g. undefined features) and the case's provenance.
public struct CohortRecord: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case ok, failed }
    public var id: String
    public var status: Status
    public var reason: String?
    public var warnings: [String]
    public var names: [String]
    /// nil: the feature is undefined for the case (its reason is in `warnings`).
    public var values: [Double?]
    public var diagnostics: MetaValue?
    public var settingsHash: String

    public init(id: String, status: Status, reason: String? = nil, warnings: [String] = [], names: [String] = [],
                values: [Double?] = [], diagnostics: MetaValue? = nil, settingsHash: String) {
        self.id = id; self.status = status; self.reason = reason; self.warnings = warnings
        self.names = names; self.values = values; self.diagnostics = diagnostics; self.settingsHash = settingsHash
    }
}

/// The files of a cohort run and how a run resumes.
///
/// - `<output>`: the wide table, `id` then one column per feature, one row per finished case.
/// - `<output>.journal`: one JSON line per case finished in this run, flushed as each case
///   ends; an interrupted run leaves it (a torn last line is ignored) and the next run
///   resumes from it.
/// - `<output>.provenance.json`: Kira version, settings and their hash, and each case's
///   diagnostics (input hashes, geometry before and after preprocessing, voxel counts).
/// - `<output>.failures.csv`: `id,status,reason` for failed cases (`failed`, not in the table)
///   and cases with warnings (`warning`, in the table); removed when there are none.
///
/// The three outputs are written atomically at the end, then the journal is removed. Cases
/// already in the table or finished in the journal are offered for reuse with the inputs they
/// were computed from (`load`); the caller compares them with the current inputs and drops
/// (`invalidate`) those that changed, which are then recomputed. Failed cases are retried.
/// Resuming under different settings is refused (settings hash mismatch): every row would be
/// stale, and the table is better kept than silently replaced.
public final class CohortStore: @unchecked Sendable {
    public let output: URL
    public let settingsHash: String
    let settings: MetaValue
    var journalURL: URL { URL(fileURLWithPath: output.path + ".journal") }
    var provenanceURL: URL { URL(fileURLWithPath: output.path + ".provenance.json") }
    var failuresURL: URL { URL(fileURLWithPath: output.path + ".failures.csv") }

    private let lock = NSLock()
    private var journal: FileHandle?
    /// When the journal was last forced to disk. Each record is written as its case ends, which
    /// survives the process being killed; forcing it to disk (against a power loss) at most once
    /// a second keeps a cohort of millisecond cases from waiting on the disk after every case.
    private var lastSync = ContinuousClock.now
    /// Rows of the existing table, by id, with its header.
    private var existingHeader: [String] = []
    private var existingRows: [(id: String, cells: [String: String])] = []
    private var existingDiagnostics: [String: MetaValue] = [:]
    private var records: [String: CohortRecord] = [:]
    /// A value's text in the table (deep features print as the Float they are).
    let format: @Sendable (Double) -> String

    public init(output: URL, settings: MetaValue, settingsHash: String, format: @escaping @Sendable (Double) -> String = CSVWriter.format) {
        self.output = output
        self.settings = settings
        self.settingsHash = settingsHash
        self.format = format
    }

    /// Reads what earlier runs left; returns the ids already done with the inputs each was
    /// computed from. `fresh` ignores them (the journal is emptied now, the table and
    /// provenance are replaced at the end).
    public func load(fresh: Bool = false) throws -> [String: CaseInputs] {
        var done: [String: CaseInputs] = [:]
        let fm = FileManager.default
        if !fresh && fm.fileExists(atPath: output.path) {
            guard let data = fm.contents(atPath: provenanceURL.path),
                  case let .object(doc)? = try? JSONDecoder().decode(MetaValue.self, from: data) else {
                throw KiraError.invalidArgument("\(output.path) exists without a readable \(provenanceURL.lastPathComponent), so its settings are unknown; remove it or choose another -o")
            }
            if let hash = doc["settings_hash"]?.stringValue, hash != settingsHash {
                throw KiraError.invalidArgument("\(output.path) was computed with other settings (hash \(hash), now \(settingsHash)); remove it or choose another -o")
            }
            if case let .object(cases)? = doc["cases"] { existingDiagnostics = cases }
            let table = try CSVTable(contentsOf: output)
            let idColumn = try table.columnIndex("id")
            existingHeader = table.header
            for row in table.rows {
                var cells: [String: String] = [:]
                for (k, name) in table.header.enumerated() where k != idColumn { cells[name] = row[k] }
                existingRows.append((row[idColumn], cells))
                done[row[idColumn]] = CaseInputs(diagnostics: existingDiagnostics[row[idColumn]])
            }
        }
        if !fresh, let data = fm.contents(atPath: journalURL.path) {
            let decoder = JSONDecoder()
            for line in data.split(separator: UInt8(ascii: "\n")) {
                // A torn last line (interrupted write) does not decode and is dropped.
                guard let r = try? decoder.decode(CohortRecord.self, from: Data(line)) else { continue }
                if r.settingsHash != settingsHash {
                    throw KiraError.invalidArgument("\(journalURL.path) was written with other settings (hash \(r.settingsHash), now \(settingsHash)); remove it or choose another -o")
                }
                if r.status == .ok { records[r.id] = r; done[r.id] = CaseInputs(diagnostics: r.diagnostics) }
            }
        }
        // Rewrite the journal with the records kept, so torn lines do not accumulate.
        let kept = try records.values.sorted { $0.id < $1.id }.map { try Self.line($0) }
        try AtomicOutput.write(kept.reduce(Data(), +), to: journalURL)
        journal = try FileHandle(forWritingTo: journalURL)
        try journal?.seekToEnd()
        return done
    }

    /// One journal line: the record as `JSONEncoder` would write it, read back by `Codable`.
    static func line(_ r: CohortRecord) throws -> Data {
        if let k = r.values.firstIndex(where: { $0.map { !$0.isFinite } ?? false }) {
            throw KiraError.invalidArgument("case \(r.id): feature \(k < r.names.count ? r.names[k] : "#\(k)") is \(r.values[k]!), which a journal cannot record; undefined values are nil")
        }
        var fields: [String: MetaValue] = [
            "id": .string(r.id), "status": .string(r.status.rawValue),
            "warnings": .array(r.warnings.map { .string($0) }), "names": .array(r.names.map { .string($0) }),
            "values": .array(r.values.map { $0.map { .number($0) } ?? .null }),
            "settingsHash": .string(r.settingsHash),
        ]
        if let reason = r.reason { fields["reason"] = .string(reason) }
        if let d = r.diagnostics { fields["diagnostics"] = d }
        return Data((MetaValue.object(fields).compactJSON + "\n").utf8)
    }

    /// Forgets what earlier runs left for case `id` (its inputs changed): its row, its
    /// provenance and any journalled record, so that a failed recomputation leaves no stale row.
    public func invalidate(_ id: String) {
        lock.lock(); defer { lock.unlock() }
        existingRows.removeAll { $0.id == id }
        existingDiagnostics[id] = nil
        records[id] = nil
    }

    /// Records a finished case (thread-safe) and flushes it to the journal.
    public func append(_ record: CohortRecord) throws {
        let data = try Self.line(record)
        lock.lock(); defer { lock.unlock() }
        records[record.id] = record
        try journal?.write(contentsOf: data)
        if ContinuousClock.now - lastSync >= .seconds(1) {
            try journal?.synchronize()
            lastSync = .now
        }
    }

    /// Writes the table, provenance and failures; `order` lists case ids in manifest order.
    /// Returns the failed records of this run.
    @discardableResult
    public func finish(order: [String]) throws -> [CohortRecord] {
        lock.lock(); defer { lock.unlock() }
        try journal?.close()
        journal = nil
        // Columns: the existing table's, then any new ones in first-seen order.
        var columns = existingHeader.filter { $0 != "id" }
        var known = Set(columns)
        let okRecords = order.compactMap { records[$0] }.filter { $0.status == .ok }
        for r in okRecords { for n in r.names where known.insert(n).inserted { columns.append(n) } }
        var rowsById: [String: [String]] = [:]
        for (id, cells) in existingRows { rowsById[id] = [id] + columns.map { cells[$0] ?? "" } }
        for r in okRecords {
            let byName = Dictionary(zip(r.names, r.values), uniquingKeysWith: { a, _ in a })
            rowsById[r.id] = [r.id] + columns.map { byName[$0].flatMap { $0 }.map(format) ?? "" }
        }
        var writer = CSVWriter(header: ["id"] + columns)
        var written = Set<String>()
        for id in order + existingRows.map(\.id) where !written.contains(id) {
            if let row = rowsById[id] { writer.append(row); written.insert(id) }
        }
        try writer.write(to: output)

        var cases = existingDiagnostics
        for r in okRecords { cases[r.id] = r.diagnostics ?? .null }
        let doc = MetaValue.object([
            "kira_version": .string(KiraVersion.current), "settings": settings,
            "settings_hash": .string(settingsHash), "cases": .object(cases),
        ])
        try AtomicOutput.write(Data((doc.prettyJSON + "\n").utf8), to: provenanceURL)

        let failed = order.compactMap { records[$0] }.filter { $0.status == .failed }
        let warned = okRecords.filter { !$0.warnings.isEmpty }
        if failed.isEmpty && warned.isEmpty {
            try? FileManager.default.removeItem(at: failuresURL)
        } else {
            var f = CSVWriter(header: ["id", "status", "reason"])
            for r in failed { f.append([r.id, "failed", r.reason ?? "unknown error"]) }
            for r in warned { for w in r.warnings { f.append([r.id, "warning", w]) } }
            try f.write(to: failuresURL)
        }
        try? FileManager.default.removeItem(at: journalURL)
        return failed
    }
}
