extension StringProtocol {
    /// Without leading and trailing spaces and tabs. Foundation's `trimmingCharacters(in:)`
    /// bridges through NSString on Linux, which made it the largest cost of parsing DICOM
    /// dates and times; header, CSV and NRRD fields only ever pad with ASCII blanks.
    public var trimmingBlanks: String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }) else { return "" }
        let last = lastIndex(where: { !blank($0) })!
        return String(self[first...last])
    }
}
