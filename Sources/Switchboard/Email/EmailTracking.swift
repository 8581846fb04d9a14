import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// User engagement tracking, as ACS does it for HTML email unless a send sets `userEngagementTrackingDisabled`: each
/// copy's HTML gets a 1×1 image (`/-/t/o/TOKEN`) and its `http(s)` links are rewritten through `/-/t/c/TOKEN`. Loading
/// the image is a `view`, following a link a `click` (with the link as `engagementContext`); each becomes a
/// `Microsoft.Communication.EmailEngagementTrackingReportReceived` event.
///
/// A token is the resource's id followed by the operation, recipient and (for a link) its target sealed with the
/// resource's key: it cannot be forged or altered, so the click endpoint redirects only to links the sender wrote —
/// never an open redirect — and reveals nothing of the recipient.
enum EmailTracking {
    static let field = PersonalField(rawValue: "email.tracking")

    struct Claims: Codable {
        /// The operation.
        let o: String
        /// The recipient's position in it.
        let s: Int
        /// A link's target (clicks only).
        let u: String?
    }

    static func token(_ claims: Claims, resource: ResourceHandle) throws -> String {
        var bytes = withUnsafeBytes(of: resource.id.uuid) { Data($0) }
        bytes.append(try resource.crypto.seal(data: try JSONEncoder().encode(claims), field: field))
        return Base64URL.encode(bytes)
    }

    static func open(_ token: String, resources: ResourceRegistry) async throws -> (ResourceHandle, Claims)? {
        guard token.count <= 8192, let data = Base64URL.decode(token), data.count > 16 else { return nil }
        let uuid = data.prefix(16).withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
        guard let resource = try await resources.handle(id: uuid),
            let opened = try? resource.crypto.open(data: Data(data.dropFirst(16)), field: field),
            let claims = try? JSONDecoder().decode(Claims.self, from: opened)
        else { return nil }
        return (resource, claims)
    }

    /// `html` with its links rewritten and the image added, for one recipient's copy.
    static func instrument(_ html: String, operation: String, seq: Int, linkBase: String, resource: ResourceHandle) throws -> String {
        var result = ""
        result.reserveCapacity(html.utf8.count + 512)
        let bytes = Array(html.utf8)
        var copied = 0
        var index = 0
        // `href="http…"` or `href='http…'` in any tag, the name in any case and spaces around `=`; other schemes
        // (mailto:, the unsubscribe link's own) stay. A hand-written scan: it runs for every copy of every message.
        while let link = nextLink(in: bytes, from: index) {
            result += String(decoding: bytes[copied..<link.start], as: UTF8.self)
            let target = String(decoding: bytes[link.target], as: UTF8.self).replacingOccurrences(of: "&amp;", with: "&")
            if target.hasPrefix(linkBase + "/-/") {
                result += String(decoding: bytes[link.start..<link.end], as: UTF8.self)
            } else {
                let quote = String(UnicodeScalar(link.quote))
                let token = try token(Claims(o: operation, s: seq, u: target), resource: resource)
                result += "href=\(quote)\(linkBase)/-/t/c/\(token)\(quote)"
            }
            copied = link.end
            index = link.end
        }
        result += String(decoding: bytes[copied...], as: UTF8.self)
        let pixel = try token(Claims(o: operation, s: seq, u: nil), resource: resource)
        let image = #"<img src="\#(linkBase)/-/t/o/\#(pixel)" width="1" height="1" alt="" style="display:none">"#
        if let body = result.range(of: "</body>", options: [.caseInsensitive, .backwards]) {
            result.insert(contentsOf: image, at: body.lowerBound)
        } else {
            result += image
        }
        return result
    }
}

extension EmailTracking {
    /// A link attribute found by ``nextLink(in:from:)``: the whole `href=…` from `start` to `end` (after its closing
    /// quote), the URL's bytes and the quote.
    struct Link {
        let start: Int
        let end: Int
        let target: Range<Int>
        let quote: UInt8
    }

    /// The next `href\s*=\s*(["'])(https?://[^"'<>\s]+)\1` at or after `from`, `href` and the scheme in any case.
    static func nextLink(in bytes: [UInt8], from: Int) -> Link? {
        func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        let href: [UInt8] = Array("href".utf8)
        var index = from
        while index + href.count <= bytes.count {
            defer { index += 1 }
            guard lower(bytes[index]) == href[0], lower(bytes[index + 1]) == href[1], lower(bytes[index + 2]) == href[2],
                lower(bytes[index + 3]) == href[3]
            else { continue }
            var cursor = index + 4
            while cursor < bytes.count, isSpace(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "=") else { continue }
            cursor += 1
            while cursor < bytes.count, isSpace(bytes[cursor]) { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") || bytes[cursor] == UInt8(ascii: "'") else { continue }
            let quote = bytes[cursor]
            let start = cursor + 1
            var end = start
            while end < bytes.count {
                let byte = bytes[end]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || isSpace(byte)
                {
                    break
                }
                end += 1
            }
            guard end < bytes.count, bytes[end] == quote else { continue }
            let scheme = bytes[start..<min(end, start + 8)].map(lower)
            let http = Array("http://".utf8)
            let https = Array("https://".utf8)
            let schemeLength = scheme.starts(with: https) ? https.count : scheme.starts(with: http) ? http.count : 0
            guard schemeLength > 0, end - start > schemeLength else { continue }
            return Link(start: index, end: end + 1, target: start..<end, quote: quote)
        }
        return nil
    }
}

/// The engagement endpoints, under `/-/t/`: public, since the token is the credential.
struct EmailTrackingRoutes: Sendable {
    let email: EmailService
    let resources: ResourceRegistry

    /// A transparent 1×1 GIF.
    static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    var routes: [SystemRoute] {
        [
            SystemRoute(.get, "/t/o/{token}", auth: NoCredentials(), handler: view),
            SystemRoute(.get, "/t/c/{token}", auth: NoCredentials(), handler: click),
        ]
    }

    @Sendable func view(_ request: SystemRequest) async throws -> Response {
        if let (resource, claims) = try await EmailTracking.open(request.parameter("token"), resources: resources), claims.u == nil {
            try await email.recordEngagement(
                .view, operation: claims.o, seq: claims.s, context: nil, userAgent: request.headers[.userAgent], in: resource)
        }
        // The image whatever the token: a mail client shows nothing broken, and a prober learns nothing.
        var headers = HTTPFields()
        headers[.contentType] = "image/gif"
        headers[.cacheControl] = "no-store, max-age=0"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Self.pixel)))
    }

    @Sendable func click(_ request: SystemRequest) async throws -> Response {
        guard let (resource, claims) = try await EmailTracking.open(request.parameter("token"), resources: resources), let target = claims.u
        else {
            return PolicyAPI.page(status: .notFound, title: "Link not valid", body: "<p>This link is not valid.</p>")
        }
        try await email.recordEngagement(
            .click, operation: claims.o, seq: claims.s, context: target, userAgent: request.headers[.userAgent], in: resource)
        var headers = HTTPFields()
        headers[.location] = target
        headers[.cacheControl] = "no-store"
        return Response(status: .found, headers: headers)
    }
}
