import CLoomKernels

/// Turns the HTML-laden text of catalog fields into plain text: tags removed (block tags and
/// `<br>` become a space), character references decoded, whitespace (including no-break spaces)
/// and control characters collapsed to single spaces, as ingest stores every text field.
///
/// Works on UTF-8 bytes: tags, references and ASCII whitespace are ASCII, so only the few
/// multi-byte whitespace characters need decoding. Text is cleaned at catalog scale.
public enum HTMLText {
    public static func plain(_ text: String) -> String {
        var text = text
        // Most titles, brands and category names are plain already: they come back as they are.
        return text.withUTF8 { isPlainAlready($0) ? nil : cleaned(utf8: $0) } ?? text
    }

    public static func plain(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String {
        isPlainAlready(bytes) ? String(decoding: bytes, as: UTF8.self) : cleaned(utf8: bytes)
    }

    /// The general path: tags, references and whitespace handled byte by byte.
    static func cleaned(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard !bytes.isEmpty else { return "" }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        // A space is owed before the next visible byte (never at the start or the end).
        var pendingSpace = false
        var index = 0
        let count = bytes.count
        while index < count {
            // Copy the run of bytes that need no attention in one go; a single space between two
            // such bytes stays in the run (it is what the output would hold there anyway).
            let runEnd = index + loom_plain_text_run(bytes.baseAddress! + index, count - index)
            if runEnd > index {
                if pendingSpace && !out.isEmpty { out.append(0x20) }
                pendingSpace = false
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<runEnd]))
                index = runEnd
                continue
            }
            let byte = bytes[index]
            if byte <= 0x20 || byte == 0x7F {
                pendingSpace = true
                index += 1
                continue
            }
            if byte == UInt8(ascii: "<"), let end = tagEnd(bytes, from: index) {
                if !isInlineTag(bytes, from: index + 1, to: end) { pendingSpace = true }
                index = end + 1
                continue
            }
            if byte == UInt8(ascii: "&"), let (decoded, next) = entity(bytes, from: index) {
                index = next
                if decoded == " " {
                    pendingSpace = true
                    continue
                }
                if decoded.isEmpty { continue }
                if pendingSpace && !out.isEmpty { out.append(0x20) }
                pendingSpace = false
                out.append(contentsOf: decoded.utf8)
                continue
            }
            if byte >= 0x80 {
                let whitespace = whitespaceLength(bytes, at: index)
                if whitespace > 0 {
                    pendingSpace = true
                    index += whitespace
                    continue
                }
            }
            if pendingSpace && !out.isEmpty { out.append(0x20) }
            pendingSpace = false
            out.append(byte)
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `plain` would give the bytes back unchanged: one run of plain bytes with single
    /// spaces between them (exactly what the run loop copies in one go).
    private static func isPlainAlready(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
        return loom_plain_text_run(base, bytes.count) == bytes.count
    }

    /// Byte length of a non-ASCII whitespace character at `index` (U+0085, U+00A0, U+1680,
    /// U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), or 0.
    private static func whitespaceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let lead = bytes[index]
        if lead == 0xC2, index + 1 < bytes.count, bytes[index + 1] == 0x85 || bytes[index + 1] == 0xA0 { return 2 }
        guard index + 2 < bytes.count else { return 0 }
        let b1 = bytes[index + 1], b2 = bytes[index + 2]
        switch lead {
        case 0xE1: return b1 == 0x9A && b2 == 0x80 ? 3 : 0
        case 0xE2:
            if b1 == 0x80, (0x80...0x8A).contains(b2) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF { return 3 }
            return b1 == 0x81 && b2 == 0x9F ? 3 : 0
        case 0xE3: return b1 == 0x80 && b2 == 0x80 ? 3 : 0
        default: return 0
        }
    }

    /// Tags that sit inside words (`<b>Bold</b>face`); every other tag separates words.
    static let inlineTags: Set<String> = ["b", "i", "u", "em", "strong", "span", "a", "font", "small", "sup", "sub", "mark"]

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// Index of the `>` closing a tag that starts at `start`, or nil when `<` is just a less-than.
    private static func tagEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        let next = start + 1
        guard next < bytes.count else { return nil }
        let first = bytes[next]
        guard isLetter(first) || first == UInt8(ascii: "/") || first == UInt8(ascii: "!") || first == UInt8(ascii: "?") else { return nil }
        var index = next
        var quote: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return index
            } else if byte == UInt8(ascii: "<") {
                return nil
            }
            index += 1
        }
        return nil
    }

    private static func isInlineTag(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        var index = start
        if index < end, bytes[index] == UInt8(ascii: "/") { index += 1 }
        var name: [UInt8] = []
        while index < end, name.count < 8, isLetter(bytes[index]) {
            name.append(bytes[index] | 0x20)
            index += 1
        }
        return inlineTags.contains(String(decoding: name, as: UTF8.self))
    }

    /// Decodes `&name;`, `&#123;` or `&#x1F;` at `start`; nil when it is not a known reference.
    private static func entity(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (String, Int)? {
        var index = start + 1
        while index < bytes.count, index - start <= 32, bytes[index] != UInt8(ascii: ";") {
            let byte = bytes[index]
            guard isLetter(byte) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "#") else { return nil }
            index += 1
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ";"), index > start + 1 else { return nil }
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[(start + 1)..<index]), as: UTF8.self)
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let value: UInt32?
            if digits.first == "x" || digits.first == "X" {
                value = UInt32(digits.dropFirst(), radix: 16)
            } else {
                value = UInt32(digits, radix: 10)
            }
            guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return ("\u{FFFD}", index + 1) }
            if scalar.properties.isWhitespace { return (" ", index + 1) }
            return (String(Character(scalar)), index + 1)
        }
        guard let decoded = namedEntities[name] else { return nil }
        return (decoded, index + 1)
    }

    /// The references that occur in real catalog dumps.
    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "ensp": " ", "emsp": " ", "thinsp": " ",
        "ndash": "\u{2013}", "mdash": "\u{2014}", "hellip": "\u{2026}", "bull": "\u{2022}", "middot": "\u{00B7}",
        "lsquo": "\u{2018}", "rsquo": "\u{2019}", "ldquo": "\u{201C}", "rdquo": "\u{201D}", "laquo": "\u{00AB}", "raquo": "\u{00BB}",
        "copy": "\u{00A9}", "reg": "\u{00AE}", "trade": "\u{2122}", "deg": "\u{00B0}", "times": "\u{00D7}", "frac12": "\u{00BD}",
        "frac14": "\u{00BC}", "frac34": "\u{00BE}", "euro": "\u{20AC}", "pound": "\u{00A3}", "cent": "\u{00A2}", "yen": "\u{00A5}",
        "eacute": "\u{00E9}", "egrave": "\u{00E8}", "aacute": "\u{00E1}", "agrave": "\u{00E0}", "iacute": "\u{00ED}",
        "oacute": "\u{00F3}", "uacute": "\u{00FA}", "ntilde": "\u{00F1}", "uuml": "\u{00FC}", "ouml": "\u{00F6}",
        "auml": "\u{00E4}", "ccedil": "\u{00E7}", "szlig": "\u{00DF}", "shy": "",
    ]
}
