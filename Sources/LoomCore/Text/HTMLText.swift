/// Turns the HTML-laden text of catalog fields into plain text: tags removed (block tags and
/// `<br>` become a space), character references decoded, whitespace (including no-break spaces)
/// collapsed to single spaces. Shared by ingest and the tokenizers.
public enum HTMLText {
    public static func plain(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        var index = 0

        func emit(_ scalar: Unicode.Scalar) {
            if scalar.properties.isWhitespace || scalar.value < 0x20 || scalar == "\u{7F}" {
                pendingSpace = true
                return
            }
            if pendingSpace && !out.isEmpty { out.append(" ") }
            pendingSpace = false
            out.append(scalar)
        }

        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<", let end = tagEnd(scalars, from: index) {
                let name = tagName(scalars, from: index + 1, to: end)
                if !inlineTags.contains(name) { pendingSpace = true }
                index = end + 1
                continue
            }
            if scalar == "&", let (decoded, next) = entity(scalars, from: index) {
                for decodedScalar in decoded.unicodeScalars { emit(decodedScalar) }
                index = next
                continue
            }
            emit(scalar)
            index += 1
        }
        return String(out)
    }

    /// Tags that sit inside words (`<b>Bold</b>face`); every other tag separates words.
    static let inlineTags: Set<String> = ["b", "i", "u", "em", "strong", "span", "a", "font", "small", "sup", "sub", "mark"]

    /// Index of the `>` closing a tag that starts at `start`, or nil when `<` is just a less-than.
    private static func tagEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
        let next = start + 1
        guard next < scalars.count else { return nil }
        let first = scalars[next]
        guard first.properties.isAlphabetic || first == "/" || first == "!" || first == "?" else { return nil }
        var index = next
        var quote: Unicode.Scalar?
        while index < scalars.count {
            let scalar = scalars[index]
            if let open = quote {
                if scalar == open { quote = nil }
            } else if scalar == "\"" || scalar == "'" {
                quote = scalar
            } else if scalar == ">" {
                return index
            } else if scalar == "<" {
                return nil
            }
            index += 1
        }
        return nil
    }

    private static func tagName(_ scalars: [Unicode.Scalar], from start: Int, to end: Int) -> String {
        var name = String.UnicodeScalarView()
        var index = start
        if index < end, scalars[index] == "/" { index += 1 }
        while index < end, scalars[index].properties.isAlphabetic || ("0"..."9").contains(scalars[index]) {
            name.append(scalars[index])
            index += 1
        }
        return String(name).lowercased()
    }

    /// Decodes `&name;`, `&#123;` or `&#x1F;` at `start`; nil when it is not a known reference.
    private static func entity(_ scalars: [Unicode.Scalar], from start: Int) -> (String, Int)? {
        var index = start + 1
        var body = String.UnicodeScalarView()
        while index < scalars.count, index - start <= 32, scalars[index] != ";" {
            let scalar = scalars[index]
            guard scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "#" else { return nil }
            body.append(scalar)
            index += 1
        }
        guard index < scalars.count, scalars[index] == ";", !body.isEmpty else { return nil }
        let name = String(body)
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let value: UInt32?
            if digits.first == "x" || digits.first == "X" {
                value = UInt32(digits.dropFirst(), radix: 16)
            } else {
                value = UInt32(digits, radix: 10)
            }
            guard let value, value != 0, let scalar = Unicode.Scalar(value) else { return ("\u{FFFD}", index + 1) }
            return (String(Character(scalar)), index + 1)
        }
        guard let decoded = namedEntities[name] else { return nil }
        return (decoded, index + 1)
    }

    /// The references that occur in real catalog dumps.
    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
        "ndash": "\u{2013}", "mdash": "\u{2014}", "hellip": "\u{2026}", "bull": "\u{2022}", "middot": "\u{00B7}",
        "lsquo": "\u{2018}", "rsquo": "\u{2019}", "ldquo": "\u{201C}", "rdquo": "\u{201D}", "laquo": "\u{00AB}", "raquo": "\u{00BB}",
        "copy": "\u{00A9}", "reg": "\u{00AE}", "trade": "\u{2122}", "deg": "\u{00B0}", "times": "\u{00D7}", "frac12": "\u{00BD}",
        "frac14": "\u{00BC}", "frac34": "\u{00BE}", "euro": "\u{20AC}", "pound": "\u{00A3}", "cent": "\u{00A2}", "yen": "\u{00A5}",
        "eacute": "\u{00E9}", "egrave": "\u{00E8}", "aacute": "\u{00E1}", "agrave": "\u{00E0}", "iacute": "\u{00ED}",
        "oacute": "\u{00F3}", "uacute": "\u{00FA}", "ntilde": "\u{00F1}", "uuml": "\u{00FC}", "ouml": "\u{00F6}",
        "auml": "\u{00E4}", "ccedil": "\u{00E7}", "szlig": "\u{00DF}", "shy": "",
    ]
}
