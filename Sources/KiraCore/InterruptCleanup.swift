import Foundation

/// What an interrupted run would leave half-made, and how far it got.
///
/// Writers register a temporary path before creating it and hand it back when it is renamed
/// into place or removed; outputs that only make sense together (a NIfTI and its sidecar)
/// are registered until both exist. Folders made for outputs are recorded. On SIGINT or
/// SIGTERM the executable calls `interrupt`, which removes every registered path and every
/// recorded folder left empty, prints one line and exits; a failed run removes the empty
/// folders with `removeEmptyCreatedFolders`. One lock guards everything, and `interrupt`
/// never releases it, so no writer can rename a file into place or register a new one while
/// the process is being stopped.
public enum InterruptCleanup {
    /// How far a run got, in its own unit ("3 of 7 series written").
    public struct Progress: Sendable, Equatable {
        public var done = 0
        public var total: Int?
        public var unit = "files"
        public var verb = "written"
        /// Added after the count, e.g. that a journal was kept for resuming.
        public var note: String?

        public init(done: Int = 0, total: Int? = nil, unit: String = "files", verb: String = "written", note: String? = nil) {
            self.done = done
            self.total = total
            self.unit = unit
            self.verb = verb
            self.note = note
        }
    }

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var paths: [String: Int] = [:]
        var folders: [String] = []
        /// Staging folders removed with their contents on an interrupt.
        var trees: [String] = []
        var progress = Progress()
        /// Set when a command reports its own progress; renamed files are then not counted.
        var custom = false
    }

    private static let state = State()

    /// Records `url` as something to remove if the run stops now.
    public static func register(_ url: URL) {
        state.lock.lock(); defer { state.lock.unlock() }
        state.paths[url.path, default: 0] += 1
    }

    /// A staging folder filled before it is renamed into place: an interrupt removes it and
    /// everything in it, so its files need not be registered one by one. Whoever fills it
    /// must make its folders one level at a time (never with intermediate folders), so that
    /// nothing is made again under it once it is gone.
    public static func registerTree(_ url: URL) {
        state.lock.lock(); defer { state.lock.unlock() }
        state.trees.append(url.path)
    }

    /// The staging folder was renamed into place or removed.
    public static func unregisterTree(_ url: URL) {
        state.lock.lock(); defer { state.lock.unlock() }
        state.trees.removeAll { $0 == url.path }
    }

    /// `url` is complete or already removed; it is left alone from now on.
    public static func unregister(_ url: URL) {
        state.lock.lock(); defer { state.lock.unlock() }
        unregisterLocked(url.path)
    }

    private static func unregisterLocked(_ path: String) {
        guard let n = state.paths[path] else { return }
        state.paths[path] = n > 1 ? n - 1 : nil
    }

    /// Renames a registered temporary file into place and unregisters it in one step, so an
    /// interrupt sees either the temporary (and removes it) or the finished file. Returns
    /// errno on failure, 0 on success.
    public static func commit(_ tmp: URL, to destination: URL) -> Int32 {
        state.lock.lock(); defer { state.lock.unlock() }
        guard rename(tmp.path, destination.path) == 0 else { return errno }
        unregisterLocked(tmp.path)
        if !state.custom { state.progress.done += 1 }
        return 0
    }

    /// Outputs that belong together are complete: unregisters them and counts one unit done.
    public static func complete(_ urls: [URL]) {
        state.lock.lock(); defer { state.lock.unlock() }
        for u in urls { unregisterLocked(u.path) }
        state.progress.done += 1
    }

    /// Sets what the interrupt message counts (`nil` total: not known yet). From the first call
    /// on, files renamed into place no longer count on their own; `complete` and `advance` do.
    public static func setProgress(total: Int?, unit: String, verb: String = "written", note: String? = nil) {
        state.lock.lock(); defer { state.lock.unlock() }
        let done = state.custom ? state.progress.done : 0
        state.custom = true
        state.progress = Progress(done: done, total: total, unit: unit, verb: verb, note: note)
    }

    /// Counts `n` more units done (for commands that call `setProgress`).
    public static func advance(by n: Int = 1) {
        state.lock.lock(); defer { state.lock.unlock() }
        state.progress.done += n
    }

    /// The number of output files a command will write, when it writes only files.
    public static func expectFiles(_ total: Int) {
        state.lock.lock(); defer { state.lock.unlock() }
        if !state.custom && total > 0 { state.progress.total = total }
    }

    public static var progress: Progress {
        state.lock.lock(); defer { state.lock.unlock() }
        return state.progress
    }

    /// Creates `url` and any missing parents, recording those it made.
    public static func createDirectory(at url: URL) throws {
        let created = try OutputLocation.createFolder(url)
        state.lock.lock(); defer { state.lock.unlock() }
        // Deepest first, so a parent is tried once its children are gone.
        state.folders.insert(contentsOf: created.reversed().map(\.path), at: 0)
    }

    /// Removes the folders this run made that are empty now (deepest first).
    public static func removeEmptyCreatedFolders() {
        state.lock.lock(); defer { state.lock.unlock() }
        removeEmptyFoldersLocked()
    }

    private static func removeEmptyFoldersLocked() {
        for f in state.folders { rmdir(f) }
        state.folders.removeAll()
    }

    /// The line printed on an interrupt, e.g.
    /// "kira convert: interrupted (SIGINT); 3 of 7 series written, no partial file left".
    public static func message(command: String, signal: String, progress p: Progress) -> String {
        let count: String
        if let total = p.total {
            count = "\(p.done) of \(total) \(p.unit) \(p.verb)"
        } else if p.done > 0 {
            count = "\(p.done) \(p.unit) \(p.verb)"
        } else {
            count = "no \(p.unit) \(p.verb)"
        }
        return "\(command): interrupted (\(signal)); \(count)\(p.note.map { ", \($0)" } ?? ""), no partial file left"
    }

    /// Removes every registered path and the empty folders made, prints the message on
    /// stderr and exits with `status`. Holds the lock to the end: writers block.
    public static func interrupt(signal name: String, command: String, status: Int32) -> Never {
        state.lock.lock()
        for path in state.paths.keys { unlink(path) }
        // Renamed first, so that a writer still running cannot add to the tree being removed
        // (it makes folders one level at a time, and those fail once the parent is gone).
        for tree in state.trees {
            let doomed = tree + ".removing"
            let path = rename(tree, doomed) == 0 ? doomed : tree
            // A writer whose open() resolved its folder just before the rename can still
            // create a file there after the first pass listed it (rmdir then fails, as seen
            // once under CI load); no path reaches the renamed tree, so a later pass wins.
            for _ in 0..<5 where FileManager.default.fileExists(atPath: path) {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        removeEmptyFoldersLocked()
        let line = message(command: command, signal: name, progress: state.progress) + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        _exit(status)
    }
}
