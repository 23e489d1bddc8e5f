// swift-tools-version:6.0
import PackageDescription

// dcmtk's pkg-config file lists libraries that Debian does not install (sndfile),
// so its libraries are linked by name instead of through pkgConfig.
let dcmtkLibraries: [LinkerSetting] = [
    "dcmjpls", "dcmtkcharls", "dcmjpeg", "ijg8", "ijg12", "ijg16", "dcmimgle",
    "dcmdata", "oflog", "ofstd", "z", "stdc++",
].map { .linkedLibrary($0) }

let package = Package(
    name: "Kira",
    products: [
        .executable(name: "kira", targets: ["kira"]),
        .library(name: "KiraCore", targets: ["KiraCore"]),
        .library(name: "KiraDICOM", targets: ["KiraDICOM"]),
        .library(name: "KiraIO", targets: ["KiraIO"]),
        .library(name: "KiraLearn", targets: ["KiraLearn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .target(name: "KiraCore"),
        .target(name: "CDcmtk", linkerSettings: dcmtkLibraries),
        .target(name: "CNifti", linkerSettings: ["niftiio", "znz", "z", "m"].map { .linkedLibrary($0) }),
        .target(name: "COpenJPEG", linkerSettings: [.linkedLibrary("openjp2")]),
        .target(name: "CRaster", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg"), .linkedLibrary("z")]),
        .systemLibrary(name: "CTiff", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // DICOM files and series (dcmtk, OpenJPEG) → Volume.
        .target(
            name: "KiraDICOM",
            dependencies: ["KiraCore", "CDcmtk", "COpenJPEG", .product(name: "Logging", package: "swift-log")]
        ),
        // NIfTI, NRRD and raster files, sidecars, atomic output.
        .target(
            name: "KiraIO",
            dependencies: [
                "KiraCore", "CNifti", "CRaster", "CTiff", "CZlib",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "CLibSVM", linkerSettings: [.linkedLibrary("svm")]),
        // Feature tables → leak-free selection, models, validation, metrics, explanations.
        .target(
            name: "KiraLearn",
            dependencies: ["KiraCore", "CLibSVM", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "KiraTestSupport", dependencies: ["KiraCore"], path: "Sources/KiraTestSupport"),
        .executableTarget(
            name: "kira",
            dependencies: [
                "KiraCore", "KiraDICOM", "KiraIO", "KiraLearn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "KiraCoreTests", dependencies: ["KiraCore", "KiraTestSupport"]),
        .testTarget(name: "KiraIOTests", dependencies: ["KiraCore", "KiraIO", "KiraTestSupport"]),
        .testTarget(name: "KiraDICOMTests", dependencies: ["KiraCore", "KiraDICOM", "KiraIO", "KiraTestSupport"]),
        .testTarget(name: "KiraCLITests", dependencies: ["KiraCore", "KiraDICOM", "KiraIO", "KiraTestSupport", "kira"]),
        .testTarget(name: "KiraLearnTests", dependencies: ["KiraCore", "KiraLearn", "KiraTestSupport"]),
    ]
)
