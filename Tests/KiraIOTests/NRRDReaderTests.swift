import Foundation
import KiraCore
import KiraIO
import KiraTestSupport
import Testing

/// NRRD files made by TestData/scripts/make_io_testdata.py (its formulas are repeated here).
@Suite struct NRRDReaderTests {
    // MARK: The oblique anisotropic grid

    /// LPS direction Rz(30°)·Rx(20°) (columns = i, j, k axes), spacing (0.5, 0.8, 2.5),
    /// origin (10.5, -20.25, 33), size 5×4×3.
    static let obliqueGeometry: Geometry = {
        let z = 30.0 * .pi / 180, x = 20.0 * .pi / 180
        let d = Matrix3(columns: [cos(z), sin(z), 0],
                        [-sin(z) * cos(x), cos(z) * cos(x), sin(x)],
                        [sin(z) * sin(x), -cos(z) * sin(x), cos(x)])
        return Geometry(size: [5, 4, 3], spacing: [0.5, 0.8, 2.5], origin: [10.5, -20.25, 33], direction: d)
    }()

    /// value(i, j, k) = i + 10 j + 100 k − 150, x fastest.
    static let obliqueValues: [Int16] = {
        var v: [Int16] = []
        for k in 0..<3 { for j in 0..<4 { for i in 0..<5 { v.append(Int16(i + 10 * j + 100 * k - 150)) } } }
        return v
    }()

    /// The header stores the vectors with 17 significant digits; the only differences left
    /// are the last-bit differences of this file's sin/cos: 1e-9 mm, 1e-12 relative, 1e-5°.
    static let tight = GeometryTolerance(origin: 1e-9, relativeSpacing: 1e-12, angleDegrees: 1e-5)

    static func expectGeometry(_ g: Geometry, equals e: Geometry) {
        #expect(g.size == e.size)
        #expect(g.differences(from: e, tolerance: tight).isEmpty, "\(g) vs \(e)")
        for c in 0..<3 { for r in 0..<3 { #expect(abs(g.direction[r, c] - e.direction[r, c]) < 1e-12) } }
    }

    @Test(arguments: ["oblique_raw.nrrd", "oblique_gzip.nrrd", "oblique_ras_big.nrrd",
                      "oblique_detached.nhdr", "oblique_detached_gz.nhdr"])
    func obliqueFilesReadToTheWrittenGridAndValues(name: String) throws {
        let url = TestPaths.testData("nrrd/\(name)")
        let v = try NRRDReader.read(url)
        Self.expectGeometry(v.geometry, equals: Self.obliqueGeometry)
        #expect(v.timepoints == 1)
        #expect(v.components == 1)
        #expect(v.voxels == .int16(Self.obliqueValues))
        let header = try NRRDReader.readGeometry(url)
        #expect(header.geometry == v.geometry)
        #expect(header.timepoints == 1)
    }

    @Test func rawAndGzipAreIdentical() throws {
        let raw = try NRRDReader.read(TestPaths.testData("nrrd/oblique_raw.nrrd"))
        let gz = try NRRDReader.read(TestPaths.testData("nrrd/oblique_gzip.nrrd"))
        #expect(raw.voxels == gz.voxels)
        #expect(raw.geometry == gz.geometry)
        #expect(gz.metadata["NRRDEncoding"] == "gzip")
    }

    @Test func rasSpaceIsConvertedToLPS() throws {
        let v = try NRRDReader.read(TestPaths.testData("nrrd/oblique_ras_big.nrrd"))
        #expect(v.metadata["NRRDSpace"] == "right-anterior-superior")
        // Voxel (4, 3, 2) in LPS from the geometry equals the generator's point.
        let p = v.geometry.physicalPoint(index: SIMD3<Int>(4, 3, 2))
        let e = Self.obliqueGeometry.physicalPoint(index: SIMD3<Int>(4, 3, 2))
        #expect(norm(p - e) < 1e-9)
    }

    @Test func leadingColourAxisBecomesComponents() throws {
        let v = try NRRDReader.read(TestPaths.testData("nrrd/rgb_vector.nrrd"))
        #expect(v.components == 3)
        #expect(v.timepoints == 1)
        #expect(v.geometry.size == [4, 3, 2])
        #expect(v.geometry.spacing == [1, 1, 2])
        var expected: [UInt8] = []
        for k in 0..<2 { for j in 0..<3 { for i in 0..<4 { for c in 0..<3 { expected.append(UInt8(c + 3 * i + 12 * j + 36 * k)) } } } }
        #expect(v.voxels == .uint8(expected))
    }

    @Test func trailingListAxisBecomesTime() throws {
        let url = TestPaths.testData("nrrd/timeseries.nrrd")
        let v = try NRRDReader.read(url)
        #expect(v.timepoints == 3)
        #expect(v.geometry.size == [4, 3, 2])
        #expect(v.geometry.spacing == [2, 2, 3])
        #expect(v.geometry.origin == [1, 2, 3])
        var expected: [Float] = []
        for t in 0..<3 { for k in 0..<2 { for j in 0..<3 { for i in 0..<4 { expected.append(Float(i + 4 * j + 12 * k) + 0.5 * Float(t)) } } } }
        #expect(v.voxels == .float32(expected))
        #expect(try NRRDReader.readGeometry(url).timepoints == 3)
    }

    @Test func leadingListAxisIsMovedToTime() throws {
        let v = try NRRDReader.read(TestPaths.testData("nrrd/list_first.nrrd"))
        #expect(v.timepoints == 2)
        #expect(v.components == 1)
        #expect(v.geometry.size == [3, 2, 1])
        var expected: [UInt16] = []
        for l in 0..<2 { for j in 0..<2 { for i in 0..<3 { expected.append(UInt16(10 * l + i + 3 * j)) } } }
        #expect(v.voxels == .uint16(expected))
    }

    // MARK: Errors

    static func expectError(_ name: String, _ check: (KiraError) -> Bool) {
        let url = TestPaths.testData("nrrd/\(name)")
        #expect {
            try NRRDReader.read(url)
        } throws: { e in
            guard let k = e as? KiraError else { return false }
            return check(k) && "\(k)".contains(url.path)
        }
    }

    @Test(arguments: ["truncated.nrrd", "truncated_gzip.nrrd"])
    func truncatedDataIsReportedWithTheFile(name: String) {
        Self.expectError(name) { e in
            guard case let .truncated(path, reason) = e else { return false }
            return path.hasSuffix(name) && reason.contains("120")  // 5×4×3×2 bytes declared
        }
    }

    @Test func zeroSpacingIsInvalidGeometryNamingTheField() {
        Self.expectError("zero_spacing.nrrd") { e in
            guard case let .invalidGeometry(_, reason) = e else { return false }
            return reason.contains("space directions") && reason.contains("axis 1")
        }
        #expect(throws: KiraError.self) { try NRRDReader.readGeometry(TestPaths.testData("nrrd/zero_spacing.nrrd")) }
    }

    @Test func negativeSpacingIsInvalidGeometryNamingTheField() {
        Self.expectError("negative_spacings.nrrd") { e in
            guard case let .invalidGeometry(_, reason) = e else { return false }
            return reason.contains("spacings") && reason.contains("-2")
        }
    }

    @Test func unknownEncodingIsUnsupported() {
        Self.expectError("unknown_encoding.nrrd") { e in
            guard case let .unsupportedFormat(_, reason) = e else { return false }
            return reason.contains("encoding") && reason.contains("bzip2")
        }
    }

    @Test func missingFileIsUnreadable() {
        #expect(throws: KiraError.self) { try NRRDReader.read(TestPaths.testData("nrrd/absent.nrrd")) }
    }

    // MARK: Type spellings and encodings, written here

    /// Every `type:` spelling teem accepts, with the scalar type Kira stores it in.
    static let spellings: [(String, ScalarType, Int)] = [
        ("signed char", .int16, 1), ("int8", .int16, 1), ("int8_t", .int16, 1),
        ("uchar", .uint8, 1), ("unsigned char", .uint8, 1), ("uint8", .uint8, 1), ("uint8_t", .uint8, 1),
        ("short", .int16, 2), ("short int", .int16, 2), ("signed short", .int16, 2), ("signed short int", .int16, 2),
        ("int16", .int16, 2), ("int16_t", .int16, 2),
        ("ushort", .uint16, 2), ("unsigned short", .uint16, 2), ("unsigned short int", .uint16, 2),
        ("uint16", .uint16, 2), ("uint16_t", .uint16, 2),
        ("int", .int32, 4), ("signed int", .int32, 4), ("int32", .int32, 4), ("int32_t", .int32, 4),
        ("uint", .float64, 4), ("unsigned int", .float64, 4), ("uint32", .float64, 4), ("uint32_t", .float64, 4),
        ("longlong", .float64, 8), ("long long", .float64, 8), ("long long int", .float64, 8),
        ("signed long long", .float64, 8), ("signed long long int", .float64, 8), ("int64", .float64, 8), ("int64_t", .float64, 8),
        ("ulonglong", .float64, 8), ("unsigned long long", .float64, 8), ("unsigned long long int", .float64, 8),
        ("uint64", .float64, 8), ("uint64_t", .float64, 8),
        ("float", .float32, 4), ("double", .float64, 8),
    ]

    static let sampleValues: [Double] = [1, 2, 3, 100]

    static func bytes(_ spelling: String, size: Int, bigEndian: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for v in sampleValues {
            var le: [UInt8]
            switch (spelling, size) {
            case ("float", _): le = withUnsafeBytes(of: Float(v).bitPattern.littleEndian, Array.init)
            case ("double", _): le = withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init)
            case (_, 1): le = [UInt8(v)]
            case (_, 2): le = withUnsafeBytes(of: UInt16(v).littleEndian, Array.init)
            case (_, 4): le = withUnsafeBytes(of: UInt32(v).littleEndian, Array.init)
            default: le = withUnsafeBytes(of: UInt64(v).littleEndian, Array.init)
            }
            out += bigEndian ? le.reversed() : le
        }
        return out
    }

    static func writeNRRD(_ dir: URL, name: String, type: String, encoding: String, endian: String, body: [UInt8]) throws -> URL {
        let text = "NRRD0005\ntype: \(type)\ndimension: 3\nsizes: 2 2 1\nspacings: 1.5 2 3\nendian: \(endian)\nencoding: \(encoding)\n\n"
        let url = dir.appendingPathComponent(name)
        try (Data(text.utf8) + Data(body)).write(to: url)
        return url
    }

    @Test(arguments: spellings.map { $0.0 })
    func everyTypeSpellingReads(spelling: String) throws {
        let (_, stored, size) = Self.spellings.first { $0.0 == spelling }!
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for big in [false, true] {
            let url = try Self.writeNRRD(dir, name: "t.nrrd", type: spelling, encoding: "raw", endian: big ? "big" : "little",
                                         body: Self.bytes(spelling, size: size, bigEndian: big))
            let v = try NRRDReader.read(url)
            #expect(v.voxels.scalarType == stored)
            #expect(v.voxels.toDoubles() == Self.sampleValues)
            #expect(v.geometry.spacing == [1.5, 2, 3])
            #expect(v.geometry.size == [2, 2, 1])
        }
    }

    @Test(arguments: ["text", "ascii", "txt"])
    func textEncodingReads(encoding: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.writeNRRD(dir, name: "t.nrrd", type: "float", encoding: encoding, endian: "little",
                                     body: Array("1 2.5\n-3e1, 4\n".utf8))
        #expect(try NRRDReader.read(url).voxels == .float32([1, 2.5, -30, 4]))
    }

    @Test func hexEncodingReads() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.writeNRRD(dir, name: "t.nrrd", type: "ushort", encoding: "hex", endian: "big",
                                     body: Array("0001 0002\n0003 ff00\n".utf8))
        #expect(try NRRDReader.read(url).voxels == .uint16([1, 2, 3, 0xFF00]))
    }

    @Test func byteSkipMinusOneTakesDataFromTheEnd() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("d.raw")
        try Data([9, 9, 9, 1, 2, 3, 100]).write(to: data)
        let url = dir.appendingPathComponent("h.nhdr")
        try "NRRD0004\ntype: uchar\ndimension: 2\nsizes: 2 2\nspacings: 0.5 0.25\nencoding: raw\nbyte skip: -1\ndata file: d.raw\n"
            .write(to: url, atomically: true, encoding: .utf8)
        let v = try NRRDReader.read(url)
        #expect(v.voxels == .uint8([1, 2, 3, 100]))
        #expect(v.geometry.size == [2, 2, 1])
        #expect(v.geometry.spacing == [0.5, 0.25, 1])
    }

    @Test(arguments: ["space: RAS\n", "space: right-anterior-superior\n", ""])
    func spacedVectorsAndAbbreviatedSpaces(spaceLine: String) throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("s.nrrd")
        let text = "NRRD0004\ntype: uchar\ndimension: 3\n\(spaceLine)sizes: 2 1 1\n"
            + "space directions: (2, 0, 0) (0, 3, 0) (0, 0, 4)\nkinds: space space space\nencoding: raw\n"
            + "space origin: (1, 2, 3)\n\n"
        try (Data(text.utf8) + Data([7, 8])).write(to: url)
        let v = try NRRDReader.read(url)
        let ras = !spaceLine.isEmpty  // without a space the vectors are taken as LPS
        let flip: SIMD3<Double> = ras ? [-1, -1, 1] : [1, 1, 1]
        #expect(v.geometry.spacing == [2, 3, 4])
        #expect(v.geometry.origin == [1, 2, 3] * flip)
        #expect(v.geometry.direction == Matrix3(columns: [flip.x, 0, 0], [0, flip.y, 0], [0, 0, 1]))
        #expect(v.voxels == .uint8([7, 8]))
    }

    @Test func missingDetachedDataFileIsNamed() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("h.nhdr")
        try "NRRD0004\ntype: uchar\ndimension: 2\nsizes: 2 2\nencoding: raw\ndata file: gone.raw\n"
            .write(to: url, atomically: true, encoding: .utf8)
        #expect {
            try NRRDReader.read(url)
        } throws: { e in
            guard let k = e as? KiraError, case let .unreadable(path, _) = k else { return false }
            return path.hasSuffix("gone.raw")
        }
    }

    @Test func notNRRDIsUnsupported() throws {
        let dir = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("x.nrrd")
        try "hello\n\n".write(to: url, atomically: true, encoding: .utf8)
        #expect {
            try NRRDReader.read(url)
        } throws: { e in
            guard let k = e as? KiraError, case .unsupportedFormat = k else { return false }
            return true
        }
    }
}
