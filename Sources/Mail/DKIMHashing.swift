import Crypto

/// The parts of DKIM shared by signing and verifying: header selection and hash input (RFC 6376 §3.7, §5.4.2).
enum DKIMHashing {
    /// The canonicalized header fields named in `h=`, each instance taken from the bottom up;
    /// a name with no instance left contributes nothing (so over-signing works).
    static func headerHashInput(
        fields: [RawHeaderField], in bytes: ArraySlice<UInt8>, signedNames: [String], canonicalization: DKIMCanonicalization
    ) -> [UInt8] {
        var remaining: [String: [Int]] = [:]
        for (index, field) in fields.enumerated() { remaining[ASCII.lowercased(field.name), default: []].append(index) }
        var output: [UInt8] = []
        for name in signedNames {
            let key = ASCII.lowercased(name)
            guard let index = remaining[key]?.popLast() else { continue }
            output += canonicalization.canonicalizeHeader(Array(bytes[fields[index].range]))
        }
        return output
    }

    /// The DKIM-Signature field with the value of its `b=` tag removed (the tag itself kept),
    /// canonicalized, without the final CRLF.
    static func signatureFieldInput(_ field: [UInt8], canonicalization: DKIMCanonicalization) -> [UInt8] {
        var stripped: [UInt8] = []
        guard let colon = field.firstIndex(of: ASCII.colon) else { return field }
        stripped += field[...colon]
        var segmentStart = colon + 1
        while segmentStart <= field.count {
            let segmentEnd = field[segmentStart...].firstIndex(of: 0x3B) ?? field.count
            let segment = field[segmentStart..<segmentEnd]
            if let equals = segment.firstIndex(of: 0x3D),
                segment[..<equals].filter({ !ASCII.isWSP($0) && $0 != ASCII.cr && $0 != ASCII.lf }) == [0x62]
            {
                stripped += field[segmentStart...equals]
            } else {
                stripped += segment
            }
            if segmentEnd < field.count { stripped.append(0x3B) }
            segmentStart = segmentEnd + 1
        }
        var canonical = canonicalization.canonicalizeHeader(stripped)
        canonical.removeLast(2)
        return canonical
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
