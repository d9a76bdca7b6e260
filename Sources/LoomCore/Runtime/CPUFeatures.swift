import Foundation

/// The vector instruction set the hot kernels run: AVX2 + FMA always (Loom is built for
/// x86-64-v3), AVX-512 (F, BW, VL and VNNI: Ice Lake, Zen 4 and later) where the CPU has it.
public enum VectorISA: String, Sendable, CaseIterable {
    case avx2
    case avx512
}

/// Loom's kernels are compiled for x86-64-v3; on an older CPU they would die with SIGILL.
/// Commands call `requireVectorUnits()` at start-up to fail with a message instead. Kernels
/// with an AVX-512 variant pick it at run time by `isa` (`LOOM_ISA=avx2` forces the fallback).
public enum CPUFeatures {
    /// The CPU's feature flags as the kernel reports them (it lists AVX-512 only where the OS
    /// saves its registers). Read from /proc/cpuinfo rather than by cpuid: this file is compiled
    /// for baseline x86-64.
    static let flags: Set<String> = {
        #if arch(x86_64)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " ").map(String.init))
        #else
        return []
        #endif
    }()

    /// The per-core L2 cache, from sysfs (512 KB, the smallest of the x86-64-v3 cores Loom meets,
    /// when it cannot be read): SGEMM sizes its column blocks of B to half of it.
    public static let l2CacheBytes: Int = {
        let base = "/sys/devices/system/cpu/cpu0/cache"
        for index in 0..<8 {
            guard let level = try? String(contentsOfFile: "\(base)/index\(index)/level", encoding: .utf8),
                  level.trimmingCharacters(in: .whitespacesAndNewlines) == "2",
                  let size = try? String(contentsOfFile: "\(base)/index\(index)/size", encoding: .utf8) else { continue }
            let text = size.trimmingCharacters(in: .whitespacesAndNewlines)
            let scale = text.hasSuffix("K") ? 1 << 10 : text.hasSuffix("M") ? 1 << 20 : 1
            if let value = Int(text.trimmingCharacters(in: CharacterSet.letters)), value > 0 { return value * scale }
        }
        return 512 << 10
    }()

    public static var hasAVX2AndFMA: Bool {
        #if arch(x86_64)
        return flags.isEmpty || (flags.contains("avx2") && flags.contains("fma"))   // no cpuinfo: assume the build target
        #else
        return false
        #endif
    }

    /// AVX-512 with what Loom's variants use: F, BW, VL (16-bit lanes, masks) and VNNI (the int8 dot products).
    public static var hasAVX512: Bool { ["avx512f", "avx512bw", "avx512vl", "avx512_vnni"].allSatisfy(flags.contains) }

    /// The widest instruction set this CPU runs.
    public static var widestISA: VectorISA { hasAVX512 ? .avx512 : .avx2 }

    /// The instruction set chosen by `LOOM_ISA` (`avx2`, `avx512`, or `auto`/unset: the widest
    /// the CPU has).
    public static func selectedISA(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> VectorISA {
        guard let value = environment["LOOM_ISA"], !value.isEmpty, value != "auto" else { return widestISA }
        guard let isa = VectorISA(rawValue: value) else {
            throw LoomError.usage("LOOM_ISA must be avx2, avx512 or auto, got '\(value)'", key: "LOOM_ISA")
        }
        if isa == .avx512, !hasAVX512 {
            throw LoomError.usage("LOOM_ISA=avx512 but this CPU lacks AVX-512 F/BW/VL/VNNI", key: "LOOM_ISA")
        }
        return isa
    }

    /// What the kernels run by default in this process (an invalid `LOOM_ISA` falls back to the
    /// widest here; commands have refused it already in `requireVectorUnits`).
    public static let isa: VectorISA = (try? selectedISA()) ?? widestISA

    public static func requireVectorUnits() throws {
        #if arch(x86_64)
        guard hasAVX2AndFMA else {
            throw LoomError.internalError("this CPU lacks AVX2/FMA; Loom is built for x86-64-v3 (Haswell or newer)")
        }
        _ = try selectedISA()
        #endif
    }
}
