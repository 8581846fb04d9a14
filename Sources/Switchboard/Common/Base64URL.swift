import Foundation

/// base64url without padding (RFC 4648 §5), the form of every token and identifier Switchboard puts in a URL or a
/// JOSE object: unsubscribe tokens, continuation tokens, webhook secrets, receipts.
enum Base64URL {
    static func encode(_ data: some DataProtocol) -> String {
        // Mapped byte by byte: tokens are made for every copy of every email (unsubscribe and tracking links).
        let base64 = Data(data).base64EncodedData()
        var encoded = [UInt8]()
        encoded.reserveCapacity(base64.count)
        for byte in base64 {
            switch byte {
            case UInt8(ascii: "+"): encoded.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): encoded.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: encoded.append(byte)
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    /// The bytes of `text`, with or without padding; `nil` if it has characters outside the alphabet.
    static func decode(_ text: some StringProtocol) -> Data? {
        var base64 = [UInt8]()
        base64.reserveCapacity(text.utf8.count + 3)
        var padding = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "="): padding = true
            // Nothing but padding after padding.
            case _ where padding: return nil
            case UInt8(ascii: "-"): base64.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): base64.append(UInt8(ascii: "/"))
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                base64.append(byte)
            default: return nil
            }
        }
        base64.append(contentsOf: repeatElement(UInt8(ascii: "="), count: (4 - base64.count % 4) % 4))
        return Data(base64Encoded: Data(base64))
    }
}
