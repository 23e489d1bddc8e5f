import Foundation
import KiraCore
import Testing

/// `compactJSON` against Foundation's encoder: both texts decode to the same value, and with
/// integers and strings only (no number spelling to differ) the texts are identical.
@Suite struct MetaValueJSONTests {
    static let values: [MetaValue] = [
        .object(["b": 1, "a": .array([0.1, 1e-5, -0.0, 1e300, 123456789.125, .null]), "c": .bool(true)]),
        .object(["quote\"back\\slash": .string("tab\tnew\nline\r\u{01}\u{1F} é ✓ 🧪"), "empty": .object([:]), "list": .array([])]),
        .array([.number(.nan), .number(.infinity), .integer(-42), .string("")]),
        .object(["nested": .object(["z": .array([.object(["y": 2, "x": "s"])])])]),
    ]

    @Test(arguments: values)
    func decodesToFoundationsValue(_ v: MetaValue) throws {
        let ours = try JSONDecoder().decode(MetaValue.self, from: Data(v.compactJSON.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let theirs = try JSONDecoder().decode(MetaValue.self, from: encoder.encode(v))
        #expect(ours == theirs)
    }

    @Test func sameTextWithoutFractionalNumbers() throws {
        let v: MetaValue = .object(["z": .array([1, -2, .number(3), .number(-1e6), .string("a\"b\\c\n\u{7}")]), "a": .object(["k": .bool(false), "n": .null])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(v.compactJSON == String(decoding: try encoder.encode(v), as: UTF8.self))
    }
}

extension MetaValueJSONTests {
    @Test(arguments: values)
    func prettyDecodesToFoundationsValue(_ v: MetaValue) throws {
        let ours = try JSONDecoder().decode(MetaValue.self, from: Data(v.prettyJSON.utf8))
        let theirs = try JSONDecoder().decode(MetaValue.self, from: Data(v.compactJSON.utf8))
        #expect(ours == theirs)
    }

    @Test func prettySameTextWithoutFractionalNumbers() throws {
        let v: MetaValue = .object(["z": .array([1, -2, .string("a")]), "a": .object(["k": .bool(false), "n": .null])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        #expect(v.prettyJSON == String(decoding: try encoder.encode(v), as: UTF8.self))
    }
}
