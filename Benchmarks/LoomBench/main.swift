import Foundation
import LoomCore
import LoomKernels
import LoomSampleData

// make bench: throughput of Loom's own pieces, beside the peer tool measured in the same run.
// Every figure is the median of 5 runs on this machine.

// `loom-bench [hash] [ingest] [triplets] [fetch] [images] [tokenizer] [gemm] [networks] [minilm] [train] [search] [nightly] [sharded] [sample-data]` runs the named sections; none: all.
let sections = Set(CommandLine.arguments.dropFirst())
// The CPU check every `loom` command makes, LOOM_ISA included: a bad value stops the bench too.
do {
    try CPUFeatures.requireVectorUnits()
} catch {
    FileHandle.standardError.write(Data("loom-bench: \(error)\n".utf8))
    exit(64)
}
func wanted(_ section: String) -> Bool { sections.isEmpty || sections.contains(section) }

let scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("loom-bench-\(getpid())")
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }

print("Loom \(LoomVersion.current) benchmarks, \(ProcessInfo.processInfo.activeProcessorCount) cores, kernels \(CPUFeatures.isa.rawValue) (LOOM_ISA); medians of 5 runs (hash), 7 rounds (images), 7 rounds (ingest 200 MB), 3 runs (sample-data), 1 run (ingest 1 GB)")
print(String(repeating: "-", count: 110))

// Content hashing: decides freshness, so `loom run` rereads every input file each night.
if wanted("hash") {
let hashFile = (scratch as NSString).appendingPathComponent("hash-input.bin")
var random = SeededRandom(seed: 1)
let block = Data((0..<(1 << 20)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
_ = FileManager.default.createFile(atPath: hashFile, contents: nil)
let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: hashFile))
for _ in 0..<256 { handle.write(block) }
try handle.close()
let megabytes = 256.0
let loomHash = try medianSeconds { _ = try ContentHash.file(atPath: hashFile) }
let peerHash = medianSeconds(ofCommand: ["xxhsum", "-H2", hashFile])
row("input file hash (XXH3-128) of a 256 MB file", String(format: "%.0f MB/s", megabytes / loomHash),
    peerHash.map { String(format: "xxhsum -H2: %.0f MB/s (ratio %.2f)", megabytes / $0, $0 / loomHash) } ?? "xxhsum: not installed")
}

// Ingest: the loom binary built beside this one.
let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
let loom = ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent("loom")
if wanted("ingest") { try IngestBenchmark.run(scratch: scratch, loom: loom, repeats: 7) }

// Triplets: a power-law graph of 1M items and 20M edges.
if wanted("triplets") { try TripletBenchmark.run(scratch: scratch, loom: loom, items: 1_000_000, edges: 20_000_000) }
if sections.contains("triplets-small") { try TripletBenchmark.run(scratch: scratch, loom: loom, items: 200_000, edges: 4_000_000) }

// Fetch: 20,000 photos from a loopback server beside img2dataset.
if wanted("fetch") { try FetchBenchmark.run(loom: loom) }
if sections.contains("fetch-small") { try FetchBenchmark.run(loom: loom, photos: 2_000, rounds: 1) }

// Images: decode → orient → resize → crop beside Pillow.
if wanted("images") { try ImageBenchmark.run(scratch: scratch, repeats: 7) }

// Tokenizer: WordPiece beside HF tokenizers and flash-tokenizer.
if wanted("tokenizer") { try TokenizerBenchmark.run(scratch: scratch, repeats: 3) }

// Inference: SGEMM, MobileNetV2 and LoomNet beside OpenBLAS / onnxruntime / PyTorch.
if wanted("gemm") { InferenceBenchmark.gemm(repeats: 3) }
if wanted("networks") { try InferenceBenchmark.networks(repeats: 5) }
if wanted("networks") { try Int8BackboneBenchmark.run(repeats: 5) }
// The sentence encoder (all-MiniLM-L6-v2) beside onnxruntime on the same ids.
if wanted("minilm") { try SentenceEncoderBenchmark.run(scratch: scratch) }
if wanted("minilm") || sections.contains("text-query") { try SentenceEncoderBenchmark.textQuery(scratch: scratch, loom: loom) }
if sections.contains("minilm-small") { try SentenceEncoderBenchmark.run(scratch: scratch, titles: 2_000, descriptions: 400) }

// Training: one step of batch 256 beside the PyTorch figures.
if wanted("train") { try TrainingBenchmark.run(repeats: 5) }
if sections.contains("train-profile") { try TrainingBenchmark.profile(steps: 9, threads: 1) }
if sections.contains("train-profile-2") { try TrainingBenchmark.profile(steps: 9, threads: 2) }
if sections.contains("train-profile-384") { try TrainingBenchmark.profile(steps: 9, threads: 1, negativesPerPositive: 4) }
if sections.contains("train-profile-384-2") { try TrainingBenchmark.profile(steps: 9, threads: 2, negativesPerPositive: 4) }

// Search: exact top-10 over 100k × 256 beside faiss IndexFlatIP.
// (On the package's disk: the index and its cache are written there, see `packageScratch`.)
if wanted("search") {
    let (_, searchScratch) = try packageScratch("search", near: loom)
    defer { try? FileManager.default.removeItem(atPath: searchScratch) }
    try SearchBenchmark.run(scratch: searchScratch)
}
// The same at 400k vectors, where even the 8-bit copy (102 MB) is larger than this machine's L3.
if sections.contains("search-400k") {
    let (_, searchScratch) = try packageScratch("search", near: loom)
    defer { try? FileManager.default.removeItem(atPath: searchScratch) }
    try SearchBenchmark.run(scratch: searchScratch, count: 400_000, batch: 250, single: 100)
}
if sections.contains("mobilenet-shapes") { InferenceBenchmark.mobileNetShapes(repeats: 5) }
// The encoder's projections for a batch of 32 texts of 127 tokens.
if sections.contains("minilm-shapes") {
    for threads in [1, 2] {
        InferenceBenchmark.mobileNetShapes(repeats: 5, threads: threads,
                                           shapes: [(4064, 384, 1152), (4064, 384, 384), (4064, 384, 1536), (4064, 1536, 384), (544, 384, 1152), (127, 32, 127), (127, 127, 32)])
    }
}
if sections.contains("depthwise-shapes") { InferenceBenchmark.depthwiseShapes() }
if sections.contains("train-shapes") { for threads in [1, 2] { InferenceBenchmark.trainShapes(repeats: 5, threads: threads) } }
if sections.contains("mobilenet-profile") { try InferenceBenchmark.mobileNetProfile() }

// A night at scale: 100,000 products with photos, then the next night at 1% churn.
if wanted("nightly") { try NightlyBenchmark.run(scratch: scratch, loom: loom, items: 100_000, trainTriplets: 50_000) }
if sections.contains("nightly-10k") { try NightlyBenchmark.run(scratch: scratch, loom: loom, items: 10_000, trainTriplets: 10_000) }

// Scale-out: a sharded run (local executor, 2 shards × 1 thread) against one run with 2 threads.
if wanted("sharded") { try ShardedBenchmark.run(scratch: scratch, loom: loom, items: 100_000) }
if sections.contains("sharded-10k") { try ShardedBenchmark.run(scratch: scratch, loom: loom, items: 10_000) }

// SampleData generation (make fixtures): paint, encode and write 300 pictures and 3 catalogs.
if wanted("sample-data") {
    let sampleOut = (scratch as NSString).appendingPathComponent("SampleData")
    let generate = try medianSeconds(repeats: 3) { try SampleDataGenerator().write(to: sampleOut) }
    row("sample-data, 300 products with pictures", String(format: "%.2f s", generate), "(no peer tool; make fixtures)")
}
