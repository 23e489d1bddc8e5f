/// One segment of a segmentation: its label and its coded category and type.
public struct SegmentDefinition: Sendable, Equatable {
    public var label: String
    public var category: CodedConcept
    public var type: CodedConcept

    public init(label: String, category: CodedConcept, type: CodedConcept) {
        self.label = label; self.category = category; self.type = type
    }

    /// Codes chosen from the label Kira gives its regions: a label starting "ring" (a
    /// peritumoral ring) is tissue, anything else (tumour, habitat) a neoplasm.
    public static func forRegion(_ label: String) -> SegmentDefinition {
        label.lowercased().hasPrefix("ring")
            ? SegmentDefinition(label: label, category: .tissue, type: .tissue)
            : SegmentDefinition(label: label, category: .morphologicallyAlteredStructure, type: .neoplasm)
    }
}
