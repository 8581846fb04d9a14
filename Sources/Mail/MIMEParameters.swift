/// Parameters of `Content-Type` and `Content-Disposition` (RFC 2045 §5.1), including RFC 2231
/// extended values (`name*=utf-8''%E2%82%AC`) and continuations (`name*0=…; name*1*=…`).
enum MIMEParameters {
    /// RFC 2045 tspecials, which a token may not contain.
    static let tspecials = Set("()<>@,;:\\\"/[]?=".unicodeScalars)

    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !tspecials.contains($0) }
    }

    /// Parses `; name=value; …` leniently: names lowercased, quoted strings unescaped, comments
    /// dropped, unquoted values running to the next `;`, extended values decoded. Later plain
    /// duplicates do not replace earlier ones; an extended value wins over a plain one.
    static func parse(_ text: some StringProtocol) -> [String: String] {
        var plain: [String: String] = [:]
        var extended: [String: [Int: (value: String, encoded: Bool)]] = [:]
        for (rawName, value) in rawPairs(String(text)) {
            let name = ASCII.lowercased(rawName)
            guard let star = name.firstIndex(of: "*") else {
                if plain[name] == nil { plain[name] = value }
                continue
            }
            let base = String(name[..<star])
            let rest = name[name.index(after: star)...]
            if rest.isEmpty {
                extended[base, default: [:]][0] = (value, true)
            } else {
                let encoded = rest.hasSuffix("*")
                guard let index = Int(encoded ? rest.dropLast() : rest), index >= 0, index < 1000 else { continue }
                extended[base, default: [:]][index] = (value, encoded)
            }
        }
        for (base, segments) in extended {
            if let value = joinExtended(segments) { plain[base] = value }
        }
        return plain
    }

    /// Joins RFC 2231 segments in order (stopping at a gap) and decodes them with the charset of segment 0.
    private static func joinExtended(_ segments: [Int: (value: String, encoded: Bool)]) -> String? {
        var bytes: [UInt8] = []
        var charset = "us-ascii"
        var index = 0
        while let segment = segments[index] {
            var value = segment.value
            if segment.encoded {
                if index == 0 {
                    let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                    if parts.count == 3 {
                        charset = parts[0].isEmpty ? "us-ascii" : String(parts[0])
                        value = String(parts[2])
                    }
                }
                bytes += percentDecode(value)
            } else {
                bytes += Array(value.utf8)
            }
            index += 1
        }
        guard index > 0 else { return nil }
        return Charset.decode(bytes, charset: charset) ?? ASCII.string(bytes)
    }

    private static func percentDecode(_ text: String) -> [UInt8] {
        let raw = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < raw.count {
            if raw[index] == 0x25, index + 2 < raw.count, let high = ASCII.hexValue(raw[index + 1]),
                let low = ASCII.hexValue(raw[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(raw[index])
                index += 1
            }
        }
        return output
    }

    /// Splits into (name, value) pairs.
    private static func rawPairs(_ text: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func skipSpaceAndComments() {
            while index < scalars.count {
                if ASCII.isWhitespace(scalars[index]) {
                    index += 1
                } else if scalars[index] == "(" {
                    var depth = 0
                    while index < scalars.count {
                        if scalars[index] == "\\" {
                            index += 2
                            continue
                        }
                        if scalars[index] == "(" { depth += 1 }
                        if scalars[index] == ")" { depth -= 1 }
                        index += 1
                        if depth == 0 { break }
                    }
                } else {
                    return
                }
            }
        }
        while index < scalars.count {
            skipSpaceAndComments()
            if index < scalars.count, scalars[index] == ";" {
                index += 1
                continue
            }
            var name = String.UnicodeScalarView()
            while index < scalars.count, scalars[index] != "=", scalars[index] != ";", !ASCII.isWhitespace(scalars[index]) {
                name.append(scalars[index])
                index += 1
            }
            skipSpaceAndComments()
            guard index < scalars.count, scalars[index] == "=" else {
                while index < scalars.count, scalars[index] != ";" { index += 1 }
                continue
            }
            index += 1
            skipSpaceAndComments()
            var value = String.UnicodeScalarView()
            if index < scalars.count, scalars[index] == "\"" {
                index += 1
                while index < scalars.count, scalars[index] != "\"" {
                    if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                    if scalars[index] != "\r" && scalars[index] != "\n" { value.append(scalars[index]) }
                    index += 1
                }
                index += 1
                while index < scalars.count, scalars[index] != ";" { index += 1 }
            } else {
                while index < scalars.count, scalars[index] != ";" {
                    value.append(scalars[index])
                    index += 1
                }
                value = ASCII.trimmed(String(value)).unicodeScalars
            }
            if !name.isEmpty { pairs.append((String(name), String(value))) }
        }
        return pairs
    }

    /// Renders one parameter as `; name=value` pieces: a token, a quoted string, or RFC 2231
    /// `name*=utf-8''…` (split into `name*0*`, `name*1*`, … continuations when long) for non-ASCII text.
    static func render(name: String, value: String) -> String {
        let clean = HeaderFieldWriter.sanitize(value)
        if ASCII.isASCII(clean.utf8), clean.utf8.count <= 60 {
            if isToken(clean) { return "; \(name)=\(clean)" }
            var quoted = "\""
            for scalar in clean.unicodeScalars {
                if scalar == "\"" || scalar == "\\" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(scalar)
            }
            return "; \(name)=\(quoted)\""
        }
        var encoded: [String] = []
        for byte in clean.utf8 {
            let scalar = Unicode.Scalar(byte)
            let isAttributeChar =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || "!#$&+-.^_`|~".unicodeScalars.contains(scalar)
            encoded.append(
                isAttributeChar
                    ? String(scalar)
                    : "%" + String(Unicode.Scalar(ASCII.hexDigits[Int(byte >> 4)]))
                        + String(Unicode.Scalar(ASCII.hexDigits[Int(byte & 0x0F)])))
        }
        let prefix = "utf-8''"
        if prefix.count + encoded.joined().count <= 60 { return "; \(name)*=\(prefix)\(encoded.joined())" }
        var segments: [String] = []
        var current = prefix
        for piece in encoded {
            if current.count + piece.count > 60 {
                segments.append(current)
                current = ""
            }
            current += piece
        }
        segments.append(current)
        return segments.enumerated().map { "; \(name)*\($0.offset)*=\($0.element)" }.joined()
    }
}
