import ArgumentParser
import DNSClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SMTP
import Synchronization

/// `switchboard-bench email`: emails accepted through the policy gate, rendered, DKIM-signed and handed to an SMTP
/// receiver on loopback, end to end. This process runs the DNS server the domain's records are published on and the
/// SMTP receiver (both from this repository's libraries), starts `switchboard serve` with `--dns-resolver` and
/// `--email-relay` pointing at them, adds and verifies a domain as its owner would, and sends through
/// `POST /emails:send` with 1 and with 50 recipients per request (`--per-request`). Throughput counts messages from the first request to
/// the last message taken by the receiver; latency is from a message's request to the receiver's 250 after DATA.
struct EmailBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "email", abstract: "Measure email from the API through the gate, DKIM and the outbox to an SMTP receiver.")

    @Option(help: "The switchboard binary to start.") var switchboard: String
    @Option(help: "A data directory for the server this command starts.") var dataDir: String
    @Option(help: "Passed to the server (PostgreSQL directory).") var directory: String?
    @Option(help: "Passed to the server (GEOGRAPHY=URL).") var store: [String] = []
    @Option(help: "A label for the report (e.g. the engine).") var label = "switchboard"
    @Option(help: "Messages per phase.") var messages = 5_000
    @Option(help: "Concurrent callers.") var concurrency = 16
    @Option(help: "Recipients per request, one phase each (comma-separated).") var perRequest = "1,50"

    func run() async throws {
        var logger = Logger(label: "bench.smtp")
        logger.logLevel = .error
        let receiver = Receiver()
        let smtp = try await SMTPServer.start(
            configuration: SMTPServerConfiguration(host: "127.0.0.1", port: 0, hostname: "mx.bench.test", maxRecipients: 100), delegate: receiver,
            logger: logger)
        let dns = try await DNSTestServer.start()
        var arguments = [
            "serve", "--data-dir", dataDir, "--port", "0", "--log-level", "error", "--dns-resolver", "127.0.0.1:\(dns.address.port)",
            "--email-relay", "smtp://127.0.0.1:\(smtp.port)?starttls=none",
        ]
        if let directory { arguments += ["--directory", directory] }
        for entry in store { arguments += ["--store", entry] }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: switchboard)
        server.arguments = arguments
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { server.terminate() }
        let folder = URL(fileURLWithPath: dataDir)
        let urlFile = folder.appendingPathComponent("server-url")
        for _ in 0..<600 where (try? String(contentsOf: urlFile, encoding: .utf8))?.isEmpty ?? true {
            try await Task.sleep(for: .milliseconds(100))
        }
        let connectionString = try String(contentsOf: folder.appendingPathComponent("connection-string"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = try BenchClient(
            connectionString: connectionString, caFile: folder.appendingPathComponent("ca.pem").path, connections: concurrency)
        do {
            let domain = "bench.example"
            try await verify(domain, client: client, dns: dns)
            say("## \(label): email through the gate, DKIM and the outbox to an SMTP receiver (`POST /emails:send`, relay on loopback)")
            var next = 0
            for perRequest in self.perRequest.split(separator: ",").compactMap({ Int($0) }) {
                let recipients = (0..<messages).map { "r\(next + $0)@example.net" }
                next += messages
                try await phase(client, receiver: receiver, sender: "DoNotReply@\(domain)", recipients: recipients, perRequest: perRequest)
            }
        } catch {
            try? await client.shutdown()
            await smtp.shutdown()
            await dns.shutdown()
            throw error
        }
        try await client.shutdown()
        await smtp.shutdown()
        await dns.shutdown()
    }

    /// Adds the domain, publishes the records the server asks for on the DNS server, and verifies it.
    func verify(_ domain: String, client: BenchClient, dns: DNSTestServer) async throws {
        let own = "api-version=2026-12-01"
        let created = try await client.signed(.PUT, "/email/domains/\(domain)?\(own)", body: "{}", expecting: 201)
        guard let records = created["verificationRecords"] as? [String: Any], let ownership = records["domain"] as? [String: Any],
            let spf = records["spf"] as? [String: Any], let dkim = records["dkim"] as? [[String: Any]]
        else { throw BenchError("the domain's records are missing") }
        func publish(_ record: [String: Any], at name: String? = nil) throws {
            guard let value = record["value"] as? String, let owner = name ?? record["name"] as? String else { return }
            dns.add(DNSResourceRecord(name: try DNSName(owner), ttl: 60, data: .txt(DNSTXTRecord(splitting: value))))
        }
        try publish(ownership, at: domain)
        try publish(spf, at: domain)
        for record in dkim { try publish(record) }
        let verified = try await client.signed(.POST, "/email/domains/\(domain):verify?\(own)", body: "", expecting: 200)
        guard verified["canSend"] as? Bool == true else { throw BenchError("the domain did not verify: \(verified)") }
    }

    func phase(_ client: BenchClient, receiver: Receiver, sender: String, recipients: [String], perRequest: Int) async throws {
        let requests = stride(from: 0, to: recipients.count, by: perRequest).map {
            Array(recipients[$0..<min($0 + perRequest, recipients.count)])
        }
        let shared = SMSBench.Shared()
        let already = receiver.count
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(concurrency, requests.count) {
                group.addTask {
                    while true {
                        let index = shared.next.add(1, ordering: .relaxed).oldValue
                        guard index < requests.count else { return }
                        let batch = requests[index]
                        let to = batch.map { #"{"address":"\#($0)"}"# }.joined(separator: ",")
                        let begun = ContinuousClock.now
                        shared.sentAt.withLock { for address in batch { $0[address] = begun } }
                        _ = try await client.signed(
                            .POST, "/emails:send?api-version=2025-09-01",
                            body:
                                #"{"senderAddress":"\#(sender)","recipients":{"to":[\#(to)]},"content":{"subject":"Your order has shipped","plainText":"Your order 4711 is on its way and arrives on Thursday.","html":"<p>Your order <b>4711</b> is on its way and arrives on Thursday.</p>"}}"#,
                            expecting: 202)
                    }
                }
            }
            try await group.waitForAll()
        }
        let accepted = ContinuousClock.now
        let deadline = accepted + .seconds(180)
        while receiver.count - already < recipients.count {
            guard ContinuousClock.now < deadline else {
                throw BenchError("only \(receiver.count - already) of \(recipients.count) messages reached the receiver within 3 minutes")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        let arrived = receiver.arrivals(of: recipients)
        let last = arrived.values.max() ?? accepted
        var latencies = Samples()
        let sent = shared.sentAt.withLock { $0 }
        for (address, at) in arrived { if let begun = sent[address] { latencies.append(at - begun) } }
        let seconds = SMSBench.seconds(last - start)
        say(
            "- \(perRequest) recipient\(perRequest == 1 ? "" : "s") per request: \(Int(Double(recipients.count) / seconds)) messages/s "
                + "(\(recipients.count) messages, \(requests.count) requests, \(concurrency) callers; accepted by the API at "
                + "\(Int(Double(recipients.count) / SMSBench.seconds(accepted - start))) messages/s)")
        say("  request → taken by the SMTP receiver: \(latencies.summary)")
    }

    /// The SMTP receiver: takes every message and notes when each recipient's copy arrived.
    final class Receiver: SMTPServerDelegate {
        /// When each recipient first arrived. Phases use distinct recipients, so the number of entries tells a phase how
        /// many of its own have arrived without looking each one up (the load tool shares the server's two cores).
        let arrived = Mutex<[String: ContinuousClock.Instant]>([:])

        func message(_ data: ByteBuffer, envelope: SMTPReceivedEnvelope, session: SMTPSessionInfo) async -> SMTPReply {
            let now = ContinuousClock.now
            arrived.withLock { for recipient in envelope.recipients { $0[recipient.lowercased()] = $0[recipient.lowercased()] ?? now } }
            return SMTPReply(code: 250, status: SMTPEnhancedStatus(2, 0, 0), text: "Ok: queued")
        }

        var count: Int { arrived.withLock { $0.count } }

        func arrivals(of recipients: [String]) -> [String: ContinuousClock.Instant] {
            arrived.withLock { arrived in Dictionary(uniqueKeysWithValues: recipients.compactMap { r in arrived[r].map { (r, $0) } }) }
        }
    }
}
