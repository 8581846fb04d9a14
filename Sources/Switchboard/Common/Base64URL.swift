import Foundation

/// base64url without padding (RFC 4648 §5), the form of every token and identifier Switchboard puts in a URL or a
/// JOSE object: unsubscribe tokens, continuation tokens, webhook secrets, receipts.
enum Base64URL {
    static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of `text`, with or without padding; `nil` if it has characters outside the alphabet.
    static func decode(_ text: some StringProtocol) -> Data? {
        let unpadded = text.reversed().drop { $0 == "=" }.reversed()
        guard unpadded.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = String(unpadded).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
