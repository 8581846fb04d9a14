/// Parses message octets, as received or as rendered, into header fields and a MIME tree.
///
/// Parsing never fails and never traps: malformed structure yields the best reading it can
/// (a multipart without a usable boundary becomes a leaf, a truncated multipart keeps the parts
/// it has), and nesting and part counts are capped so hostile input cannot exhaust the stack or memory.
public enum MailParser {
    /// Multipart nesting deeper than this is not descended into (the part is kept as a leaf).
    public static let maximumDepth = 32
    /// At most this many MIME parts are parsed in one message; later ones are dropped.
    public static let maximumParts = 1000

    /// Parses a whole message.
    public static func parse(_ bytes: [UInt8]) -> ParsedMailMessage {
        var budget = maximumParts
        let root = parsePart(bytes[...], depth: 0, defaultType: .defaultText, budget: &budget)
        return ParsedMailMessage(root: root)
    }

    /// Parses just a header section (such as a `text/rfc822-headers` part) into unfolded fields.
    public static func parseHeaders(_ bytes: [UInt8]) -> [MailHeaderField] {
        let slice = bytes[...]
        return RawMessage.split(slice).fields.map { MailHeaderField(name: $0.name, value: RawMessage.value(of: $0, in: slice)) }
    }

    static func parsePart(_ bytes: ArraySlice<UInt8>, depth: Int, defaultType: MIMEContentType, budget: inout Int)
        -> ParsedMailPart
    {
        budget -= 1
        let (rawFields, body) = RawMessage.split(bytes)
        let headers = rawFields.map { MailHeaderField(name: $0.name, value: RawMessage.value(of: $0, in: bytes)) }
        let contentType = headers.value("Content-Type").flatMap { MIMEContentType(parsing: $0) } ?? defaultType
        let encoding = ASCII.lowercased(ASCII.trimmed(headers.value("Content-Transfer-Encoding") ?? "7bit"))
        var part = ParsedMailPart(headers: headers, contentType: contentType, contentTransferEncoding: encoding)

        if contentType.isMultipart, depth < maximumDepth, let boundary = contentType.parameters["boundary"], !boundary.isEmpty,
            let sections = splitMultipart(body, boundary: Array(boundary.utf8))
        {
            let childDefault =
                contentType.subtype == "digest" ? MIMEContentType(type: "message", subtype: "rfc822") : MIMEContentType.defaultText
            for section in sections {
                guard budget > 0 else { break }
                part.children.append(parsePart(section, depth: depth + 1, defaultType: childDefault, budget: &budget))
            }
            return part
        }
        switch encoding {
        case "base64": part.decodedBody = Base64Lines.decode(body)
        case "quoted-printable": part.decodedBody = QuotedPrintable.decode(body)
        default: part.decodedBody = Array(body)
        }
        if contentType.type == "text" {
            part.text = Charset.decode(part.decodedBody, charset: contentType.charset ?? "us-ascii") ?? ASCII.string(part.decodedBody)
        }
        return part
    }

    /// The body parts between `--boundary` delimiter lines (the line end before a delimiter belongs
    /// to it); nil when no delimiter is found. Preamble and epilogue are dropped; a missing close
    /// delimiter ends the last part at the end of the input.
    static func splitMultipart(_ body: ArraySlice<UInt8>, boundary: [UInt8]) -> [ArraySlice<UInt8>]? {
        let delimiter: [UInt8] = [0x2D, 0x2D] + boundary
        var sections: [ArraySlice<UInt8>] = []
        var partStart: Int?
        var index = body.startIndex
        while index < body.endIndex {
            var lineEnd = index
            while lineEnd < body.endIndex, body[lineEnd] != ASCII.lf { lineEnd += 1 }
            let next = lineEnd < body.endIndex ? lineEnd + 1 : lineEnd
            let line = body[index..<lineEnd]
            if line.starts(with: delimiter) {
                var rest = line.dropFirst(delimiter.count)
                let isClose = rest.starts(with: [0x2D, 0x2D])
                if isClose { rest = rest.dropFirst(2) }
                if rest.allSatisfy({ ASCII.isWSP($0) || $0 == ASCII.cr }) {
                    if let start = partStart {
                        var end = index
                        if end > start, body[end - 1] == ASCII.lf { end -= 1 }
                        if end > start, body[end - 1] == ASCII.cr { end -= 1 }
                        sections.append(body[start..<max(start, end)])
                    }
                    if isClose { return sections }
                    partStart = next
                }
            }
            index = next
        }
        guard let start = partStart else { return nil }
        sections.append(body[start..<body.endIndex])
        return sections
    }
}
