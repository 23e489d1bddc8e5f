import Foundation
import KiraCore

/// NRRD scalar types, with every spelling teem accepts.
enum NRRDScalar: String, Sendable {
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64

    static func parse(_ spelling: String) -> NRRDScalar? {
        let s = spelling.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()
        switch s {
        case "signed char", "int8", "int8_t": return .int8
        case "uchar", "unsigned char", "uint8", "uint8_t": return .uint8
        case "short", "short int", "signed short", "signed short int", "int16", "int16_t": return .int16
        case "ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t": return .uint16
        case "int", "signed int", "int32", "int32_t": return .int32
        case "uint", "unsigned int", "uint32", "uint32_t": return .uint32
        case "longlong", "long long", "long long int", "signed long long", "signed long long int",
             "int64", "int64_t":
            return .int64
        case "ulonglong", "unsigned long long", "unsigned long long int", "uint64", "uint64_t": return .uint64
        case "float": return .float32
        case "double": return .float64
        default: return nil
        }
    }

    var byteSize: Int {
        switch self {
        case .int8, .uint8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    var isInteger: Bool { self != .float32 && self != .float64 }
}

enum NRRDEncoding: String, Sendable {
    case raw, text, hex, gzip

    static func parse(_ s: String) -> NRRDEncoding? {
        switch s.lowercased() {
        case "raw": .raw
        case "txt", "text", "ascii": .text
        case "hex": .hex
        case "gz", "gzip": .gzip
        default: nil
        }
    }
}

/// What a non-spatial axis becomes in a `Volume`.
enum NRRDAxisRole: Equatable {
    case spatial
    case components
    case time
}

/// A parsed NRRD header: the fields, where the data is, and the grid they describe.
struct NRRDHeader {
    let path: String
    /// Field name (lower case, as in the file) → value.
    var fields: [String: String] = [:]
    /// `key:=value` pairs in file order.
    var keyValues: [(String, String)] = []
    /// Byte offset of attached data (just after the blank line), or nil when the header is
    /// the whole file (a detached header).
    var dataOffset: Int?
    /// File names following `data file: LIST`.
    var listedFiles: [String] = []

    var dimension = 0
    var sizes: [Int] = []
    var type: NRRDScalar = .uint8
    var encoding: NRRDEncoding = .raw
    var bigEndian = false
    var lineSkip = 0
    var byteSkip = 0
    var dataFiles: [URL] = []

    var geometry = Geometry(size: [1, 1, 1])
    var components = 1
    var timepoints = 1
    var roles: [NRRDAxisRole] = []
    /// The leading non-spatial axis must be moved to the time position when it is a list.
    var leadingAxisToTime = false
    var spaceName = "none"

    var voxelCount: Int { sizes.reduce(1, *) }

    static let maxDataFiles = 1 << 20

    // MARK: Parsing

    /// Parses the header text at the start of `bytes` (the whole file or its beginning).
    init(bytes: UnsafeRawBufferPointer, path: String, headerComplete: Bool) throws {
        self.path = path
        var lines: [String] = []
        var offset = 0
        var foundBlank = false
        while offset < bytes.count {
            var end = offset
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            if end == bytes.count, !headerComplete {
                throw KiraError.truncated(path: path, reason: "NRRD header does not end")
            }
            var lineEnd = end
            if lineEnd > offset, bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<lineEnd]), as: UTF8.self)
            offset = min(end + 1, bytes.count)
            if line.isEmpty && !lines.isEmpty {
                foundBlank = true
                break
            }
            lines.append(line)
        }
        dataOffset = foundBlank ? offset : nil
        guard let magic = lines.first, magic.hasPrefix("NRRD000") else {
            throw KiraError.unsupportedFormat(path: path, reason: "not a NRRD file (no NRRD000x magic line)")
        }
        var index = 1
        while index < lines.count {
            let line = lines[index]
            index += 1
            if line.hasPrefix("#") || line.trimmingBlanks.isEmpty { continue }
            let fieldSep = line.range(of: ": ")
            let kvSep = line.range(of: ":=")
            if let kv = kvSep, fieldSep == nil || kv.lowerBound < fieldSep!.lowerBound {
                keyValues.append((String(line[..<kv.lowerBound]), String(line[kv.upperBound...])))
                continue
            }
            guard let sep = fieldSep else {
                throw KiraError.unsupportedFormat(path: path, reason: "NRRD header line \(index + 1) is not a field: \"\(line)\"")
            }
            let key = line[..<sep.lowerBound].trimmingBlanks.lowercased()
            let value = line[sep.upperBound...].trimmingBlanks
            fields[key] = value
            if key == "data file" || key == "datafile" {
                let parts = value.split(whereSeparator: \.isWhitespace)
                if parts.first == "LIST" {
                    // Every remaining header line names one data file.
                    listedFiles = lines[index...].map { $0.trimmingBlanks }.filter { !$0.isEmpty }
                    break
                }
            }
        }
        try interpretFields()
    }

    private func field(_ names: String...) -> String? {
        for n in names { if let v = fields[n] { return v } }
        return nil
    }

    private func require(_ name: String) throws -> String {
        guard let v = fields[name] else {
            throw KiraError.unsupportedFormat(path: path, reason: "NRRD header has no \"\(name):\" field")
        }
        return v
    }

    private mutating func interpretFields() throws {
        let typeSpelling = try require("type")
        if typeSpelling.lowercased() == "block" {
            throw KiraError.unsupportedFormat(path: path, reason: "field type: block data is not supported")
        }
        guard let t = NRRDScalar.parse(typeSpelling) else {
            throw KiraError.unsupportedFormat(path: path, reason: "field type: unknown scalar type \"\(typeSpelling)\"")
        }
        type = t
        guard let dim = Int(try require("dimension")), dim >= 1 else {
            throw KiraError.unsupportedFormat(path: path, reason: "field dimension: \"\(fields["dimension"] ?? "")\" is not a positive integer")
        }
        dimension = dim
        let sizeTokens = try require("sizes").split(whereSeparator: \.isWhitespace)
        sizes = sizeTokens.compactMap { Int($0) }
        guard sizes.count == sizeTokens.count, sizes.count == dim else {
            throw KiraError.unsupportedFormat(path: path, reason: "field sizes: \"\(fields["sizes"]!)\" does not give \(dim) integers")
        }
        if let bad = sizes.firstIndex(where: { $0 < 1 }) {
            throw KiraError.invalidGeometry(path: path, reason: "field sizes: axis \(bad) has size \(sizes[bad])")
        }
        // A gzip body of a few bytes can declare any size: the voxel buffer is checked before
        // anything is allocated from it (and `voxelCount` cannot overflow afterwards).
        try AllocationBudget.check("\(path): voxel data (field sizes)", factors: sizes, elementBytes: type.byteSize)
        let enc = try require("encoding")
        guard let e = NRRDEncoding.parse(enc) else {
            let known = ["bz2", "bzip2", "zrl"].contains(enc.lowercased()) ? " (a valid NRRD encoding that Kira does not decode; re-save with gzip or raw)" : ""
            throw KiraError.unsupportedFormat(path: path, reason: "field encoding: unknown or unsupported encoding \"\(enc)\"\(known); supported: raw, gzip, text, hex")
        }
        encoding = e
        if let endian = fields["endian"] {
            switch endian.lowercased() {
            case "little": bigEndian = false
            case "big": bigEndian = true
            default: throw KiraError.unsupportedFormat(path: path, reason: "field endian: \"\(endian)\" is neither little nor big")
            }
        } else if type.byteSize > 1 && (encoding == .raw || encoding == .gzip || encoding == .hex) {
            throw KiraError.unsupportedFormat(path: path, reason: "field endian: missing, but \(type.rawValue) data in \(encoding.rawValue) encoding needs it")
        }
        if let ls = field("line skip", "lineskip") {
            guard let v = Int(ls), v >= 0 else {
                throw KiraError.unsupportedFormat(path: path, reason: "field line skip: \"\(ls)\" is not a non-negative integer")
            }
            lineSkip = v
        }
        if let bs = field("byte skip", "byteskip") {
            guard let v = Int(bs), v >= -1 else {
                throw KiraError.unsupportedFormat(path: path, reason: "field byte skip: \"\(bs)\" is not an integer ≥ -1")
            }
            if v == -1 && encoding != .raw {
                throw KiraError.unsupportedFormat(path: path, reason: "field byte skip: -1 is only allowed with raw encoding")
            }
            byteSkip = v
        }
        try resolveDataFiles()
        try buildGeometry()
    }

    private mutating func resolveDataFiles() throws {
        guard let spec = field("data file", "datafile") else {
            if dataOffset == nil {
                throw KiraError.truncated(path: path, reason: "NRRD header has no blank line before data and no \"data file:\" field")
            }
            return
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ name: String) -> URL {
            name.hasPrefix("/") ? URL(fileURLWithPath: name) : base.appendingPathComponent(name)
        }
        let parts = spec.split(whereSeparator: \.isWhitespace).map(String.init)
        if parts.first == "LIST" {
            guard !listedFiles.isEmpty else {
                throw KiraError.unsupportedFormat(path: path, reason: "field data file: LIST is followed by no file names")
            }
            dataFiles = listedFiles.map(resolve)
        } else if parts.count >= 4, parts[0].contains("%"), let lo = Int(parts[1]), let hi = Int(parts[2]), let step = Int(parts[3]), step != 0 {
            // printf-style "name%03d.raw min max step [subdim]". The pattern is the file's text,
            // so it is not handed to String(format:) (a %s or %@ there reads a pointer that is
            // not one), and the file count is computed, not counted up to: `hi` near Int.max
            // made the loop overflow, and a wide range made it run for hours.
            guard let pattern = NRRDFilePattern(parts[0]) else {
                throw KiraError.unsupportedFormat(path: path, reason: "field data file: \"\(parts[0])\" must hold one integer conversion (%d, %03d, …) and no other")
            }
            let (span, overflow) = step > 0 ? hi.subtractingReportingOverflow(lo) : lo.subtractingReportingOverflow(hi)
            guard !overflow, span >= 0 else {
                throw KiraError.unsupportedFormat(path: path, reason: "field data file: \"\(spec)\" names \(overflow ? "too many" : "no") files")
            }
            // Every file holds at least one voxel, and the names are built before any file is
            // opened: a million names is beyond any real series and still only ~100 MB.
            let steps = span / step.magnitude.clampedToInt
            guard steps < min(voxelCount, Self.maxDataFiles) else {
                throw KiraError.unsupportedFormat(path: path, reason: "field data file: \"\(spec)\" names more files than the \(voxelCount) voxels of field sizes or \(Self.maxDataFiles)")
            }
            dataFiles = (0...steps).map { resolve(pattern.name(lo + $0 * step)) }
        } else {
            dataFiles = [resolve(spec)]
        }
    }

    // MARK: Geometry

    private static let componentKinds: Set<String> = [
        "rgb-color", "rgba-color", "hsv-color", "xyz-color", "3-color", "4-color", "vector", "covariant-vector",
        "normal", "2-vector", "3-vector", "4-vector", "3-gradient", "3-normal", "complex", "point", "quaternion",
    ]

    private func parseVector(_ token: Substring, field name: String) throws -> [Double] {
        let inner = token.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        let parts = inner.split(separator: ",").map { $0.trimmingBlanks }
        let values = parts.compactMap { Double($0) }
        guard values.count == parts.count, !values.isEmpty else {
            throw KiraError.unsupportedFormat(path: path, reason: "field \(name): cannot read vector \"\(token)\"")
        }
        return values
    }

    /// Splits "(a,b,c) none (d,e,f)" into tokens, keeping each parenthesised vector whole.
    private func vectorTokens(_ s: String) -> [Substring] {
        var tokens: [Substring] = []
        var i = s.startIndex
        while i < s.endIndex {
            if s[i].isWhitespace { i = s.index(after: i); continue }
            let start = i
            if s[i] == "(" {
                while i < s.endIndex, s[i] != ")" { i = s.index(after: i) }
                if i < s.endIndex { i = s.index(after: i) }
            } else {
                while i < s.endIndex, !s[i].isWhitespace { i = s.index(after: i) }
            }
            tokens.append(s[start..<i])
        }
        return tokens
    }

    private mutating func buildGeometry() throws {
        let kinds = fields["kinds"].map { $0.split(whereSeparator: \.isWhitespace).map { $0.lowercased() } }
        if let k = kinds, k.count != dimension {
            throw KiraError.unsupportedFormat(path: path, reason: "field kinds: \(k.count) entries for dimension \(dimension)")
        }
        // LPS sign flips for the declared space.
        var flip = SIMD3<Double>(1, 1, 1)
        var spaceDim: Int?
        if let space = fields["space"] {
            spaceName = space
            switch space.lowercased() {
            case "left-posterior-superior", "lps", "left-posterior-superior-time", "lpst":
                flip = [1, 1, 1]
            case "right-anterior-superior", "ras", "right-anterior-superior-time", "rast":
                flip = [-1, -1, 1]
            case "left-anterior-superior", "las", "left-anterior-superior-time", "last":
                flip = [1, -1, 1]
            case "scanner-xyz", "scanner-xyz-time", "3d-right-handed", "3d-right-handed-time",
                 "3d-left-handed", "3d-left-handed-time":
                flip = [1, 1, 1]  // taken as LPS; recorded in the metadata
            default:
                throw KiraError.unsupportedFormat(path: path, reason: "field space: unknown space \"\(space)\"")
            }
            spaceDim = space.lowercased().hasSuffix("time") || ["rast", "lpst", "last"].contains(space.lowercased()) ? 4 : 3
        } else if let sd = fields["space dimension"] {
            guard let v = Int(sd), v >= 1 else {
                throw KiraError.unsupportedFormat(path: path, reason: "field space dimension: \"\(sd)\" is not a positive integer")
            }
            spaceDim = v
            spaceName = "space dimension \(v) (taken as LPS)"
        } else if let dirs = fields["space directions"],
                  let first = vectorTokens(dirs).first(where: { $0.lowercased() != "none" }) {
            // Directions without a declared space: their length gives the space dimension.
            spaceDim = try parseVector(first, field: "space directions").count
            spaceName = "unspecified (taken as LPS)"
        }

        var spatialVectors: [Int: SIMD3<Double>] = [:]
        var origin = SIMD3<Double>(0, 0, 0)
        if let sd = spaceDim {
            guard sd >= 1, sd <= 4 else {
                throw KiraError.unsupportedFormat(path: path, reason: "field space dimension: \(sd) is not supported")
            }
            guard let dirs = fields["space directions"] else {
                throw KiraError.unsupportedFormat(path: path, reason: "field space directions: missing although a space is declared")
            }
            let tokens = vectorTokens(dirs)
            guard tokens.count == dimension else {
                throw KiraError.unsupportedFormat(path: path, reason: "field space directions: \(tokens.count) entries for dimension \(dimension)")
            }
            for (axis, token) in tokens.enumerated() {
                if token.lowercased() == "none" { continue }
                let v = try parseVector(token, field: "space directions")
                guard v.count == sd else {
                    throw KiraError.unsupportedFormat(path: path, reason: "field space directions: axis \(axis) vector \(token) has \(v.count) components, space dimension is \(sd)")
                }
                var p = SIMD3<Double>(0, 0, 0)
                for c in 0..<min(3, v.count) { p[c] = v[c] }
                if sd == 4, p == .zero, v[3] != 0 { continue }  // a pure time axis
                guard v.allSatisfy(\.isFinite) else {
                    throw KiraError.invalidGeometry(path: path, reason: "field space directions: axis \(axis) vector \(token) is not finite")
                }
                guard norm(p) > 0 else {
                    throw KiraError.invalidGeometry(path: path, reason: "field space directions: axis \(axis) vector \(token) has zero length (zero spacing)")
                }
                spatialVectors[axis] = p * flip
            }
            if let o = fields["space origin"] {
                let v = try parseVector(Substring(o), field: "space origin")
                guard v.count == sd, v.allSatisfy(\.isFinite) else {
                    throw KiraError.invalidGeometry(path: path, reason: "field space origin: \"\(o)\" is not \(sd) finite numbers")
                }
                for c in 0..<min(3, v.count) { origin[c] = v[c] }
                origin *= flip
            }
        } else {
            // No space: per-axis spacings (nan for non-spatial axes), identity directions.
            var spacings: [Double?] = Array(repeating: nil, count: dimension)
            if let s = fields["spacings"] {
                let tokens = s.split(whereSeparator: \.isWhitespace)
                guard tokens.count == dimension else {
                    throw KiraError.unsupportedFormat(path: path, reason: "field spacings: \(tokens.count) entries for dimension \(dimension)")
                }
                for (axis, tok) in tokens.enumerated() {
                    guard let v = Double(tok) else {
                        throw KiraError.unsupportedFormat(path: path, reason: "field spacings: \"\(tok)\" is not a number")
                    }
                    if v.isNaN { continue }
                    guard v.isFinite, v > 0 else {
                        throw KiraError.invalidGeometry(path: path, reason: "field spacings: axis \(axis) spacing is \(v); it must be positive")
                    }
                    spacings[axis] = v
                }
            }
            let nonSpatialKinds = Self.componentKinds.union(["list", "time", "scalar", "stub"])
            var spatialAxes: [Int] = []
            for axis in 0..<dimension {
                if let k = kinds?[axis], nonSpatialKinds.contains(k) { continue }
                if fields["spacings"] != nil, spacings[axis] == nil { continue }
                spatialAxes.append(axis)
            }
            if spatialAxes.count > 3 { spatialAxes = Array(spatialAxes.prefix(3)) }
            let unit: [SIMD3<Double>] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
            for (n, axis) in spatialAxes.enumerated() { spatialVectors[axis] = unit[n] * (spacings[axis] ?? 1) }
            spaceName = "none"
        }

        let spatial = spatialVectors.keys.sorted()
        guard !spatial.isEmpty, spatial.count <= 3 else {
            throw KiraError.unsupportedFormat(path: path, reason: "field space directions: \(spatial.count) spatial axes; 1 to 3 are supported")
        }
        guard spatial.last! - spatial.first! == spatial.count - 1 else {
            throw KiraError.unsupportedFormat(path: path, reason: "field space directions: a non-spatial axis lies between spatial axes")
        }
        guard spatial.first! <= 1 else {
            throw KiraError.unsupportedFormat(path: path, reason: "field space directions: more than one non-spatial axis precedes the spatial axes")
        }
        roles = Array(repeating: .time, count: dimension)
        for a in spatial { roles[a] = .spatial }
        if spatial.first! == 1 {
            let kind = kinds?[0] ?? "none"
            if Self.componentKinds.contains(kind) {
                roles[0] = .components
                components = sizes[0]
            } else {
                leadingAxisToTime = sizes[0] > 1
            }
        }
        timepoints = 1
        for a in 0..<dimension where roles[a] == .time { timepoints *= sizes[a] }

        var size = SIMD3<Int>(1, 1, 1)
        var spacing = SIMD3<Double>(1, 1, 1)
        var dirs: [SIMD3<Double>] = []
        for (n, axis) in spatial.enumerated() {
            size[n] = sizes[axis]
            let v = spatialVectors[axis]!
            spacing[n] = norm(v)
            dirs.append(v / spacing[n])
        }
        // Complete the frame for 1D and 2D images.
        if dirs.count == 1 {
            let d0 = dirs[0]
            let helper: SIMD3<Double> = abs(d0.x) < 0.9 ? [1, 0, 0] : [0, 1, 0]
            var d1 = helper - dot(helper, d0) * d0
            d1 /= norm(d1)
            dirs.append(d1)
        }
        if dirs.count == 2 {
            var d2 = cross(dirs[0], dirs[1])
            let n = norm(d2)
            guard n > 1e-9 else {
                throw KiraError.invalidGeometry(path: path, reason: "field space directions: the two spatial axes are parallel")
            }
            d2 /= n
            dirs.append(d2)
        }
        geometry = Geometry(size: size, spacing: spacing, origin: origin,
                            direction: Matrix3(columns: dirs[0], dirs[1], dirs[2]))
        let problems = geometry.validationErrors()
        guard problems.isEmpty else {
            throw KiraError.invalidGeometry(path: path, reason: "field space directions: " + problems.joined(separator: "; "))
        }
    }
}

/// A `data file:` name pattern with exactly one printf integer conversion (`%d`, `%i`, `%u`,
/// optionally zero-padded to a width), formatted here rather than by printf.
struct NRRDFilePattern {
    var prefix = "", suffix = ""
    var zeroPad = false
    var width = 0

    init?(_ text: String) {
        var chars = Array(text)[...]
        var found = false
        var before = "", after = ""
        while let c = chars.popFirst() {
            guard c == "%" else { if found { after.append(c) } else { before.append(c) }; continue }
            if chars.first == "%" {
                chars.removeFirst()
                if found { after.append("%") } else { before.append("%") }
                continue
            }
            guard !found else { return nil }
            found = true
            if chars.first == "0" { zeroPad = true; chars.removeFirst() }
            var digits = ""
            while let d = chars.first, d.isASCII, d.isNumber { digits.append(d); chars.removeFirst() }
            // A width beyond any file name's length is not a pattern anyone wrote.
            guard digits.count <= 3, let conversion = chars.popFirst(), "diu".contains(conversion) else { return nil }
            width = Int(digits) ?? 0
            guard width <= 255 else { return nil }
        }
        guard found else { return nil }
        prefix = before
        suffix = after
    }

    func name(_ n: Int) -> String {
        let digits = String(n.magnitude)
        let sign = n < 0 ? "-" : ""
        let pad = max(0, width - digits.count - sign.count)
        let number = zeroPad ? sign + String(repeating: "0", count: pad) + digits
                             : String(repeating: " ", count: pad) + sign + digits
        return prefix + number + suffix
    }
}

private extension UInt {
    var clampedToInt: Int { self > UInt(Int.max) ? Int.max : Int(self) }
}
