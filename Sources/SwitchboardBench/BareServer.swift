import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdTLS
import NIOFoundationCompat
import NIOSSL

/// `switchboard-bench bare-server`: the ceiling the chat benchmark is measured against — a Hummingbird HTTPS
/// endpoint built from the same packages, TLS certificate and process model as Switchboard, that answers a chat
/// send the way the API does on the wire (reads and parses the JSON body, answers 201 with an id) and does nothing
/// else: no authentication, no storage, no encryption. It writes its URL to `DATA_DIR/bare-url` and serves until
/// it is stopped.
struct BareServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bare-server", abstract: "Serve a bare Hummingbird HTTPS endpoint to measure Switchboard against.")

    @Option(help: "Data directory of a Switchboard server, whose development certificate it serves.")
    var dataDir: String

    func run() async throws {
        let directory = URL(fileURLWithPath: dataDir)
        let router = Router()
        router.post("/:resource/chat/threads/:thread/messages") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any], json["content"] is String else {
                return Response(status: .badRequest)
            }
            let answer = try JSONSerialization.data(withJSONObject: ["id": String(UInt64.random(in: 1...UInt64.max))])
            return Response(
                status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: answer)))
        }
        let chain = try NIOSSLCertificate.fromPEMFile(directory.appendingPathComponent("tls/server.pem").path)
        let key = try NIOSSLPrivateKey(file: directory.appendingPathComponent("tls/server-key.pem").path, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        let urlFile = directory.appendingPathComponent("bare-url")
        let app = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "bare"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                try? Data("https://127.0.0.1:\(port)".utf8).write(to: urlFile)
            })
        try await app.runService()
    }
}
