/// A MIME entity being rendered: a leaf with its encoded body, or a multipart whose boundary is
/// chosen when it is rendered.
struct MIMEEntity {
    enum Content {
        case leaf(transferEncoding: String, body: [UInt8])
        case multipart(parts: [MIMEEntity])
    }

    /// `type/subtype` and rendered parameters (`; charset=utf-8`), without a boundary.
    var contentType: String
    /// Further rendered header fields (Content-Disposition, Content-ID), each ending in CRLF.
    var extraHeaders: [[UInt8]] = []
    var content: Content

    /// Header fields, a blank line and the body.
    func render() -> [UInt8] {
        var output: [UInt8] = []
        switch content {
        case .leaf(let transferEncoding, let body):
            output += HeaderFieldWriter.field(name: "Content-Type", value: contentType)
            output += HeaderFieldWriter.field(name: "Content-Transfer-Encoding", value: transferEncoding)
            for header in extraHeaders { output += header }
            output += ASCII.crlf
            output += body
        case .multipart(let parts):
            let rendered = parts.map { $0.render() }
            let boundary = Self.makeBoundary(avoiding: rendered)
            output += HeaderFieldWriter.field(name: "Content-Type", value: contentType + "; boundary=\"\(boundary)\"")
            for header in extraHeaders { output += header }
            output += ASCII.crlf
            let delimiter = Array("--\(boundary)".utf8)
            for (index, part) in rendered.enumerated() {
                if index > 0 { output += ASCII.crlf }
                output += delimiter + ASCII.crlf
                output += part
            }
            output += ASCII.crlf + delimiter + Array("--".utf8) + ASCII.crlf
        }
        return output
    }

    /// A boundary of 128 random bits after `=_`, a prefix that quoted-printable and base64 output
    /// cannot contain; it is also checked against every part so it never occurs in the content.
    static func makeBoundary(avoiding parts: [[UInt8]]) -> String {
        while true {
            let boundary = "=_" + ASCII.randomHex(octets: 16)
            let needle = Array(boundary.utf8)
            if !parts.contains(where: { ASCII.contains($0, needle) }) { return boundary }
        }
    }
}

/// Builds the MIME structure of a ``MailMessage``.
enum MIMEEntityBuilder {
    static func body(plainText: String?, html: String?, attachments: [MailAttachment]) -> MIMEEntity {
        var main: MIMEEntity
        switch (plainText, html) {
        case (let plain?, let html?):
            main = MIMEEntity(
                contentType: "multipart/alternative",
                content: .multipart(parts: [text(plain, subtype: "plain"), text(html, subtype: "html")]))
        case (nil, let html?):
            main = text(html, subtype: "html")
        case (let plain, nil):
            main = text(plain ?? "", subtype: "plain")
        }
        let inline = attachments.filter(\.isInline)
        if !inline.isEmpty {
            let rootType = main.contentType.prefix { $0 != ";" }
            main = MIMEEntity(
                contentType: "multipart/related" + MIMEParameters.render(name: "type", value: String(rootType)),
                content: .multipart(parts: [main] + inline.map(attachment)))
        }
        let files = attachments.filter { !$0.isInline }
        if !files.isEmpty {
            main = MIMEEntity(contentType: "multipart/mixed", content: .multipart(parts: [main] + files.map(attachment)))
        }
        return main
    }

    /// A UTF-8 text part: 7bit when it is ASCII with short lines, quoted-printable otherwise.
    static func text(_ text: String, subtype: String) -> MIMEEntity {
        let bytes = ASCII.normalizingLineEndings(Array(text.utf8))
        let lines = ASCII.lines(bytes[...]).lines
        let plainASCII = bytes.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == ASCII.tab || $0 == ASCII.cr || $0 == ASCII.lf }
        let sevenBit = plainASCII && lines.allSatisfy { $0.count <= 76 }
        return MIMEEntity(
            contentType: "text/\(subtype); charset=utf-8",
            content: .leaf(transferEncoding: sevenBit ? "7bit" : "quoted-printable", body: sevenBit ? bytes : QuotedPrintable.encode(bytes)))
    }

    /// A base64 attachment or inline part.
    static func attachment(_ file: MailAttachment) -> MIMEEntity {
        var mimeType = "application/octet-stream"
        if let parsed = MIMEContentType(parsing: HeaderFieldWriter.sanitize(file.contentType)) {
            mimeType = parsed.mimeType
        }
        var headers: [[UInt8]] = []
        let disposition = file.isInline ? "inline" : "attachment"
        headers.append(
            HeaderFieldWriter.field(name: "Content-Disposition", value: disposition + MIMEParameters.render(name: "filename", value: file.name)))
        if let contentID = file.contentID {
            let id = HeaderFieldWriter.sanitize(contentID).filter { $0 != "<" && $0 != ">" && $0 != " " }
            headers.append(HeaderFieldWriter.field(name: "Content-ID", value: "<\(id)>"))
        }
        return MIMEEntity(
            contentType: mimeType + MIMEParameters.render(name: "name", value: file.name), extraHeaders: headers,
            content: .leaf(transferEncoding: "base64", body: Base64Lines.encode(file.data)))
    }
}
