import Foundation
import KiraCore
import KiraRadiomics

/// Typed reads of study values; each failure names the file and key path.
struct StudyReader {
    let source: String

    func fail(_ path: String, _ message: String) -> KiraError {
        KiraError.invalidArgument("\(source): \(path): \(message)")
    }

    /// The entries of a mapping, refusing any key not in `known`.
    func map(_ v: ConfigValue, _ path: String, known: [String]? = nil, what: String = "a mapping") throws -> [(key: String, value: ConfigValue)] {
        guard case let .map(m) = v else { throw fail(path, "expected \(what), got \(v.display)") }
        if let known {
            for (k, _) in m where !known.contains(k) {
                throw fail(path.isEmpty ? k : "\(path).\(k)", "unknown key (known: \(known.joined(separator: ", ")))")
            }
        }
        return m
    }

    func value(_ m: [(key: String, value: ConfigValue)], _ key: String) -> ConfigValue? {
        m.first { $0.key == key }?.value
    }

    func required(_ m: [(key: String, value: ConfigValue)], _ key: String, _ path: String) throws -> ConfigValue {
        guard let v = value(m, key) else { throw fail(join(path, key), "missing (required)") }
        return v
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func string(_ v: ConfigValue, _ path: String, what: String = "a string") throws -> String {
        guard case let .string(s) = v, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw fail(path, "expected \(what), got \(v.display)")
        }
        return s
    }

    func number(_ v: ConfigValue, _ path: String) throws -> Double {
        switch v {
        case let .int(i): return Double(i)
        case let .double(d) where d.isFinite: return d
        default: throw fail(path, "expected a number, got \(v.display)")
        }
    }

    func integer(_ v: ConfigValue, _ path: String, atLeast low: Int) throws -> Int {
        guard case let .int(i) = v else { throw fail(path, "expected a whole number, got \(v.display)") }
        guard i >= low else { throw fail(path, "must be at least \(low), got \(i)") }
        return i
    }

    func strings(_ v: ConfigValue, _ path: String, what: String) throws -> [String] {
        guard case let .list(l) = v, !l.isEmpty else { throw fail(path, "expected \(what), got \(v.display)") }
        return try l.enumerated().map { k, item in
            guard case let .string(s) = item, !s.isEmpty else { throw fail(path, "expected \(what), got \(item.display) at [\(k)]") }
            return s
        }
    }

    /// A scalar hyperparameter as the text KiraLearn's model spec takes.
    func scalarText(_ v: ConfigValue, _ path: String) throws -> String {
        switch v {
        case let .int(i): return String(i)
        case let .double(d): return "\(d)"
        case let .string(s): return s
        case let .bool(b): return b ? "true" : "false"
        default: throw fail(path, "expected a number or a word, got \(v.display)")
        }
    }
}
