import Foundation
import Testing

@testable import Switchboard

/// base64url without padding (RFC 4648 §5), checked against Foundation's base64 with the alphabet swapped.
@Suite struct Base64URLTests {
    @Test func encodesAndDecodesEveryLengthAndByte() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let data = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let expected = data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let encoded = Base64URL.encode(data)
            #expect(encoded == expected)
            #expect(Base64URL.decode(encoded) == data)
            // Padding is accepted at the end, and only there.
            let padded = encoded + String(repeating: "=", count: (4 - encoded.count % 4) % 4)
            #expect(Base64URL.decode(padded) == data)
        }
        #expect(Base64URL.decode("+/+/") == nil)
        #expect(Base64URL.decode("QQ=A") == nil)
        #expect(Base64URL.decode("QQ é") == nil)
        #expect(Base64URL.decode("-_-_") == Data([0xFB, 0xFF, 0xBF]))
    }
}
