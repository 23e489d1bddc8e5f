// swift-tools-version:6.0
import PackageDescription

// dcmtk's pkg-config file lists libraries that Debian does not install (sndfile),
// so its libraries are linked by name instead of through pkgConfig. The order is the
// loader's search order: Debian builds dcmtk with immediate binding, so every start-up
// resolves dcmdata's 6,500 symbol references (mostly to itself, ofstd and oflog), each
// by walking the libraries in this order; dcmdata first makes those walks short.
let dcmtkLibraries: [LinkerSetting] = [
    "dcmdata", "ofstd", "oflog", "dcmimgle", "dcmjpeg", "ijg8", "ijg12", "ijg16",
    "dcmjpls", "dcmtkcharls", "z", "stdc++",
].map { .linkedLibrary($0) }

let package = Package(
    name: "Kira",
    products: [
        .executable(name: "kira", targets: ["kira"]),
        .library(name: "KiraCore", targets: ["KiraCore"]),
        .library(name: "KiraDICOM", targets: ["KiraDICOM"]),
        .library(name: "KiraIO", targets: ["KiraIO"]),
        .library(name: "KiraPreprocess", targets: ["KiraPreprocess"]),
        .library(name: "KiraRadiomics", targets: ["KiraRadiomics"]),
        .library(name: "KiraQC", targets: ["KiraQC"]),
        .library(name: "KiraSurvival", targets: ["KiraSurvival"]),
        .library(name: "KiraLearn", targets: ["KiraLearn"]),
        .library(name: "KiraStudy", targets: ["KiraStudy"]),
        .library(name: "KiraSynth", targets: ["KiraSynth"]),
        .library(name: "KiraDICOMExport", targets: ["KiraDICOMExport"]),
        .library(name: "KiraPACS", targets: ["KiraPACS"]),
        .library(name: "KiraReport", targets: ["KiraReport"]),
        .library(name: "KiraDeep", targets: ["KiraDeep"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .target(name: "KiraCore"),
        .target(name: "CDcmtk", linkerSettings: dcmtkLibraries),
        .target(name: "CNifti", linkerSettings: ["niftiio", "znz", "z", "m"].map { .linkedLibrary($0) }),
        .target(name: "COpenJPEG", linkerSettings: [.linkedLibrary("openjp2")]),
        .target(name: "CRaster", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("z")]),
        .systemLibrary(name: "CTiff", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        // DICOM files and series (dcmtk, OpenJPEG) → Volume.
        .target(
            name: "KiraDICOM",
            dependencies: ["KiraCore", "CDcmtk", "COpenJPEG", .product(name: "Logging", package: "swift-log")]
        ),
        // NIfTI, NRRD and raster files, sidecars, atomic output.
        .target(
            name: "KiraIO",
            dependencies: [
                "KiraCore", "CNifti", "CRaster", "CTiff", "CZlib", "CDeflate",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Resampling, intensity preprocessing, mask operations, habitats.
        .target(
            name: "KiraPreprocess",
            dependencies: ["KiraCore", .product(name: "Logging", package: "swift-log")]
        ),
        // Wide-vector (AVX / AVX-512) versions of the filters' hottest loops, chosen at run time,
        // and the allocator setting the executable starts with.
        .target(name: "CKiraKernels"),
        // IBSI feature engine: discretisation, matrices (the counting) and features (the formulas).
        .target(
            name: "KiraRadiomics",
            dependencies: ["KiraCore", "KiraPreprocess", "CKiraKernels", .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams")]
        ),
        // Reliability (ICC, feature stability), mask overlap and segmentation QC.
        .target(
            name: "KiraQC",
            dependencies: ["KiraCore", "KiraPreprocess"]
        ),
        // Kaplan–Meier, log-rank, Cox (plain and penalised), concordance, time-dependent AUC, cut-offs.
        .target(name: "KiraSurvival", dependencies: ["KiraCore"]),
        .target(name: "CLibSVM", linkerSettings: [.linkedLibrary("svm")]),
        // Feature tables → leak-free selection, models, validation, metrics, explanations.
        .target(
            name: "KiraLearn",
            dependencies: ["KiraCore", "CLibSVM", .product(name: "Logging", package: "swift-log")]
        ),
        // Orchestration at the top of the flow: conversion runs, cohorts of cases (manifest,
        // content-hash reuse, journal, provenance), and whole studies from one file (the study
        // file, per-case branches, the content-keyed cache, the run ledger in SQLite through
        // GRDB, model comparison, evaluation, survival). Nothing below imports it.
        .target(
            name: "KiraStudy",
            dependencies: [
                "KiraCore", "KiraDICOM", "KiraIO", "KiraPreprocess", "KiraRadiomics", "KiraQC", "KiraLearn", "KiraSurvival",
                "KiraPACS", "KiraDICOMExport", "KiraReport", "KiraDeep", .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Synthetic multi-modality cohorts (`kira synth`): its own small DICOM Part 10 writer,
        // NIfTI masks and JPEG exports through KiraIO. Below the study layer on purpose.
        .target(
            name: "KiraSynth",
            dependencies: ["KiraCore", "KiraIO", .product(name: "Logging", package: "swift-log")]
        ),
        // Results → documents people look at: self-contained HTML reports (mustache templates,
        // Kira's own SVG plots, PNG overlays). Reads the files the learning, survival and study
        // layers write; the study layer may call it, so it imports nothing above KiraLearn.
        .target(
            name: "KiraReport",
            dependencies: [
                "KiraCore", "KiraIO", "KiraLearn", "KiraSurvival", .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Debian's OpenBLAS SGEMM behind plain C functions, for KiraDeep's convolutions; opened
        // with dlopen when a network is loaded, so other commands do not load it.
        .target(name: "CKiraBLAS", linkerSettings: [.linkedLibrary("dl")]),
        // KiraDeep: its own ONNX interpreter (the 13 operators of torchvision's ResNet-50 and
        // DenseNet-169), protobuf decoding from Swift generated off onnx.proto.
        .target(
            name: "KiraDeep",
            dependencies: [
                "KiraCore", "CKiraBLAS", "CKiraKernels", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // One function per reader that takes outside bytes, for the fuzzer and the corpus replay test.
        .target(
            name: "KiraFuzzTargets",
            dependencies: ["KiraCore", "KiraDICOM", "KiraIO", "KiraRadiomics", .product(name: "Logging", package: "swift-log")]
        ),
        // DICOM objects Kira writes (SEG, TID 1500 SR), at the output end of the flow: its own small
        // C++ shim linking dcmtk's writers, so that nothing else links them.
        .target(name: "CDcmOut", linkerSettings: ["dcmseg", "dcmfg", "dcmiod", "dcmsr", "cmr", "dcmdata", "ofstd", "oflog", "stdc++"].map { .linkedLibrary($0) }),
        .target(
            name: "KiraDICOMExport",
            dependencies: ["KiraCore", "KiraDICOM", "CDcmOut", .product(name: "Logging", package: "swift-log")]
        ),
        // DICOM networking (dcmtk's dcmnet): C-FIND, C-GET, C-MOVE with its own storage SCP, C-STORE.
        .target(name: "CDcmNet", linkerSettings: ["dcmnet", "dcmdata", "oflog", "ofstd", "stdc++"].map { .linkedLibrary($0) }),
        // PACS in and out: DIMSE through CDcmNet, DICOMweb (QIDO-RS, WADO-RS) through URLSession.
        .target(
            name: "KiraPACS",
            dependencies: ["KiraCore", "CDcmNet", "CDcmtk", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "KiraTestSupport", dependencies: ["KiraCore"], path: "Sources/KiraTestSupport"),
        .executableTarget(
            name: "kira",
            dependencies: [
                "KiraCore", "KiraDICOM", "KiraIO", "KiraPreprocess", "KiraRadiomics", "KiraQC", "KiraSurvival", "KiraLearn",
                "KiraStudy", "KiraSynth", "KiraDICOMExport", "KiraPACS", "KiraReport", "KiraDeep", "CKiraKernels", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "KiraCoreTests", dependencies: ["KiraCore", "KiraTestSupport"]),
        .testTarget(name: "KiraIOTests", dependencies: ["KiraCore", "KiraIO", "KiraTestSupport"]),
        .testTarget(name: "KiraDICOMTests", dependencies: ["KiraCore", "KiraDICOM", "KiraIO", "KiraTestSupport", "CDcmtk"]),
        .testTarget(name: "KiraPreprocessTests", dependencies: ["KiraCore", "KiraIO", "KiraPreprocess", "KiraTestSupport"]),
        .testTarget(name: "KiraRadiomicsTests", dependencies: ["KiraCore", "KiraIO", "KiraPreprocess", "KiraRadiomics", "KiraTestSupport"]),
        .testTarget(name: "KiraQCTests", dependencies: ["KiraCore", "KiraPreprocess", "KiraQC", "KiraTestSupport"]),
        .testTarget(name: "KiraSurvivalTests", dependencies: ["KiraCore", "KiraSurvival", "KiraTestSupport", "kira"]),
        .testTarget(name: "KiraCLITests", dependencies: ["KiraCore", "KiraDICOM", "KiraIO", "KiraTestSupport", "kira"]),
        .testTarget(name: "KiraStudyTests", dependencies: [
            "KiraCore", "KiraIO", "KiraPreprocess", "KiraRadiomics", "KiraStudy", "KiraTestSupport", "kira",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "KiraSynthTests", dependencies: ["KiraCore", "KiraDICOM", "KiraIO", "KiraQC", "KiraSynth", "KiraTestSupport"]),
        .testTarget(name: "KiraLearnTests", dependencies: ["KiraCore", "KiraLearn", "KiraTestSupport"]),
        .testTarget(name: "KiraPACSTests", dependencies: ["KiraCore", "KiraPACS", "KiraTestSupport", "kira"]),
        .testTarget(name: "KiraReportTests", dependencies: ["KiraCore", "KiraIO", "KiraLearn", "KiraReport", "KiraTestSupport", "kira"]),
        .testTarget(name: "KiraDeepTests", dependencies: ["KiraCore", "KiraDeep", "KiraTestSupport", "kira"]),
        .testTarget(name: "KiraFuzzReplayTests", dependencies: ["KiraCore", "KiraDICOM", "KiraIO", "KiraRadiomics", "KiraFuzzTargets", "KiraTestSupport"]),
    ]
)

// The libFuzzer executable has no main of its own (libFuzzer's is linked in by
// -sanitize=fuzzer), so a plain build could not link it: it exists only for `make fuzz`.
if Context.environment["KIRA_FUZZ"] == "1" {
    package.products.append(.executable(name: "kira-fuzz", targets: ["kira-fuzz"]))
    package.targets.append(.executableTarget(name: "kira-fuzz", dependencies: ["KiraFuzzTargets"], path: "Fuzz/kira-fuzz"))
}
