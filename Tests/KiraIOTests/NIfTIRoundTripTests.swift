import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

@Suite struct NIfTIRoundTripTests {
    static func sampleVolume(_ buffer: (Int) -> VoxelBuffer, t: Int = 1) throws -> Volume {
        let a = 20.0 * .pi / 180
        let d = Matrix3(columns: [1, 0, 0], [0, cos(a), sin(a)], [0, -sin(a), cos(a)])
        let g = Geometry(size: [5, 4, 3], spacing: [0.5, 0.75, 3], origin: [10, -20, 30.5], direction: d)
        return try Volume(geometry: g, timepoints: t, voxels: buffer(g.voxelCount * t))
    }

    @Test(arguments: ["nii", "nii.gz"])
    func int16RoundTripIsExact(ext: String) throws {
        let v = try Self.sampleVolume({ n in .int16((0..<n).map { Int16($0 * 37 % 2000 - 1000) }) }, t: 2)
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("v.\(ext)")
        try NIfTIWriter.write(v, to: url)
        let back = try NIfTIReader.read(url)
        #expect(back.voxels == v.voxels)
        #expect(back.timepoints == 2)
        // float32 in the header: positions agree to float precision.
        #expect(back.geometry.differences(from: v.geometry, tolerance: .init(origin: 1e-4, relativeSpacing: 1e-6, angleDegrees: 1e-4)).isEmpty)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".kira-tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func uint16IsStoredSignedWhenItFits() throws {
        let v = try Self.sampleVolume { n in .uint16((0..<n).map { UInt16($0 * 100) }) }
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("u.nii")
        try NIfTIWriter.write(v, to: url)
        let back = try NIfTIReader.read(url)
        #expect(back.voxels.scalarType == .int16)
        #expect(back.voxels.toDoubles() == v.voxels.toDoubles())
    }

    @Test func truncatedFileIsNamed() throws {
        let v = try Self.sampleVolume { n in .float32((0..<n).map { Float($0) }) }
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("t.nii")
        try NIfTIWriter.write(v, to: url)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 40).write(to: url)
        #expect {
            try NIfTIReader.read(url)
        } throws: { e in
            guard let k = e as? KiraError, case let .truncated(path, _) = k else { return false }
            return path == url.path
        }
    }
}

extension NIfTIRoundTripTests {
    /// NIfTI-1's 16-bit dimensions: 32,767 voxels along an axis is the most it holds (the raster
    /// fuzzer's 32,784-pixel-wide JPEG made niftilib write a file it could not read back).
    @Test(arguments: [32767, 32768])
    func dimensionLimitOfNIfTI1(width: Int) throws {
        let g = Geometry(size: [width, 1, 1], spacing: [1, 1, 1], origin: [0, 0, 0], direction: Matrix3(columns: [1, 0, 0], [0, 1, 0], [0, 0, 1]))
        let v = try Volume(geometry: g, timepoints: 1, voxels: .uint8((0..<width).map { UInt8($0 % 251) }))
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("wide.nii")
        if width <= 32767 {
            try NIfTIWriter.write(v, to: url)
            #expect(try NIfTIReader.read(url).voxels == v.voxels)
        } else {
            let error = #expect(throws: KiraError.self) { try NIfTIWriter.write(v, to: url) }
            #expect("\(error!)".contains("dimension 1 has 32768 voxels; NIfTI-1 holds at most 32767"))
            #expect(!FileManager.default.fileExists(atPath: url.path))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(leftovers.allSatisfy { !$0.hasPrefix(".kira-tmp") })
    }
}
