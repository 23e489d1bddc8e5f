import Foundation
import KiraCore
import Yams

/// A parsed YAML value that remembers where it sits in the study file, so every error can
/// name the file and the key path (`study.yaml: modalities.dce.masks: …`).
indirect enum StudyValue {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([StudyValue])
    case map([(key: String, value: StudyValue)])

    static func parse(_ text: String, source: String) throws -> StudyValue {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw KiraError.invalidArgument("\(source): not valid YAML: \(error)")
        }
        return try StudyValue(root, source: source, path: "")
    }

    init(_ node: Node?, source: String, path: String) throws {
        guard let node else { self = .null; return }
        switch node {
        case .scalar:
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: self = .null
            case .bool: self = node.bool.map(StudyValue.bool) ?? .string(node.string ?? "")
            case .int:
                // Base-60 integers ("1:30") overflow inside Yams; none is meant here, so keep text.
                let text = node.string ?? ""
                self = text.contains(":") ? .string(text) : node.int.map(StudyValue.int) ?? .string(text)
            case .float: self = node.float.map(StudyValue.double) ?? .string(node.string ?? "")
            default: self = .string(node.string ?? "")
            }
        case let .sequence(seq):
            self = .list(try seq.enumerated().map { try StudyValue($1, source: source, path: "\(path)[\($0)]") })
        case let .mapping(map):
            var pairs: [(key: String, value: StudyValue)] = []
            var seen = Set<String>()
            for (k, v) in map {
                let here = path.isEmpty ? "top level" : path
                guard let key = k.string else { throw KiraError.invalidArgument("\(source): \(here): keys must be strings") }
                guard seen.insert(key).inserted else { throw KiraError.invalidArgument("\(source): \(path.isEmpty ? key : path + "." + key): key given twice") }
                pairs.append((key, try StudyValue(v, source: source, path: path.isEmpty ? key : "\(path).\(key)")))
            }
            self = .map(pairs)
        case .alias:
            throw KiraError.invalidArgument("\(source): \(path.isEmpty ? "top level" : path): YAML aliases are not supported")
        }
    }

    var display: String {
        switch self {
        case .null: "nothing"
        case let .bool(b): "\(b)"
        case let .int(i): "\(i)"
        case let .double(d): "\(d)"
        case let .string(s): "\"\(s)\""
        case .list: "a list"
        case .map: "a mapping"
        }
    }

    /// The value as canonical text for the settings hash (keys in file order are sorted).
    var metaValue: MetaValue {
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

/// Typed reads of study values; each failure names the file and key path.
struct StudyReader {
    let source: String

    func fail(_ path: String, _ message: String) -> KiraError {
        KiraError.invalidArgument("\(source): \(path): \(message)")
    }

    /// The entries of a mapping, refusing any key not in `known`.
    func map(_ v: StudyValue, _ path: String, known: [String]? = nil, what: String = "a mapping") throws -> [(key: String, value: StudyValue)] {
        guard case let .map(m) = v else { throw fail(path, "expected \(what), got \(v.display)") }
        if let known {
            for (k, _) in m where !known.contains(k) {
                throw fail(path.isEmpty ? k : "\(path).\(k)", "unknown key (known: \(known.joined(separator: ", ")))")
            }
        }
        return m
    }

    func value(_ m: [(key: String, value: StudyValue)], _ key: String) -> StudyValue? {
        m.first { $0.key == key }?.value
    }

    func required(_ m: [(key: String, value: StudyValue)], _ key: String, _ path: String) throws -> StudyValue {
        guard let v = value(m, key) else { throw fail(join(path, key), "missing (required)") }
        return v
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func string(_ v: StudyValue, _ path: String, what: String = "a string") throws -> String {
        guard case let .string(s) = v, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw fail(path, "expected \(what), got \(v.display)")
        }
        return s
    }

    func number(_ v: StudyValue, _ path: String) throws -> Double {
        switch v {
        case let .int(i): return Double(i)
        case let .double(d) where d.isFinite: return d
        default: throw fail(path, "expected a number, got \(v.display)")
        }
    }

    func integer(_ v: StudyValue, _ path: String, atLeast low: Int) throws -> Int {
        guard case let .int(i) = v else { throw fail(path, "expected a whole number, got \(v.display)") }
        guard i >= low else { throw fail(path, "must be at least \(low), got \(i)") }
        return i
    }

    func strings(_ v: StudyValue, _ path: String, what: String) throws -> [String] {
        guard case let .list(l) = v, !l.isEmpty else { throw fail(path, "expected \(what), got \(v.display)") }
        return try l.enumerated().map { k, item in
            guard case let .string(s) = item, !s.isEmpty else { throw fail(path, "expected \(what), got \(item.display) at [\(k)]") }
            return s
        }
    }

    /// A scalar hyperparameter as the text KiraLearn's model spec takes.
    func scalarText(_ v: StudyValue, _ path: String) throws -> String {
        switch v {
        case let .int(i): return String(i)
        case let .double(d): return "\(d)"
        case let .string(s): return s
        case let .bool(b): return b ? "true" : "false"
        default: throw fail(path, "expected a number or a word, got \(v.display)")
        }
    }
}
