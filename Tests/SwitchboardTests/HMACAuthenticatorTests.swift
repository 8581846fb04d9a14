import Crypto
import Foundation
import Testing

@testable import Switchboard

/// Vectors computed with Python's `hmac` and `hashlib`, independently of this code.
@Suite struct HMACAuthenticatorTests {
    static let key = SymmetricKey(
        data: Data(base64Encoded: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==")!)
    static let otherKey = SymmetricKey(size: .bits256)

    struct Vector: Sendable, CustomTestStringConvertible {
        let method: String
        let signedTarget: String
        let sentTarget: String
        let date: String
        let host: String
        let body: String
        let contentHash: String
        let signature: String
        var testDescription: String { "\(method) \(signedTarget)" }
    }

    static let vectors = [
        Vector(
            method: "POST", signedTarget: "/dev/identities?api-version=2023-10-01",
            sentTarget: "/dev/identities?api-version=2023-10-01", date: "Sat, 21 Nov 2026 11:33:57 GMT",
            host: "127.0.0.1:8443/dev", body: #"{"createTokenWithScopes": ["chat"]}"#,
            contentHash: "kWpGozyV35fifbpKdY8mbdG64VG0Pdq5upzo7YKAFM0=",
            signature: "hY7KgoT+UpRSGtqcgCrzWmRIYvQ7yBIwHc+mHL7R8l4="),
        Vector(
            method: "GET", signedTarget: "/dev/identities/8%3Aacs%3Aabc_def?api-version=2025-06-30",
            sentTarget: "/dev/identities/8%3Aacs%3Aabc_def?api-version=2025-06-30", date: "Sat, 21 Nov 2026 11:33:57 GMT",
            host: "localhost:8443/dev", body: "", contentHash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            signature: "Y6p9K8Lc3HT7UFuHW2ELm7YmW9WSyBExGFMfPcQbELM="),
        // Signed over the decoded path (as Rooms and the async clients do), sent encoded.
        Vector(
            method: "DELETE", signedTarget: "/contoso/identities/8:acs:abc_def?api-version=2023-10-01",
            sentTarget: "/contoso/identities/8%3Aacs%3Aabc_def?api-version=2023-10-01", date: "Tue, 26 Mar 2019 16:06:51 GMT",
            host: "localhost/contoso", body: "", contentHash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            signature: "W61QGcx/ugtT6EbERfsG0d3tYDcPsdx9xllTACiQ/SA="),
    ]

    func request(_ vector: Vector, hosts: [String]? = nil, body: String? = nil, signature: String? = nil)
        -> HMACAuthenticator.SignedRequest
    {
        HMACAuthenticator.SignedRequest(
            method: vector.method, target: vector.sentTarget, hosts: hosts ?? ["other:1/x", vector.host],
            authorization: "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=\(signature ?? vector.signature)",
            date: vector.date, contentHash: vector.contentHash, body: Array((body ?? vector.body).utf8))
    }

    func now(_ vector: Vector) -> Date { HTTPDate.parse(vector.date)! }

    @Test(arguments: vectors)
    func requestsSignedAsTheSDKsSignAreAccepted(vector: Vector) throws {
        try HMACAuthenticator().authenticate(request(vector), keys: [Self.otherKey, Self.key], now: now(vector))
    }

    @Test(arguments: vectors)
    func aDifferentKeyIsRefused(vector: Vector) {
        #expect(throws: AuthenticationFailure.signatureMismatch) {
            try HMACAuthenticator().authenticate(request(vector), keys: [Self.otherKey], now: now(vector))
        }
    }

    @Test(arguments: vectors)
    func aSignatureForAnotherHostIsRefused(vector: Vector) {
        #expect(throws: AuthenticationFailure.signatureMismatch) {
            try HMACAuthenticator().authenticate(
                request(vector, hosts: ["127.0.0.1:8443/other"]), keys: [Self.key], now: now(vector))
        }
    }

    @Test func aBodyThatDoesNotMatchItsHashIsRefused() {
        let vector = Self.vectors[0]
        #expect(throws: AuthenticationFailure.contentHashMismatch) {
            try HMACAuthenticator().authenticate(
                request(vector, body: #"{"createTokenWithScopes": ["voip"]}"#), keys: [Self.key], now: now(vector))
        }
    }

    @Test(arguments: [-16 * 60.0, 16 * 60.0])
    func datesOutsideFifteenMinutesAreRefused(offset: Double) {
        let vector = Self.vectors[0]
        #expect(throws: AuthenticationFailure.dateOutsideWindow) {
            try HMACAuthenticator().authenticate(request(vector), keys: [Self.key], now: now(vector).addingTimeInterval(offset))
        }
    }

    @Test(arguments: [-14 * 60.0, 14 * 60.0])
    func datesWithinFifteenMinutesAreAccepted(offset: Double) throws {
        let vector = Self.vectors[0]
        try HMACAuthenticator().authenticate(request(vector), keys: [Self.key], now: now(vector).addingTimeInterval(offset))
    }

    @Test(arguments: ["Bearer abc", "HMAC-SHA256 Signature=abc", "HMAC-SHA256 SignedHeaders=host&Signature=abc", "Basic xyz"])
    func malformedAuthorizationIsRefused(header: String) {
        let vector = Self.vectors[0]
        var signed = request(vector)
        signed.authorization = header
        #expect(throws: AuthenticationFailure.self) {
            try HMACAuthenticator().authenticate(signed, keys: [Self.key], now: now(vector))
        }
    }

    @Test func rfc1123DatesRoundTrip() {
        let date = Date(timeIntervalSince1970: 1_795_260_837)
        #expect(HTTPDate.format(date) == "Sat, 21 Nov 2026 11:33:57 GMT")
        #expect(HTTPDate.parse("Sat, 21 Nov 2026 11:33:57 GMT") == date)
        #expect(HTTPDate.parse("Tue, 26 Mar 2019 16:06:51 GMT") == Date(timeIntervalSince1970: 1_553_616_411))
        #expect(HTTPDate.parse("2026-11-21T11:33:57Z") == nil)
    }

    @Test func rfc3339DatesParseWithFractionsAndOffsets() {
        #expect(APIDate.parse("2026-11-21T11:33:57Z") == Date(timeIntervalSince1970: 1_795_260_837))
        #expect(APIDate.parse("2026-11-21T11:33:57.250Z") == Date(timeIntervalSince1970: 1_795_260_837.25))
        #expect(APIDate.parse("2026-11-21T12:33:57+01:00") == Date(timeIntervalSince1970: 1_795_260_837))
        #expect(APIDate.parse("2026-11-21") == nil)
        #expect(APIDate.format(Date(timeIntervalSince1970: 1_795_260_837.25)) == "2026-11-21T11:33:57.250Z")
    }
}
