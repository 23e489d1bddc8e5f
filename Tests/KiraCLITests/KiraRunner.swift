import Foundation
import KiraTestSupport

/// Runs the built `kira` executable and captures what it prints.
struct KiraRun {
    var status: Int32
    var stdout: String
    var stderr: String

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any]) ?? [:]
    }

    static func callAsFunction(_ args: String...) throws -> KiraRun { try run(args) }

    static func run(_ args: [String], executable: URL = TestPaths.kiraExecutable) throws -> KiraRun {
        try runProcess(executable, args)
    }
}

func runProcess(_ executable: URL, _ args: [String]) throws -> KiraRun {
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
func leftoverTemporaries(in dir: URL) -> [String] {
    let e = FileManager.default.enumerator(atPath: dir.path)
    var out: [String] = []
    while let f = e?.nextObject() as? String {
        if URL(fileURLWithPath: f).lastPathComponent.hasPrefix(".kira-tmp") { out.append(f) }
    }
    return out
}

func which(_ tool: String) -> URL? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
        let u = URL(fileURLWithPath: String(dir)).appendingPathComponent(tool)
        if FileManager.default.isExecutableFile(atPath: u.path) { return u }
    }
    return nil
}
