import Foundation
import LoomCore

/// Finds an item's image file in the image folders: `<asin>.jpg|.jpeg|.png`, else the file name
/// at the end of one of its image URLs (with and without Amazon's size modifier, `71ab._SS40_.jpg`).
/// The folders are listed once at start; lookups touch no disk.
struct ImageResolver: Sendable {
    /// Each folder's file names, and of those named `<asin>.<extension>` the extensions there by
    /// asin (bit i: `asinExtensions[i]`), so an item costs one look-up per folder, not six.
    private let folders: [(path: String, names: Set<String>, asinNamed: [Substring: UInt8])]
    static let asinExtensions = ["jpg", "jpeg", "png", "JPG", "JPEG", "PNG"]

    init(folders: [String]) throws {
        self.folders = try folders.map { folder in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw LoomError.inputMissing(path: folder, reason: "image folder not found")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            var asinNamed: [Substring: UInt8] = [:]
            for name in names {
                guard let dot = name.lastIndex(of: "."),
                      let bit = Self.asinExtensions.firstIndex(of: String(name[name.index(after: dot)...])) else { continue }
                asinNamed[name[..<dot], default: 0] |= 1 << bit
            }
            return (folder, Set(names), asinNamed)
        }
    }

    var isEmpty: Bool { folders.isEmpty }

    /// The first of `<asin>.jpg`, `.jpeg`, `.png`, `.JPG`, `.JPEG`, `.PNG`, then of the URLs' file
    /// names (each with and without its size modifier) that a folder holds, folders in order.
    func resolve(asin: String, urls: [String]) -> String? {
        guard !folders.isEmpty else { return nil }
        let masks = folders.map { $0.asinNamed[Substring(asin)] ?? 0 }
        if masks.contains(where: { $0 != 0 }) {
            for (bit, ext) in Self.asinExtensions.enumerated() {
                for (folder, mask) in zip(folders, masks) where mask & (1 << bit) != 0 {
                    return (folder.path as NSString).appendingPathComponent("\(asin).\(ext)")
                }
            }
        }
        for url in urls {
            guard let name = ImageResolver.fileName(of: url) else { continue }
            for candidate in [name, ImageResolver.withoutSizeModifier(name)].compactMap({ $0 }) {
                for folder in folders where folder.names.contains(candidate) {
                    return (folder.path as NSString).appendingPathComponent(candidate)
                }
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
