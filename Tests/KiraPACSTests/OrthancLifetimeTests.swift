import Foundation
import KiraTestSupport
import Testing

extension PACSServerTests {
    /// The fixtures above own their Orthanc and stop it in deinit, which Swift Testing runs
    /// when a test ends however it ends. Here the end is a failure: a test body that throws
    /// while holding a server leaves no process behind and frees its DICOM port.
    @Suite struct OrthancLifetimeTests {
        struct Failure: Error {}

        static func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }

        static func accepts(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } == 0
        }

        /// What a failing test does to its fixture: the owner throws mid-test.
        static func failingTest(_ seen: inout (pid: Int32, port: Int, folder: URL)?) throws {
            let server = try OrthancServer()
            seen = (server.pid, server.dicomPort, server.folder)
            #expect(alive(server.pid) && accepts(server.dicomPort))
            throw Failure()
        }

        @Test func aFailingTestLeavesNoServerRunning() throws {
            try #require(OrthancServer.available, "orthanc and orthanc-dicomweb are installed by make peers")
            var seen: (pid: Int32, port: Int, folder: URL)?
            #expect(throws: Failure.self) { try Self.failingTest(&seen) }
            let s = try #require(seen)
            print("Orthanc pid \(s.pid) on port \(s.port): stopped after the failing test")
            #expect(!Self.alive(s.pid), "Orthanc \(s.pid) still runs")
            #expect(!Self.accepts(s.port), "port \(s.port) still accepts connections")
            #expect(!FileManager.default.fileExists(atPath: s.folder.path))
        }
    }
}
