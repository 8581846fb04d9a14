import ArgumentParser
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// `switchboard-bench`: measures a running server (see `scripts/bench`): chat by default, the policy gate with
/// `policy`.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard-bench", abstract: "Measure Switchboard over HTTPS.",
        subcommands: [Bench.self, PolicyBench.self, SMSBench.self, EmailBench.self, BareServer.self],
        defaultSubcommand: Bench.self)
}

/// `switchboard-bench [chat]`: chat throughput and latency against a running server.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat", abstract: "Measure chat throughput and latency against a running Switchboard over HTTPS.")

    @Option(help: "Data directory of the running server (reads connection-string, server-url and ca.pem).")
    var dataDir: String

    @Option(help: "Concurrent senders.") var senders = 16
    @Option(help: "Threads the senders spread over.") var threads = 8
    @Option(help: "Messages each sender sends in the throughput phase.") var messagesPerSender = 250
    @Option(help: "Messages in the thread whose listing is measured.") var listThreadSize = 10_000
    @Option(help: "First-page list requests measured.") var listRequests = 200
    @Option(help: "Messages whose send-to-WebSocket latency is measured.") var deliveries = 500
    @Option(help: "A label for the report (e.g. the engine).") var label = "switchboard"
    @Option(help: "Rounds of the send phase; the report gives the median round and the range.") var rounds = 3
    @Option(help: "URL of a running `switchboard-bench bare-server`: each send round is followed by the same round against it.")
    var bareURL: String?

    func run() async throws {
        let directory = URL(fileURLWithPath: dataDir)
        let connectionString = try String(contentsOf: directory.appendingPathComponent("connection-string"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let serverURL = try String(contentsOf: directory.appendingPathComponent("server-url"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let ca = directory.appendingPathComponent("ca.pem").path
        let client = try BenchClient(connectionString: connectionString, caFile: ca, connections: max(senders, 8))
        do {
            try await measure(client: client, serverURL: serverURL, ca: ca)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    func measure(client: BenchClient, serverURL: String, ca: String) async throws {
        say("## \(label)")
        // Users: one per sender, all in every thread.
        var users: [(id: String, token: String)] = []
        for _ in 0..<max(senders, 2) { users.append(try await client.createUserAndToken()) }
        var threadIDs: [String] = []
        for index in 0..<threads {
            threadIDs.append(try await client.createThread(token: users[0].token, topic: "bench \(index)", participants: users.dropFirst().map(\.id)))
        }

        // 1. Send throughput and latency, over several rounds (the machine may be shared), each followed by the same
        // round against the bare endpoint when there is one, so both see the same machine.
        var sendSamples = Samples()
        var rates: [Double] = []
        var bareSamples = Samples()
        var bareRates: [Double] = []
        for round in 0..<rounds {
            let (rate, samples) = try await sendRound(round: round, users: users, threads: threadIDs) { token, thread, content in
                try await client.sendMessage(token: token, thread: thread, content: content)
            }
            rates.append(rate)
            sendSamples.append(contentsOf: samples)
            if ProcessInfo.processInfo.environment["BENCH_VERBOSE"] != nil { say("  round \(round): \(Int(rate)) messages/s") }
            guard let bareURL else { continue }
            let (bareRate, bare) = try await sendRound(round: round, users: users, threads: threadIDs) { token, thread, content in
                _ = try await client.chat(
                    .POST, url: "\(bareURL)/dev/chat/threads/\(BenchClient.segment(thread))/messages?api-version=2024-03-07", token: token,
                    body: #"{"content":"\#(content)","type":"text","senderDisplayName":"bench"}"#, expecting: 201)
            }
            bareRates.append(bareRate)
            bareSamples.append(contentsOf: bare)
        }
        rates.sort()
        say(
            "- send: \(rounds) rounds of \(senders * messagesPerSender) messages, \(senders) senders over \(threads) threads: "
                + "\(Int(rates[rates.count / 2])) messages/s (median round; \(Int(rates.first!))–\(Int(rates.last!))); latency \(sendSamples.summary)"
        )
        if !bareRates.isEmpty {
            bareRates.sort()
            let share = rates[rates.count / 2] / bareRates[bareRates.count / 2] * 100
            say(
                "- bare Hummingbird HTTPS endpoint, same rounds interleaved: \(Int(bareRates[bareRates.count / 2])) requests/s "
                    + "(\(Int(bareRates.first!))–\(Int(bareRates.last!))); latency \(bareSamples.summary); Switchboard at "
                    + String(format: "%.1f", share) + "% of it"
            )
        }

        // 2. Listing a thread of `listThreadSize` messages.
        let big = try await client.createThread(token: users[0].token, topic: "big", participants: [])
        let fillers = min(senders, 16)
        let owner = users[0].token
        let total = listThreadSize
        try await withThrowingTaskGroup(of: Void.self) { group in
            for filler in 0..<fillers {
                // The first fillers send one more when the size does not divide evenly: exactly `total` in all.
                let count = total / fillers + (filler < total % fillers ? 1 : 0)
                group.addTask {
                    for n in 0..<count { try await client.sendMessage(token: owner, thread: big, content: "filler \(filler)-\(n)") }
                }
            }
            try await group.waitForAll()
        }
        var firstPage = Samples()
        for _ in 0..<listRequests {
            let begin = ContinuousClock.now
            _ = try await client.listMessages(token: users[0].token, thread: big, pageSize: 100)
            firstPage.append(ContinuousClock.now - begin)
        }
        say("- list (thread of \(total) messages, first page of 100): latency \(firstPage.summary)")
        var pages = Samples()
        var next: String?
        var walked = 0
        let walkStart = ContinuousClock.now
        repeat {
            let begin = ContinuousClock.now
            let page = try await client.listMessages(token: users[0].token, thread: big, pageSize: 100, nextLink: next)
            pages.append(ContinuousClock.now - begin)
            walked += page.count
            next = page.next
        } while next != nil
        say("- list (every page of 100, \(walked) messages): \(Samples.ms(ContinuousClock.now - walkStart)) ms in all; per page \(pages.summary)")

        // 3. Send → WebSocket delivery.
        let receiver = users[1]
        let thread = threadIDs[0]
        let delivery = try await deliveryLatency(client: client, serverURL: serverURL, ca: ca, sender: users[0], receiver: receiver, thread: thread)
        say("- send → WebSocket delivery: \(delivery.summary)")
    }

    /// One round of the send phase: every sender sends `messagesPerSender` messages through `send`, spread over the
    /// threads; the rate and each send's latency.
    func sendRound(
        round: Int, users: [(id: String, token: String)], threads threadIDs: [String],
        send: @escaping @Sendable (_ token: String, _ thread: String, _ content: String) async throws -> Void
    ) async throws -> (Double, Samples) {
        let started = ContinuousClock.now
        let messagesPerSender = self.messagesPerSender
        let samples = try await withThrowingTaskGroup(of: Samples.self) { group in
            for sender in 0..<senders {
                let token = users[sender].token
                group.addTask {
                    var samples = Samples()
                    for n in 0..<messagesPerSender {
                        let begin = ContinuousClock.now
                        try await send(token, threadIDs[(sender + n) % threadIDs.count], "message \(round)-\(n) from \(sender)")
                        samples.append(ContinuousClock.now - begin)
                    }
                    return samples
                }
            }
            return try await group.reduce(into: Samples()) { $0.append(contentsOf: $1) }
        }
        let elapsed = ContinuousClock.now - started
        return (Double(samples.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18), samples)
    }

    func deliveryLatency(
        client: BenchClient, serverURL: String, ca: String, sender: (id: String, token: String), receiver: (id: String, token: String),
        thread: String
    ) async throws -> Samples {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(ca)
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders[.authorization] = "Bearer \(receiver.token)"
        // SNI cannot carry an IP address; the development certificate also names localhost.
        if let host = URL(string: serverURL)?.host, host.first?.isNumber == true || host.contains(":") {
            configuration.sniHostname = "localhost"
        }
        let url = serverURL.replacingOccurrences(of: "https://", with: "wss://") + "/-/realtime/dev"
        let deliveries = self.deliveries
        let (arrivals, continuation) = AsyncStream.makeStream(of: (String, ContinuousClock.Instant).self)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Void.self)
        let socket = Task {
            defer {
                readyContinuation.finish()
                continuation.finish()
            }
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls, logger: Logger(label: "bench")) {
                    inbound, _, _ in
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message,
                            let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                        else { continue }
                        // The session follows the log from its `connected` frame on; a message sent before that
                        // frame arrives may precede its cursor and is not delivered live.
                        if json["type"] as? String == "connected" {
                            readyContinuation.yield()
                            continue
                        }
                        guard json["type"] as? String == "chatMessageReceived",
                            let content = (json["data"] as? [String: Any])?["message"] as? String
                        else { continue }
                        continuation.yield((content, ContinuousClock.now))
                    }
                }
            } catch {
                say("WebSocket failed: \(error)")
            }
        }
        var iterator = ready.makeAsyncIterator()
        guard await iterator.next() != nil else { throw BenchError("the WebSocket did not connect") }
        var samples = Samples()
        var arrivalIterator = arrivals.makeAsyncIterator()
        for n in 0..<deliveries {
            let content = "delivery \(n)"
            let begin = ContinuousClock.now
            try await client.sendMessage(token: sender.token, thread: thread, content: content)
            var arrived = false
            while let (text, at) = await arrivalIterator.next() {
                if text == content {
                    samples.append(at - begin)
                    arrived = true
                    break
                }
            }
            guard arrived else { throw BenchError("the WebSocket closed after \(n) of \(deliveries) deliveries") }
        }
        socket.cancel()
        return samples
    }
}

/// Prints a line at once (stdout is buffered when it is a pipe).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
