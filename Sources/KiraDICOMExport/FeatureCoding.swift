import Foundation

/// How a row of a Kira feature table is coded in a TID 1500 report.
///
/// - Concept: the IBSI code in scheme "IBSI" with the IBSI tag as meaning where the table
///   carries one; otherwise the private scheme "99KIRA", code "K" + the 32-bit FNV-1a hash of
///   the feature name in hex, meaning the name (cut to 64 characters, the limit of a code meaning).
/// - Unit (UCUM): morphology by what it measures (mm, mm2, mm3, /mm, else 1); intensities
///   and their spread in the image's unit (Hounsfield unit for CT, arbitrary unit otherwise;
///   variance and energy squared); everything else (histograms of discretised bins, textures,
///   ratios, fractions) "1".
/// - Image filter: the first word of the name after the region (original, wavelet-LLH,
///   log-sigma-1-0-mm-3D, …) as a modifier in "99KIRA".
public enum FeatureCoding {
    public static let privateScheme = "99KIRA"

    public static func concept(name: String, tag: String, ibsiCode: String) -> CodedConcept {
        if !ibsiCode.isEmpty { return CodedConcept(ibsiCode, "IBSI", String((tag.isEmpty ? name : tag).prefix(64))) }
        return privateConcept(name)
    }

    public static func privateConcept(_ text: String) -> CodedConcept {
        CodedConcept(privateCode(text), privateScheme, String(text.prefix(64)))
    }

    /// The text itself when it fits a code value (16 characters of letters, digits, '-', '_' and '.'), else "K" + FNV-1a hex.
    public static func privateCode(_ text: String) -> String {
        if text.count <= 16, !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) { return text }
        var h: UInt32 = 0x811C_9DC5
        for b in text.utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return "K" + String(format: "%08X", h)
    }

    public static func unit(tag: String, imageUnit: CodedConcept) -> CodedConcept {
        let one = CodedConcept("1", "UCUM", "no units")
        let mm = CodedConcept("mm", "UCUM", "millimeter")
        if tag.hasPrefix("morph_") {
            switch tag {
            case "morph_volume", "morph_vol_approx": return CodedConcept("mm3", "UCUM", "cubic millimeter")
            case "morph_area_mesh": return CodedConcept("mm2", "UCUM", "square millimeter")
            case "morph_av": return CodedConcept("/mm", "UCUM", "per millimeter")
            case "morph_com", "morph_diam", "morph_pca_maj_axis", "morph_pca_min_axis", "morph_pca_least_axis": return mm
            default: return one
            }
        }
        let squared = CodedConcept(imageUnit.value + "2", "UCUM", imageUnit.meaning + " squared")
        switch tag {
        case "stat_var", "stat_energy": return squared
        case "stat_mean", "stat_median", "stat_min", "stat_max", "stat_p10", "stat_p90", "stat_iqr", "stat_range",
             "stat_mad", "stat_rmad", "stat_medad", "stat_rms", "loc_peak_loc", "loc_peak_glob":
            return imageUnit
        default:
            return tag.hasPrefix("ivh_i") ? imageUnit : one
        }
    }

    /// Hounsfield unit for CT, else arbitrary unit.
    public static func imageUnit(modality: String) -> CodedConcept {
        modality.uppercased() == "CT" ? CodedConcept("[hnsf'U]", "UCUM", "Hounsfield unit") : CodedConcept("[arb'U]", "UCUM", "arbitrary unit")
    }

    /// The image filter word at the start of `name` (after the region prefix has been removed), nil when none.
    public static func filter(_ name: String) -> CodedConcept? {
        guard let word = name.split(separator: "_").first.map(String.init), name.contains("_") else { return nil }
        let known = ["original", "wavelet", "log", "square", "squareroot", "logarithm", "exponential", "gradient", "lbp"]
        guard known.contains(where: { word == $0 || word.hasPrefix($0 + "-") }) else { return nil }
        return CodedConcept(privateCode(word), privateScheme, word)
    }

    /// Kira's region prefix of feature names: ':' dropped, '+' written "_and_", '.' written 'p'.
    public static func regionPrefix(_ label: String) -> String {
        label.replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "+", with: "_and_").replacingOccurrences(of: ".", with: "p")
    }
}
