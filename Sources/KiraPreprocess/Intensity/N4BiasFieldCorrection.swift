import Foundation
import KiraCore
import Logging

/// N4 bias-field correction (Tustison et al., IEEE TMI 29(6), 2010) as ITK's
/// N4BiasFieldCorrectionImageFilter computes it, applied the way SimpleITK's example does:
/// shrink the image and mask, fit the log bias field there, rebuild the field at full
/// resolution from the control points, and divide.
///
/// Each iteration sharpens the histogram of the current log-corrected intensities inside the
/// mask, smooths the residual (log image − sharpened) with a cubic B-spline fit, and adds the
/// fit's control points to the field's. A level ends after its iteration budget or when the
/// coefficient of variation of exp(previous field − new field) inside the mask reaches the
/// threshold; the mesh then doubles.
///
/// One deliberate difference from ITK: voxels of a given mask whose intensity is not positive
/// are left out of the fit (ITK keeps them with their raw, un-logged value). Without a mask,
/// every voxel with a positive intensity is used.
public enum N4BiasFieldCorrection {
    public static func correct(_ image: Volume, mask: Volume? = nil, settings: N4Settings = N4Settings(),
                               logger: Logger? = nil) throws -> N4Result {
        try settings.validate()
        try IntensityFilters.requireScalar3D(image, "N4 bias-field correction")
        let full = image.geometry.size
        let voxelCount = image.geometry.voxelCount
        if let mask {
            guard mask.timepoints == 1, mask.components == 1 else {
                throw KiraError.invalidArgument("N4: the mask must be a 3D label image; it has \(mask.timepoints) time points and \(mask.components) components")
            }
            guard mask.geometry.size == full else {
                throw KiraError.invalidArgument("N4: the mask grid \(mask.geometry.size.x)×\(mask.geometry.size.y)×\(mask.geometry.size.z) differs from the image grid \(full.x)×\(full.y)×\(full.z)")
            }
        }
        let values = image.voxels.toDoubles()
        let maskValues = mask?.voxels.toDoubles()

        // The voxels N4 may use: inside the mask (or anywhere) with a positive, finite intensity.
        var usable = [Bool](repeating: false, count: voxelCount)
        var inMask = 0, nonPositive = 0
        for i in 0..<voxelCount where maskValues == nil || maskValues![i] != 0 {
            inMask += 1
            if values[i] > 0, values[i].isFinite { usable[i] = true } else { nonPositive += 1 }
        }
        guard inMask > 0 else { throw KiraError.invalidArgument("N4: the mask is empty") }
        guard nonPositive < inMask else {
            throw KiraError.invalidArgument(mask == nil
                ? "N4: the image has no positive intensity; N4 corrects log intensities and needs positive values"
                : "N4: no voxel inside the mask has a positive intensity; N4 corrects log intensities and needs positive values")
        }
        if nonPositive > 0, mask != nil {
            logger?.info("N4: \(nonPositive) of \(inMask) mask voxels have non-positive intensities and are left out of the fit")
        }

        // ITK's ShrinkImageFilter: floor(N/k) voxels, every k-th input voxel, the two grids
        // sharing their centre (the first sample is the input index nearest to it).
        let shrink = settings.shrinkFactor
        var grid = SIMD3<Int>(repeating: 1), offset = SIMD3<Int>(repeating: 0)
        for a in 0..<3 {
            grid[a] = max(1, full[a] / shrink)
            offset[a] = max(0, ((full[a] - 1) - shrink * (grid[a] - 1) + 1) / 2)
        }
        var points = [Int32]()
        var logValues = [Double]()
        for z in 0..<grid.z { for y in 0..<grid.y { for x in 0..<grid.x {
            let source = ((offset.z + shrink * z) * full.y + offset.y + shrink * y) * full.x + offset.x + shrink * x
            if usable[source] {
                points.append(Int32((z * grid.y + y) * grid.x + x))
                logValues.append(log(values[source]))
            }
        } } }
        guard !points.isEmpty else {
            throw KiraError.invalidArgument("N4: no usable voxel is left after shrinking by \(shrink); use a smaller --n4-shrink or a larger mask")
        }
        guard let lo = logValues.min(), let hi = logValues.max(), hi > lo else {
            throw KiraError.invalidArgument("N4: the intensities inside the mask are constant; there is no bias field to estimate")
        }

        let sharpening = N4HistogramSharpening(bins: settings.histogramBins, fwhm: settings.fullWidthAtHalfMaximum,
                                               wienerNoise: settings.wienerNoise)
        var lattice: CubicLattice? = nil
        var latticeSize = settings.controlPoints
        var field = [Double](repeating: 0, count: points.count)
        var iterations = [Int](), convergence = [Double]()
        let levels = settings.maximumIterations.count
        for level in 0..<levels {
            let axes = (CubicLattice.Axis(voxels: grid.x, controlPoints: latticeSize.x),
                        CubicLattice.Axis(voxels: grid.y, controlPoints: latticeSize.y),
                        CubicLattice.Axis(voxels: grid.z, controlPoints: latticeSize.z))
            var done = 0
            var measure = Double.greatestFiniteMagnitude
            while done < settings.maximumIterations[level], measure > settings.convergenceThreshold {
                done += 1
                var uncorrected = [Double](repeating: 0, count: points.count)
                for m in points.indices { uncorrected[m] = logValues[m] - field[m] }
                guard let sharpened = sharpening.sharpen(uncorrected) else { break }
                var residual = uncorrected
                for m in points.indices { residual[m] -= sharpened[m] }
                let update = CubicLattice.fit(size: latticeSize, axes: axes, grid: grid, points: points, values: residual)
                if lattice == nil { lattice = update } else { lattice! += update }
                let newField = lattice!.evaluate(axes: axes, grid: grid, points: points)
                measure = coefficientOfVariation(old: field, new: newField)
                field = newField
            }
            iterations.append(done)
            convergence.append(measure)
            logger?.debug("N4 level \(level + 1)/\(levels): \(done) iterations, convergence \(measure), \(latticeSize.x)×\(latticeSize.y)×\(latticeSize.z) control points")
            if level < levels - 1, let current = lattice {
                lattice = current.refined()
                latticeSize = lattice!.size
            }
        }

        let logField = lattice?.evaluateGrid(full) ?? [Float](repeating: 0, count: voxelCount)
        var corrected = [Float](repeating: 0, count: voxelCount)
        for i in 0..<voxelCount { corrected[i] = Float(values[i] / exp(Double(logField[i]))) }

        var meta = image.metadata
        meta["N4BiasFieldCorrection"] = .object([
            "ShrinkFactor": .integer(shrink),
            "MaximumIterations": .array(settings.maximumIterations.map { .integer($0) }),
            "Iterations": .array(iterations.map { .integer($0) }),
            "ConvergenceThreshold": .number(settings.convergenceThreshold),
            "FinalConvergence": .array(convergence.map { .number($0) }),
            "InitialControlPoints": .array([settings.controlPoints.x, settings.controlPoints.y, settings.controlPoints.z].map { .integer($0) }),
            "SplineOrder": .integer(N4Settings.splineOrder),
            "HistogramBins": .integer(settings.histogramBins),
            "FWHM": .number(settings.fullWidthAtHalfMaximum),
            "WienerNoise": .number(settings.wienerNoise),
            "FittedVoxels": .integer(points.count),
            "Mask": .string(mask == nil ? "positive intensities" : "given mask, positive intensities"),
        ])
        let correctedVolume = try Volume(geometry: image.geometry, voxels: .float32(corrected), metadata: meta)
        var fieldMeta: [String: MetaValue] = [:]
        fieldMeta["N4BiasFieldCorrection"] = meta["N4BiasFieldCorrection"]
        let fieldVolume = try Volume(geometry: image.geometry, voxels: .float32(logField), metadata: fieldMeta)
        return N4Result(corrected: correctedVolume, logBiasField: fieldVolume, iterations: iterations,
                        convergence: convergence, fittedVoxels: points.count, nonPositiveInMask: nonPositive)
    }

    /// ITK's convergence measure: SD / mean of exp(old − new) over the fitted voxels
    /// (sample SD, n − 1).
    static func coefficientOfVariation(old: [Double], new: [Double]) -> Double {
        var n = 0.0, mean = 0.0, m2 = 0.0
        for i in old.indices {
            let v = exp(old[i] - new[i])
            n += 1
            let d = v - mean
            mean += d / n
            m2 += d * (v - mean)
        }
        guard n > 1 else { return 0 }
        return (m2 / (n - 1)).squareRoot() / mean
    }
}
