import Foundation

/// The few facts Kira needs from a Part 10 file's meta header (always explicit VR little
/// endian, PS3.10 7.1): enough to name a file received over DICOMweb and to tell where its
/// dataset starts, without parsing the dataset.
enum Part10Meta {
    struct Info {
        var sopInstanceUID: String?
        var transferSyntax: String?
        /// Offset of the first byte after the meta group (the dataset).
        var datasetOffset: Int
    }

    static func read(_ d: Data) -> Info? {
        guard d.count >= 132, d.subdata(in: d.startIndex + 128 ..< d.startIndex + 132) == Data("DICM".utf8) else { return nil }
        var pos = 132
        var info = Info(datasetOffset: 132)
        func u16(_ o: Int) -> Int { Int(d[d.startIndex + o]) | Int(d[d.startIndex + o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        while pos + 8 <= d.count, u16(pos) == 0x0002 {
            let element = u16(pos + 2)
            let vr = String(decoding: d.subdata(in: d.startIndex + pos + 4 ..< d.startIndex + pos + 6), as: UTF8.self)
            let long = ["OB", "OW", "OF", "SQ", "UT", "UN", "OD", "OL", "OV", "UC", "UR"].contains(vr)
            let header = long ? 12 : 8
            guard pos + header <= d.count else { return nil }
            let length = long ? u32(pos + 8) : u16(pos + 6)
            let start = pos + header
            guard length >= 0, start + length <= d.count else { return nil }
            let value = String(decoding: d.subdata(in: d.startIndex + start ..< d.startIndex + start + length), as: UTF8.self)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\0 "))
            if element == 0x0003 { info.sopInstanceUID = value }
            if element == 0x0010 { info.transferSyntax = value }
            pos = start + length
        }
        info.datasetOffset = pos
        return info
    }
}
