import KiraCore
import KiraRadiomics
import Testing

/// IBSI-2 rotation pooling of the separable wavelets: pooling over the whole rotation group
/// makes the map equivariant, so the pooled map of a right-angle-rotated image is the rotated
/// pooled map (periodic padding on a cube, so every rotation maps the grid onto itself).
@Suite struct FiltersRotationTests {
    @Test(arguments: [("average", 3), ("max", 3), ("average", 2)])
    func pooledWaveletIsRotationEquivariant(_ c: (pooling: String, dims: Int)) throws {
        var rng = SplitMix64(seed: 11)
        let n = 8
        let base = (0..<(n * n * n)).map { _ in rng.unit() }
        func volume(_ f: (Int, Int, Int) -> Double) -> Volume {
            var v: [Double] = []
            for z in 0..<n { for y in 0..<n { for x in 0..<n { v.append(f(x, y, z)) } } }
            return try! Volume(geometry: Geometry(size: [n, n, n]), voxels: .float64(v))
        }
        let image = volume { x, y, z in base[(z * n + y) * n + x] }
        // A quarter turn about z: (x, y) → (y, n−1−x).
        let turned = volume { x, y, z in base[(z * n + (n - 1 - x)) * n + y] }
        let spec = ImageTypeSpec(.wavelet, parameters: ["wavelet": "db2", "dimensions": .integer(c.dims), "padding": "periodic",
                                                        "rotation_invariance": true, "pooling": .string(c.pooling)])
        let a = try ImageFilters.apply(spec, to: image, mask: nil)
        let b = try ImageFilters.apply(spec, to: turned, mask: nil)
        #expect(a.count == 1 << c.dims)
        var worst = 0.0
        for (ma, mb) in zip(a, b) {
            #expect(ma.prefix == mb.prefix)
            for z in 0..<n { for y in 0..<n { for x in 0..<n {
                worst = max(worst, abs(mb.image[x, y, z, 0] - ma.image[y, n - 1 - x, z, 0]))
            } } }
        }
        #expect(worst <= 1e-12)
        // Pooling changes the map: it is not the plain LLH band.
        let plain = try ImageFilters.apply(ImageTypeSpec(.wavelet, parameters: ["wavelet": "db2", "dimensions": .integer(c.dims), "padding": "periodic"]), to: image, mask: nil)
        #expect(plain[1].image.voxels != a[1].image.voxels)
    }
}
