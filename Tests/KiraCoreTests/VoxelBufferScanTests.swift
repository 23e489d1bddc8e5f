import Testing
@testable import KiraCore

/// The whole-buffer scans against plain per-voxel loops: lengths that are and are not
/// multiples of the word the uint8 count reads, every byte value (the bit trick must see
/// 0x80 and 0x01 as non-zero), and every storage type.
@Suite struct VoxelBufferScanTests {
    @Test(arguments: [0, 1, 7, 8, 9, 63, 64, 1001])
    func nonZeroByteCountMatchesLoop(_ n: Int) {
        var rng = SplitMix64(seed: UInt64(n) + 3)
        // About half zeros, the rest any byte value.
        let bytes = (0..<n).map { _ -> UInt8 in rng.unit() < 0.5 ? 0 : UInt8(truncatingIfNeeded: rng.next()) }
        let expected = bytes.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        #expect(VoxelBuffer.uint8(bytes).nonZeroCount() == expected)
        let all = [UInt8](0...255)
        #expect(VoxelBuffer.uint8(all).nonZeroCount() == 255)
    }

    @Test func nonZeroCountEveryType() {
        let v: [Double] = [0, 1, -2, 0, .nan, 0.5, 0, -0.0]
        // NaN counts as non-zero (x != 0); −0 is zero.
        #expect(VoxelBuffer.float64(v).nonZeroCount() == 4)
        #expect(VoxelBuffer.float32(v.map(Float.init)).nonZeroCount() == 4)
        #expect(VoxelBuffer.int16([0, -1, 3, 0]).nonZeroCount() == 2)
        #expect(VoxelBuffer.uint16([0, 65535, 0]).nonZeroCount() == 1)
        #expect(VoxelBuffer.int32([0, 0, -7]).nonZeroCount() == 1)
    }
}
