import Foundation

/// The one place where a buffer whose size comes from input (a header, a requested spacing,
/// a K) is checked before it is allocated. Swift traps on an allocation that fails or on a
/// size that overflows, killing the whole process (and a cohort run with it); here the size
/// is computed in checked arithmetic and compared with a budget, so a case that is too large
/// fails alone with an error naming it.
///
/// The budget is the size of one buffer in bytes: `KIRA_MAX_BYTES` when set (a positive
/// integer, optionally with a K, M, G or T suffix, powers of 1024), otherwise half the
/// physical memory. A single buffer larger than that cannot be processed next to the rest of
/// a case anyway.
public enum AllocationBudget {
    public static let environmentKey = "KIRA_MAX_BYTES"

    /// The budget in bytes for one buffer, read once (every DICOM header read checks it).
    public static let maxBytes: Int = {
        if let text = ProcessInfo.processInfo.environment[environmentKey], let n = parseBytes(text) { return n }
        let physical = ProcessInfo.processInfo.physicalMemory / 2
        return physical > UInt64(Int.max) ? Int.max : max(1 << 20, Int(physical))
    }()

    /// `1000`, `64K`, `512M`, `8G`, `1T`; nil for anything else (the default budget then applies).
    public static func parseBytes(_ text: String) -> Int? {
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        if digits.hasSuffix("B") { digits.removeLast() }
        var shift = 0
        if let last = digits.last, let k = ["K": 10, "M": 20, "G": 30, "T": 40][String(last)] {
            shift = k
            digits.removeLast()
        }
        guard let n = Int(digits), n > 0 else { return nil }
        let (v, overflow) = n.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : v
    }

    /// The product of `factors`, nil when it overflows `Int` or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (v, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = v
        }
        return p
    }

    /// A grid size from a real-valued extent (e.g. old size × old spacing / new spacing,
    /// rounded up): nil when it is not finite or does not fit in an `Int`.
    public static func count(_ x: Double) -> Int? {
        guard x.isFinite, x < 9.0e18, x > -9.0e18 else { return nil }
        return Int(x)
    }

    /// Checks a buffer of `factors` elements (their product) of `elementBytes` bytes each
    /// against the budget; returns the element count. `what` names the buffer and its file
    /// or case ("resampled grid of image /a/b.nii"), built only for the error (every DICOM
    /// header read passes here); `unit` names the elements in the message.
    @discardableResult
    public static func check(_ what: @autoclosure () -> String, factors: [Int], elementBytes: Int, unit: String = "voxels",
                             budget: Int? = nil) throws -> Int {
        let limit = budget ?? maxBytes
        var shape: String { factors.map(String.init).joined(separator: "×") }
        guard let count = product(factors) else {
            throw KiraError.tooLarge(subject: what(), reason: "\(shape) elements overflow a 64-bit count; "
                                     + "the budget is \(exactBytes(limit)) per buffer (\(environmentKey))")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(1, elementBytes))
        guard !overflow, bytes <= limit else {
            let size = overflow ? "more than \(Int.max) bytes" : exactBytes(bytes)
            throw KiraError.tooLarge(subject: what(), reason: "\(shape) = \(count) \(unit) × \(elementBytes) bytes = \(size), "
                                     + "over the budget of \(exactBytes(limit)) per buffer (\(environmentKey))")
        }
        return count
    }

    /// A 3D grid of `planes` planes (time points × components).
    @discardableResult
    public static func check(_ what: @autoclosure () -> String, size: SIMD3<Int>, planes: Int = 1, elementBytes: Int,
                             budget: Int? = nil) throws -> Int {
        try check(what(), factors: planes == 1 ? [size.x, size.y, size.z] : [size.x, size.y, size.z, planes],
                  elementBytes: elementBytes, unit: "voxels", budget: budget)
    }

    /// "65536 bytes (64.0 KiB)": exact, and readable when large.
    static func exactBytes(_ n: Int) -> String { n < 1024 ? "\(n) bytes" : "\(n) bytes (\(describeBytes(n)))" }

    /// Bytes with a binary unit for messages ("3.2 GiB"), the exact count for small sizes.
    public static func describeBytes(_ n: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        guard n >= 1024 else { return "\(n) bytes" }
        var v = Double(n), u = -1
        while v >= 1024, u < units.count - 1 { v /= 1024; u += 1 }
        return String(format: "%.1f", v) + " " + units[u]
    }
}
