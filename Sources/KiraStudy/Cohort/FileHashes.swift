import Dispatch
import Foundation
import KiraRadiomics

/// File content hashes (`InputHash`) computed at most once per path in a run:
/// a cohort checks finished cases' inputs and hashes new cases' inputs for their provenance,
/// and several cases may share one image. A second caller asking for a file being hashed
/// waits for that hash instead of reading the file again. Thread-safe.
public final class FileHashes: @unchecked Sendable {
    private final class Entry: @unchecked Sendable {
        let group = DispatchGroup()
        var result: Result<String, Error>?
    }
    private var entries: [String: Entry] = [:]
    private let lock = NSLock()

    public init() {}

    public func hash(_ url: URL) throws -> String {
        let key = url.standardizedFileURL.path
        lock.lock()
        if let e = entries[key] {
            lock.unlock()
            e.group.wait()
            return try e.result!.get()
        }
        let e = Entry()
        e.group.enter()
        entries[key] = e
        lock.unlock()
        e.result = Result { try InputHash.hash(file: url) }
        e.group.leave()
        return try e.result!.get()
    }
}
