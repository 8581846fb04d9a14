import Crypto
import Foundation
import Testing

@testable import Switchboard

@Suite struct CryptoTests {
    /// Blind indexes are stored, so their definition never changes: HMAC-SHA256 under the key derived for them, over
    /// the kind, a zero byte and the normalized value (a phone number's ASCII digits after `+`, an email address
    /// trimmed and lowercased).
    @Test func blindIndexesKeepTheirDefinition() {
        let dataKey = SymmetricKey(data: Data((0..<32).map { UInt8($0) }))
        let resource = UUID(uuidString: "6F2A1C3E-0B4D-4E5F-8A9B-1C2D3E4F5A6B")!
        let crypto = ResourceCrypto(dataKey: dataKey, resourceID: resource)
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: dataKey, salt: Data("switchboard:\(resource.uuidString.lowercased())".utf8), info: Data("blind-index-v1".utf8),
            outputByteCount: 32)
        func reference(_ normalized: String, _ kind: BlindIndexKind) -> Data {
            Data(HMAC<SHA256>.authenticationCode(for: Data(kind.rawValue.utf8) + [0] + Data(normalized.utf8), using: key))
        }
        let cases: [(String, BlindIndexKind, String)] = [
            ("+1 (425) 555-0101", .phoneNumber, "+14255550101"), ("14255550101", .phoneNumber, "+14255550101"),
            ("+٤٢٥5550101", .phoneNumber, "+5550101"), ("+1\u{301}4255550101", .phoneNumber, "+4255550101"),
            ("  Ivy@Example.COM ", .emailAddress, "ivy@example.com"), ("Ünïcode@Example.com", .emailAddress, "ünïcode@example.com"),
            ("custom-42", .customID, "custom-42"), ("8:acs:abc", .communicationUser, "8:acs:abc"),
        ]
        for (value, kind, normalized) in cases {
            #expect(kind.normalize(value) == normalized, "\(value)")
            #expect(crypto.blindIndex(value, kind: kind) == reference(normalized, kind), "\(value)")
        }
    }

    let resource = UUID()
    let dataKey = SymmetricKey(size: .bits256)

    @Test func sealedFieldsOpenOnlyForTheSameFieldAndResource() throws {
        let crypto = ResourceCrypto(dataKey: dataKey, resourceID: resource)
        let field = PersonalField(rawValue: "identities.custom_id")
        let sealed = try crypto.seal("alice@example.com", field: field)
        #expect(try crypto.open(sealed, field: field) == "alice@example.com")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("alice"))
        #expect(throws: CryptoFailure.authenticationFailed) {
            try crypto.open(sealed, field: PersonalField(rawValue: "chat.topic"))
        }
        let otherResource = ResourceCrypto(dataKey: dataKey, resourceID: UUID())
        #expect(throws: CryptoFailure.authenticationFailed) { try otherResource.open(sealed, field: field) }
        let otherKey = ResourceCrypto(dataKey: SymmetricKey(size: .bits256), resourceID: resource)
        #expect(throws: CryptoFailure.authenticationFailed) { try otherKey.open(sealed, field: field) }
    }

    @Test func sealingTheSameValueTwiceGivesDifferentCiphertexts() throws {
        let crypto = ResourceCrypto(dataKey: dataKey, resourceID: resource)
        let field = PersonalField(rawValue: "x")
        #expect(try crypto.seal("same", field: field) != crypto.seal("same", field: field))
    }

    @Test func tamperedCiphertextDoesNotOpen() throws {
        let crypto = ResourceCrypto(dataKey: dataKey, resourceID: resource)
        let field = PersonalField(rawValue: "x")
        var sealed = try crypto.seal("value", field: field)
        sealed[sealed.count - 1] ^= 1
        #expect(throws: CryptoFailure.authenticationFailed) { try crypto.open(sealed, field: field) }
    }

    @Test func blindIndexesMatchNormalisedSpellingsWithinOneResourceOnly() {
        let crypto = ResourceCrypto(dataKey: dataKey, resourceID: resource)
        #expect(crypto.blindIndex("Alice@Example.com ", kind: .emailAddress) == crypto.blindIndex("alice@example.com", kind: .emailAddress))
        #expect(crypto.blindIndex("+1 (425) 555-0123", kind: .phoneNumber) == crypto.blindIndex("+14255550123", kind: .phoneNumber))
        #expect(crypto.blindIndex("a@b.c", kind: .emailAddress) != crypto.blindIndex("a@b.c", kind: .customID))
        let other = ResourceCrypto(dataKey: dataKey, resourceID: UUID())
        #expect(crypto.blindIndex("a@b.c", kind: .emailAddress) != other.blindIndex("a@b.c", kind: .emailAddress))
    }

    @Test func masterKeyWrapsKeysForOnePurposeOfOneResource() throws {
        let master = MasterKey.generate()
        let secret = SymmetricKey(size: .bits256)
        let sealed = try master.wrap(secret, purpose: .dataKey, resourceID: resource)
        #expect(try master.unwrap(sealed, purpose: .dataKey, resourceID: resource) == secret)
        #expect(throws: CryptoFailure.authenticationFailed) {
            try master.unwrap(sealed, purpose: .primaryAccessKey, resourceID: resource)
        }
        #expect(throws: CryptoFailure.authenticationFailed) {
            try master.unwrap(sealed, purpose: .dataKey, resourceID: UUID())
        }
        #expect(throws: CryptoFailure.authenticationFailed) {
            try MasterKey.generate().unwrap(sealed, purpose: .dataKey, resourceID: resource)
        }
    }

    @Test func masterKeysRoundTripThroughBase64AndRejectWrongLengths() throws {
        let master = MasterKey.generate()
        #expect(try MasterKey(base64: master.base64 + "\n").checkValue == master.checkValue)
        #expect(throws: CryptoFailure.invalidKeyLength) { try MasterKey(base64: Data(count: 16).base64EncodedString()) }
        #expect(throws: CryptoFailure.invalidKeyEncoding) { try MasterKey(base64: "not base64!") }
    }
}
