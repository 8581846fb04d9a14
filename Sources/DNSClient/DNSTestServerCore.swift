import NIOCore
import Synchronization

/// State shared by the test server's channels: the zone, the behaviour knobs and a log of the
/// queries received. Guarded by a mutex because UDP and TCP handlers run on different event loops.
final class DNSTestServerCore: Sendable {
    struct State {
        var zone: DNSTestZone
        var behaviour: DNSTestServer.Behaviour = .answer
        var truncateUDPAbove: Int?
        var udpQueriesToDrop = 0
        var decoy: DNSTestServer.Decoy?
        var received: [DNSTestServer.ReceivedQuery] = []
        var connections: [any Channel] = []
    }

    let state: Mutex<State>
    /// A second UDP socket that `Decoy.wrongSource` answers from.
    let decoyChannel: Mutex<(any Channel)?> = Mutex(nil)

    init(zone: DNSTestZone) {
        state = Mutex(State(zone: zone))
    }

    enum Action {
        /// Send these messages, in order (a decoy first, then the real answer).
        case send([Outgoing])
        case drop
    }

    struct Outgoing {
        var message: DNSMessage
        /// Send from the decoy socket instead of the server's own.
        var fromDecoySocket = false
    }

    /// Decides what to send back for `data`, received over UDP when `udp` is set.
    func respond(to data: ByteBuffer, udp: Bool) -> Action {
        let query: DNSMessage
        do {
            query = try DNSMessageCodec.decode(data)
        } catch {
            // A server answers FORMERR when it can at least read the id (RFC 1035 §4.1.1).
            guard let header = try? DNSMessageCodec.decodeHeader(data), !header.isResponse else { return .drop }
            let formerr = DNSMessage(
                header: DNSHeader(id: header.id, isResponse: true, opcode: header.opcode, responseCode: .formatError))
            return .send([Outgoing(message: formerr)])
        }
        let (zone, behaviour, truncateAbove, decoy, drop) =
            state.withLock { state in
                state.received.append(
                    DNSTestServer.ReceivedQuery(
                        transport: udp ? .udp : .tcp, id: query.header.id, questions: query.questions, edns: query.edns))
                let drop = udp && state.udpQueriesToDrop > 0
                if drop { state.udpQueriesToDrop -= 1 }
                return (state.zone, state.behaviour, state.truncateUDPAbove, state.decoy, drop)
            }
        if drop { return .drop }
        var response: DNSMessage
        switch behaviour {
        case .silent:
            return .drop
        case .respond(let code):
            response = DNSMessage(
                header: DNSHeader(
                    id: query.header.id, isResponse: true, opcode: query.header.opcode,
                    recursionDesired: query.header.recursionDesired, recursionAvailable: true, responseCode: code),
                questions: query.questions, edns: query.edns == nil ? nil : DNSEDNS())
        case .rejectEDNS where query.edns != nil:
            response = DNSMessage(
                header: DNSHeader(id: query.header.id, isResponse: true, opcode: query.header.opcode, responseCode: .formatError),
                questions: query.questions)
        case .answer, .rejectEDNS:
            response = zone.answer(query)
        }
        if udp {
            let limit = truncateAbove ?? query.edns.map { max(512, Int($0.udpPayloadSize)) } ?? 512
            let size = (try? DNSMessageCodec.encode(response).readableBytes) ?? 0
            if size > limit {
                // RFC 2181 §9: signal truncation and leave the client to ask over TCP.
                response.header.isTruncated = true
                response.answers = []
                response.authorities = []
                response.additionals = []
            }
        }
        var outgoing = [Outgoing(message: response)]
        if udp, let decoy {
            outgoing.insert(Self.decoy(decoy, for: query), at: 0)
        }
        return .send(outgoing)
    }

    /// A forged NXDOMAIN the client must ignore: it differs from the real answer in id, source
    /// or question, as an off-path spoofer's guess would.
    private static func decoy(_ decoy: DNSTestServer.Decoy, for query: DNSMessage) -> Outgoing {
        var forged = DNSMessage(
            header: DNSHeader(
                id: query.header.id, isResponse: true, opcode: query.header.opcode, recursionDesired: true,
                recursionAvailable: true, responseCode: .nameError),
            questions: query.questions)
        switch decoy {
        case .wrongID:
            forged.header.id = query.header.id &+ 1
        case .wrongQuestion:
            if let question = forged.questions.first, let other = try? question.name.prepending("decoy") {
                forged.questions = [DNSQuestion(name: other, type: question.type, recordClass: question.recordClass)]
            }
        case .wrongSource:
            return Outgoing(message: forged, fromDecoySocket: true)
        }
        return Outgoing(message: forged)
    }
}
