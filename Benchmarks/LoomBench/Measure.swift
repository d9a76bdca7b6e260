import Foundation

/// Runs `body` `repeats` times and returns the median wall-clock seconds (the machine is shared
/// and noisy; the median of several runs is what the issues ask for).
func medianSeconds(repeats: Int = 5, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return times[times.count / 2]
}

/// Runs a command line and returns its median wall-clock seconds, or nil when it is not installed.
func medianSeconds(ofCommand arguments: [String], repeats: Int = 5) -> Double? {
    func once() -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    var times: [Double] = []
    for _ in 0..<repeats {
        guard let time = once() else { return nil }
        times.append(time)
    }
    times.sort()
    return times[times.count / 2]
}

func row(_ name: String, _ value: String, _ reference: String = "") {
    let padded = name.padding(toLength: 54, withPad: " ", startingAt: 0)
    print("\(padded) \(value.padding(toLength: 18, withPad: " ", startingAt: 0)) \(reference)")
}
