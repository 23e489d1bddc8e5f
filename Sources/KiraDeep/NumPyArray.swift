import Foundation
import KiraCore

/// NumPy `.npy` files (format versions 1–3), the exchange format of `kira deep run`: read as
/// float32 from little-endian float32/float64/int32/int64 in C order, written as `<f4`.
public enum NumPyArray {
    public static func read(_ path: String) throws -> Tensor {
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw KiraError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(bytes, path: path)
    }

    public static func decode(_ bytes: Data, path: String) throws -> Tensor {
        let b = [UInt8](bytes)
        guard b.count >= 10, b[0] == 0x93, Array(b[1...5]) == Array("NUMPY".utf8) else {
            throw DeepError.badArray(path: path, reason: "no .npy magic (\\x93NUMPY)")
        }
        let major = b[6]
        let headerLength: Int
        let start: Int
        switch major {
        case 1: headerLength = Int(b[8]) | Int(b[9]) << 8; start = 10
        case 2, 3:
            guard b.count >= 12 else { throw DeepError.badArray(path: path, reason: "header ends early") }
            headerLength = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; start = 12
        default: throw DeepError.badArray(path: path, reason: "format version \(major) is not 1, 2 or 3")
        }
        guard start + headerLength <= b.count, let header = String(bytes: b[start..<(start + headerLength)], encoding: .utf8) else {
            throw DeepError.badArray(path: path, reason: "header ends early")
        }
        guard let descr = value(of: "descr", in: header)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) else {
            throw DeepError.badArray(path: path, reason: "header has no descr")
        }
        if value(of: "fortran_order", in: header) == "True" {
            throw DeepError.badArray(path: path, reason: "Fortran-ordered arrays are not read; save with np.ascontiguousarray")
        }
        guard let shapeText = value(of: "shape", in: header) else { throw DeepError.badArray(path: path, reason: "header has no shape") }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = try dims.map { d -> Int in
            guard let v = Int(d), v >= 0 else { throw DeepError.badArray(path: path, reason: "shape \(shapeText) is not a tuple of sizes") }
            return v
        }
        let count = shape.reduce(1, *)
        let body = b[(start + headerLength)...]
        let width: Int
        switch descr {
        case "<f4", "|f4", "<i4": width = 4
        case "<f8", "<i8": width = 8
        default: throw DeepError.badArray(path: path, reason: "element type \(descr) is not little-endian float32/float64/int32/int64")
        }
        guard body.count == count * width else {
            throw DeepError.badArray(path: path, reason: "shape \(shapeText) needs \(count * width) bytes of data, the file has \(body.count)")
        }
        var values = [Float](repeating: 0, count: count)
        Data(body).withUnsafeBytes { raw in
            switch descr {
            case "<f8": for i in 0..<count { values[i] = Float(raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
            case "<i8": for i in 0..<count { values[i] = Float(raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
            case "<i4": for i in 0..<count { values[i] = Float(raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
            default: for i in 0..<count { values[i] = raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
            }
        }
        return Tensor(shape: shape, data: values)
    }

    /// The text after `'key':` up to the next top-level comma (a tuple counts as one value).
    private static func value(of key: String, in header: String) -> String? {
        guard let r = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else { return nil }
        var depth = 0
        var out = ""
        for c in header[r.upperBound...] {
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            if (c == "," && depth == 0) || c == "}" { break }
            out.append(c)
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    /// The bytes of a version 1.0 `.npy` file holding `tensor` as `<f4`.
    public static func encode(_ tensor: Tensor) -> Data {
        let dims = tensor.shape.map(String.init)
        let shape = dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        // Magic, version and length take 10 bytes; the header is padded so data starts on a
        // 64-byte boundary, as NumPy writes it.
        let total = ((10 + header.utf8.count + 1 + 63) / 64) * 64
        header += String(repeating: " ", count: total - 10 - header.utf8.count - 1) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let n = UInt16(header.utf8.count)
        out.append(contentsOf: [UInt8(n & 0xFF), UInt8(n >> 8)])
        out.append(contentsOf: Array(header.utf8))
        tensor.data.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Written temp-then-rename.
    public static func write(_ tensor: Tensor, to path: String) throws {
        try AtomicOutput.write(encode(tensor), to: URL(fileURLWithPath: path))
    }
}
