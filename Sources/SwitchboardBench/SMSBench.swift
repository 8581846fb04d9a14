import ArgumentParser
import Foundation
import NIOHTTP1
import SMPP
import Synchronization

/// `switchboard-bench sms`: messages accepted through the policy gate and submitted over SMPP, end to end. It runs
/// the SMSC (the SMPP library's simulator) in this process on `--smsc-port`, where the running server's
/// `--sms-carrier bench=smpp://bench:bench@127.0.0.1:PORT` binds, buys the operator number the script put in the
/// inventory, and sends through `POST /sms` with 1 and with 100 recipients per request. Throughput counts messages
/// from the first request to the last `submit_sm`; latency is from a message's request to its `submit_sm`.
struct SMSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sms", abstract: "Measure SMS from the API through the gate and the outbox to an SMSC over SMPP.")

    @Option(help: "Data directory of a running server started with --sms-carrier bench=smpp://bench:bench@127.0.0.1:PORT.") var dataDir: String
    @Option(help: "The port the server's carrier connects to; this process listens there.") var smscPort: Int
    @Option(help: "The operator number (in the inventory, held at the carrier 'bench') to send from.") var from = "+18335550100"
    @Option(help: "A label for the report (e.g. the engine).") var label = "switchboard"
    @Option(help: "Messages per phase.") var messages = 10_000
    @Option(help: "Concurrent callers.") var concurrency = 16
    @Option(help: "Recipients per request, one phase each (comma-separated).") var perRequest = "1,100"

    func run() async throws {
        let simulator = try await SMSCSimulator.start(
            configuration: SMSCSimulatorConfiguration(port: smscPort, credentials: ["bench": "bench"]))
        let directory = URL(fileURLWithPath: dataDir)
        let connectionString = try String(contentsOf: directory.appendingPathComponent("connection-string"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = try BenchClient(
            connectionString: connectionString, caFile: directory.appendingPathComponent("ca.pem").path, connections: concurrency)
        do {
            try await simulator.waitUntil("the server's carrier bound", timeout: .seconds(90)) { !$0.boundSessions.isEmpty }
            try await buy(client)
            say("## \(label): SMS through the gate to an SMSC over SMPP (`POST /sms`, window 64)")
            var next = 0
            for perRequest in self.perRequest.split(separator: ",").compactMap({ Int($0) }) {
                let destinations = (0..<messages).map { index in "+1425\(String(format: "%07d", next + index))" }
                next += messages
                try await phase(client, simulator: simulator, destinations: destinations, perRequest: perRequest)
            }
        } catch {
            try? await client.shutdown()
            await simulator.shutdown()
            throw error
        }
        try await client.shutdown()
        await simulator.shutdown()
    }

    /// Buys the operator number through a reservation, as an application would.
    func buy(_ client: BenchClient) async throws {
        let version = "api-version=2025-06-01"
        let reservation = UUID().uuidString.lowercased()
        _ = try await client.signed(
            .PATCH, "/availablePhoneNumbers/reservations/\(reservation)?\(version)",
            body:
                #"{"phoneNumbers":{"\#(from.dropFirst())":{"countryCode":"US","phoneNumberType":"tollFree","assignmentType":"application","capabilities":{"calling":"none","sms":"inbound+outbound"}}}}"#,
            expecting: 201)
        _ = try await client.signed(
            .POST, "/availablePhoneNumbers/reservations/\(reservation)/:purchase?\(version)", body: #"{"agreeToNotResell":false}"#,
            expecting: 202)
    }

    func phase(_ client: BenchClient, simulator: SMSCSimulator, destinations: [String], perRequest: Int) async throws {
        let requests = stride(from: 0, to: destinations.count, by: perRequest).map {
            Array(destinations[$0..<min($0 + perRequest, destinations.count)])
        }
        let shared = Shared()
        let already = simulator.receivedSubmits.count
        let start = ContinuousClock.now
        // Watches the SMSC: when each destination's submit_sm arrived.
        let watcher = Task {
            var seen: [String: ContinuousClock.Instant] = [:]
            var index = already
            while seen.count < destinations.count && !Task.isCancelled {
                let submits = simulator.receivedSubmits
                let now = ContinuousClock.now
                while index < submits.count {
                    seen["+" + submits[index].pdu.destination.address] = seen["+" + submits[index].pdu.destination.address] ?? now
                    index += 1
                }
                try? await Task.sleep(for: .milliseconds(1))
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(concurrency, requests.count) {
                group.addTask {
                    while true {
                        let index = shared.next.add(1, ordering: .relaxed).oldValue
                        guard index < requests.count else { return }
                        let batch = requests[index]
                        let recipients = batch.map { #"{"to":"\#($0)"}"# }.joined(separator: ",")
                        let begun = ContinuousClock.now
                        shared.sentAt.withLock { for to in batch { $0[to] = begun } }
                        let json = try await client.signed(
                            .POST, "/sms?api-version=2021-03-07",
                            body:
                                #"{"from":"\#(from)","smsRecipients":[\#(recipients)],"message":"Your code is 482913. It expires in 10 minutes.","smsSendOptions":{"enableDeliveryReport":true}}"#,
                            expecting: 202)
                        let accepted = (json["value"] as? [[String: Any]])?.filter { $0["successful"] as? Bool == true }.count ?? 0
                        guard accepted == batch.count else { throw BenchError("only \(accepted) of \(batch.count) recipients were accepted") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let accepted = ContinuousClock.now
        let arrived = try await withThrowingTaskGroup(of: [String: ContinuousClock.Instant]?.self) { group in
            group.addTask { await watcher.value }
            group.addTask {
                try await Task.sleep(for: .seconds(120))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            watcher.cancel()
            return first
        }
        guard let arrived, arrived.count == destinations.count else { throw BenchError("not every message reached the SMSC within 2 minutes") }
        let last = arrived.values.max() ?? accepted
        var latencies = Samples()
        let sent = shared.sentAt.withLock { $0 }
        for (to, at) in arrived { if let begun = sent[to] { latencies.append(at - begun) } }
        let seconds = Self.seconds(last - start)
        say(
            "- \(perRequest) recipient\(perRequest == 1 ? "" : "s") per request: \(Int(Double(destinations.count) / seconds)) messages/s "
                + "(\(destinations.count) messages, \(requests.count) requests, \(concurrency) callers; accepted by the API at "
                + "\(Int(Double(destinations.count) / Self.seconds(accepted - start))) messages/s)")
        say("  request → submit_sm: \(latencies.summary)")
    }

    /// What the callers of a phase share: the next request to send, and when each message's request went out.
    final class Shared: Sendable {
        let next = Atomic<Int>(0)
        let sentAt = Mutex<[String: ContinuousClock.Instant]>([:])
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
