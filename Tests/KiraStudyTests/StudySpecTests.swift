import Foundation
import KiraCore
import KiraStudy
import KiraTestSupport
import Testing

/// Issue 19, requirement 1: every key of the study file is checked before any work, and an
/// error names the file and the key path.
@Suite struct StudySpecTests {
    static let base = StudyFixture.defaultStudy

    func parse(_ text: String) throws -> StudySpec {
        try StudySpec.parse(text, file: URL(fileURLWithPath: "/tmp/kira-spec-test/study.yaml"))
    }

    func message(_ text: String) -> String? {
        do { _ = try parse(text); return nil } catch { return (error as? KiraError)?.description ?? "\(error)" }
    }

    @Test func validFileParses() throws {
        let s = try parse(Self.base)
        #expect(s.idColumn == "case_id")
        #expect(s.label.column == "ki67" && s.label.threshold == 20)
        #expect(s.splitColumn == "set")
        #expect(s.survival?.time == "dfs_months" && s.survival?.event == "dfs_event")
        #expect(s.modalities.map(\.name) == ["mr"])
        #expect(s.modalities[0].maskColumns == ["mr_r1", "mr_r2"])
        #expect(s.regions.map(\.description) == ["tumour", "ring:2mm"])
        #expect(s.reproducibility?.form.rawValue == "ICC2")
        #expect(s.reproducibility?.min == 0.8)
        #expect(s.selection.map(\.kind.rawValue) == ["zscore", "mwu", "corr"])
        #expect(s.models.map(\.name) == ["lr", "svm"])
        #expect(s.models[0].spec.grid == ["C": ["0.1", "1"]])
        #expect(s.models[1].spec.model.params == ["C": "1"])
        #expect(s.validation.folds == 3 && s.validation.repeats == 2 && s.validation.seed == 0)
        #expect(s.output.path == "/tmp/kira-spec-test/results")
        #expect(s.cohort.path == "/tmp/kira-spec-test/cases.csv")
    }

    /// The schema of issue 19 as written there (the synth helper emits it), with a 4D phase,
    /// subtraction, resampling, habitats and every model.
    @Test func issueSchemaParses() throws {
        let s = try parse("""
        cohort: cases.csv
        id: case_id
        label: {column: high}
        split: {column: set}
        modalities:
          dce:
            image: dce_path
            subtraction: [2, 0]
            masks: [dce_r1, dce_r2]
            resample: [1, 1, 1]
            features: {preset: default}
          us: {image: us_path, masks: [us_r1, us_r2], phase: 0, features: {preset: default}}
        regions: [tumour, ring:5mm, ring:10mm, habitat:3]
        reproducibility: {form: ICC2, min: 0.80}
        selection: [zscore, mwu:0.05, corr:0.9, lasso]
        models: {svm: {C: [0.1, 1, 10]}, lr: {}, rf: {}, et: {}}
        validation: {cv: 5, repeats: 10, seed: 0}
        output: results/
        """)
        #expect(s.label.threshold == nil)
        #expect(s.modalities[0].subtraction! == (2, 0))
        #expect(s.modalities[0].resample == [1, 1, 1])
        #expect(s.modalities[1].phase == 0)
        #expect(s.regions == [.region(.tumour), .region(.ring(.millimetres(5))), .region(.ring(.millimetres(10))), .habitats(3)])
        #expect(s.models.map(\.name) == ["svm", "lr", "rf", "et"])
        #expect(s.validation.repeats == 10)
    }

    /// (replace, with, expected message): one mistake each, every kind of error.
    static let mistakes: [(String, String, String)] = [
        ("output: results/", "output: results/\nouptut: x", "study.yaml: ouptut: unknown key (known: cohort, id, label, split, survival, modalities, regions, reproducibility, selection, models, validation, output, source, export, destination)"),
        ("masks: [mr_r1, mr_r2]", "masks: mr_r1", "study.yaml: modalities.mr.masks: expected a list of column names, got \"mr_r1\""),
        ("masks: [mr_r1, mr_r2]", "masks: [mr_r1, 3]", "study.yaml: modalities.mr.masks: expected a list of column names, got 3 at [1]"),
        ("    masks: [mr_r1, mr_r2]\n", "", "study.yaml: modalities.mr.masks: missing (required)"),
        ("image: mr_path", "image: mr_path\n    colour: red", "study.yaml: modalities.mr.colour: unknown key (known: image, phase, subtraction, masks, resample, features, deep)"),
        ("label: {column: ki67, threshold: 20}", "label: {column: ki67, threshold: high}", "study.yaml: label.threshold: expected a number, got \"high\""),
        ("label: {column: ki67, threshold: 20}", "label: ki67", "study.yaml: label: expected a mapping {column: NAME, threshold: T}, got \"ki67\""),
        ("split: {column: set}", "split: {col: set}", "study.yaml: split.col: unknown key (known: column)"),
        ("id: case_id\n", "", "study.yaml: id: missing (required)"),
        ("regions: [tumour, ring:2mm]", "regions: [tumour, ring:2]", "study.yaml: regions[1]: region 'ring:2': the ring width must be a positive number followed by mm or vox (e.g. ring:5mm, ring:10vox)"),
        ("regions: [tumour, ring:2mm]", "regions: [tumour, habitat:1]", "study.yaml: regions[1]: habitat:K needs a habitat count K from 2 to 8, got \"habitat:1\""),
        ("regions: [tumour, ring:2mm]", "regions: [tumour, tumour]", "study.yaml: regions[1]: region tumour is given twice"),
        ("form: ICC2", "form: ICC9", "study.yaml: reproducibility.form: unknown ICC form \"ICC9\" (known: ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k)"),
        ("min: 0.80", "min: 1.5", "study.yaml: reproducibility.min: must be between -1 and 1, got 1.5"),
        ("selection: [zscore, mwu:0.2, corr:0.9]", "selection: [zscore, mwu:2]", "study.yaml: selection[1]: selection step 'mwu:2': the p threshold must be in (0, 1]"),
        ("selection: [zscore, mwu:0.2, corr:0.9]", "selection: [zscore, boost]", "study.yaml: selection[1]: unknown selection step 'boost' (known: impute, zscore, variance, ttest, mwu, corr, pearson, spearman, pca, lasso, mrmr, keep)"),
        ("models: {lr: {C: [0.1, 1]}, svm: {C: 1}}", "models: {lr: {C: [0.1, 1]}, xgb: {}}", "study.yaml: models.xgb: unknown model (known: lr, svm, knn, rf, et, gbm, ada)"),
        ("models: {lr: {C: [0.1, 1]}, svm: {C: 1}}", "models: {lr: {depth: 3}}", "study.yaml: models.lr.depth: unknown key (known: C, penalty, l1_ratio)"),
        ("models: {lr: {C: [0.1, 1]}, svm: {C: 1}}", "models: {lr: {C: abc}}", "study.yaml: models.lr: C=abc: not a number"),
        ("validation: {cv: 3, repeats: 2, seed: 0}", "validation: {cv: 1, repeats: 2, seed: 0}", "study.yaml: validation.cv: must be at least 2, got 1"),
        ("validation: {cv: 3, repeats: 2, seed: 0}", "validation: {cv: 3, repeats: two}", "study.yaml: validation.repeats: expected a whole number, got \"two\""),
        ("features: {preset: default}", "features: {preset: fancy}", "study.yaml: modalities.mr.features.preset: unknown preset \"fancy\" (known: default, ibsi-phantom, ibsi-a, ibsi-b, ibsi-c, ibsi-d, ibsi-e)"),
        ("features: {preset: default}", "features: {preset: default, params: p.yaml}", "study.yaml: modalities.mr.features: give exactly one of preset and params"),
        ("features: {preset: default}", "features: {params: missing.yaml}", "study.yaml: modalities.mr.features.params: /tmp/kira-spec-test/missing.yaml does not exist"),
        ("features: {preset: default}", "resample: [1, 1]", "study.yaml: modalities.mr.resample: expected three spacings in mm [x, y, z], got a list"),
        ("features: {preset: default}", "phase: 1\n    subtraction: [2, 0]", "study.yaml: modalities.mr.subtraction: give phase or subtraction, not both"),
        ("survival: {time: dfs_months, event: dfs_event}", "survival: {time: dfs_months}", "study.yaml: survival.event: missing (required)"),
        ("cohort: cases.csv", "cohort: [a, b]", "study.yaml: cohort: expected a CSV path, got a list"),
        // Issue 22: the PACS source.
        ("output: results/", "output: results/\nsource: {pacs: {host: pacs, port: 104}}", "study.yaml: source.pacs.aet: missing (required)"),
        ("output: results/", "output: results/\nsource: {pacs: {host: pacs, port: 0, aet: A}}", "study.yaml: source.pacs.port: must be at least 1, got 0"),
        ("output: results/", "output: results/\nsource: {pacs: {host: pacs, port: 104, aet: A_TITLE_LONGER_THAN_16}}",
         "study.yaml: source.pacs: aet 'A_TITLE_LONGER_THAN_16': an AE title has at most 16 characters"),
        ("output: results/", "output: results/\nsource: {dicomweb: \"ftp://u:pw@h/x\"}",
         "study.yaml: source.dicomweb: DICOMweb URL 'ftp://***@h/x' is not an http(s) URL with a host"),
        ("output: results/", "output: results/\nsource: {pacs: {host: h, port: 104, aet: A}, dicomweb: \"http://h/x\"}",
         "study.yaml: source: give one of pacs or dicomweb"),
        // Issue 22: DICOM export and its destination.
        ("output: results/", "output: results/\nexport: {seg: true, rtstruct: true}", "study.yaml: export.rtstruct: unknown key (known: seg, sr, pdf)"),
        ("output: results/", "output: results/\nexport: {seg: yes please}", "study.yaml: export.seg: expected true or false, got \"yes please\""),
        ("output: results/", "output: results/\nexport: [seg, sr]", "study.yaml: export: expected a mapping {seg: true, sr: true, pdf: true}, got a list"),
        ("output: results/", "output: results/\nexport: {sr: true}\ndestination: {pacs: {host: h, port: 104}}",
         "study.yaml: destination.pacs.aet: missing (required)"),
        ("output: results/", "output: results/\nexport: {sr: true}\ndestination: {pacs: {host: h, port: 104, aet: A, tls: true}}",
         "study.yaml: destination.pacs.tls: unknown key (known: host, port, aet, calling_aet, timeout)"),
        ("output: results/", "output: results/\nexport: {sr: true}\ndestination: {dicomweb: \"http://h/x\"}",
         "study.yaml: destination.dicomweb: unknown key (known: pacs)"),
        ("output: results/", "output: results/\ndestination: {pacs: {host: h, port: 104, aet: A}}",
         "study.yaml: destination: nothing to send: give export: {seg: true}, {sr: true} and/or {pdf: true}"),
    ]

    /// Issue 22: `export` and `destination` are read, and leave the analysis hash alone
    /// (changing them reuses the analysis).
    @Test func exportAndDestinationParseOutsideTheAnalysisHash() throws {
        let plain = try parse(Self.base)
        let s = try parse(Self.base.replacingOccurrences(of: "output: results/", with:
            "output: results/\nexport: {seg: true, sr: false}\ndestination: {pacs: {host: pacs, port: 11112, aet: ARCHIVE, calling_aet: KIRA2}}"))
        #expect(s.export == StudyExportSpec(seg: true, sr: false))
        #expect(s.destination?.description == "ARCHIVE@pacs:11112")
        #expect(s.destination?.callingAET == "KIRA2")
        #expect(s.settingsHash == plain.settingsHash)
        #expect(plain.export == StudyExportSpec() && plain.destination == nil)
        // The report PDF alone is something to send.
        let pdf = try parse(Self.base.replacingOccurrences(of: "output: results/", with:
            "output: results/\nexport: {pdf: true}\ndestination: {pacs: {host: pacs, port: 11112, aet: ARCHIVE}}"))
        #expect(pdf.export == StudyExportSpec(pdf: true) && pdf.export.any && pdf.destination != nil)
        #expect(pdf.settingsHash == plain.settingsHash)
    }

    /// Issue 22: a study's DICOMweb source keeps its credentials out of the settings that
    /// summary.json and the analysis hash see.
    @Test func sourceSettingsCarryNoCredentials() throws {
        let s = try parse(Self.base.replacingOccurrences(of: "output: results/", with: "output: results/\nsource: {dicomweb: \"https://reader:pw-7q@pacs.example/dicom-web\"}"))
        #expect(s.source?.description == "DICOMweb https://pacs.example/dicom-web")
        let json = String(decoding: try JSONEncoder().encode(s.settings), as: UTF8.self)
        #expect(json.contains("pacs.example") && !json.contains("pw-7q") && !json.contains("reader"))
        let p = try parse(Self.base.replacingOccurrences(of: "output: results/", with: "output: results/\nsource: {pacs: {host: pacs, port: 104, aet: ARCHIVE}}"))
        #expect(p.source?.description == "PACS ARCHIVE@pacs:104")
    }

    @Test(arguments: mistakes)
    func mistakeIsNamed(_ replace: String, _ with: String, _ expected: String) throws {
        let text = Self.base.replacingOccurrences(of: replace, with: with)
        #expect(text != Self.base)
        #expect(message(text) == expected)
    }

    @Test func notYAML() {
        #expect(message("cohort: [unclosed")?.hasPrefix("study.yaml: not valid YAML") == true)
        #expect(message("") == "study.yaml: the study file is empty")
    }

    func cohortError(_ f: StudyFixture, _ study: StudySpec) -> String? {
        do { _ = try StudyCohort.load(f.cohortFile, study: study); return nil } catch { return (error as? KiraError)?.description ?? "\(error)" }
    }

    /// Cohort problems are found before any work too, naming the CSV, column and case.
    @Test func cohortErrors() throws {
        let f = try StudyFixture.make(cases: 6)
        defer { f.remove() }
        let study = try StudySpec.load(f.studyFile)
        let text = try String(contentsOf: f.cohortFile, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        // A split value that is not train / internal / external names the case.
        let badSplit = lines.enumerated().map { $0 == 2 ? $1.replacingOccurrences(of: ",train,", with: ",test,") : $1 }.joined(separator: "\n")
        try badSplit.write(to: f.cohortFile, atomically: true, encoding: .utf8)
        #expect(cohortError(f, study) == "cases.csv: row 3: case \"case001\": split \"test\" in column \"set\" is not one of train, internal, external")
        let noColumn = text.replacingOccurrences(of: "mr_r2", with: "mr_reader2")
        try noColumn.write(to: f.cohortFile, atomically: true, encoding: .utf8)
        #expect(cohortError(f, study) == "cases.csv: no column \"mr_r2\" (named by study.yaml modalities.mr.masks)")
        let twice = text.replacingOccurrences(of: "case002,", with: "case001,")
        try twice.write(to: f.cohortFile, atomically: true, encoding: .utf8)
        #expect(cohortError(f, study) == "cases.csv: case \"case001\" appears in rows 3 and 4")
    }

    /// Through the executable: exit 1, the message on stderr, and nothing created.
    @Test func badStudyFileFailsBeforeAnyWork() throws {
        let f = try StudyFixture.make(cases: 4, study: Self.base.replacingOccurrences(of: "masks: [mr_r1, mr_r2]", with: "masks: {r1: mr_r1}"))
        defer { f.remove() }
        let r = try KiraRun.run(["study", "run", f.studyFile.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("study.yaml: modalities.mr.masks: expected a list of column names, got a mapping"))
        #expect(!FileManager.default.fileExists(atPath: f.results.path))
    }
}
