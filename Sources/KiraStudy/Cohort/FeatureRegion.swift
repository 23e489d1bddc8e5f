import KiraCore
import KiraPreprocess

/// A region features are computed on, derived from a case's tumour mask (and its habitat map):
/// `tumour`, `ring:5mm` (dilation minus tumour), `tumour+ring:5mm` (the dilation), `ring:10vox`
/// (Euclidean distance in voxel units), `habitat:K` (label K of the habitat map).
///
/// Feature names carry the region's `prefix`: the spec with `:` dropped, `+` written `_and_`
/// and a decimal point written `p`, so `ring:5mm` → `ring5mm_original_glcm_Contrast`,
/// `tumour+ring:2.5mm` → `tumour_and_ring2p5mm_…`, `habitat:2` → `habitat2_…`.
public enum FeatureRegion: Sendable, Equatable, CustomStringConvertible {
    case tumour
    case ring(MaskOperations.Reach)
    case tumourAndRing(MaskOperations.Reach)
    case habitat(Int)

    public init(parsing text: String) throws {
        let spec = text.trimmingCharacters(in: .whitespaces).lowercased()
        func reach(_ s: Substring) throws -> MaskOperations.Reach {
            let (number, unit): (Substring, String) =
                s.hasSuffix("mm") ? (s.dropLast(2), "mm") : s.hasSuffix("vox") ? (s.dropLast(3), "vox") : (s, "")
            guard !unit.isEmpty, let d = Double(number), d > 0, d.isFinite else {
                throw KiraError.invalidArgument("region '\(text)': the ring width must be a positive number followed by mm or vox (e.g. ring:5mm, ring:10vox)")
            }
            return unit == "mm" ? .millimetres(d) : .voxels(d)
        }
        if spec == "tumour" || spec == "tumor" {
            self = .tumour
        } else if spec.hasPrefix("ring:") {
            self = .ring(try reach(spec.dropFirst(5)))
        } else if spec.hasPrefix("tumour+ring:") || spec.hasPrefix("tumor+ring:") {
            self = .tumourAndRing(try reach(spec.drop { $0 != ":" }.dropFirst()))
        } else if spec.hasPrefix("habitat:") {
            guard let k = Int(spec.dropFirst(8)), k > 0 else {
                throw KiraError.invalidArgument("region '\(text)': habitat:K needs a positive habitat label K")
            }
            self = .habitat(k)
        } else {
            throw KiraError.invalidArgument("unknown region '\(text)'; regions: tumour, ring:<d>mm, ring:<n>vox, tumour+ring:<d>mm, habitat:K")
        }
    }

    /// The canonical spec, e.g. `tumour+ring:5mm`.
    public var description: String {
        switch self {
        case .tumour: "tumour"
        case let .ring(r): "ring:" + Self.width(r, decimal: ".")
        case let .tumourAndRing(r): "tumour+ring:" + Self.width(r, decimal: ".")
        case let .habitat(k): "habitat:\(k)"
        }
    }

    /// Column prefix (see the type's documentation).
    public var prefix: String {
        switch self {
        case .tumour: "tumour"
        case let .ring(r): "ring" + Self.width(r, decimal: "p")
        case let .tumourAndRing(r): "tumour_and_ring" + Self.width(r, decimal: "p")
        case let .habitat(k): "habitat\(k)"
        }
    }

    public var needsHabitats: Bool { if case .habitat = self { true } else { false } }

    static func width(_ r: MaskOperations.Reach, decimal: String) -> String {
        let (d, unit) = switch r {
        case let .millimetres(d): (d, "mm")
        case let .voxels(d): (d, "vox")
        }
        let number = d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)".replacingOccurrences(of: ".", with: decimal)
        return number + unit
    }

    /// The region's binary mask on the tumour mask's grid. `habitats` is a label map on the
    /// same grid, needed by `habitat:K`. An empty region is an error naming the region.
    public func mask(tumour: Volume, habitats: Volume?) throws -> Volume {
        let out: Volume
        switch self {
        case .tumour:
            out = tumour
        case let .ring(r):
            out = try MaskOperations.ring(tumour, width: r)
        case let .tumourAndRing(r):
            out = try MaskOperations.dilate(tumour, by: r)
        case let .habitat(k):
            guard let habitats else {
                throw KiraError.invalidArgument("region \(description) needs a habitat map (--habitats or a manifest column 'habitats')")
            }
            guard habitats.geometry.size == tumour.geometry.size else {
                throw KiraError.invalidArgument("the habitat map grid \(habitats.geometry.size) does not match the image grid \(tumour.geometry.size)")
            }
            do { out = try MaskOperations.selectLabels(habitats, [k]) } catch let KiraError.invalidArgument(m) {
                throw KiraError.invalidArgument("region \(description): habitat map: \(m)")
            }
        }
        guard out.voxels.nonZeroCount() > 0 else {
            throw KiraError.invalidArgument("region \(description) is empty")
        }
        return out
    }
}
