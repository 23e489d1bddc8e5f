import Foundation

/// Runs the Python peer tools (SimpleITK, pingouin, scipy, scikit-learn, lifelines, …) that
/// tests compare against. Tests that need one skip with a printed reason when `python3`
/// cannot import it. Longer peer scripts live in `Tests/Peers/`.
public enum PythonPeer {
    public static let scripts = TestPaths.packageRoot.appendingPathComponent("Tests/Peers")

    private static let lock = NSLock()
    nonisolated(unsafe) private static var importable: [String: Bool] = [:]

    /// True when `python3 -c "import <module>"` succeeds (checked once per module).
    public static func has(_ module: String) -> Bool {
        lock.lock()
        if let known = importable[module] { lock.unlock(); return known }
        lock.unlock()
        let ok = (try? run("import \(module)")) != nil
        lock.lock(); importable[module] = ok; lock.unlock()
        return ok
    }

    /// The reason printed by a test skipped because a peer module is absent.
    public static func missing(_ module: String) -> String {
        "needs the Python peer '\(module)' (python3 -c \"import \(module)\" fails; run `make peers`)"
    }

    public struct PeerFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { "python3 failed: \(message)" }
    }

    /// Runs `script` with `python3 -c`, passing `arguments` as sys.argv[1...]; returns stdout.
    /// A non-zero exit throws with the script's stderr.
    @discardableResult
    public static func run(_ script: String, arguments: [String] = []) throws -> String {
        try invoke(["-c", script] + arguments)
    }

    /// Runs `Tests/Peers/<name>` with `arguments`; returns stdout.
    @discardableResult
    public static func script(_ name: String, _ arguments: [String]) throws -> String {
        try invoke([scripts.appendingPathComponent(name).path] + arguments)
    }

    private static func invoke(_ arguments: [String]) throws -> String {
        let r = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + arguments)
        guard r.status == 0 else { throw PeerFailure(message: r.stderr) }
        return r.stdout
    }

    /// Writes raw native-endian values for numpy's `fromfile`.
    public static func writeRaw<T>(_ values: [T], to url: URL) throws {
        try values.withUnsafeBytes { try Data($0).write(to: url) }
    }

    /// Reads raw float64 values written by numpy's `tofile`.
    public static func readDoubles(_ url: URL) throws -> [Double] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    }
}
