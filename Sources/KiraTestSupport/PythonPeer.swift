import Foundation

/// Runs the Python peer tools (SimpleITK, pingouin, scikit-learn, lifelines, …) that tests
/// use as yardsticks. Scripts live in `Tests/Peers/`.
public enum PythonPeer {
    public static let scripts = TestPaths.packageRoot.appendingPathComponent("Tests/Peers")

    /// Whether `python3 -c "import <module>"` works; cached per module.
    public static func available(_ module: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        if let known = cache[module] { return known }
        let ok = (try? run(["-c", "import \(module)"]))?.status == 0
        cache[module] = ok
        return ok
    }

    /// The reason printed when a test skips for lack of a peer.
    public static func missing(_ module: String) -> String {
        "needs the Python peer module \(module) (make peers installs it); absent here"
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `python3 Tests/Peers/<script> args…`; throws with stderr when it fails.
    @discardableResult
    public static func script(_ name: String, _ args: [String]) throws -> Result {
        let r = try run([scripts.appendingPathComponent(name).path] + args)
        guard r.status == 0 else {
            throw NSError(domain: "PythonPeer", code: Int(r.status),
                          userInfo: [NSLocalizedDescriptionKey: "\(name) failed: \(r.stderr)"])
        }
        return r
    }

    public static func run(_ args: [String]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    nonisolated(unsafe) private static var cache: [String: Bool] = [:]
    private static let lock = NSLock()
}
