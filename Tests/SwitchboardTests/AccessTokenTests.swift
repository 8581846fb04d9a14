import Crypto
import Foundation
import Testing

@testable import Switchboard

@Suite struct AccessTokenTests {
    let resource = UUID()

    func service(resource: UUID? = nil, key: SymmetricKey = SymmetricKey(size: .bits256)) async -> AccessTokenService {
        await AccessTokenService(resourceID: resource ?? self.resource, geography: .europe, signingKey: key)
    }

    /// What `CommunicationTokenCredential` does: `base64.b64decode(payload + "==")` (standard alphabet).
    func payloadAsThePythonSDKDecodesIt(_ token: String) throws -> [String: Any] {
        let segment = String(token.split(separator: ".")[1])
        #expect(segment.allSatisfy { $0.isLetter || $0.isNumber }, "payload must be plain base64: \(segment)")
        var padded = segment
        while padded.count % 4 != 0 { padded += "=" }
        let data = try #require(Data(base64Encoded: padded))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func tokensCarryTheACSClaimsInAPayloadThePythonSDKAccepts() async throws {
        let tokens = await service()
        let user = UserID(resourceID: resource, userID: UUID())
        let now = Date(timeIntervalSince1970: 1_795_260_837)
        for _ in 0..<200 {
            let issued = try await tokens.issue(
                for: UserID(resourceID: resource, userID: UUID()), scopes: [.chat, .voip], lifetimeMinutes: 60,
                revision: 3, now: now)
            _ = try payloadAsThePythonSDKDecodesIt(issued.token)
        }
        let issued = try await tokens.issue(for: user, scopes: [.chat], lifetimeMinutes: 1440, revision: 0, now: now)
        let claims = try payloadAsThePythonSDKDecodesIt(issued.token)
        #expect(claims["skypeid"] as? String == "acs:\(resource.uuidString.lowercased())_\(user.userID.uuidString.lowercased())")
        #expect(claims["scp"] as? Int == 1792)
        #expect(claims["csi"] as? String == "1795260837")
        #expect(claims["iat"] as? Int == 1_795_260_837)
        #expect(claims["exp"] as? Int == 1_795_260_837 + 86_400)
        #expect(claims["acsScope"] as? String == "chat")
        #expect(claims["resourceId"] as? String == resource.uuidString.lowercased())
        #expect(claims["resourceLocation"] as? String == "europe")
        #expect(issued.expiresOn == now.addingTimeInterval(86_400))
    }

    @Test func tokensVerifyAtTheirResourceOnly() async throws {
        let key = SymmetricKey(size: .bits256)
        let tokens = await service(key: key)
        let issued = try await tokens.issue(
            for: UserID(resourceID: resource, userID: UUID()), scopes: [.chat], lifetimeMinutes: 60, revision: 0, now: Date())
        let claims = try await tokens.verify(issued.token, now: Date())
        #expect(claims.scopes == [.chat])
        // Another resource, even one that somehow shared the key, refuses it.
        await #expect(throws: AuthenticationFailure.invalidToken) {
            try await service(resource: UUID(), key: key).verify(issued.token, now: Date())
        }
        await #expect(throws: AuthenticationFailure.invalidToken) {
            try await service().verify(issued.token, now: Date())
        }
    }

    @Test func expiredAndTamperedTokensAreRefused() async throws {
        let tokens = await service()
        let issued = try await tokens.issue(
            for: UserID(resourceID: resource, userID: UUID()), scopes: [.chat], lifetimeMinutes: 60, revision: 0, now: Date())
        await #expect(throws: AuthenticationFailure.expiredToken) {
            try await tokens.verify(issued.token, now: Date().addingTimeInterval(3601))
        }
        var parts = issued.token.split(separator: ".").map(String.init)
        let forged = try JSONSerialization.data(withJSONObject: [
            "skypeid": "acs:x_y", "scp": 1792, "csi": "1", "exp": 9_999_999_999, "acsScope": "chat", "resourceId": resource.uuidString.lowercased(),
            "resourceLocation": "europe", "iat": 1, "rev": 0,
        ])
        parts[1] = forged.base64EncodedString().replacingOccurrences(of: "=", with: "")
        await #expect(throws: AuthenticationFailure.invalidToken) {
            try await tokens.verify(parts.joined(separator: "."), now: Date())
        }
        await #expect(throws: AuthenticationFailure.invalidToken) { try await tokens.verify("not.a.token", now: Date()) }
    }

    @Test func userIDsHaveExactlyOneUnderscore() {
        let user = UserID(resourceID: resource, userID: UUID())
        #expect(user.rawID.filter { $0 == "_" }.count == 1)
        #expect(UserID(rawID: user.rawID) == user)
        #expect(UserID(rawID: "8:acs:\(resource.uuidString)_\(UUID().uuidString)_extra") == nil)
        #expect(UserID(rawID: "4:+14255550123") == nil)
    }
}
