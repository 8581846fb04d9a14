import Foundation
import Synchronization

/// How fast one sender may send, as carriers allow it (per minute): toll-free and 10DLC (geographic) numbers 200,
/// alphanumeric sender ids 600 per resource. The submit handler takes a token per message and puts off what comes
/// too early, without counting an attempt; the API refuses a send with 429 once a sender's queue holds more than
/// ``backlogMinutes`` of its pace.
///
/// The buckets live in each node's memory: several nodes sending from one number each allow its full pace.
public struct SMSPacing: Sendable, Equatable {
    public var perMinute: [Kind: Int]

    public enum Kind: String, Sendable, CaseIterable {
        case tollFree, geographic, mobile, alphanumeric
    }

    public init(perMinute: [Kind: Int] = [.tollFree: 200, .geographic: 200, .mobile: 200, .alphanumeric: 600]) {
        self.perMinute = perMinute
    }

    /// How many minutes of its pace a sender's queue may hold before sends are refused with 429.
    public static let backlogMinutes = 10

    /// Parses `tollFree=200,geographic=200,alphanumeric=600` (messages per minute), over the defaults.
    public init(parsing text: String) throws(ConfigurationError) {
        self.init()
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let kind = Kind(rawValue: pair[0]), let rate = Int(pair[1]), rate >= 1 else {
                throw ConfigurationError(
                    "--sms-sender-rates takes KIND=MESSAGES_PER_MINUTE pairs, e.g. tollFree=200,alphanumeric=600 (kinds: tollFree, geographic, mobile, alphanumeric)"
                )
            }
            perMinute[kind] = rate
        }
    }

    static func kind(of sender: String) -> Kind {
        guard sender.hasPrefix("+") else { return .alphanumeric }
        switch SandboxCatalog.describe(sender)?.type {
        case .tollFree: return .tollFree
        case .mobile: return .mobile
        default: return .geographic
        }
    }

    func rate(of sender: String) -> Int { perMinute[Self.kind(of: sender)] ?? 200 }
}

/// Token buckets per resource and sender (alphanumeric ids share one per resource).
final class SMSPace: Sendable {
    struct Bucket {
        var tokens: Double
        var at: Timestamp
    }

    let pacing: SMSPacing
    private let buckets = Mutex<[String: Bucket]>([:])

    init(_ pacing: SMSPacing) {
        self.pacing = pacing
    }

    /// Takes a token for a message from `sender`; returns how long to wait when there is none yet.
    func take(from sender: String, resource: String, now: Timestamp) -> Duration? {
        let rate = Double(pacing.rate(of: sender)) / 60
        // A few seconds' worth may go at once; beyond that the sender's pace holds.
        let capacity = max(1, rate * 5)
        let key = SMSPacing.kind(of: sender) == .alphanumeric ? "\(resource)|alphanumeric" : "\(resource)|\(sender)"
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, at: now)
            bucket.tokens = min(capacity, bucket.tokens + Double(now.milliseconds - bucket.at.milliseconds) / 1000 * rate)
            bucket.at = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return .milliseconds(Int64(((1 - bucket.tokens) / rate * 1000).rounded(.up)))
        }
    }
}
