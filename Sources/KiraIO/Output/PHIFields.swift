import KiraCore

/// Metadata keys that identify a patient, a visit or an institution. Readers leave them
/// out unless asked; writers drop them again so nothing slips through another path.
public enum PHIFields {
    public static let keys: Set<String> = [
        "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "PatientAge", "PatientWeight",
        "PatientSize", "PatientAddress", "OtherPatientIDs", "AccessionNumber", "StudyID",
        "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName", "ReferringPhysicianName",
        "PerformingPhysicianName", "OperatorsName", "StationName", "DeviceSerialNumber",
        "StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "StudyTime", "SeriesTime",
        "AcquisitionDateTime", "StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
        "FrameOfReferenceUID", "StudyDescription",
    ]

    public static func removing(from metadata: [String: MetaValue]) -> [String: MetaValue] {
        metadata.filter { !keys.contains($0.key) }
    }
}

