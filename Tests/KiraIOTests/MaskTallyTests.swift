import KiraCore
@testable import KiraIO
import Testing

/// The label tally skips all-zero blocks of 32 voxels and counts the rest four ways; the
/// reference is a plain dictionary count of the same voxels. Lengths leave every remainder
/// of 32 and 4; the patterns put labels at block edges, fill whole blocks, leave no zero at
/// all, and use negative labels (zero then lies inside the range).
@Suite struct MaskTallyTests {
    enum Pattern: String, CaseIterable { case sparse, blockEdges, noZeros, negative, allZero }

    static func voxels(_ pattern: Pattern, count: Int) -> [Int32] {
        var rng = SplitMix64(seed: UInt64(count))
        return (0..<count).map { i -> Int32 in
            switch pattern {
            case .sparse: return rng.next() % 50 == 0 ? Int32(1 + rng.next() % 3) : 0
            case .blockEdges: return i % 32 == 0 || i % 32 == 31 ? 7 : (i / 32 % 5 == 2 ? 300 : 0)
            case .noZeros: return Int32(1 + i % 4)
            case .negative: return i % 13 == 0 ? -2 : (i % 29 == 0 ? 4 : 0)
            case .allZero: return 0
            }
        }
    }

    static func reference(_ a: [Int32]) -> [Int: Int] {
        var d: [Int: Int] = [:]
        for x in a { d[Int(x), default: 0] += 1 }
        return d
    }

    @Test(arguments: Pattern.allCases, [1, 31, 32, 33, 127, 1_000, 4_099])
    func tallyEqualsPlainCount(pattern: Pattern, count: Int) throws {
        let a = Self.voxels(pattern, count: count)
        #expect(try MaskReader.labelCounts(.int32(a), path: "m") == Self.reference(a))
        let narrow = a.map { UInt8(truncatingIfNeeded: $0) }
        var expected: [Int: Int] = [:]
        for x in narrow { expected[Int(x), default: 0] += 1 }
        #expect(try MaskReader.labelCounts(.uint8(narrow), path: "m") == expected)
    }
}
