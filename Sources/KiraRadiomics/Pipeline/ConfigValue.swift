import Foundation
import KiraCore
import Yams

/// A parsed YAML (or JSON) value that remembers its key path, so that every error in a
/// settings file or a study file can name the file and the key (`study.yaml: modalities.dce.masks: …`).
/// Shared by the settings files here and the study files above this module.
public indirect enum ConfigValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ConfigValue])
    case map([(key: String, value: ConfigValue)])

    /// Parses YAML or JSON text; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws -> ConfigValue {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw KiraError.invalidArgument("\(source): not valid YAML: \(error)")
        }
        return try ConfigValue(root, source: source, path: "")
    }

    init(_ node: Node?, source: String, path: String) throws {
        guard let node else { self = .null; return }
        switch node {
        case .scalar:
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: self = .null
            case .bool: self = node.bool.map(ConfigValue.bool) ?? .string(node.string ?? "")
            case .int:
                // Yams reads YAML 1.1 base-60 integers ("1:30") with unchecked arithmetic, so a
                // long one traps inside Yams (found by fuzzing); no key is written that way,
                // so such a value stays text and is refused as a number by the key's check.
                let text = node.string ?? ""
                self = text.contains(":") ? .string(text) : node.int.map(ConfigValue.int) ?? .string(text)
            case .float: self = node.float.map(ConfigValue.double) ?? .string(node.string ?? "")
            default: self = .string(node.string ?? "")
            }
        case let .sequence(seq):
            self = .list(try seq.enumerated().map { try ConfigValue($1, source: source, path: "\(path)[\($0)]") })
        case let .mapping(map):
            var pairs: [(key: String, value: ConfigValue)] = []
            let here = path.isEmpty ? "top level" : path
            for (k, v) in map {
                guard let key = k.string else { throw KiraError.invalidArgument("\(source): \(here): keys must be strings") }
                let keyPath = path.isEmpty ? key : "\(path).\(key)"
                pairs.append((key, try ConfigValue(v, source: source, path: keyPath)))
            }
            self = .map(pairs)
        case .alias:
            throw KiraError.invalidArgument("\(source): \(path.isEmpty ? "top level" : path): YAML aliases are not supported")
        }
    }

    /// How the value is named in an error ("expected a number, got \"abc\"").
    public var display: String {
        switch self {
        case .null: "null"
        case let .bool(b): "\(b)"
        case let .int(i): "\(i)"
        case let .double(d): "\(d)"
        case let .string(s): "\"\(s)\""
        case .list: "a list"
        case .map: "a mapping"
        }
    }

    /// The value as canonical text for a settings hash (mapping keys sorted by MetaValue).
    public var metaValue: MetaValue {
        switch self {
        case .null: .null
        case let .bool(b): .bool(b)
        case let .int(i): .integer(i)
        case let .double(d): .number(d)
        case let .string(s): .string(s)
        case let .list(l): .array(l.map(\.metaValue))
        case let .map(m): .object(Dictionary(m.map { ($0.key, $0.value.metaValue) }, uniquingKeysWith: { $1 }))
        }
    }
}
