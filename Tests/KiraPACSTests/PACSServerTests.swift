import Testing

/// Every test that starts an Orthanc lives under this suite: serialized, so one server runs
/// at a time (each test starts its own and stops it by pid when the test ends).
@Suite("Against a real Orthanc", .serialized) enum PACSServerTests {}
