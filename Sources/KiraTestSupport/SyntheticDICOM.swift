import Foundation

/// Minimal MR series as Part 10 files (explicit VR little endian, 16-bit unsigned), written
/// at test time when a test needs more data than TestData/ should hold, such as a series
/// large enough to interrupt. Voxel (x, y, z) = (x + 3y + 7z + seriesNumber) mod 4096, so
/// the values are known and compress only moderately.
public enum SyntheticDICOM {
    /// Writes `slices` files of `rows` × `columns` into `folder`, one series; returns the files.
    @discardableResult
    public static func writeSeries(to folder: URL, seriesNumber: Int, rows: Int, columns: Int, slices: Int) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let study = "1.2.826.0.1.3680043.8.498.9"
        let series = "\(study).\(seriesNumber)"
        var pixels = [UInt16](repeating: 0, count: rows * columns)
        var files: [URL] = []
        for z in 0..<slices {
            for y in 0..<rows {
                for x in 0..<columns { pixels[y * columns + x] = UInt16((x + 3 * y + 7 * z + seriesNumber) % 4096) }
            }
            let instance = "\(series).\(z + 1)"
            var meta = Data()
            meta += element(0x0002, 0x0001, "OB", Data([0, 1]))
            meta += element(0x0002, 0x0002, "UI", uid("1.2.840.10008.5.1.4.1.1.4"))
            meta += element(0x0002, 0x0003, "UI", uid(instance))
            meta += element(0x0002, 0x0010, "UI", uid("1.2.840.10008.1.2.1"))
            var file = Data(count: 128) + Data("DICM".utf8)
            file += element(0x0002, 0x0000, "UL", u32(meta.count)) + meta
            file += element(0x0008, 0x0016, "UI", uid("1.2.840.10008.5.1.4.1.1.4"))
            file += element(0x0008, 0x0018, "UI", uid(instance))
            file += element(0x0008, 0x0060, "CS", text("MR"))
            file += element(0x0008, 0x103E, "LO", text("interrupt\(seriesNumber)"))
            file += element(0x0020, 0x000D, "UI", uid(study))
            file += element(0x0020, 0x000E, "UI", uid(series))
            file += element(0x0020, 0x0011, "IS", text("\(seriesNumber)"))
            file += element(0x0020, 0x0013, "IS", text("\(z + 1)"))
            file += element(0x0020, 0x0032, "DS", text("0\\0\\\(z)"))
            file += element(0x0020, 0x0037, "DS", text("1\\0\\0\\0\\1\\0"))
            file += element(0x0028, 0x0002, "US", u16(1))
            file += element(0x0028, 0x0004, "CS", text("MONOCHROME2"))
            file += element(0x0028, 0x0010, "US", u16(rows))
            file += element(0x0028, 0x0011, "US", u16(columns))
            file += element(0x0028, 0x0030, "DS", text("0.5\\0.5"))
            file += element(0x0028, 0x0100, "US", u16(16))
            file += element(0x0028, 0x0101, "US", u16(16))
            file += element(0x0028, 0x0102, "US", u16(15))
            file += element(0x0028, 0x0103, "US", u16(0))
            file += element(0x7FE0, 0x0010, "OW", pixels.withUnsafeBytes { Data($0) })
            let url = folder.appendingPathComponent(String(format: "s%02d_%04d.dcm", seriesNumber, z + 1))
            try file.write(to: url)
            files.append(url)
        }
        return files
    }

    private static func element(_ group: UInt16, _ tag: UInt16, _ vr: String, _ value: Data) -> Data {
        var d = Data()
        d += u16(Int(group)) + u16(Int(tag)) + Data(vr.utf8)
        if ["OB", "OW", "SQ", "UN", "UT"].contains(vr) {
            d += Data([0, 0]) + u32(value.count)
        } else {
            d += u16(value.count)
        }
        return d + value
    }

    private static func u16(_ v: Int) -> Data { withUnsafeBytes(of: UInt16(v).littleEndian) { Data($0) } }
    private static func u32(_ v: Int) -> Data { withUnsafeBytes(of: UInt32(v).littleEndian) { Data($0) } }
    private static func text(_ s: String) -> Data { pad(Data(s.utf8), with: 0x20) }
    private static func uid(_ s: String) -> Data { pad(Data(s.utf8), with: 0) }
    private static func pad(_ d: Data, with byte: UInt8) -> Data { d.count % 2 == 0 ? d : d + Data([byte]) }
}
