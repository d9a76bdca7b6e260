import Foundation
import LoomCore
import LoomInference
import LoomTestSupport
import Testing

/// The safetensors reader on hand-built files: every dtype Loom widens, and each way a header
/// can be wrong, with a message that names the file and the tensor.
@Suite struct SafetensorsTests {
    /// A safetensors file from a header JSON string and raw data bytes.
    static func file(_ header: String, _ data: [UInt8], in temporary: TemporaryDirectory, name: String = "t.safetensors") throws -> String {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        let path = temporary.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    }

    static func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return String(describing: error) }
        return nil
    }

    @Test func readsF16Bf16AndI64WidenedToFloat() throws {
        let temporary = TemporaryDirectory("safetensors")
        // Every binary16 bit pattern, against Swift's own Float16 conversion.
        let halves = (0...UInt16.max).map { $0 }
        let bf16: [UInt16] = [0x3F80, 0xC0A0, 0x0000, 0x8000, 0x7F80, 0x4049]   // 1, −5, 0, −0, +inf, 3.140625
        let i64: [Int64] = [-3, 0, 1 << 40, 7]
        let f32: [Float] = [1.5, -0.25]
        var data = Self.littleEndian(halves)
        data += Self.littleEndian(bf16)
        data += Self.littleEndian(i64)
        data += Self.littleEndian(f32.map(\.bitPattern))
        let h = halves.count * 2, b = h + bf16.count * 2, i = b + i64.count * 8, f = i + 8
        let header = """
            {"__metadata__":{"format":"pt"},"half":{"dtype":"F16","shape":[256,256],"data_offsets":[0,\(h)]},\
            "brain":{"dtype":"BF16","shape":[6],"data_offsets":[\(h),\(b)]},\
            "ints":{"dtype":"I64","shape":[2,2],"data_offsets":[\(b),\(i)]},\
            "floats":{"dtype":"F32","shape":[2],"data_offsets":[\(i),\(f)]}}
            """
        let tensors = try SafetensorsFile(path: Self.file(header, data, in: temporary))
        #expect(tensors.metadata == ["format": "pt"])
        #expect(tensors.entries["half"]?.dtype == .f16)
        let widened = try tensors.floats("half", shape: [256, 256])
        let expected = halves.map { Float(Float16(bitPattern: $0)) }
        let mismatches = zip(widened, expected).filter { !($0 == $1 || ($0.isNaN && $1.isNaN)) }
        #expect(mismatches.isEmpty, "\(mismatches.count) of 65536 half values differ from Float16's")
        #expect(widened[0x3C00] == 1 && widened[0x0001] == 0x1p-24 && widened[0x7BFF] == 65504)
        let brain = try tensors.floats("brain", shape: [6])
        #expect(Array(brain.prefix(5)) == [1, -5, 0, 0, .infinity] && brain[3].sign == .minus && brain[5] == 3.140625)
        #expect(try tensors.floats("ints", shape: [2, 2]) == [-3, 0, 0x1p40, 7])
        #expect(try tensors.floats("floats", shape: [2]) == f32)
    }

    @Test func writerOutputReadsBackAndIsTheSameBytesEveryTime() throws {
        let temporary = TemporaryDirectory("safetensors")
        var random = SeededRandom(seed: 11)
        let tensors = [
            SafetensorsWriter.Tensor(name: "z.weight", shape: [3, 5], values: random.floats(15)),
            SafetensorsWriter.Tensor(name: "a.bias", shape: [7], values: random.floats(7)),
        ]
        let path = temporary.file("w.safetensors")
        try SafetensorsWriter.write(tensors, metadata: ["by": "loom"], to: path)
        #expect(try SafetensorsWriter.data(tensors.reversed(), metadata: ["by": "loom"]) == Data(contentsOf: URL(fileURLWithPath: path)))
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["by": "loom"])
        #expect(try file.allTensors().map(\.name) == ["a.bias", "z.weight"])
        #expect(try file.floats("z.weight", shape: [3, 5]) == tensors[0].values)
        let headerLength = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0, "data section 8-byte aligned")
    }

    @Test func namesTheTensorWhenItIsMissingOrHasTheWrongShape() throws {
        let temporary = TemporaryDirectory("safetensors")
        let path = try Self.file(#"{"fusion.0.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#,
                                 [UInt8](repeating: 0, count: 24), in: temporary)
        let file = try SafetensorsFile(path: path)
        let missing = Self.message { _ = try file.floats("fusion.2.weight", shape: [2, 2]) }
        #expect(missing?.contains("fusion.2.weight") == true && missing?.contains(path) == true, "\(missing ?? "no error")")
        let wrongShape = Self.message { _ = try file.floats("fusion.0.weight", shape: [3, 2]) }
        #expect(wrongShape?.contains("fusion.0.weight") == true && wrongShape?.contains("[2, 3]") == true, "\(wrongShape ?? "no error")")
    }

    @Test(arguments: [
        ("not-json", "header is not a JSON object"),
        (#"{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, "dtype U8 is not supported"),
        (#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}"#, "data_offsets [0, 8]"),
        (#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, "do not hold 4"),       // past the data
        (#"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#, "holds more values"),
        (#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "negative dimension"),
        (#"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, "lacks dtype, shape or data_offsets"),
    ])
    func rejectsABrokenHeaderWithAMessageNamingTheProblem(header: String, expected: String) throws {
        let temporary = TemporaryDirectory("safetensors")
        let path = try Self.file(header, [UInt8](repeating: 0, count: 8), in: temporary)
        let message = Self.message { _ = try SafetensorsFile(path: path) }
        #expect(message?.contains(expected) == true, "\(message ?? "no error")")
        #expect(message?.contains(path) == true)
    }

    @Test func rejectsFilesThatAreNotSafetensorsAtAll() throws {
        let temporary = TemporaryDirectory("safetensors")
        let short = temporary.file("short")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: short))
        #expect(Self.message { _ = try SafetensorsFile(path: short) }?.contains("too short") == true)
        let png = temporary.file("image.png")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).write(to: URL(fileURLWithPath: png))
        #expect(Self.message { _ = try SafetensorsFile(path: png) }?.contains("not a safetensors file") == true)
        let absent = temporary.file("absent.safetensors")
        #expect(Self.message { _ = try SafetensorsFile(path: absent) }?.contains(absent) == true)
    }
}
