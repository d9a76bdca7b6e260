import Foundation
import LoomCore
#if canImport(Glibc)
import Glibc
#endif

/// One record of a catalog file: its bytes and where it came from.
struct SourceRecord: Sendable {
    var bytes: [UInt8]
    /// Line number of the record's first byte (1-based).
    var line: Int
    /// Element number inside a JSON array file (1-based), nil for JSON lines.
    var element: Int?

    var position: String {
        element.map { "element \($0) (line \(line))" } ?? "line \(line)"
    }
}

/// Consecutive records of one file in one buffer: workers parse the spans in place, so the bulk
/// of a catalog is never copied line by line.
struct RecordBatch: Sendable {
    struct Span: Sendable {
        var start: Int
        var end: Int
        var line: Int
        var element: Int?

        var position: String {
            element.map { "element \($0) (line \(line))" } ?? "line \(line)"
        }
    }

    var bytes: [UInt8]
    var spans: [Span]
}

/// Streams the records of one catalog file in constant memory: one per line for JSON lines and
/// 2014 loose lines, one per element when the file is a JSON array (`[{…},\n{…}]`). Reading,
/// gunzip (detected by the magic bytes) and the file's content hash run ahead on a thread of their
/// own (`ReadAheadFile`).
final class RecordReader {
    let path: String
    private let source: ReadAheadFile
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false
    private var line = 1
    private var isArray = false
    private var arrayClosed = false
    private var element = 0

    /// `blockSize` and `headroom` only change how the file is cut into blocks, never the records
    /// (tests use tiny ones so that every record crosses a block edge). A batch is at most a
    /// block: pinned to one core, ingest spent 5-15 % more CPU time with 8 MB blocks than with
    /// 2 MB ones, and no less with 0.5 or 1 MB ones.
    init(path: String, hashing: Bool = true, blockSize: Int = 2 << 20, headroom: Int = 256 << 10) throws {
        self.path = path
        source = try ReadAheadFile(path: path, hashing: hashing, blockSize: blockSize, headroom: headroom)
        try fill()
        // A JSON array file starts with '[' (after an optional BOM and whitespace).
        skip(byte: 0xEF, 0xBB, 0xBF)
        var probe = start
        while true {
            while probe < buffer.count, isSpace(buffer[probe]) { probe += 1 }
            if probe < buffer.count || finished { break }
            try fill()
        }
        if probe < buffer.count, buffer[probe] == UInt8(ascii: "[") {
            isArray = true
            countNewlines(from: start, to: probe + 1)
            start = probe + 1
        }
    }

    /// Compressed or plain bytes read so far, for progress and MB/s.
    var bytesRead: Int { source.bytesRead }

    /// Content hash of the file as stored, as `ContentHash.file` gives it (nil when not hashing). Call
    /// it after the last record: it reads on to the end of the file when the records ended before
    /// (whatever follows a JSON array's closing bracket).
    func contentHash() throws -> String? {
        while try source.next() != nil {}
        finished = true
        return source.contentHash
    }

    /// The next record on its own (tests; the stage reads batches).
    func next() throws -> SourceRecord? {
        guard let batch = try nextBatch(maxRecords: 1, maxBytes: 1), let span = batch.spans.first else { return nil }
        return SourceRecord(bytes: Array(batch.bytes[span.start..<span.end]), line: span.line, element: span.element)
    }

    /// The next records, up to `maxRecords` or about `maxBytes`; nil at the end of the file.
    func nextBatch(maxRecords: Int, maxBytes: Int) throws -> RecordBatch? {
        isArray ? try nextElementBatch(maxRecords: maxRecords, maxBytes: maxBytes)
            : try nextLineBatch(maxRecords: maxRecords, maxBytes: maxBytes)
    }

    private func nextElementBatch(maxRecords: Int, maxBytes: Int) throws -> RecordBatch? {
        var batch = RecordBatch(bytes: [], spans: [])
        while batch.spans.count < maxRecords, batch.bytes.count < maxBytes, let record = try nextElement() {
            let start = batch.bytes.count
            batch.bytes.append(contentsOf: record.bytes)
            batch.spans.append(.init(start: start, end: batch.bytes.count, line: record.line, element: record.element))
        }
        return batch.spans.isEmpty ? nil : batch
    }

    private func nextLineBatch(maxRecords: Int, maxBytes: Int) throws -> RecordBatch? {
        // The buffer is refilled only when it holds no whole line, so what is carried into the
        // next block is part of one line and fits the room in front of it (no copy).
        var spans: [RecordBatch.Span] = []
        var cut = start
        var scanFrom = start
        while spans.count < maxRecords, cut - start < maxBytes {
            if let newline = newline(from: scanFrom) {
                var end = newline
                if end > cut, buffer[end - 1] == 0x0D { end -= 1 }
                spans.append(.init(start: cut, end: end, line: line, element: nil))
                line += 1
                cut = newline + 1
                scanFrom = cut
            } else if finished {
                if cut < buffer.count {
                    spans.append(.init(start: cut, end: buffer.count, line: line, element: nil))
                    line += 1
                    cut = buffer.count
                }
                break
            } else if spans.isEmpty {
                // A line longer than the buffer: read on until it ends.
                let scanned = buffer.count - start
                try fill()
                cut = start
                scanFrom = start + scanned
            } else {
                break
            }
        }
        guard !spans.isEmpty else { return nil }
        // Hand the buffer itself to the batch and keep only the unread tail.
        let batch = RecordBatch(bytes: buffer, spans: spans)
        start = cut   // the next fill moves the rest into a buffer of its own
        return batch
    }

    private func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private func skip(byte a: UInt8, _ b: UInt8, _ c: UInt8) {
        if buffer.count - start >= 3, buffer[start] == a, buffer[start + 1] == b, buffer[start + 2] == c { start += 3 }
    }

    /// The next block of the file after the unread bytes. They usually fit in the room the block
    /// keeps in front (a record's tail), so the block becomes the buffer without being copied;
    /// longer ones (a record over 256 kB) are copied together with it into a new buffer.
    private func fill() throws {
        guard var block = try source.next() else {
            finished = true
            return
        }
        let kept = buffer.count - start
        if kept <= block.start {
            let from = block.start - kept
            if kept > 0 {
                buffer.withUnsafeBufferPointer { old in
                    block.storage.withUnsafeMutableBufferPointer { new in
                        (new.baseAddress! + from).update(from: old.baseAddress! + start, count: kept)
                    }
                }
            }
            buffer = block.storage
            start = from
        } else {
            buffer = Array(buffer[start...]) + block.storage[block.start...]
            start = 0
        }
    }

    private func countNewlines(from: Int, to: Int) {
        var index = from
        while index < to {
            if buffer[index] == 0x0A { line += 1 }
            index += 1
        }
    }

    /// Index of the next newline at or after `from`, found with memchr.
    private func newline(from: Int) -> Int? {
        guard from < buffer.count else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            guard let found = memchr(bytes.baseAddress! + from, 0x0A, bytes.count - from) else { return nil }
            return UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - bytes.baseAddress!
        }
    }

    /// The next top-level element of a JSON array: tracks strings and nesting to find where it
    /// ends, so an element may span lines. A malformed tail becomes one last record that the
    /// parser will reject.
    private func nextElement() throws -> SourceRecord? {
        guard !arrayClosed else { return nil }
        // Skip whitespace and the separating comma.
        while true {
            while start < buffer.count, isSpace(buffer[start]) || buffer[start] == UInt8(ascii: ",") {
                if buffer[start] == 0x0A { line += 1 }
                start += 1
            }
            if start < buffer.count { break }
            if finished { return nil }
            try fill()
        }
        if buffer[start] == UInt8(ascii: "]") {
            arrayClosed = true
            start += 1
            return nil
        }
        let firstLine = line
        var depth = 0
        var inString = false
        var escaped = false
        var index = start
        while true {
            while index < buffer.count {
                let byte = buffer[index]
                if byte == 0x0A { line += 1 }
                if inString {
                    if escaped { escaped = false }
                    else if byte == UInt8(ascii: "\\") { escaped = true }
                    else if byte == UInt8(ascii: "\"") { inString = false }
                } else {
                    switch byte {
                    case UInt8(ascii: "\""): inString = true
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        if depth == 0 {
                            // The array's own closing bracket ends a scalar element.
                            return emitElement(upTo: index, line: firstLine)
                        }
                        depth -= 1
                        if depth == 0 { return emitElement(upTo: index + 1, line: firstLine) }
                    case UInt8(ascii: ","):
                        if depth == 0 { return emitElement(upTo: index, line: firstLine) }
                    default: break
                    }
                }
                index += 1
            }
            if finished {
                arrayClosed = true
                guard start < buffer.count else { return nil }
                return emitElement(upTo: buffer.count, line: firstLine)
            }
            let offset = index - start
            try fill()
            index = start + offset
        }
    }

    private func emitElement(upTo end: Int, line firstLine: Int) -> SourceRecord {
        element += 1
        let record = SourceRecord(bytes: Array(buffer[start..<end]), line: firstLine, element: element)
        start = end
        return record
    }
}
