/// DKIM canonicalization algorithms (RFC 6376 §3.4).
public enum DKIMCanonicalization: String, Sendable, Hashable {
    /// Tolerates almost no modification.
    case simple
    /// Tolerates header case and whitespace changes, refolding, and trailing whitespace.
    case relaxed

    /// Canonicalizes one header field given as written, from its name through its last folded
    /// line, without the final CRLF. The result ends with CRLF.
    ///
    /// simple: unchanged. relaxed: name lowercased, whitespace around the colon removed, value
    /// unfolded, runs of whitespace reduced to one SP, whitespace at the value's end removed.
    public func canonicalizeHeader(_ field: [UInt8]) -> [UInt8] {
        switch self {
        case .simple:
            return field + ASCII.crlf
        case .relaxed:
            guard let colon = field.firstIndex(of: ASCII.colon) else { return field + ASCII.crlf }
            var name = Array(field[..<colon])
            while let last = name.last, ASCII.isWSP(last) { name.removeLast() }
            while let first = name.first, ASCII.isWSP(first) { name.removeFirst() }
            var output = name.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } + [ASCII.colon]
            var pendingSpace = false
            var started = false
            for byte in field[(colon + 1)...] where byte != ASCII.cr && byte != ASCII.lf {
                if ASCII.isWSP(byte) {
                    pendingSpace = started
                    continue
                }
                if pendingSpace { output.append(ASCII.space) }
                pendingSpace = false
                started = true
                output.append(byte)
            }
            return output + ASCII.crlf
        }
    }

    /// Canonicalizes a header field given as a name and (possibly folded) value.
    public func canonicalizeHeader(name: String, value: String) -> String {
        String(decoding: canonicalizeHeader(Array((name + ":" + value).utf8)), as: UTF8.self)
    }

    /// Canonicalizes a body whose line ends are CRLF.
    ///
    /// simple: trailing empty lines removed, a missing final CRLF added, an empty body becomes CRLF.
    /// relaxed: whitespace at line ends removed, runs of whitespace reduced to one SP, then trailing
    /// empty lines removed and a missing final CRLF added; an empty body stays empty.
    public func canonicalizeBody(_ body: [UInt8]) -> [UInt8] {
        var output: [UInt8]
        switch self {
        case .simple:
            output = body
            if !output.isEmpty, !output.ends(with: ASCII.crlf) { output += ASCII.crlf }
        case .relaxed:
            output = []
            output.reserveCapacity(body.count)
            for line in ASCII.lines(body[...]).lines {
                var pendingSpace = false
                for byte in line {
                    if ASCII.isWSP(byte) {
                        pendingSpace = true
                        continue
                    }
                    if pendingSpace { output.append(ASCII.space) }
                    pendingSpace = false
                    output.append(byte)
                }
                output += ASCII.crlf
            }
        }
        while output.count >= 4, output.ends(with: [ASCII.cr, ASCII.lf, ASCII.cr, ASCII.lf]) { output.removeLast(2) }
        if self == .relaxed, output == ASCII.crlf { return [] }
        if self == .simple, output.isEmpty || output == ASCII.crlf { return ASCII.crlf }
        return output
    }

    /// Canonicalizes a body given as a string (its line ends are converted to CRLF first).
    public func canonicalizeBody(_ body: String) -> String {
        String(decoding: canonicalizeBody(ASCII.normalizingLineEndings(Array(body.utf8))), as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}
