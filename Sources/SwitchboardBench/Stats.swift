/// Latency samples and their summary.
struct Samples {
    private(set) var values: [Duration] = []

    mutating func append(_ value: Duration) { values.append(value) }
    mutating func append(contentsOf other: Samples) { values += other.values }

    var count: Int { values.count }

    func percentile(_ p: Double) -> Duration {
        guard !values.isEmpty else { return .zero }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
        return sorted[max(0, index)]
    }

    var summary: String {
        "p50 \(Self.ms(percentile(0.5))) ms, p90 \(Self.ms(percentile(0.9))) ms, p99 \(Self.ms(percentile(0.99))) ms (\(count) samples)"
    }

    static func ms(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        return milliseconds < 10 ? String(format: "%.2f", milliseconds) : String(format: "%.1f", milliseconds)
    }
}

import Foundation
