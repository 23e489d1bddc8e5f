import Dispatch
import Foundation
import KiraCore
import KiraIO
import KiraStudy
import KiraTestSupport
import Testing

/// A cohort reads each image once for all the cases that use it, and forgets it once the
/// last of them has it. The file is rewritten between takes, so which content a take returns
/// shows whether it was read again.
@Suite struct SharedImagesTests {
    func write(_ value: Float, to url: URL) throws {
        let g = Geometry(size: [4, 3, 2], spacing: [1, 1, 2])
        try NIfTIWriter.write(try Volume(geometry: g, voxels: .float32([Float](repeating: value, count: 24))), to: url)
    }

    @Test func readOnceForItsCasesThenForgotten() throws {
        let dir = try TestPaths.temporaryDirectory("shared-images")
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.nii"), b = dir.appendingPathComponent("b.nii.gz")
        try write(1, to: a)
        try write(5, to: b)
        let images = SharedImages(images: [a, b, URL(fileURLWithPath: dir.path + "/./a.nii"), a])
        // Two cases of a at once: one reads, the other waits for that read.
        let first = ConcurrentResults()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in first.add("\((try? images.take(a).voxels.toDoubles().first) ?? -1)") }
        #expect(first.values == ["1.0", "1.0"])
        try write(2, to: a)
        // The third case of a still gets what was read for the run.
        #expect(try images.take(a).voxels.toDoubles() == [Double](repeating: 1, count: 24))
        // Its cases all served, a is read afresh; b was never shared.
        #expect(try images.take(a).voxels.toDoubles().first == 2)
        #expect(try images.take(b).voxels.toDoubles().first == 5)
        #expect(throws: (any Error).self) { try images.take(dir.appendingPathComponent("absent.nii")) }
    }

    /// A failed read is every waiting case's failure, not a retry per case.
    @Test func aFailedReadFailsEachCase() throws {
        let dir = try TestPaths.temporaryDirectory("shared-images")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.nii")
        try Data("not a NIfTI file".utf8).write(to: bad)
        let images = SharedImages(images: [bad, bad])
        #expect(throws: (any Error).self) { try images.take(bad) }
        #expect(throws: (any Error).self) { try images.take(bad) }
    }
}
