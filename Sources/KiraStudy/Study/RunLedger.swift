import Foundation
import GRDB
import KiraCore

/// The run ledger: `results/ledger.sqlite` (SQLite in WAL mode through GRDB), one row per
/// step × case × modality × reader with its status, input hashes, output path, timings and
/// error, and one row per run. A branch (case × modality × reader) has a `branch` row and one
/// row for each of its steps: load, qc, preprocess (with resampling), regions, features. Each change is its own transaction, so a run killed at any
/// moment leaves the ledger as of its last finished change; a row's key makes a rerun update
/// it in place (no duplicates). Cohort-level steps use case "*".
public final class RunLedger: @unchecked Sendable {
    public struct Entry: Sendable, Codable, Equatable {
        public var step: String
        public var caseID: String
        public var modality: String
        public var reader: String
        /// running, done, reused or failed.
        public var status: String
        public var inputHashes: String?
        public var cacheKey: String?
        public var output: String?
        public var started: Double?
        public var finished: Double?
        public var seconds: Double?
        public var error: String?
        public var run: Int?

        enum CodingKeys: String, CodingKey {
            case step, caseID = "case", modality, reader, status, inputHashes = "input_hashes", cacheKey = "cache_key",
                 output, started, finished, seconds, error, run
        }
    }

    public struct Run: Sendable, Codable, Equatable {
        public var id: Int
        public var started: Double
        public var finished: Double?
        public var status: String
        public var jobs: Int?
    }

    public let url: URL
    private let pool: DatabasePool
    public private(set) var runID = 0

    /// Opens (creating when `create`) the ledger at `url`.
    public init(url: URL, create: Bool = true) throws {
        self.url = url
        if !create && !FileManager.default.fileExists(atPath: url.path) {
            throw KiraError.invalidArgument("\(url.path): no run ledger (has `kira study run` been run?)")
        }
        do {
            var config = Configuration()
            config.busyMode = .timeout(10)
            pool = try DatabasePool(path: url.path, configuration: config)
            try pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, started REAL NOT NULL, finished REAL,
                        status TEXT NOT NULL, jobs INTEGER);
                    CREATE TABLE IF NOT EXISTS steps (
                        step TEXT NOT NULL, case_id TEXT NOT NULL, modality TEXT NOT NULL, reader TEXT NOT NULL,
                        status TEXT NOT NULL, input_hashes TEXT, cache_key TEXT, output TEXT,
                        started REAL, finished REAL, seconds REAL, error TEXT, run INTEGER,
                        PRIMARY KEY (step, case_id, modality, reader));
                    """)
            }
        } catch let e as KiraError { throw e } catch {
            throw KiraError.unreadable(path: url.path, reason: "the run ledger cannot be opened: \(error)")
        }
    }

    public func beginRun(jobs: Int) throws {
        runID = try pool.write { db in
            try db.execute(sql: "INSERT INTO runs (started, status, jobs) VALUES (?, 'running', ?)",
                           arguments: [Date().timeIntervalSince1970, jobs])
            return Int(db.lastInsertedRowID)
        }
    }

    public func finishRun(status: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE runs SET finished = ?, status = ? WHERE id = ?",
                           arguments: [Date().timeIntervalSince1970, status, runID])
        }
    }

    /// Inserts or replaces the row of `entry`'s step × case × modality × reader.
    public func record(_ e: Entry) throws {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO steps (step, case_id, modality, reader, status, input_hashes, cache_key, output, started, finished, seconds, error, run)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (step, case_id, modality, reader) DO UPDATE SET
                    status = excluded.status, input_hashes = excluded.input_hashes, cache_key = excluded.cache_key,
                    output = excluded.output, started = excluded.started, finished = excluded.finished,
                    seconds = excluded.seconds, error = excluded.error, run = excluded.run
                """, arguments: [e.step, e.caseID, e.modality, e.reader, e.status, e.inputHashes, e.cacheKey, e.output,
                                 e.started, e.finished, e.seconds, e.error, runID])
        }
    }

    /// Drops the rows this run did not touch: branches of cases, modalities or readers no
    /// longer in the study. Called only after a run that reached its end.
    public func pruneStale() throws {
        try pool.write { db in try db.execute(sql: "DELETE FROM steps WHERE run IS NOT ?", arguments: [runID]) }
    }

    public func entries() throws -> [Entry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM steps ORDER BY
                    case_id = '*',
                    case_id, modality, reader,
                    CASE step WHEN 'branch' THEN 0 WHEN 'load' THEN 1 WHEN 'qc' THEN 2 WHEN 'preprocess' THEN 3
                              WHEN 'regions' THEN 4 WHEN 'features' THEN 5 WHEN 'icc' THEN 6 WHEN 'fuse' THEN 7
                              WHEN 'model' THEN 8 WHEN 'evaluate' THEN 9 WHEN 'survival' THEN 10 WHEN 'analysis' THEN 11
                              ELSE 12 END
                """).map { r in
                Entry(step: r["step"], caseID: r["case_id"], modality: r["modality"], reader: r["reader"], status: r["status"],
                      inputHashes: r["input_hashes"], cacheKey: r["cache_key"], output: r["output"], started: r["started"],
                      finished: r["finished"], seconds: r["seconds"], error: r["error"], run: r["run"])
            }
        }
    }

    public func runs() throws -> [Run] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map { r in
                Run(id: r["id"], started: r["started"], finished: r["finished"], status: r["status"], jobs: r["jobs"])
            }
        }
    }
}
