import Foundation
import LoomCore
import LoomKernels

/// A memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header
/// (`name → {dtype, shape, data_offsets}` plus an optional `__metadata__`), then the tensor data.
/// Every check names the file and the tensor, because a model directory is something a data
/// engineer copies around by hand.
public final class SafetensorsFile: @unchecked Sendable {
    // @unchecked: the mapping is read-only and immutable after init.
    public struct Entry: Sendable {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        let offset: Int  // from the start of the data section
        public var count: Int { shape.reduce(1, *) }
    }

    public var path: String { file.path }
    public let metadata: [String: String]
    public let entries: [String: Entry]
    private let file: MappedFile
    private var mapping: UnsafeRawPointer { file.base }
    private let dataStart: Int

    public init(path: String) throws {
        do {
            file = try MappedFile(path: path)
        } catch LoomError.badInput {
            throw LoomError.badInput(path: path, position: nil, reason: "0 bytes: too short for a safetensors header")
        }
        guard file.length >= 8 else {
            throw LoomError.badInput(path: path, position: nil, reason: "\(file.length) bytes: too short for a safetensors header")
        }
        (metadata, entries, dataStart) = try Self.parseHeader(file.base, length: file.length, path: path)
    }

    private static func parseHeader(_ base: UnsafeRawPointer, length: Int, path: String) throws
        -> ([String: String], [String: Entry], Int)
    {
        func bad(_ reason: String, tensor: String? = nil) -> LoomError {
            .badInput(path: path, position: tensor.map { "tensor '\($0)'" } ?? "header", reason: reason)
        }
        let headerLength = Int(clamping: UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)))
        guard headerLength > 0, headerLength <= length - 8 else {
            throw bad("header length \(headerLength) does not fit in a file of \(length) bytes (not a safetensors file?)")
        }
        let headerBytes = Data(bytes: base + 8, count: headerLength)
        guard let object = (try? JSONSerialization.jsonObject(with: headerBytes)) as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        let dataStart = 8 + headerLength
        let dataLength = length - dataStart
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                for (key, item) in (value as? [String: Any]) ?? [:] { metadata[key] = "\(item)" }
                continue
            }
            guard let fields = value as? [String: Any],
                  let dtypeName = fields["dtype"] as? String,
                  let shape = fields["shape"] as? [Int],
                  let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
            else { throw bad("entry lacks dtype, shape or data_offsets", tensor: name) }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw bad("dtype \(dtypeName) is not supported (F32, F16, BF16, I64 are)", tensor: name)
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw bad("negative dimension in shape \(shape)", tensor: name) }
            var count = 1
            for dimension in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, product <= dataLength else {
                    throw bad("shape \(shape) holds more values than the file's \(dataLength) data bytes", tensor: name)
                }
                count = product
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataLength, end - begin == count * dtype.byteSize else {
                throw bad("data_offsets \(offsets) do not hold \(count) × \(dtypeName) within \(dataLength) data bytes", tensor: name)
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, offset: begin)
        }
        return (metadata, entries, dataStart)
    }

    /// Every tensor's values, widened to Float (for copying a model into another file).
    public func allTensors() throws -> [SafetensorsWriter.Tensor] {
        try entries.values.sorted { $0.name < $1.name }.map {
            SafetensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: try floats($0.name, shape: $0.shape))
        }
    }

    /// The tensor's values widened to Float, after checking that it exists and has `shape`.
    public func floats(_ name: String, shape expected: [Int]) throws -> [Float] {
        guard let entry = entries[name] else {
            throw LoomError.badInput(path: path, position: "tensor '\(name)'", reason: "missing from the model (expected shape \(expected))")
        }
        guard entry.shape == expected else {
            throw LoomError.badInput(path: path, position: "tensor '\(name)'",
                                     reason: "shape \(entry.shape), expected \(expected)")
        }
        let data = mapping + dataStart + entry.offset
        if entry.dtype == .f32 {
            return Array(unsafeUninitializedCapacity: entry.count) { buffer, initialized in
                memcpy(buffer.baseAddress!, data, entry.count * 4)
                initialized = entry.count
            }
        }
        return (0..<entry.count).map { entry.dtype.float(at: $0, in: data) }
    }
}
