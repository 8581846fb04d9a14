import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import SMTP

/// The server half of an in-memory connection for driving `SMTPConnection` step by step: the test
/// reads the lines the client wrote and answers with scripted replies. Time only moves when the
/// test advances it, so timeouts are tested without waiting.
final class ScriptedServer {
    let channel: NIOAsyncTestingChannel
    private var received = ""
    private let watchdog: Task<Void, Never>

    init() async throws {
        let channel = NIOAsyncTestingChannel()
        self.channel = channel
        watchdog = .closing(channel)
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.25", port: 25)).get()
    }

    deinit { watchdog.cancel() }

    var loop: NIOAsyncTestingEventLoop { channel.testingEventLoop }

    /// Starts a client session: the handler is attached before this returns, so nothing the
    /// script writes afterwards can reach the channel before the client reads it.
    func startClient(_ configuration: SMTPClientConfiguration) async throws -> Task<SMTPConnection, any Error> {
        let channel = channel
        let logger = Logger.test
        let handler = try await SMTPConnection.attachHandler(to: channel, configuration: configuration, logger: logger)
        return Task {
            try await SMTPConnection.establish(channel: channel, handler: handler, configuration: configuration, logger: logger)
        }
    }

    /// Greets, expects EHLO and answers it with `extensions`: the usual opening.
    func open(
        _ configuration: SMTPClientConfiguration = .scripted(), extensions: [String] = ["PIPELINING", "SIZE 10000", "8BITMIME", "SMTPUTF8"]
    ) async throws -> SMTPConnection {
        let task = try await startClient(configuration)
        try await reply("220 mx.example.test ESMTP ready")
        try await expect("EHLO client.example.test")
        try await reply(["250-mx.example.test"] + extensions.dropLast().map { "250-\($0)" } + extensions.suffix(1).map { "250 \($0)" })
        return try await task.value
    }

    /// The next line the client wrote, without its CRLF; waits for it.
    func nextLine() async throws -> String {
        while true {
            // CRLF is one Character in Swift, even when its halves arrived in different writes.
            if let end = received.firstIndex(of: "\r\n") {
                let line = String(received[..<end])
                received.removeSubrange(...end)
                return line
            }
            var buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            received += buffer.readString(length: buffer.readableBytes) ?? ""
        }
    }

    /// The next `count` lines the client wrote.
    func nextLines(_ count: Int) async throws -> [String] {
        var lines: [String] = []
        for _ in 0..<count { lines.append(try await nextLine()) }
        return lines
    }

    /// Reads the message data up to and including the terminating `.`, as sent (dot-stuffed).
    func messageData() async throws -> [String] {
        var lines: [String] = []
        while true {
            let line = try await nextLine()
            lines.append(line)
            if line == "." { return lines }
        }
    }

    /// Expects the client's next line to be `line`. Otherwise the script cannot go on: the
    /// connection is closed, which fails whatever the client is waiting for.
    func expect(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let actual = try await nextLine()
        #expect(actual == line, sourceLocation: sourceLocation)
        if actual != line { try await channel.close() }
    }

    /// Whether the client wrote anything that has not been read yet.
    func hasUnreadOutput() async throws -> Bool {
        if !received.isEmpty { return true }
        return try await channel.readOutbound(as: ByteBuffer.self) != nil
    }

    /// Sends reply lines, each followed by CRLF, in one read.
    func reply(_ lines: String...) async throws {
        try await reply(lines)
    }

    func reply(_ lines: [String]) async throws {
        try await raw(lines.map { $0 + "\r\n" }.joined())
    }

    /// Sends bytes exactly as given.
    func raw(_ text: String) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }
}

extension SMTPClientConfiguration {
    /// A plain-text configuration for scripted sessions.
    static func scripted(
        tls: SMTPTLSMode = .none, credentials: SMTPCredentials? = nil, allowInsecureAuthentication: Bool = false
    ) -> SMTPClientConfiguration {
        SMTPClientConfiguration(
            host: "mx.example.test", tls: tls, clientHostname: "client.example.test", credentials: credentials,
            allowInsecureAuthentication: allowInsecureAuthentication)
    }
}

extension Logger {
    /// Quiet, unless SMTP_TEST_LOG names a level (`trace`, `debug`, …) to print from.
    static let test: Logger = {
        var logger = Logger(label: "smtp-tests")
        logger.logLevel = SMTPTestEnvironment.value("SMTP_TEST_LOG").flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()
}

extension Task where Success == Void, Failure == Never {
    /// Closes `channel` if a test is still using it after 50 seconds (within the suites' one-minute limit, and long
    /// enough that a machine busy with other suites never trips it). A broken client or server
    /// can leave the other side waiting for a reply that the script will never send, and the
    /// in-memory clock never fires its timeouts; closing turns that hang into a failure. A passing
    /// test never waits for this.
    static func closing(_ channel: NIOAsyncTestingChannel) -> Task<Void, Never> {
        Task {
            do {
                try await Task<Never, Never>.sleep(for: .seconds(50))
                try await channel.close()
            } catch {}
        }
    }
}
