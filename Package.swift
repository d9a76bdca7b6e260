// swift-tools-version:6.1
import PackageDescription

// Kernels and codecs are compiled for x86-64-v3 (AVX2 + FMA): without it SwiftPM targets baseline
// x86-64 and SIMD code turns into per-lane library calls (see DESIGN.md, Performance).
// LoomCore checks the CPU at start-up and refuses to run on a machine without AVX2/FMA.
let cpuFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "loom", targets: ["loom"]),
        .executable(name: "loom-ingest", targets: ["loom-ingest"]),
        .executable(name: "loom-fetch", targets: ["loom-fetch"]),
        .executable(name: "loom-images", targets: ["loom-images"]),
        .executable(name: "loom-text", targets: ["loom-text"]),
        .executable(name: "loom-triplets", targets: ["loom-triplets"]),
        .executable(name: "loom-features", targets: ["loom-features"]),
        .executable(name: "loom-train", targets: ["loom-train"]),
        .executable(name: "loom-embed", targets: ["loom-embed"]),
        .executable(name: "loom-index", targets: ["loom-index"]),
        .library(name: "LoomCore", targets: ["LoomCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The fetch stage's HTTP client (and SwiftNIO under it): only LoomFetch, its tests' server
        // and the benchmark depend on them, as they add minutes to a first build.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // System C libraries, installed by `make deps` (apt) when missing.
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),

        // The only place where libjpeg/libpng error exits (setjmp/longjmp) happen. Built for AVX2
        // like the kernels: its per-pixel loops (compositing on white) vectorise only then.
        .target(name: "CLoomCodecs", dependencies: ["CJPEG", "CPNG"], cSettings: [.unsafeFlags(["-O3", "-march=x86-64-v3"])]),
        // Kernels Swift's SIMD types cannot express (a widening 16-bit multiply-add, byte masks),
        // optimised in debug builds too.
        .target(name: "CLoomKernels", cSettings: [.unsafeFlags(["-O3", "-march=x86-64-v3"])]),

        .target(
            name: "LoomCore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                "CZlib",
                "CXXHash",
            ]),
        // Every stage output's file name, blob layouts and typed vocabularies, and readers for the
        // tables a later stage reads: the contracts between stages, so no stage imports another.
        .target(
            name: "LoomFormats",
            dependencies: [
                "LoomCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "LoomSampleData",
            dependencies: ["LoomCore", "LoomImaging", "LoomKernels", "CLoomCodecs", "CZlib"],
            swiftSettings: cpuFlags),
        .target(
            name: "LoomIngest",
            dependencies: ["LoomCore", "LoomFormats", "CLoomKernels", "CXXHash", .product(name: "GRDB", package: "GRDB.swift")]),
        // Stage fetch: the catalog's image URLs → a content-addressed photo store, over HTTP.
        .target(
            name: "LoomFetch",
            dependencies: [
                "LoomCore", "LoomFormats",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        // Image decoding and normalisation (libjpeg-turbo, libpng, EXIF orientation, the resize):
        // the images stage, query-time embedding and the sample generator use it.
        .target(
            name: "LoomImaging",
            dependencies: ["LoomCore", "CLoomCodecs"],
            swiftSettings: cpuFlags),
        // BERT WordPiece and the word-level vocabulary: the text stage and query-time embedding.
        .target(
            name: "LoomTokenizers",
            dependencies: ["LoomCore"]),
        .target(
            name: "LoomImages",
            dependencies: ["LoomCore", "LoomFormats", "LoomImaging", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: cpuFlags),
        // The numeric kernels under inference, training and search (SGEMM and packing, aligned
        // buffers, vector maths, mapped files): optimised even in debug builds, so that `swift test`
        // runs the reference networks in seconds rather than minutes.
        .target(
            name: "LoomKernels",
            dependencies: ["LoomCore", "CLoomKernels"],
            swiftSettings: cpuFlags + [.unsafeFlags(["-O"])]),
        // The networks (MobileNetV2, the text LSTM, LoomNet), optimised in debug builds too.
        .target(
            name: "LoomInference",
            dependencies: ["LoomCore", "LoomKernels", "CLoomKernels", "LoomFormats", "LoomImaging", "LoomTokenizers", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: cpuFlags + [.unsafeFlags(["-O"])]),
        .target(
            name: "LoomTriplets",
            dependencies: ["LoomCore", "LoomFormats", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "LoomText",
            dependencies: [
                "LoomCore",
                "LoomFormats",
                "LoomTokenizers",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        // The backbone once per distinct stored image, for train and embed.
        .target(
            name: "LoomFeatures",
            dependencies: ["LoomCore", "LoomFormats", "LoomInference", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "LoomEmbed",
            dependencies: ["LoomCore", "LoomFormats", "LoomInference", .product(name: "GRDB", package: "GRDB.swift")]),
        // The search kernel runs optimised in debug builds too (tests search thousands of vectors).
        .target(
            name: "LoomIndex",
            dependencies: ["LoomCore", "LoomFormats", "LoomKernels", "CLoomKernels", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: cpuFlags + [.unsafeFlags(["-O"])]),
        // Training: the loop, the backward passes, checkpoints and evaluation.
        .target(
            name: "LoomTrain",
            dependencies: ["LoomCore", "LoomFormats", "LoomKernels", "LoomInference", "CLoomKernels", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: cpuFlags + [.unsafeFlags(["-O"])]),
        // `loom report`: a run as one HTML page (stages, rejects, training, a gallery of answers).
        .target(
            name: "LoomReport",
            dependencies: ["LoomCore", "LoomFormats", "LoomIndex", "LoomImaging", "LoomTrain", "LoomKernels", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "LoomCLI",
            dependencies: [
                "LoomCore", "LoomFormats", "LoomSampleData", "LoomIngest", "LoomImaging", "LoomFetch", "LoomImages", "LoomTokenizers", "LoomText", "LoomTriplets", "LoomInference", "LoomFeatures", "LoomEmbed", "LoomIndex",
                "LoomTrain", "LoomReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(name: "loom", dependencies: ["LoomCLI"]),
        .executableTarget(name: "loom-ingest", dependencies: ["LoomCLI"]),
        .executableTarget(name: "loom-fetch", dependencies: ["LoomCLI"]),
        .executableTarget(name: "loom-images", dependencies: ["LoomCLI"]),
        .executableTarget(name: "loom-text", dependencies: ["LoomCLI"]),
        .executableTarget(name: "loom-triplets", dependencies: ["LoomCLI"]),
        .executableTarget(name: "loom-features", dependencies: ["LoomCLI"]),
        .executableTarget(name: "loom-train", dependencies: ["LoomCLI"]),
        .executableTarget(name: "loom-embed", dependencies: ["LoomCLI"]),
        .executableTarget(name: "loom-index", dependencies: ["LoomCLI"]),
        .executableTarget(
            name: "loom-bench",
            dependencies: ["LoomCore", "LoomFormats", "LoomSampleData", "LoomImaging", "LoomTokenizers", "LoomKernels", "LoomInference", "LoomIndex", "LoomTrain", "LoomPhotoServer",
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/LoomBench",
            swiftSettings: cpuFlags),

        // A small real stage for testing the runner, and an executable that runs it in a child
        // process, which the tests SIGKILL half-way through.
        .target(name: "LoomTestSupport", dependencies: ["LoomCore"], path: "Tests/Support"),
        // A loopback HTTP server that serves photos and every fault a fetch meets (404, 5xx, 429,
        // redirects and loops, truncation, a slow drip, huge bodies, opt-out headers), counting
        // requests: the fetch tests and the fetch benchmark run against it.
        .target(
            name: "LoomPhotoServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/PhotoServer"),
        // `make fuzz`: libFuzzer harnesses (with -D LOOM_FUZZ), else a replayer of inputs.
        .executableTarget(
            name: "loom-fuzz",
            dependencies: ["LoomCore", "LoomImaging", "LoomIndex", "LoomInference", "LoomIngest"],
            path: "Tests/Fuzz"),
        .executableTarget(
            name: "loom-stage-probe",
            dependencies: ["LoomCore", "LoomTestSupport"],
            path: "Tests/StageProbe"),
        .testTarget(
            name: "LoomCoreTests",
            dependencies: ["LoomCore", "LoomTestSupport", "loom-stage-probe"]),
        .testTarget(
            name: "LoomIngestTests",
            dependencies: ["LoomIngest", "LoomCore", "LoomSampleData", "LoomTestSupport", "CLoomKernels",
                           .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "LoomTextTests",
            dependencies: ["LoomText", "LoomTokenizers", "LoomFormats", "LoomCore", "LoomIngest", "LoomTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "LoomTripletsTests",
            dependencies: ["LoomTriplets", "LoomFormats", "LoomCore", "LoomIngest", "LoomTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "LoomImagesTests",
            dependencies: ["LoomImages", "LoomImaging", "LoomCore", "LoomIngest", "LoomSampleData", "LoomTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "LoomInferenceTests",
            dependencies: ["LoomInference", "LoomKernels", "LoomImaging", "LoomCore", "LoomTestSupport"],
            resources: [.copy("Resources")],
            swiftSettings: cpuFlags),
        .testTarget(
            name: "LoomTrainTests",
            dependencies: ["LoomTrain", "LoomFormats", "LoomFeatures", "LoomEmbed", "LoomIndex", "LoomInference", "LoomKernels", "LoomImaging", "LoomImages", "LoomIngest", "LoomTokenizers", "LoomText", "LoomTriplets", "LoomCore",
                           "LoomTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: cpuFlags),
        .testTarget(
            name: "LoomFeaturesTests",
            dependencies: ["LoomFeatures", "LoomFormats", "LoomInference", "LoomImaging", "LoomImages", "LoomIngest", "LoomCore", "LoomTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "LoomEmbedTests",
            dependencies: ["LoomEmbed", "LoomFeatures", "LoomFormats", "LoomInference", "LoomImaging", "LoomImages", "LoomIngest", "LoomTokenizers", "LoomText", "LoomCore", "LoomTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "LoomIndexTests",
            dependencies: ["LoomIndex", "LoomFeatures", "LoomKernels", "LoomInference", "LoomEmbed", "LoomIngest", "LoomImaging", "LoomFetch", "LoomImages", "LoomTokenizers", "LoomText", "LoomCore", "LoomTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: cpuFlags),
        .testTarget(
            name: "LoomCLITests",
            dependencies: ["LoomCore", "LoomImaging", "LoomTokenizers", "LoomTestSupport", "loom", "loom-ingest", .product(name: "Yams", package: "Yams"),
                           .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "LoomFetchTests",
            dependencies: ["LoomFetch", "LoomFormats", "LoomCore", "LoomIngest", "LoomImages", "LoomTestSupport", "LoomPhotoServer", "loom",
                           .product(name: "GRDB", package: "GRDB.swift")],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "LoomFormatsTests",
            dependencies: ["LoomFormats", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "LoomSampleDataTests",
            dependencies: ["LoomSampleData", "LoomCore", "CLoomCodecs", "LoomTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
