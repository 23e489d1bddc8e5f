// Replaced by the DICOM adapter.
