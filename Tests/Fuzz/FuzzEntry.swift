import Foundation

#if LOOM_FUZZ
/// libFuzzer's entry: one input through the harness LOOM_FUZZ_TARGET names.
@_cdecl("LLVMFuzzerTestOneInput")
public func loomFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    fuzzTarget.run(bytes)
    return 0
}

let fuzzTarget: FuzzHarness = {
    let name = ProcessInfo.processInfo.environment["LOOM_FUZZ_TARGET"] ?? ""
    guard let harness = FuzzHarness(rawValue: name) else {
        FileHandle.standardError.write(Data("LOOM_FUZZ_TARGET must be one of \(FuzzHarness.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(64)
    }
    return harness
}()
#else
/// Without libFuzzer: `loom-fuzz TARGET FILE...` runs each file through the harness (a crash
/// file libFuzzer wrote, or a whole corpus) and says how many it ran.
@main struct FuzzReplay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let harness = FuzzHarness(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: loom-fuzz \(FuzzHarness.allCases.map(\.rawValue).joined(separator: "|")) FILE...\n".utf8))
            exit(64)
        }
        var count = 0
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("loom-fuzz: cannot read \(path)\n".utf8))
                exit(66)
            }
            harness.run([UInt8](data))
            count += 1
        }
        print("\(name): \(count) inputs, no crash")
    }
}
#endif
