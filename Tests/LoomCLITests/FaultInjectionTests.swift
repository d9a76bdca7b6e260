import Foundation
import LoomCore
import LoomTestSupport
import Testing

/// Whether this process may mount a tmpfs (root, with the capability).
let canMountTmpfs: Bool = {
    guard getuid() == 0 else { return false }
    let probe = TemporaryDirectory("loom-mount-probe")
    defer { FaultInjectionTests.shell("umount \(probe.path)") }
    return FaultInjectionTests.shell("mount -t tmpfs -o size=64k tmpfs \(probe.path)") == 0
}()

/// Faults the machine throws, injected for real: each stage of a one-epoch Pipelines/sample.yaml
/// run again with its work and out directories on a tmpfs that has room for half of the stage's
/// output ends with 73 and leaves the previous output byte for byte as it was, and a read-only
/// work directory is 73 too. Mounting needs root (CI runs as root); elsewhere the suite is off.
@Suite(.serialized, .enabled(if: canMountTmpfs, "mounting a tmpfs needs root"))
struct FaultInjectionTests {
    @discardableResult
    static func shell(_ command: String) -> Int32 {
        let status = system(command + " >/dev/null 2>&1")
        return status == -1 ? -1 : (status >> 8) & 0xFF
    }

    static func digest(_ path: String) throws -> String { try ContentHash.file(atPath: path) }

    /// Bytes free on the filesystem of `path`.
    static func free(_ path: String) -> Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return 0 }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    static let outputs = [("ingest", "work/catalog.sqlite"), ("images", "work/images.sqlite"), ("text", "work/text.sqlite"),
                          ("triplets", "work/triplets.sqlite"), ("features", "work/features.sqlite"), ("train", "work/train.sqlite"),
                          ("embed", "work/embeddings.sqlite"), ("index", "out/index.sqlite")]

    /// Room left on the disk for the stages that update their output in place: the empty
    /// temporary output every stage starts with fits, the update's journal does not.
    static let updatedInPlace = ["images": 64 << 10, "features": 32 << 10]

    @Test func aFullDiskEndsEveryStageWith73AndKeepsItsPreviousOutput() throws {
        let runs = try ShardedRunTests.Runs()
        let base = try runs.run("base", pipeline: "whole.yaml")
        try #require(base.status == 0, "\(base.stderr)")
        let disk = runs.directory.file("disk")
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let used = try FileManager.default.subpathsOfDirectory(atPath: runs.directory.file("base")).reduce(0) { total, name in
            let size = (try? FileManager.default.attributesOfItem(atPath: runs.directory.file("base/\(name)"))[.size] as? Int) ?? 0
            return total + (size + 8191) / 4096 * 4096
        }

        for (stage, output) in Self.outputs {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: runs.directory.file("base/\(output)"))[.size] as? Int)
            try #require(Self.shell("mount -t tmpfs -o size=\(used + size + (32 << 20)) tmpfs \(disk)") == 0)
            defer { Self.shell("umount -l \(disk)") }
            try #require(Self.shell("cp -a \(runs.directory.file("base"))/. \(disk)/") == 0)
            // Fill the disk but for half of what the stage writes; for the stages that update
            // their previous output in place (a rerun of unchanged inputs writes only a few pages
            // there, and a journal of them), but for the empty temporary output every stage
            // starts with and a little more: the update itself runs out of room.
            let room = Self.updatedInPlace[stage] ?? max(size / 2, 4096)
            let filler = open(disk + "/filler", O_WRONLY | O_CREAT, 0o644)
            try #require(filler >= 0)
            #expect(posix_fallocate(filler, 0, off_t(Self.free(disk) - room)) == 0)
            close(filler)
            let before = try Self.digest("\(disk)/\(output)")

            let full = try runs.run("disk", pipeline: "whole.yaml", ["--only", stage, "--force"])
            #expect(full.status == 73, "\(stage): exit \(full.status): \(full.stderr)")
            #expect(full.stderr.contains("cannot create output"), "\(stage): \(full.stderr)")
            #expect(try Self.digest("\(disk)/\(output)") == before, "\(stage): previous output untouched")
            let left = (FileManager.default.subpaths(atPath: disk) ?? []).filter { $0.contains(".tmp-") || $0.hasSuffix("-journal") }
            #expect(left.isEmpty, "\(stage): temporary files left: \(left)")
        }

        // A work directory that cannot be written at all.
        try #require(Self.shell("mount -t tmpfs -o size=\(used + (32 << 20)) tmpfs \(disk)") == 0)
        defer { Self.shell("umount -l \(disk)") }
        try #require(Self.shell("cp -a \(runs.directory.file("base"))/. \(disk)/ && mount -o remount,ro \(disk)") == 0)
        let readOnly = try runs.run("disk", pipeline: "whole.yaml", ["--only", "text", "--force"])
        #expect(readOnly.status == 73 && readOnly.stderr.contains("Read-only file system"), "exit \(readOnly.status): \(readOnly.stderr)")
    }
}
