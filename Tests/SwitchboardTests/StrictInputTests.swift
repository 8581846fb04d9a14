import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import Switchboard

/// Loose input is refused through the one parsing path: impossible dates and offsets, digits of other scripts,
/// out-of-range values that are not silently ignored.
@Suite struct StrictInputTests {
    @Test func impossibleDatesAndOffsetsAreNotDates() {
        #expect(APIDate.parse("2026-02-30T00:00:00Z") == nil)
        #expect(APIDate.parse("2026-04-31T00:00:00Z") == nil)
        #expect(APIDate.parse("2025-02-29T00:00:00Z") == nil)
        #expect(APIDate.parse("2024-02-29T00:00:00Z") != nil, "a leap day")
        #expect(APIDate.parse("2000-02-29T00:00:00Z") != nil, "a leap day of a 400-year")
        #expect(APIDate.parse("1900-02-29T00:00:00Z") == nil, "1900 was no leap year")
        #expect(APIDate.parse("2026-01-01T00:00:00+99:99") == nil)
        #expect(APIDate.parse("2026-01-01T00:00:00+24:00") == nil)
        #expect(APIDate.parse("2026-01-01T00:00:00+05:60") == nil)
        #expect(APIDate.parse("2026-01-01T00:00:00-23:59") != nil)
    }

    @Test func integersAreASCIIDigitsAndAHugeOneIsOutOfRangeNotAbsent() {
        #expect(Paging.digits("42") == 42)
        #expect(Paging.digits("٣") == nil)
        #expect(Paging.digits("+3") == nil)
        #expect(Paging.digits("-3") == nil)
        #expect(Paging.digits("") == nil)
        #expect(Paging.digits("99999999999999999999999") == Int.max)
    }

    @Test func looseQueryValuesAre400sNamingTheField() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            let user = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                let events = "api-version=2022-06-15"
                for (query, code, target) in [
                    ("hours=99999999999999999999", "InvalidHours", "hours"),
                    ("hours=٣", "InvalidHours", "hours"),
                    ("hours=0", "InvalidHours", "hours"),
                    ("since=2026-02-30T00:00:00Z", "InvalidDateTime", "since"),
                    ("since=2026-01-01T00:00:00%2B99:99", "InvalidDateTime", "since"),
                    ("maxPageSize=%D9%A3", "InvalidPageSize", "maxPageSize"),
                ] {
                    let response = try await dev.send(client, .get, "/events?\(query)&\(events)")
                    #expect(response.status == .badRequest, "\(query) → \(response.status)")
                    #expect(response.errorCode == code && (response.json["error"] as? [String: Any])?["target"] as? String == target, "\(query)")
                }
                let summary = try await dev.send(client, .get, "/messaging/policy/summary?days=99999999999999999999&api-version=2026-12-01")
                #expect(summary.status == .badRequest && (summary.json["error"] as? [String: Any])?["target"] as? String == "days")

                // A skip in another script's digits is no skip, not one past the end.
                let thread = try await user.createThread(client)
                let skip = try await user.send(client, .get, "/chat/threads/\(ChatUser.path(thread))/participants?skip=%D9%A3")
                #expect(skip.status == .badRequest && skip.errorCode == "InvalidSkip")
            }
        }
    }

    @Test func nullWhereAValueMustBeSentIsA400NamingTheField() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                for field in ["createTokenWithScopes", "expiresInMinutes", "customId"] {
                    let response = try await dev.send(client, .post, "/identities?api-version=2025-06-30", json: #"{"\#(field)": null}"#)
                    #expect(response.status == .badRequest, "\(field)")
                    #expect((response.json["error"] as? [String: Any])?["target"] as? String == field)
                }
                // Left out, they are simply absent (what the SDKs send).
                let created = try await dev.send(client, .post, "/identities?api-version=2025-06-30", json: "{}")
                #expect(created.status == .created)
            }
        }
    }
}
