import KiraCore

/// Random stored voxels for the line-pass tests: int16 in ±3000, floats in ±1000, bytes
/// (any other type) in 0...254, drawn from `rng`.
func randomVoxels(_ type: ScalarType, count: Int, _ rng: inout SplitMix64) -> VoxelBuffer {
    switch type {
    case .int16: return .int16((0..<count).map { _ in Int16(rng.unit() * 6000 - 3000) })
    case .float32: return .float32((0..<count).map { _ in Float(rng.unit() * 2000 - 1000) })
    case .float64: return .float64((0..<count).map { _ in rng.unit() * 2000 - 1000 })
    default: return .uint8((0..<count).map { _ in UInt8(rng.unit() * 255) })
    }
}
