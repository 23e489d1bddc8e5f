import Foundation
import KiraCore
import KiraIO
import KiraRadiomics
import KiraTestSupport
import Testing

/// pyradiomics' texture matrices `data/baseline/<case>_<class>.npy` against Kira's, within 1e-6.
/// They are the class matrices after pyradiomics' post-processing for the base configuration
/// (binWidth 25, distance 1, no resampling): GLCM (levels × levels × 13 angles, each angle
/// normalised, symmetric), GLRLM (levels × run lengths present × 13 angles, counts), GLSZM
/// (levels × zone sizes present), GLDM (levels × dependences present), NGTDM (levels × (n, s, i)).
/// Checked once with pyradiomics 3.1.4: its P_glcm … P_ngtdm for these settings equal the files exactly.
@Suite struct PyradiomicsMatrixTests {
    static let tolerance = 1e-6

    /// A little-endian float64 .npy array in C order: its shape and values.
    static func readNPY(_ url: URL) throws -> (shape: [Int], values: [Double]) {
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        try #require(bytes.count > 10 && bytes[0] == 0x93 && String(decoding: bytes[1..<6], as: UTF8.self) == "NUMPY", "\(url.lastPathComponent) is not a .npy file")
        let major = bytes[6]
        let headerLength: Int, start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        try #require(header.contains("'descr': '<f8'"), "unsupported .npy header \(header)")
        let fortran = header.contains("'fortran_order': True")
        let shapeText = try #require(header.range(of: "'shape': (").map { header[$0.upperBound...] }?.prefix { $0 != ")" })
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let count = shape.reduce(1, *)
        let body = start + headerLength
        try #require(bytes.count == body + 8 * count, "\(url.lastPathComponent): \(bytes.count - body) data bytes for \(count) values")
        let stored = (0..<count).map { k in
            var bits: UInt64 = 0
            for b in 0..<8 { bits |= UInt64(bytes[body + 8 * k + b]) << (8 * b) }
            return Double(bitPattern: bits)
        }
        guard fortran else { return (shape, stored) }
        // Column-major storage (numpy.delete leaves some matrices so): back to C order.
        var values = [Double](repeating: 0, count: count)
        for c in 0..<count {
            var rest = c, f = 0, step = 1
            var index = [Int](repeating: 0, count: shape.count)
            for d in stride(from: shape.count - 1, through: 0, by: -1) { index[d] = rest % shape[d]; rest /= shape[d] }
            for d in 0..<shape.count { f += index[d] * step; step *= shape[d] }
            values[c] = stored[f]
        }
        return (shape, values)
    }

    static func levels(_ name: String) throws -> (PyradiomicsLevels, PyradiomicsTexture.Options) {
        var settings = try SettingsFile.parse("setting: {binWidth: 25, label: 1, voxelArrayShift: 2000, minimumROIDimensions: 1}", source: "base")
        settings.distances = [1]
        let imageURL = TestPaths.reference("pyradiomics/data/\(name)_image.nrrd")
        let image = try ImageFileReader.read(imageURL)
        let mask = try MaskReader.read(TestPaths.reference("pyradiomics/data/\(name)_label.nrrd"), label: 1, matching: image.geometry, imagePath: imageURL.path)
        let roi = try PyradiomicsPipeline.featureROI(image: image, mask: mask, settings: settings)
        return (try PyradiomicsPipeline.levels(roi, settings.features.discretisation),
                PyradiomicsPipeline.textureOptions(settings, spacing: roi.spacing))
    }

    /// Kira's matrix laid out as pyradiomics' array: [row][col][angle].
    static func layout(_ m: PyradiomicsTexture.Matrices) -> (shape: [Int], values: [Double]) {
        let angles = m.perAngle.count
        var out: [Double] = []
        for r in 0..<m.rows { for c in 0..<m.cols { for a in 0..<angles { out.append(m.perAngle[a][r * m.cols + c]) } } }
        return (angles > 1 ? [m.rows, m.cols, angles] : [m.rows, m.cols], out)
    }

    static func compare(_ label: String, _ kira: (shape: [Int], values: [Double]), _ reference: (shape: [Int], values: [Double])) {
        #expect(kira.shape == reference.shape, "\(label): shape \(kira.shape), pyradiomics \(reference.shape)")
        guard kira.shape == reference.shape else { return }
        var worst = 0.0
        for (a, b) in zip(kira.values, reference.values) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
        print("pyradiomics matrix \(label): shape \(reference.shape), worst difference \(worst)")
        #expect(worst <= tolerance, "\(label): worst difference \(worst)")
    }

    @Test(.enabled(if: TestPaths.referenceAvailable, Comment(rawValue: TestPaths.referenceMissing)), arguments: ["brain1", "breast1"])
    func matricesMatchPyradiomics(_ name: String) throws {
        let (g, o) = try Self.levels(name)
        func ref(_ c: String) throws -> (shape: [Int], values: [Double]) {
            try Self.readNPY(TestPaths.reference("pyradiomics/data/baseline/\(name)_\(c).npy"))
        }
        Self.compare("\(name) glcm", Self.layout(PyradiomicsTexture.glcm(g, o)), try ref("glcm"))
        Self.compare("\(name) glrlm", Self.layout(PyradiomicsTexture.glrlm(g, o)), try ref("glrlm"))
        Self.compare("\(name) glszm", Self.layout(PyradiomicsTexture.glszm(g, o)), try ref("glszm"))
        Self.compare("\(name) gldm", Self.layout(PyradiomicsTexture.gldm(g, o)), try ref("gldm"))
        let ngtdm = PyradiomicsTexture.ngtdm(g, o)
        Self.compare("\(name) ngtdm", ([ngtdm.count, 3], ngtdm.flatMap { [$0.n, $0.s, $0.level] }), try ref("ngtdm"))
    }

    @Test("pyradiomics' angle order and box filtering")
    func angles() {
        let a = PyradiomicsAngles.generate(shape: [5, 5, 5], distances: [1])
        #expect(a.count == 13)
        #expect(a.first == SIMD3(1, 1, 1) && a[4] == SIMD3(1, 0, 0) && a.last == SIMD3(0, 0, 1))
        // A one-voxel-thick box drops every offset along that axis; force2D keeps the plane.
        #expect(PyradiomicsAngles.generate(shape: [5, 5, 1], distances: [1]) == [[1, 1, 0], [1, 0, 0], [1, -1, 0], [0, 1, 0]])
        #expect(PyradiomicsAngles.generate(shape: [5, 5, 5], distances: [1], force2D: true) == [[0, 1, 1], [0, 1, 0], [0, 1, -1], [0, 0, 1]])
        #expect(PyradiomicsAngles.generate(shape: [5, 5, 5], distances: [1, 2]).count == 62)
    }

    @Test("pyradiomics' bin edges: multiples of the width, numpy.digitize")
    func binning() throws {
        // pyradiomics' docstring example: ROI 54…166, width 25 → edges 50, 75, …, 175 (and 200).
        let e = try PyradiomicsBinning.edges([54, 100, 166], method: .fixedBinSize(25))
        #expect(e == [50, 75, 100, 125, 150, 175, 200])
        #expect(PyradiomicsBinning.digitize(54, e) == 1 && PyradiomicsBinning.digitize(100, e) == 3 && PyradiomicsBinning.digitize(166, e) == 5)
        // Negative minimum: Python's floor modulo puts the lowest edge at or below it.
        #expect(try PyradiomicsBinning.edges([-30, 10], method: .fixedBinSize(25)).first == -50)
        // Fixed count: the maximum lands in the last bin.
        let c = try PyradiomicsBinning.edges([0, 5, 10], method: .fixedBinNumber(4))
        #expect(c == [0, 2.5, 5, 7.5, 11])
        #expect(PyradiomicsBinning.digitize(10, c) == 4)
        // Issue 18: 1000 / 1e-9 bins would be 10^12 levels (8 TB of edges); refused before allocating.
        #expect(throws: KiraError.self) { try PyradiomicsBinning.edges([0, 1000], method: .fixedBinSize(1e-9)) }
        #expect(throws: KiraError.self) { try PyradiomicsBinning.edges([0, 1000], method: .fixedBinNumber(Int(Int32.max))) }
        #expect(try GreyLevelBudget.check(99.2, "w") == 100)
        // More levels than Int32 holds (the level maps' type).
        #expect(throws: KiraError.self) { try GreyLevelBudget.check(4e9, "w") }
    }
}
