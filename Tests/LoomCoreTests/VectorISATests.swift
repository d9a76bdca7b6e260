import LoomCore
import Testing

/// `LOOM_ISA` picks the kernels' instruction set: unset or `auto` the widest the CPU has, `avx2`
/// always, `avx512` only where the CPU has it; anything else is a usage error naming the variable.
@Suite struct VectorISATests {
    @Test func theEnvironmentChoosesTheInstructionSet() throws {
        let widest: VectorISA = CPUFeatures.hasAVX512 ? .avx512 : .avx2
        #expect(try CPUFeatures.selectedISA(environment: [:]) == widest)
        #expect(try CPUFeatures.selectedISA(environment: ["LOOM_ISA": "auto"]) == widest)
        #expect(try CPUFeatures.selectedISA(environment: ["LOOM_ISA": "avx2"]) == .avx2)
        if CPUFeatures.hasAVX512 {
            #expect(try CPUFeatures.selectedISA(environment: ["LOOM_ISA": "avx512"]) == .avx512)
        } else {
            #expect(throws: LoomError.self) { try CPUFeatures.selectedISA(environment: ["LOOM_ISA": "avx512"]) }
        }
        let error = #expect(throws: LoomError.self) { try CPUFeatures.selectedISA(environment: ["LOOM_ISA": "sse4"]) }
        #expect(error?.exitStatus == .usage)
        #expect("\(error.map { String(describing: $0) } ?? "")".contains("LOOM_ISA"))
    }
}
