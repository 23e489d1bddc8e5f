import KiraCore
import Testing

@Suite("Allocation budget")
struct AllocationBudgetTests {
    /// The reason a check fails, or nil when it passes.
    static func refusal(_ what: String, _ factors: [Int], _ elementBytes: Int, budget: Int) -> String? {
        do {
            try AllocationBudget.check(what, factors: factors, elementBytes: elementBytes, budget: budget)
            return nil
        } catch let KiraError.tooLarge(subject, reason) {
            return subject + " | " + reason
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("products that overflow Int are refused, not trapped")
    func overflow() {
        // Int.max / 2 × 3 exceeds Int.max: a plain multiplication would trap.
        #expect(AllocationBudget.product([Int.max / 2, 3]) == nil)
        #expect(AllocationBudget.product([Int.max / 2, 2]) == Int.max - 1)
        #expect(AllocationBudget.product([1 << 21, 1 << 21, 1 << 21]) == nil)
        #expect(AllocationBudget.product([-1, 5]) == nil)
        #expect(AllocationBudget.product([]) == 1)
        let r = Self.refusal("grid of a.nii", [Int.max / 2, 3], 4, budget: Int.max)
        #expect(r?.hasPrefix("grid of a.nii | ") == true && r?.contains("overflow a 64-bit count") == true, "\(r ?? "nil")")
        // The count fits, the bytes do not: Int.max / 4 + 1 elements of 4 bytes.
        let bytes = Self.refusal("b", [Int.max / 4 + 1], 4, budget: Int.max)
        #expect(bytes?.contains("more than \(Int.max) bytes") == true, "\(bytes ?? "nil")")
    }

    @Test("the budget is inclusive; the refusal states shape, voxels and bytes")
    func boundary() throws {
        #expect(try AllocationBudget.check("x", factors: [10, 10, 10], elementBytes: 4, budget: 4000) == 1000)
        let r = try #require(Self.refusal("resampled grid of img.nii", [10, 10, 10], 4, budget: 3999))
        #expect(r == "resampled grid of img.nii | 10×10×10 = 1000 voxels × 4 bytes = 4000 bytes (3.9 KiB), over the budget of 3999 bytes (3.9 KiB) per buffer (KIRA_MAX_BYTES)")
        let described = KiraError.tooLarge(subject: "s", reason: "r").description
        #expect(described == "s: too large: r")
        // 3D grids with planes: 4 × 4 × 4 × 2 planes × 8 bytes = 1024 bytes.
        #expect(try AllocationBudget.check("y", size: [4, 4, 4], planes: 2, elementBytes: 8, budget: 1024) == 128)
        #expect(throws: KiraError.self) { try AllocationBudget.check("y", size: [4, 4, 4], planes: 2, elementBytes: 8, budget: 1023) }
    }

    @Test("budget spellings and real-valued sizes")
    func parsing() {
        #expect(AllocationBudget.parseBytes("1000") == 1000)
        #expect(AllocationBudget.parseBytes("64K") == 65_536)
        #expect(AllocationBudget.parseBytes("512m") == 512 << 20)
        #expect(AllocationBudget.parseBytes("8GB") == 8 << 30)
        #expect(AllocationBudget.parseBytes("1T") == 1 << 40)
        #expect(AllocationBudget.parseBytes("0") == nil)
        #expect(AllocationBudget.parseBytes("-5") == nil)
        #expect(AllocationBudget.parseBytes("lots") == nil)
        #expect(AllocationBudget.parseBytes("9999999999T") == nil)
        #expect(AllocationBudget.count(12.0) == 12)
        #expect(AllocationBudget.count(5.4e300) == nil)
        #expect(AllocationBudget.count(.infinity) == nil)
        #expect(AllocationBudget.count(.nan) == nil)
        #expect(AllocationBudget.describeBytes(1023) == "1023 bytes")
        #expect(AllocationBudget.describeBytes(3 << 30) == "3.0 GiB")
    }
}
