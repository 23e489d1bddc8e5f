import Foundation
import KiraDICOM
import KiraTestSupport
import Testing

/// The compiled-in data dictionary must say exactly what dcmtk's text dictionaries say:
/// each file is parsed by dcmtk itself at test time and every entry looked up.
@Suite struct DICOMDictionaryTests {
    static let folder = "/usr/share/libdcmtk17"
    static let present = FileManager.default.fileExists(atPath: folder + "/dicom.dic")
    static let userPath = (ProcessInfo.processInfo.environment["DCMDICTPATH"] ?? "").isEmpty == false

    @Test(.enabled(if: present && !userPath, "dcmtk's dictionary files are not in /usr/share/libdcmtk17, or DCMDICTPATH is set"),
          arguments: [("dicom.dic", 4900), ("private.dic", 2800)])
    func compiledInEqualsDcmtkParse(file: String, atLeast: Int) throws {
        #expect(DICOMDictionary.isCompiledIn)
        let c = try DICOMDictionary.compare(withFile: Self.folder + "/" + file)
        #expect(c.entries >= atLeast)
        #expect(c.differences == 0, "\(c.firstDifference)")
    }

    @Test(.enabled(if: !userPath, "DCMDICTPATH is set"))
    func aWrongEntryIsFound() throws {
        let dir = try TestPaths.temporaryDirectory()
        let path = dir.appendingPathComponent("wrong.dic").path
        try "(0028,0010)\tSS\tRows\t1\tDICOM\n(0028,0011)\tUS\tColumns\t1\tDICOM\n".write(toFile: path, atomically: true, encoding: .utf8)
        let c = try DICOMDictionary.compare(withFile: path)
        #expect(c.entries >= 2)
        #expect(c.differences == 1)
        #expect(c.firstDifference.contains("(0028,0010)") && c.firstDifference.contains("VR US instead of SS"))
    }
}
