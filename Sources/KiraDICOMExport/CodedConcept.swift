/// A coded concept of a DICOM object: code value, coding scheme designator, code meaning.
public struct CodedConcept: Sendable, Equatable {
    public var value: String
    public var scheme: String
    public var meaning: String
    public init(_ value: String, _ scheme: String, _ meaning: String) {
        self.value = value; self.scheme = scheme; self.meaning = meaning
    }

    /// SNOMED CT "Morphologically altered structure": the category of a tumour and the regions cut from it.
    public static let morphologicallyAlteredStructure = CodedConcept("49755003", "SCT", "Morphologically Altered Structure")
    /// SNOMED CT "Neoplasm": tumours and their habitats.
    public static let neoplasm = CodedConcept("108369006", "SCT", "Neoplasm")
    /// SNOMED CT "Tissue": the category and type of a peritumoral ring (tissue around the tumour).
    public static let tissue = CodedConcept("85756007", "SCT", "Tissue")
}
