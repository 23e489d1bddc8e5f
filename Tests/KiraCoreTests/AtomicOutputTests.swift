import Foundation
import Testing
@testable import KiraCore

/// Atomic writes go through a temporary file and a rename, except onto devices and pipes,
/// which a rename would replace with a plain file.
@Suite struct AtomicOutputTests {
    private func fileType(_ path: String) -> mode_t {
        var st = stat()
        #expect(stat(path, &st) == 0)
        return st.st_mode & S_IFMT
    }

    @Test func devNullStaysADevice() throws {
        try AtomicOutput.write(Data("a,b\n1,2\n".utf8), to: URL(fileURLWithPath: "/dev/null"))
        #expect(fileType("/dev/null") == S_IFCHR)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/dev").filter { $0.hasPrefix(".kira-tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func namedPipeGetsTheBytesAndStaysAPipe() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kira-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("out.csv")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let payload = Data((0..<20_000).map { "row \($0)\n" }.joined().utf8)
        let received = ReceivedBytes()
        let reader = Thread {
            received.data = FileManager.default.contents(atPath: fifo.path)
            received.done.signal()
        }
        reader.start()
        try AtomicOutput.write(payload, to: fifo)
        #expect(received.done.wait(timeout: .now() + 10) == .success)
        #expect(received.data == payload)
        #expect(fileType(fifo.path) == S_IFIFO)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.csv"])
    }

    @Test func regularFileIsReplacedWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kira-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("out.csv")
        try Data(String(repeating: "old\n", count: 1000).utf8).write(to: file)
        try AtomicOutput.write(Data("new\n".utf8), to: file)
        #expect(try Data(contentsOf: file) == Data("new\n".utf8))
        #expect(fileType(file.path) == S_IFREG)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.csv"])
    }
}

private final class ReceivedBytes: @unchecked Sendable {
    var data: Data?
    let done = DispatchSemaphore(value: 0)
}
