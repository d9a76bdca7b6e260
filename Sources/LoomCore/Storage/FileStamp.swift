import Foundation

/// What `stat` says of a file: its path, size, modification time (ns) and inode. While these stay
/// the same the file's content is taken to be the same, so its hash need not be computed again
/// (the rule make and rsync use; a tool that rewrites a file in place within one clock tick and
/// keeps its size would defeat it).
public struct FileStamp: Hashable, Sendable {
    public var path: String
    public var size: Int64
    public var modified: Int64
    public var inode: UInt64

    public init(path: String, size: Int64, modified: Int64, inode: UInt64) {
        self.path = path
        self.size = size
        self.modified = modified
        self.inode = inode
    }

    /// The file's stamp now; nil when it cannot be stat'ed.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(path: path, size: Int64(info.st_size),
                  modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec), inode: UInt64(info.st_ino))
    }
}
