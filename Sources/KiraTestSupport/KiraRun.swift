import Foundation

/// Runs the built `kira` executable and captures what it prints.
public struct KiraRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]) ?? [:]
    }

    public static func callAsFunction(_ args: String...) throws -> KiraRun { try run(args) }

    public static func run(_ args: [String], executable: URL = TestPaths.kiraExecutable) throws -> KiraRun {
        try runProcess(executable, args)
    }
}

public func runProcess(_ executable: URL, _ args: [String]) throws -> KiraRun {
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Read before waiting so a large output cannot fill the pipe and block the child.
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return KiraRun(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                   stderr: String(decoding: e, as: UTF8.self))
}

/// Files a run may have left behind half-written.
public func leftoverTemporaries(in dir: URL) -> [String] {
    let e = FileManager.default.enumerator(atPath: dir.path)
    var out: [String] = []
    while let f = e?.nextObject() as? String {
        if URL(fileURLWithPath: f).lastPathComponent.hasPrefix(".kira-tmp") { out.append(f) }
    }
    return out
}

public func which(_ tool: String) -> URL? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let u = URL(fileURLWithPath: String(dir)).appendingPathComponent(tool)
        if FileManager.default.isExecutableFile(atPath: u.path) { return u }
    }
    return nil
}

/// A kira run stopped by a signal.
public struct InterruptedRun: Sendable {
    public var status: Int32
    public var normalExit: Bool
    public var stderr: String
    /// False when the run had ended before the signal could reach it (the input was too small).
    public var wasRunning: Bool
}

extension KiraRun {
    /// Starts kira with `args`, waits (at most `seconds`) until `ready` holds, then sends `signal`.
    public static func interrupt(_ args: [String], with signal: Int32, within seconds: Double = 10,
                                 when ready: () -> Bool) throws -> InterruptedRun {
        let p = Process()
        p.executableURL = TestPaths.kiraExecutable
        p.arguments = args
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && !ready() && Date() < deadline { usleep(2_000) }
        let wasRunning = p.isRunning
        if wasRunning { kill(p.processIdentifier, signal) }
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return InterruptedRun(status: p.terminationStatus, normalExit: p.terminationReason == .exit,
                              stderr: String(decoding: e, as: UTF8.self), wasRunning: wasRunning)
    }
}
