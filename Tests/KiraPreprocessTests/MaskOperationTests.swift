import Foundation
import KiraCore
import KiraPreprocess
import Testing

@Suite("Mask operations")
struct MaskOperationTests {
    /// A ball of radius r mm centred in an anisotropic grid.
    static func sphere(radius r: Double, spacing: SIMD3<Double>, size: SIMD3<Int>) throws -> Volume {
        let g = Geometry(size: size, spacing: spacing)
        let c = SIMD3(Double(size.x - 1), Double(size.y - 1), Double(size.z - 1)) * 0.5
        var m = [UInt8](repeating: 0, count: g.voxelCount)
        var i = 0
        for z in 0..<size.z { for y in 0..<size.y { for x in 0..<size.x {
            let d = (SIMD3(Double(x), Double(y), Double(z)) - c) * spacing
            if (d * d).sum() <= r * r { m[i] = 1 }
            i += 1
        } } }
        return try Volume(geometry: g, voxels: .uint8(m))
    }

    static func volumeMM3(_ v: Volume) -> Double {
        let s = v.geometry.spacing
        return Double((0..<v.geometry.voxelCount).filter { v.voxels[$0] != 0 }.count) * s.x * s.y * s.z
    }

    /// A 10 mm sphere on a 0.7 × 0.9 × 1.6 mm grid, dilated by d mm. Voxelisation bounds the
    /// result both ways (g = half the voxel diagonal): every voxel centre within r + d − 2g of
    /// the centre is in the dilation (the nearest grid centre to any point of the ball of radius
    /// r − g lies in the mask, within g), and none beyond r + d (triangle inequality). So the
    /// dilation lies between the digitised balls of radius r + d − 2g and r + d, voxel by voxel,
    /// and the ring between those shells.
    @Test("sphere dilated by d mm on an anisotropic grid lies within the analytic voxelisation bounds", arguments: [5.0, 10.0])
    func sphereDilation(d: Double) throws {
        let spacing = SIMD3(0.7, 0.9, 1.6), r = 10.0
        let ball = try Self.sphere(radius: r, spacing: spacing, size: [71, 55, 31])
        let dilated = try MaskOperations.dilate(ball, by: .millimetres(d))
        let ring = try MaskOperations.ring(ball, width: .millimetres(d))
        let g = 0.5 * (spacing * spacing).sum().squareRoot()
        let inner = try Self.sphere(radius: r + d - 2 * g, spacing: spacing, size: [71, 55, 31])
        let outer = try Self.sphere(radius: r + d, spacing: spacing, size: [71, 55, 31])
        var outside = 0, missing = 0
        for i in 0..<ball.geometry.voxelCount {
            if dilated.voxels[i] != 0 && outer.voxels[i] == 0 { outside += 1 }
            if inner.voxels[i] != 0 && dilated.voxels[i] == 0 { missing += 1 }
            #expect(!(ring.voxels[i] != 0 && ball.voxels[i] != 0))
            #expect((ring.voxels[i] != 0 || ball.voxels[i] != 0) == (dilated.voxels[i] != 0))
        }
        let v = Self.volumeMM3(dilated), ringV = Self.volumeMM3(ring)
        let lo = 4.0 / 3 * Double.pi * pow(r + d - 2 * g, 3), hi = 4.0 / 3 * Double.pi * pow(r + d, 3)
        let ballExact = 4.0 / 3 * Double.pi * pow(r, 3)
        print("sphere r=\(r) dilated by \(d) mm: \(v) mm³ (analytic \(hi); bounds \(lo)…\(hi)); ring \(ringV) mm³ (analytic \(hi - ballExact))")
        #expect(outside == 0 && missing == 0)
        // The volumes respect the same bounds, with 1 % for the digitisation of the bounding balls.
        #expect(v >= lo * 0.99 && v <= hi * 1.01)
        #expect(ringV >= (lo - ballExact) * 0.98 && ringV <= (hi - ballExact) * 1.02)
    }

    /// Brute force: a voxel is in the dilation iff some mask voxel centre lies within d, and
    /// stays in the erosion iff no background voxel centre does.
    @Test("dilation and erosion equal brute-force distance checks", arguments: [(1.0, false), (2.3, false), (2.0, true)])
    func bruteForce(d: Double, voxels: Bool) throws {
        let size = SIMD3(9, 8, 5), spacing = SIMD3(0.6, 1.1, 1.9)
        let g = Geometry(size: size, spacing: spacing)
        var rng = SplitMix64(seed: 5)
        let m = (0..<g.voxelCount).map { _ in rng.unit() < 0.35 ? UInt8(1) : 0 }
        let mask = try Volume(geometry: g, voxels: .uint8(m))
        let reach: MaskOperations.Reach = voxels ? .voxels(d) : .millimetres(d)
        let dil = try MaskOperations.dilate(mask, by: reach), ero = try MaskOperations.erode(mask, by: reach)
        let metric = voxels ? SIMD3<Double>(1, 1, 1) : spacing
        func point(_ i: Int) -> SIMD3<Double> {
            SIMD3(Double(i % size.x), Double((i / size.x) % size.y), Double(i / (size.x * size.y))) * metric
        }
        for i in 0..<g.voxelCount {
            var nearMask = false, nearBackground = false
            for j in 0..<g.voxelCount {
                let dd = point(i) - point(j)
                guard (dd * dd).sum() <= d * d + 1e-9 else { continue }
                if m[j] == 1 { nearMask = true } else { nearBackground = true }
            }
            #expect((dil.voxels[i] != 0) == nearMask)
            #expect((ero.voxels[i] != 0) == (m[i] == 1 && !nearBackground))
        }
    }

    @Test("largest component, label selection and empty masks")
    func componentsAndLabels() throws {
        let g = Geometry(size: [6, 3, 1])
        // Components: {0,1} (2 voxels) and {3,4,5, 9} (4 voxels, 9 touches 4 diagonally? no: 9 is (3,1)).
        var v = [UInt8](repeating: 0, count: 18)
        for i in [0, 1, 3, 4, 5, 9] { v[i] = 1 }
        let largest = try MaskOperations.largestComponent(try Volume(geometry: g, voxels: .uint8(v)))
        #expect((0..<18).filter { largest.voxels[$0] != 0 } == [3, 4, 5, 9])
        let labels = try Volume(geometry: g, voxels: .uint8([0, 2, 2, 3, 0, 0] + [UInt8](repeating: 0, count: 12)))
        let two = try MaskOperations.selectLabels(labels, [2])
        #expect((0..<18).filter { two.voxels[$0] != 0 } == [1, 2])
        do { _ = try MaskOperations.selectLabels(labels, [7]); Issue.record("label 7 should fail") } catch {
            #expect("\(error)".contains("labels present: 2, 3"))
        }
        let empty = try Volume(geometry: g, voxels: .uint8([UInt8](repeating: 0, count: 18)))
        #expect(throws: KiraError.self) { try MaskOperations.ring(empty, width: .millimetres(5)) }
    }
}
