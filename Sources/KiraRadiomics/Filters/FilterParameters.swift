import KiraCore

/// Typed access to one image type's parameters. Every key a filter does not read is an
/// error, so a misspelt key (`sigmas:`) fails loudly instead of being ignored; messages name
/// the image type and the key.
struct FilterParameters {
    let kind: ImageTypeSpec.Kind
    private let values: [String: MetaValue]
    private var read: Set<String> = []

    init(_ spec: ImageTypeSpec) {
        kind = spec.kind
        values = spec.parameters
    }

    func error(_ key: String, _ message: String) -> KiraError {
        .invalidArgument("imageType \(kind.rawValue): parameter '\(key)' \(message)")
    }

    mutating func double(_ key: String, default value: Double? = nil) throws -> Double? {
        read.insert(key)
        guard let v = values[key], v != .null else { return value }
        guard let d = v.doubleValue, d.isFinite else { throw error(key, "must be a number, got \(describe(v))") }
        return d
    }

    mutating func requiredDouble(_ key: String, default value: Double? = nil) throws -> Double {
        guard let d = try double(key, default: value) else { throw error(key, "is required") }
        return d
    }

    mutating func positive(_ key: String, default value: Double? = nil) throws -> Double {
        let d = try requiredDouble(key, default: value)
        guard d > 0 else { throw error(key, "must be positive, got \(d)") }
        return d
    }

    mutating func int(_ key: String, default value: Int) throws -> Int {
        read.insert(key)
        guard let v = values[key], v != .null else { return value }
        switch v {
        case let .integer(i): return i
        case let .number(d) where d == d.rounded() && abs(d) < 1e9: return Int(d)
        default: throw error(key, "must be an integer, got \(describe(v))")
        }
    }

    mutating func bool(_ key: String, default value: Bool) throws -> Bool {
        read.insert(key)
        guard let v = values[key], v != .null else { return value }
        guard case let .bool(b) = v else { throw error(key, "must be true or false, got \(describe(v))") }
        return b
    }

    mutating func string(_ key: String, default value: String?) throws -> String? {
        read.insert(key)
        guard let v = values[key], v != .null else { return value }
        guard case let .string(s) = v else { throw error(key, "must be a string, got \(describe(v))") }
        return s
    }

    /// A number or a list of numbers (`sigma: 2` and `sigma: [1, 2]` are both accepted).
    mutating func doubles(_ key: String, default value: [Double]) throws -> [Double] {
        read.insert(key)
        guard let v = values[key], v != .null else { return value }
        let items: [MetaValue]
        if case let .array(a) = v { items = a } else { items = [v] }
        return try items.map { item in
            guard let d = item.doubleValue, d.isFinite else { throw error(key, "must hold numbers, got \(describe(item))") }
            return d
        }
    }

    /// A string or a list of strings.
    mutating func strings(_ key: String, default value: [String]) throws -> [String] {
        read.insert(key)
        guard let v = values[key], v != .null else { return value }
        let items: [MetaValue]
        if case let .array(a) = v { items = a } else { items = [v] }
        return try items.map { item in
            guard case let .string(s) = item else { throw error(key, "must hold strings, got \(describe(item))") }
            return s
        }
    }

    /// One of `allowed` (case-insensitive), returned lower-cased.
    mutating func choice(_ key: String, _ allowed: [String], default value: String) throws -> String {
        let s = (try string(key, default: value) ?? value).lowercased()
        guard allowed.contains(s) else { throw error(key, "must be one of \(allowed.joined(separator: ", ")), got '\(s)'") }
        return s
    }

    /// Call after reading every key the filter knows.
    func rejectUnknown() throws {
        if let key = values.keys.sorted().first(where: { !read.contains($0) }) {
            throw KiraError.invalidArgument("imageType \(kind.rawValue): unknown parameter '\(key)' (known: \(read.sorted().joined(separator: ", ")))")
        }
    }

    private func describe(_ v: MetaValue) -> String {
        switch v {
        case let .string(s): "'\(s)'"
        case let .number(d): "\(d)"
        case let .integer(i): "\(i)"
        case let .bool(b): "\(b)"
        case .array: "a list"
        case .object: "a mapping"
        case .null: "null"
        }
    }
}
