import Foundation
import LoomFormats
import Testing

/// The blob and list layouts stages hand each other: exact bytes (other tools read them), round
/// trips, and what a damaged value gives.
@Suite struct FormatsTests {
    @Test func negativesAreLittleEndianInt32() {
        var blob = Data()
        NegativesBlob.encode([1, 258, -1, 0x0102_0304], into: &blob)
        #expect(blob == Data([1, 0, 0, 0, 2, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 4, 3, 2, 1]))
        #expect(NegativesBlob.decode(blob) == [1, 258, -1, 0x0102_0304])
        // A torn last id is left out, not read past the end.
        #expect(NegativesBlob.decode(blob.prefix(14)) == [1, 258, -1])
        #expect(NegativesBlob.decode(Data()) == [])
    }

    @Test func candidateListsAreJSONArrays() {
        #expect(CandidateList.encode([12, 5, 40, 7]) == "[12,5,40,7]")
        #expect(CandidateList.encode([]) == "[]")
        #expect(CandidateList.decode("[12,5,40,7]") == [12, 5, 40, 7])
        #expect(CandidateList.decode(" [1, 2] ") == [1, 2])
        // Read directly or, for JSON Loom does not write (spaces), through JSONDecoder.
        #expect(CandidateList.decode("[-3,0,9223372036854775807]") == [-3, 0, Int64.max])
        #expect(CandidateList.decode("[ 1 ,2]") == [1, 2])
        for broken in ["[1,", "1,2", "[\"a\"]", "", "[1.5]", "[1,,2]", "[,]", "[-]", "[99999999999999999999]"] {
            #expect(CandidateList.decode(broken) == nil, "\(broken)")
        }
    }

    @Test func tokenIDsAtBothWidths() {
        let ids: [Int32] = [0, 1, 258, 30_521]
        #expect(TokenIDsBlob.encode([1, 258], width: 2) == Data([1, 0, 2, 1]))
        #expect(TokenIDsBlob.decode(TokenIDsBlob.encode(ids, width: 2), width: 2) == ids)
        let wide: [Int32] = [70_000, 1 << 24 + 5]
        #expect(TokenIDsBlob.encode(wide, width: 4) == Data([0x70, 0x11, 0x01, 0, 5, 0, 0, 1]))
        #expect(TokenIDsBlob.decode(TokenIDsBlob.encode(wide, width: 4), width: 4) == wide)
        #expect(TokenIDsBlob.vocabularyHash(["[PAD]", "a"]) != TokenIDsBlob.vocabularyHash(["[PAD]a"]))
    }

    @Test func edgeKindsAreReadFromTheirBytes() {
        for kind in EdgeKind.allCases {
            let bytes = Array(kind.rawValue.utf8)
            #expect(bytes.withUnsafeBufferPointer { EdgeKind(utf8: $0) } == kind)
            #expect(EdgeKind.allCases[kind.index] == kind)
        }
        for other in ["also_boughT", "also_bough", "also_boughtx", "bought_togethex", "also_vieweD", ""] {
            let bytes = Array(other.utf8)
            #expect(bytes.withUnsafeBufferPointer { EdgeKind(utf8: $0) } == nil, "\(other)")
        }
    }
}

extension FormatsTests {
    /// The list is written by hand for speed; it must stay what JSONEncoder writes.
    @Test func candidateListsAreWhatJSONEncoderWrites() throws {
        for ids: [Int64] in [[], [0], [12, 5, 40, 7], [-3, Int64.max, Int64.min]] {
            #expect(CandidateList.encode(ids) == String(decoding: try JSONEncoder().encode(ids), as: UTF8.self))
        }
    }
}
