/// A JSON-shaped value for sidecars and `--json` output, kept in the core so that
/// adapters can record acquisition parameters without knowing the writer.
public enum MetaValue: Sendable, Equatable, Codable {
    case string(String)
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case array([MetaValue])
    case object([String: MetaValue])
    case null

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([MetaValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: MetaValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .string(s): try c.encode(s)
        case let .number(d): try d.isFinite ? c.encode(d) : c.encodeNil()
        case let .integer(i): try c.encode(i)
        case let .bool(b): try c.encode(b)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        case .null: try c.encodeNil()
        }
    }

    public var stringValue: String? { if case let .string(s) = self { s } else { nil } }
    public var doubleValue: Double? {
        switch self {
        case let .number(d): d
        case let .integer(i): Double(i)
        default: nil
        }
    }
}

extension MetaValue: ExpressibleByStringLiteral, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension MetaValue {
    public init(_ v: SIMD3<Double>) { self = .array([.number(v.x), .number(v.y), .number(v.z)]) }
    public init(_ v: [Double]) { self = .array(v.map { .number($0) }) }

    /// A grid as provenance records it: size, spacing, origin and direction (columns).
    public init(geometry g: Geometry) {
        self = .object([
            "size": .array([g.size.x, g.size.y, g.size.z].map { .integer($0) }),
            "spacing_mm": MetaValue(g.spacing),
            "origin_mm": MetaValue(g.origin),
            "direction": .array(g.direction.columns.map { MetaValue($0) }),
        ])
    }
}
