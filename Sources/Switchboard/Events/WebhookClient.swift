import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// Calls webhook endpoints: deliveries and validation handshakes, with a time limit per call, connecting to the
/// address the ``WebhookAddressPolicy`` checked (``WebhookConnections``).
public struct WebhookClient: Sendable {
    let connections: WebhookConnections
    let timeout: Duration
    let addresses: WebhookAddressPolicy

    public init(connections: WebhookConnections, timeout: Duration = .seconds(30), addresses: WebhookAddressPolicy = .init()) {
        self.connections = connections
        self.timeout = timeout
        self.addresses = addresses
    }

    public struct Reply: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: Data
    }

    /// How much of a reply's body is kept (a validation handshake's answer is small); the rest is read and dropped.
    static let keptBodyBytes = 64 * 1024

    /// Sends one request and reads the whole reply within `timeout`: a receiver that sends its headers and then
    /// stalls, or streams an endless body, times out like one that never answers.
    public func send(_ method: HTTPMethod, to url: String, headers: [(String, String)], body: Data?) async throws -> Reply {
        // The host is written in lower case, so that the name the client looks up in its override is the one
        // checked here.
        guard var components = URLComponents(string: url), let original = components.host, !original.isEmpty else {
            throw WebhookAddressRefused(reason: "the endpoint URL has no host")
        }
        components.host = original.lowercased()
        guard let url = components.string, let host = URL(string: url)?.host, !host.isEmpty else {
            throw WebhookAddressRefused(reason: "the endpoint URL has no host")
        }
        let address = try await addresses.check(host: host)
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "Switchboard-EventDelivery/1.0")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let prepared = request
        return try await connections.withClient(host: host, address: address.description) { client in
            try await send(prepared, with: client)
        }
    }

    private func send(_ prepared: HTTPClientRequest, with http: HTTPClient) async throws -> Reply {
        let timeout = self.timeout
        return try await withThrowingTaskGroup(of: Reply?.self) { group in
            group.addTask {
                let response = try await http.execute(prepared, timeout: .nanoseconds(timeout.nanoseconds))
                var kept = Data()
                for try await chunk in response.body where kept.count < Self.keptBodyBytes {
                    kept.append(contentsOf: chunk.readableBytesView.prefix(Self.keptBodyBytes - kept.count))
                }
                return Reply(status: Int(response.status.code), headers: response.headers, body: kept)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let reply = try await group.next(), let reply else { throw WebhookTimeout() }
            return reply
        }
    }

    /// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: lets a receiver check a delivery came from
    /// Switchboard and is fresh.
    public static func signature(secret: String, body: Data, at time: Date) -> String {
        let timestamp = String(Int(time.timeIntervalSince1970))
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// A webhook call did not complete within its time limit.
public struct WebhookTimeout: Error, CustomStringConvertible, Sendable {
    public var description: String { "the endpoint did not answer in time" }
}
