import Foundation
import LoomCore
import LoomImaging
import LoomIndex
import LoomInference
import LoomIngest

/// `make fuzz`'s harnesses: each hands one input to a reader of data a user gives Loom, which
/// must return or throw, never crash, hang or read out of bounds (libFuzzer with AddressSanitizer
/// watches). Built with `-D LOOM_FUZZ` and `-sanitize=fuzzer,address` the program is a libFuzzer
/// target (the harness from LOOM_FUZZ_TARGET); built plainly it replays files through a harness:
/// `loom-fuzz TARGET FILE...`, which is how a crash found becomes a regression check.
enum FuzzHarness: String, CaseIterable, Sendable {
    /// A catalog line through ingest's JSON record parser and the item's fields.
    case json
    /// A 2014 catalog line through the Python-literal parser.
    case python
    /// A file through the images stage's normaliser: PNG decoder, orientation, resize.
    case png
    /// The same through the JPEG decoder.
    case jpeg
    /// A safetensors file (a model's weights).
    case safetensors
    /// A pipeline file.
    case pipeline
    /// An index file (SQLite) as `loom query` opens it.
    case index

    /// Where the harnesses that read files write each input (a directory of this process's own).
    static let scratch: String = {
        let directory = NSTemporaryDirectory() + "loom-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }()

    static let normalizer = ImageNormalizer()

    func run(_ bytes: [UInt8]) {
        switch self {
        case .json, .python:
            _ = bytes.withUnsafeBufferPointer { IngestStage.outcome(ofRecord: $0, syntax: self == .json ? .json : .pythonLiteral) }
        case .png, .jpeg:
            _ = try? FuzzHarness.normalizer.normalize(bytes)
        case .safetensors:
            let path = write(bytes, as: "model.safetensors")
            _ = try? SafetensorsFile(path: path).allTensors()
        case .pipeline:
            _ = try? PipelineFile(path: FuzzHarness.scratch + "/pipeline.yaml", text: String(decoding: bytes, as: UTF8.self), environment: [:])
        case .index:
            let path = write(bytes, as: "index.sqlite")
            // Opened, then asked what `loom query --asin` asks of it.
            if let file = try? IndexFile(path: path), !file.items.isEmpty {
                let query = file.matrix.vector(row: 0)
                _ = VectorSearch.search(query, queryCount: 1, in: file.matrix, k: 5)
            }
        }
    }

    private func write(_ bytes: [UInt8], as name: String) -> String {
        let path = FuzzHarness.scratch + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}
