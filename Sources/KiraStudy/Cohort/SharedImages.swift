import Dispatch
import Foundation
import KiraCore
import KiraIO

/// The images of a cohort run, each read once however many cases use it (a tumour row and
/// a ring row of one scan share the image): the first case to ask reads it, a case asking
/// while it is being read waits for that read, and the volume is dropped when the last case
/// that uses it has taken it. Thread-safe.
///
/// Memory: a volume stays only until its last user takes it, so the run should start the
/// cases of one image one after the other (`FeatureCohort.run` orders them so); then at most
/// about `jobs` images are held at once.
public final class SharedImages: @unchecked Sendable {
    private final class Entry: @unchecked Sendable {
        let group = DispatchGroup()
        var result: Result<Volume, Error>?
        /// Cases still to take the volume.
        var users: Int
        var isReading = false
        init(users: Int) { self.users = users }
    }
    private var entries: [String: Entry] = [:]
    private let lock = NSLock()

    /// `images`: the image of every case the run will compute, repeated once per case.
    public init(images: [URL]) {
        for url in images {
            let key = Self.key(url)
            if let e = entries[key] { e.users += 1 } else { entries[key] = Entry(users: 1) }
        }
    }

    static func key(_ url: URL) -> String { url.standardizedFileURL.path }

    /// The volume of `url`; each case calls this once for its image. An image not announced
    /// at `init` is read for this caller alone.
    public func take(_ url: URL) throws -> Volume {
        let key = Self.key(url)
        lock.lock()
        guard let e = entries[key] else {
            lock.unlock()
            return try ImageFileReader.read(url)
        }
        e.users -= 1
        if e.users == 0 { entries[key] = nil }
        let reads = e.result == nil && !e.isReading
        if reads { e.isReading = true; e.group.enter() }
        lock.unlock()
        if reads {
            let r = Result { try ImageFileReader.read(url) }
            lock.lock(); e.result = r; lock.unlock()
            e.group.leave()
            return try r.get()
        }
        e.group.wait()
        lock.lock(); let r = e.result!; lock.unlock()
        return try r.get()
    }
}
