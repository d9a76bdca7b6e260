import Foundation
import GRDB

extension LoomError {
    /// Any error as the `LoomError` whose exit status the README's table gives it, so that no
    /// failure leaves with a status outside the table: SQLite's by result code (a full disk, an
    /// I/O error, a file that cannot be opened or written: 73; a damaged file or one that is not
    /// SQLite: 65; busy past the timeout: 75), Foundation's file errors by kind, anything else 70 with its message. `output`
    /// is the file being written, where the caller knows it: a failure to write names it.
    public static func classify(_ error: any Error, output: String? = nil) -> LoomError {
        switch error {
        case let error as LoomError:
            return error
        case let error as DatabaseError:
            return sqlite(error, output: output)
        case let error as CocoaError:
            return foundation(error)
        default:
            return .internalError("\(error)")
        }
    }

    static func sqlite(_ error: DatabaseError, output: String?) -> LoomError {
        let reason = "SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "\(error.resultCode)")"
        switch error.resultCode {
        case .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM:
            return .cannotCreateOutput(path: output ?? "an SQLite file", reason: reason)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return .badInput(path: "an SQLite file", position: nil, reason: "\(reason): damaged, or not a Loom SQLite file")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            // Another process holds the database past the busy timeout: try again later.
            return .locked(path: output ?? "an SQLite file", holderPID: nil)
        default:
            return .internalError("\(reason)")
        }
    }

    static func foundation(_ error: CocoaError) -> LoomError {
        let place = (error.userInfo[NSFilePathErrorKey] as? String) ?? "a file"
        switch error.code {
        case .fileReadNoSuchFile, .fileNoSuchFile, .fileReadNoPermission, .fileReadUnknown:
            return .inputMissing(path: place, reason: error.localizedDescription)
        case .fileReadCorruptFile, .fileReadInapplicableStringEncoding:
            return .badInput(path: place, position: nil, reason: error.localizedDescription)
        case .fileWriteOutOfSpace, .fileWriteNoPermission, .fileWriteVolumeReadOnly, .fileWriteUnknown,
             .fileWriteFileExists, .fileWriteInvalidFileName, .fileLocking:
            return .cannotCreateOutput(path: place, reason: error.localizedDescription)
        default:
            return .internalError("\(place): \(error.localizedDescription)")
        }
    }
}
