import Foundation
import LoomCore

/// Writes float32 tensors as a safetensors file: names sorted, header padded to 8 bytes, data
/// in name order — so the same tensors always give the same bytes.
public enum SafetensorsWriter {
    public struct Tensor: Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) does not hold \(values.count) values")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public static func data(_ tensors: [Tensor], metadata: [String: String] = [:]) throws -> Data {
        let sorted = tensors.sorted { $0.name < $1.name }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for tensor in sorted {
            header[tensor.name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + tensor.values.count * 4]]
            offset += tensor.values.count * 4
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for tensor in sorted {
            tensor.values.withUnsafeBytes { out.append(contentsOf: $0) }  // x86-64: already little-endian
        }
        return out
    }

    public static func write(_ tensors: [Tensor], metadata: [String: String] = [:], to path: String) throws {
        let bytes = try data(tensors, metadata: metadata)
        guard FileManager.default.createFile(atPath: path, contents: bytes) else {
            throw LoomError.cannotCreateOutput(path: path, reason: "cannot write the safetensors file")
        }
    }
}
