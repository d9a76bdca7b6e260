import Foundation

/// Loom's kernels are compiled for x86-64-v3; on an older CPU they would die with SIGILL.
/// Commands call `requireVectorUnits()` at start-up to fail with a message instead.
public enum CPUFeatures {
    public static var hasAVX2AndFMA: Bool {
        #if arch(x86_64)
        // Read /proc/cpuinfo rather than executing cpuid: this file is compiled for baseline x86-64.
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return true }
        guard let flags = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return true }
        let set = Set(flags.split(separator: " ").map(String.init))
        return set.contains("avx2") && set.contains("fma")
        #else
        return false
        #endif
    }

    public static func requireVectorUnits() throws {
        #if arch(x86_64)
        guard hasAVX2AndFMA else {
            throw LoomError.internalError("this CPU lacks AVX2/FMA; Loom is built for x86-64-v3 (Haswell or newer)")
        }
        #endif
    }
}
