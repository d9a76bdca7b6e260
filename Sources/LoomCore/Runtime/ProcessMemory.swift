import Foundation

/// This process's memory as the kernel counts it (`/proc/self/status`), for debug logs that say
/// where a stage's peak comes from.
public enum ProcessMemory {
    /// Resident and peak resident megabytes now; nil where /proc is not there.
    public static func megabytes() -> (resident: Int, peak: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }.map { $0 >> 10 }
        }
        guard let resident = field("VmRSS"), let peak = field("VmHWM") else { return nil }
        return (resident, peak)
    }

    /// "RSS 812 MB, peak 1,020 MB", or "" where unknown.
    public static var summary: String {
        guard let (resident, peak) = megabytes() else { return "" }
        return "RSS \(resident) MB, peak \(peak) MB"
    }
}
