import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a work directory, so two runs never write the same outputs.
/// Uses flock(2) on `<work>/.loom.lock`: the kernel drops it when the holder dies, so a killed
/// run never leaves a stale lock behind. The holder's pid is written into the file for the
/// error message of the next run.
public final class WorkLock {
    public let path: String
    private var descriptor: Int32

    public init(workDirectory: String) throws {
        path = (workDirectory as NSString).appendingPathComponent(".loom.lock")
        do {
            try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        } catch {
            throw LoomError.cannotCreateOutput(path: workDirectory, reason: "\(error.localizedDescription)")
        }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw LoomError.cannotCreateOutput(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = WorkLock.readPID(descriptor)
            close(descriptor)
            descriptor = -1
            throw LoomError.locked(path: path, holderPID: holder)
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// Releases the lock (also done on deinit and, by the kernel, on process exit).
    public func release() {
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count - 1, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }
}
