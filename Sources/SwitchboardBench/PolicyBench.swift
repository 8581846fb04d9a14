import ArgumentParser
import Foundation
import NIOHTTP1
import Switchboard

/// `switchboard-bench policy`: what the messaging policy gate costs in the send path — the content rules matched in
/// process over SMS- and email-sized texts, and, against a running server, the gate's dry run over HTTPS for one
/// recipient and for a hundred (each decision reads the program, consent, opt-outs and conversation of its
/// recipient from the store).
struct PolicyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Measure the content rules in process and the policy gate's dry run against a running server.")

    @Option(help: "Data directory of a running server; without it only the in-process matching is measured.") var dataDir: String?
    @Option(help: "A label for the report (e.g. the engine).") var label = "switchboard"
    @Option(help: "SMS texts matched per round.") var texts = 100_000
    @Option(help: "Email bodies (about 10 KB of HTML) matched per round.") var emails = 5_000
    @Option(help: "Single-recipient dry runs.") var requests = 4_000
    @Option(help: "Concurrent callers.") var concurrency = 16
    @Option(help: "Rounds; the report gives the median.") var rounds = 3

    func run() async throws {
        matching()
        guard let dataDir else { return }
        let directory = URL(fileURLWithPath: dataDir)
        let connectionString = try String(contentsOf: directory.appendingPathComponent("connection-string"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let client = try BenchClient(
            connectionString: connectionString, caFile: directory.appendingPathComponent("ca.pem").path, connections: concurrency)
        do {
            try await dryRuns(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static let templates = [
        "Your order #{n} has shipped and arrives Thursday between 2 and 4 pm. Track it at https://track.contoso.example/{n}. Reply STOP to opt out.",
        "Contoso Bank: a card payment of $2{n}.40 at GROCERY MART was declined. If this was not you, call +18005550199. Reply STOP to end.",
        "Reminder: Dr. Rivera tomorrow at 10:30 for your annual check-up. Reply C to confirm or R to reschedule. Msg&data rates may apply.",
        "Your verification code is {n}. It expires in 10 minutes. Do not share it with anyone, Contoso will never ask you for it.",
        "Flash sale! 30 percent off everything this weekend with promo code SPRING{n}. Shop now at https://contoso.example/sale. STOP to end.",
        "Votre colis {n} sera livré demain entre 9 h et 12 h. Suivez-le sur https://suivi.contoso.example. Répondez STOP pour ne plus recevoir.",
        "Your lab results from {n} are ready in the patient portal. Log in at https://portal.contoso-health.example to view them.",
        "Hi Sam, your table for 4 at Luigi's is booked for Friday 7 pm. Need to change it? Call us at +14255550123. Reference {n}.",
    ]

    /// The default content rules over SMS texts and email bodies, in this process.
    func matching() {
        let rules = ContentRuleSet(DefaultContentRules.all)
        let sms = (0..<1000).map { Self.templates[$0 % Self.templates.count].replacingOccurrences(of: "{n}", with: String(100_000 + $0 * 7)) }
        let paragraph = sms.prefix(8).map { "<p>\($0) <a href=\"https://contoso.example/p/\($0.count)\">Details</a></p>" }.joined()
        let email = "<html><body><h1>Your Contoso update</h1>" + String(repeating: paragraph, count: 7) + "</body></html>"
        var smsRates: [Double] = []
        var emailRates: [Double] = []
        var matched = 0
        for _ in 0..<rounds {
            var start = ContinuousClock.now
            for index in 0..<texts { matched &+= rules.matches(sms[index % sms.count]).count }
            smsRates.append(Double(texts) / Self.seconds(ContinuousClock.now - start))
            start = ContinuousClock.now
            for _ in 0..<emails { matched &+= rules.matches(email).count }
            emailRates.append(Double(emails) / Self.seconds(ContinuousClock.now - start))
        }
        smsRates.sort()
        emailRates.sort()
        say("## content rules (in process, \(DefaultContentRules.all.count) default rules)")
        say(
            "- SMS (\(sms[0].utf8.count)-byte texts): \(Int(smsRates[rounds / 2])) texts/s, \(Self.micro(1 / smsRates[rounds / 2])) µs each"
                + " (median of \(rounds) rounds of \(texts))")
        say(
            "- email (\(email.utf8.count / 1024) KB of HTML): \(Int(emailRates[rounds / 2])) bodies/s, "
                + "\(Self.micro(1 / emailRates[rounds / 2])) µs each (median of \(rounds) rounds of \(emails)); \(matched) rule matches in all")
    }

    /// The dry run over HTTPS: one recipient per request, then a hundred.
    func dryRuns(_ client: BenchClient) async throws {
        let version = "api-version=2026-12-01"
        _ = try await client.signed(
            .PUT, "/messaging/programs/bench?\(version)",
            body: #"{"name":"Bench","purpose":"informational","senders":["+18005550100"]}"#, expecting: 201)
        let recipients = (0..<100).map { "+1425555\(String(format: "%04d", $0))" }
        for recipient in recipients {
            _ = try await client.signed(
                .POST, "/messaging/consents?\(version)",
                body: #"{"recipient":"\#(recipient)","channel":"sms","programId":"bench","kind":"written","evidence":{"medium":"webForm"}}"#,
                expecting: 201)
        }
        func body(_ to: [String]) -> String {
            let list = to.map { "\"\($0)\"" }.joined(separator: ",")
            return #"{"channel":"sms","from":"+18005550100","to":[\#(list)],"content":"\#(Self.templates[0])"}"#
        }
        say("## \(label): policy gate dry run (`POST /messaging/policy:evaluate`)")
        var latencies = Samples()
        var rates: [Double] = []
        for _ in 0..<rounds {
            let perCaller = requests / concurrency
            let start = ContinuousClock.now
            let samples = try await withThrowingTaskGroup(of: Samples.self) { group in
                for caller in 0..<concurrency {
                    group.addTask {
                        var samples = Samples()
                        for index in 0..<perCaller {
                            let begun = ContinuousClock.now
                            _ = try await client.signed(
                                .POST, "/messaging/policy:evaluate?\(version)", body: body([recipients[(caller * perCaller + index) % 100]]),
                                expecting: 200)
                            samples.append(ContinuousClock.now - begun)
                        }
                        return samples
                    }
                }
                return try await group.reduce(into: Samples()) { $0.append(contentsOf: $1) }
            }
            rates.append(Double(perCaller * concurrency) / Self.seconds(ContinuousClock.now - start))
            latencies.append(contentsOf: samples)
        }
        rates.sort()
        say("- 1 recipient, \(concurrency) callers: \(Int(rates[rounds / 2])) decisions/s (median round); latency \(latencies.summary)")
        var batches = Samples()
        let batchStart = ContinuousClock.now
        let batchCount = max(concurrency, requests / 100)
        try await withThrowingTaskGroup(of: Samples.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var samples = Samples()
                    for _ in 0..<(batchCount / concurrency) {
                        let begun = ContinuousClock.now
                        _ = try await client.signed(.POST, "/messaging/policy:evaluate?\(version)", body: body(recipients), expecting: 200)
                        samples.append(ContinuousClock.now - begun)
                    }
                    return samples
                }
            }
            batches = try await group.reduce(into: Samples()) { $0.append(contentsOf: $1) }
        }
        let decided = Double(batches.count * 100) / Self.seconds(ContinuousClock.now - batchStart)
        say("- 100 recipients per request: \(Int(decided)) decisions/s; latency per request \(batches.summary)")
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func micro(_ seconds: Double) -> String { String(format: "%.1f", seconds * 1e6) }
}
