import Foundation
import Logging
import NIOCore
import NIOSSL
import SMTP
import Testing

/// Our client against aiosmtpd and our server against Python's smtplib. Run by
/// scripts/smtp-interop/run.sh, which starts the peers and sets the environment; skipped otherwise.
@Suite(.timeLimit(.minutes(2)))
struct InteropTests {
    static let environment = ProcessInfo.processInfo.environment

    /// What aiosmtpd_peer.py wrote for one accepted message.
    struct Stored: Decodable {
        var mail_from: String
        var rcpt_tos: [String]
        var mail_options: [String]
        var content: String
        var tls: Bool
        var authenticated: Bool
        var helo: String?

        var text: String { String(decoding: Data(base64Encoded: content) ?? Data(), as: UTF8.self) }
    }

    @Test(.enabled(if: environment["SMTP_INTEROP_AIOSMTPD"] != nil))
    func clientAgainstAiosmtpd() async throws {
        let address = try #require(Self.environment["SMTP_INTEROP_AIOSMTPD"]).split(separator: ":")
        let caFile = try #require(Self.environment["SMTP_INTEROP_CA"])
        let storedFile = try #require(Self.environment["SMTP_INTEROP_RECEIVED"])
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caFile)
        func configuration(password: String) -> SMTPClientConfiguration {
            SMTPClientConfiguration(
                host: String(address[0]), port: Int(address[1]) ?? 0, tls: .startTLS(required: true), tlsConfiguration: tls,
                serverName: "localhost", clientHostname: "swift.example.test", credentials: SMTPCredentials(username: "user", password: password),
                timeouts: SMTPTimeouts(
                    greeting: .seconds(30), mail: .seconds(30), rcpt: .seconds(30), dataTermination: .seconds(30), command: .seconds(30)))
        }

        let wrong = await #expect(throws: SMTPError.self) {
            try await SMTPConnection.connect(configuration: configuration(password: "wrong"), logger: .test)
        }
        #expect(wrong?.reply?.code == 535)

        let connection = try await SMTPConnection.connect(configuration: configuration(password: "secret"), logger: .test)
        #expect(connection.isTLS)
        #expect(connection.authenticatedUsername == "user")
        #expect(connection.remoteHostname == "aiosmtpd.test")

        let dots = "Subject: dots\r\n\r\n.leading dot\r\n.\r\n..\r\nbare\nLF\r\nlast"
        let first = try await connection.send(
            SMTPEnvelope(reversePath: "sender@example.org", recipients: ["a@example.test", "reject@example.test"]), message: ByteBuffer(string: dots))
        #expect(first.rejectedRecipients.map(\.address) == ["reject@example.test"])
        #expect(first.rejectedRecipients.first?.reply.enhancedStatus == SMTPEnhancedStatus(5, 1, 1))
        #expect(first.data?.code == 250)

        let none = try await connection.send(
            SMTPEnvelope(reversePath: "sender@example.org", recipients: ["reject1@example.test", "reject2@example.test"]),
            message: ByteBuffer(string: "never sent"))
        #expect(none.data == nil)
        #expect(none.rejectedRecipients.count == 2)

        let utf8 = try await connection.send(
            SMTPEnvelope(reversePath: "sénder@example.org", recipients: ["ünï@example.test"], bodyType: .eightBitMIME),
            message: ByteBuffer(string: "Subject: Grüße\r\n\r\nÄÖÜ\r\n"))
        #expect(utf8.messageAccepted)
        await connection.quit()

        let lines = try String(contentsOfFile: storedFile, encoding: .utf8).split(separator: "\n")
        let stored = try lines.map { try JSONDecoder().decode(Stored.self, from: Data($0.utf8)) }
        try #require(stored.count == 2)
        #expect(stored[0].mail_from == "sender@example.org")
        #expect(stored[0].rcpt_tos == ["a@example.test"])
        #expect(stored[0].text == "Subject: dots\r\n\r\n.leading dot\r\n.\r\n..\r\nbare\r\nLF\r\nlast\r\n")
        #expect(stored[0].tls && stored[0].authenticated)
        #expect(stored[0].helo == "swift.example.test")
        #expect(stored[0].mail_options.contains { $0.uppercased().hasPrefix("SIZE=") })
        #expect(stored[1].mail_from == "sénder@example.org")
        #expect(stored[1].rcpt_tos == ["ünï@example.test"])
        #expect(Set(stored[1].mail_options.map { $0.uppercased() }).isSuperset(of: ["BODY=8BITMIME", "SMTPUTF8"]))
        #expect(stored[1].text == "Subject: Grüße\r\n\r\nÄÖÜ\r\n")
    }

    @Test(.enabled(if: environment["SMTP_INTEROP_SMTPLIB"] != nil))
    func serverAgainstSmtplib() async throws {
        let python = try #require(Self.environment["SMTP_INTEROP_PYTHON"])
        let script = try #require(Self.environment["SMTP_INTEROP_SMTPLIB"])
        let certificates = try TestCertificates()
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-interop-ca-\(UUID().uuidString).pem")
        try certificates.caPEM.write(to: caFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: caFile) }

        let delegate = RecordingDelegate()
        let server = try await SMTPServer.start(
            configuration: .test(
                tlsConfiguration: certificates.serverTLS, requireTLS: true, authenticator: testAuthenticator, requireAuthentication: true),
            delegate: delegate, logger: .test)
        let (status, output) = try await Self.run(python, [script, "--port", "\(server.port)", "--cafile", caFile.path])
        await server.shutdown()
        #expect(status == 0, "\(output)")
        #expect(output.contains("smtplib: every check passed"), "\(output)")

        let messages = delegate.messages
        try #require(messages.count == 3)
        #expect(messages[0].envelope.reversePath == "sender@example.org")
        #expect(messages[0].envelope.recipients == ["a@example.test"])
        #expect(messages[0].content == "Subject: dots\r\n\r\n.leading dot\r\n.\r\n..\r\nlast\r\n")
        #expect(messages[0].session.isTLS && messages[0].session.authenticatedUsername == "user")
        #expect(messages[0].session.heloName == "smtplib.example.test")
        #expect(messages[1].envelope.reversePath == "sénder@example.org")
        #expect(messages[1].envelope.recipients == ["ünï@example.test"])
        #expect(messages[1].envelope.mailParameters["SMTPUTF8"] == "")
        #expect(messages[1].envelope.mailParameters["BODY"] == "8BITMIME")
        #expect(messages[1].content == "Subject: Grüße\r\n\r\nÄÖÜ\r\n")
        #expect(messages[2].envelope.reversePath == "")
        #expect(messages[2].content == "Subject: login\r\n\r\nvia LOGIN\r\n")
    }

    /// Runs a program to its end; its exit status and what it printed.
    static func run(_ executable: String, _ arguments: [String]) async throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let exited = AsyncStream<Int32> { continuation in
            process.terminationHandler = { process in
                continuation.yield(process.terminationStatus)
                continuation.finish()
            }
        }
        try process.run()
        // Read on a thread of its own: the blocking read must not hold one of the few threads the
        // server's delegate runs on.
        let output = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
        }
        var status: Int32 = -1
        for await code in exited { status = code }
        return (status, String(decoding: output, as: UTF8.self))
    }
}
