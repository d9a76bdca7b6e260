import Foundation
import LoomCore

/// Finds an item's image file in the image folders: `<asin>.jpg|.jpeg|.png`, else the file name
/// at the end of one of its image URLs (with and without Amazon's size modifier, `71ab._SS40_.jpg`).
/// The folders are listed once at start; lookups touch no disk.
struct ImageResolver: Sendable {
    private let folders: [(path: String, names: Set<String>)]

    init(folders: [String]) throws {
        self.folders = try folders.map { folder in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw LoomError.inputMissing(path: folder, reason: "image folder not found")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            return (folder, Set(names))
        }
    }

    var isEmpty: Bool { folders.isEmpty }

    func resolve(asin: String, urls: [String]) -> String? {
        guard !folders.isEmpty else { return nil }
        var candidates = ["\(asin).jpg", "\(asin).jpeg", "\(asin).png", "\(asin).JPG", "\(asin).JPEG", "\(asin).PNG"]
        for url in urls {
            guard let name = ImageResolver.fileName(of: url) else { continue }
            candidates.append(name)
            if let plain = ImageResolver.withoutSizeModifier(name) { candidates.append(plain) }
        }
        for name in candidates {
            for folder in folders where folder.names.contains(name) {
                return (folder.path as NSString).appendingPathComponent(name)
            }
        }
        return nil
    }

    /// The last path component of a URL, without query or fragment.
    static func fileName(of url: String) -> String? {
        var text = Substring(url)
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<cut] }
        guard let slash = text.lastIndex(of: "/") else { return text.isEmpty ? nil : String(text) }
        let name = text[text.index(after: slash)...]
        return name.isEmpty ? nil : String(name)
    }

    /// `519AB5ZVFXL._SY300_.jpg` → `519AB5ZVFXL.jpg`.
    static func withoutSizeModifier(_ name: String) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[parts.count - 2].hasPrefix("_"), parts[parts.count - 2].hasSuffix("_") else { return nil }
        return parts[0] + "." + parts[parts.count - 1]
    }
}
