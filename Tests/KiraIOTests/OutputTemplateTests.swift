import Foundation
import KiraCore
@testable import KiraIO
import KiraTestSupport
import Testing

@Suite struct OutputTemplateTests {
    @Test(arguments: ["../x", "a/../b", "/abs/{series}", "./{series}", "a//b", "{series", "{nope}", ""])
    func unsafeOrBrokenTemplatesAreRejected(template: String) {
        #expect(throws: KiraError.self) { try OutputTemplate(template) }
    }

    /// Header values come from outside: none may add a folder, climb out or hide the file.
    @Test(arguments: [
        ("../../etc/passwd", "_etc_passwd"),
        ("T1 AX/post..contrast", "T1_AX_post_contrast"),
        (".hidden", "hidden"),
        ("Ax DCE+C (phase 1)", "Ax_DCE+C_phase_1_"),
        ("", "na"),
    ])
    func fieldValuesAreSanitised(value: String, expected: String) throws {
        let t = try OutputTemplate("{description}")
        #expect(t.render(["description": value]) == expected)
    }

    /// A missing field goes with the separator before it (NIfTI/NRRD inputs have no series).
    @Test(arguments: [
        (["source": "brain1"], "brain1"),
        (["source": "dce", "series": "7"], "dce_7"),
        (["source": "dce", "description": "t2 tse"], "dce_t2_tse"),
        (["series": "7", "description": "t2"], "7_t2"),
        (["description": "t2"], "t2"),
        ([:], "na"),
    ])
    func missingFieldsAreLeftOut(values: [String: String], expected: String) throws {
        #expect(try OutputTemplate(OutputTemplate.defaultTemplate).render(values) == expected)
    }

    @Test func missingFieldsInSubfolders() throws {
        let t = try OutputTemplate("{modality}/{series}_{description}")
        #expect(t.render(["series": "7", "description": "t2"]) == "na/7_t2")
        #expect(t.render(["modality": "MR", "description": "t2"]) == "MR/t2")
        #expect(t.render(["modality": "MR"]) == "MR/na")
    }

    @Test func templateMayNameSubfolders() throws {
        let t = try OutputTemplate("{modality}/{series}_{description}")
        #expect(t.render(["modality": "MR", "series": "7", "description": "t2 tse"]) == "MR/7_t2_tse")
    }
}

@Suite struct SidecarTests {
    static func volume(metadata: [String: MetaValue]) throws -> Volume {
        try Volume(geometry: Geometry(size: [2, 2, 1], spacing: [0.5, 0.5, 1]), voxels: .int16([1, 2, 3, 4]), metadata: metadata)
    }

    @Test func patientFieldsAreDroppedUnlessKept() throws {
        let v = try Self.volume(metadata: ["PatientName": "Doe^Jane", "PatientID": "123", "Modality": "MR",
                                           "SeriesInstanceUID": "1.2.3", "EchoTime": 0.012])
        let doc = Sidecar.document(for: v, sources: ["a.dcm"], keepPHI: false)
        for k in ["PatientName", "PatientID", "SeriesInstanceUID"] { #expect(doc[k] == nil) }
        #expect(doc["Modality"] == "MR")
        #expect(doc["EchoTime"] == .number(0.012))
        let kept = Sidecar.document(for: v, sources: ["a.dcm"], keepPHI: true)
        #expect(kept["PatientName"] == "Doe^Jane")
    }

    @Test func geometryIsRecordedExactly() throws {
        let v = try Self.volume(metadata: [:])
        let data = try Sidecar.encode(Sidecar.document(for: v, sources: [], keepPHI: false))
        let obj = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let g = try #require(obj["KiraGeometry"] as? [String: Any])
        #expect(g["Size"] as? [Int] == [2, 2, 1, 1])
        #expect(g["Spacing"] as? [Double] == [0.5, 0.5, 1])
        #expect(g["ScalarType"] as? String == "int16")
        // RAS affine of an identity LPS grid flips x and y.
        let a = try #require(g["AffineRAS"] as? [[Double]])
        #expect(a[0] == [-0.5, 0, 0, -0.0] || a[0] == [-0.5, 0, 0, 0])
        #expect(a[1][1] == -0.5)
    }
}

@Suite struct AtomicOutputTests {
    /// A writer that fails half-way leaves neither the destination nor its temporary file.
    @Test func failedWriteLeavesNothing() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dest = dir.appendingPathComponent("out.nii")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try AtomicOutput.write(to: dest) { tmp in
                try Data(repeating: 7, count: 1000).write(to: tmp)
                throw Boom()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func existingFileIsReplacedOnlyWhenComplete() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dest = dir.appendingPathComponent("s.json")
        try Data("old".utf8).write(to: dest)
        struct Boom: Error {}
        _ = try? AtomicOutput.write(to: dest) { tmp in
            try Data("partial".utf8).write(to: tmp)
            throw Boom()
        }
        #expect(try String(contentsOf: dest, encoding: .utf8) == "old")
        try AtomicOutput.write(Data("new".utf8), to: dest)
        #expect(try String(contentsOf: dest, encoding: .utf8) == "new")
    }

    private func fileType(_ path: String) -> mode_t {
        var st = stat()
        #expect(stat(path, &st) == 0)
        return st.st_mode & S_IFMT
    }

    /// Devices and pipes are written in place: a rename would replace them with a plain file
    /// (`-o /dev/null` as root), and an unprivileged user cannot create a file in /dev.
    @Test func devNullStaysADevice() throws {
        try AtomicOutput.write(Data("a,b\n1,2\n".utf8), to: URL(fileURLWithPath: "/dev/null"))
        #expect(fileType("/dev/null") == S_IFCHR)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/dev").filter { $0.hasPrefix(".kira-tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func namedPipeGetsTheBytesAndStaysAPipe() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("out.csv")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let payload = Data((0..<20_000).map { "row \($0)\n" }.joined().utf8)
        let received = ReceivedBytes()
        // A reader that reads to end of file (FileManager would take the pipe's size, 0).
        let reader = Thread {
            let fd = open(fifo.path, O_RDONLY)
            var bytes = Data(), chunk = [UInt8](repeating: 0, count: 65_536)
            while fd >= 0 {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { break }
                bytes.append(contentsOf: chunk[0..<n])
            }
            if fd >= 0 { close(fd) }
            received.data = bytes
            received.done.signal()
        }
        reader.start()
        try AtomicOutput.write(payload, to: fifo)
        #expect(received.done.wait(timeout: .now() + 10) == .success)
        #expect(received.data == payload)
        #expect(fileType(fifo.path) == S_IFIFO)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.csv"])
    }
}

private final class ReceivedBytes: @unchecked Sendable {
    var data: Data?
    let done = DispatchSemaphore(value: 0)
}
