import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import Switchboard

/// Logs never contain keys, tokens or personal data, even at trace level.
@Suite struct LogHygieneTests {
    final class Capture: Sendable {
        let lines = Mutex<[String]>([])
        var text: String { lines.withLock { $0.joined(separator: "\n") } }
    }

    struct CapturingHandler: LogHandler {
        let capture: Capture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.lines.withLock { $0.append("\(event.level) \(event.message) \(all)") }
        }
    }

    @Test(arguments: TestEngine.available)
    func keysTokensAndPersonalDataNeverReachTheLogs(engine: TestEngine) async throws {
        let capture = Capture()
        let logger = Logger(label: "switchboard") { _ in CapturingHandler(capture: capture) }
        try await TestServer.with(engine: engine, logger: logger) { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            let fixed = [dev.key, dev.secondaryKey, "alice.secret@example.com"]
            let token = try await server.test { client in
                let created = try await dev.send(
                    client, .post, "/identities?api-version=2025-06-30",
                    json: #"{"customId":"alice.secret@example.com","createTokenWithScopes":["chat"]}"#)
                let token = try #require((created.json["accessToken"] as? [String: Any])?["token"] as? String)
                // Failures are logged too: a wrong key, a bad body.
                _ = try await dev.send(client, .post, "/identities?api-version=2025-06-30", key: dev.secondaryKey + "x")
                _ = try await dev.send(
                    client, .post, "/identities?api-version=2025-06-30", json: #"{"customId":"alice.secret@example.com","expiresInMinutes":5}"#)
                var bearer = HTTPFields()
                bearer[.authorization] = "Bearer \(token)x"
                _ = try await client.execute(uri: "/dev/identities?api-version=2025-06-30", method: .post, headers: bearer)
                return token
            }
            let secrets = fixed + [token, String(token.split(separator: ".")[2])]
            let text = capture.text
            #expect(text.contains("request"), "the capture works")
            for secret in secrets {
                #expect(!text.contains(secret), "a secret reached the logs")
            }
        }
    }
}
