import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files and directories that a killed process left beside what it was writing: `<name>.tmp-PID`
/// (being built) and `<name>.old-PID` (moved aside for a replacement). Removed when that process
/// no longer runs; a live one (another run writing beside this one) keeps its own.
public enum StaleTemporaries {
    public static func remove(besides path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        for entry in entries {
            for marker in [".tmp-", ".old-"] where entry.hasPrefix(name + marker) {
                guard let pid = Int32(entry.dropFirst(name.count + marker.count)), pid != getpid(),
                      kill(pid, 0) != 0, errno == ESRCH else { continue }
                try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(entry))
            }
        }
    }
}
