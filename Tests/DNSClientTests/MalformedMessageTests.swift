import DNSClient
import NIOCore
import Testing
import TestSupport

@Suite struct MalformedMessageTests {
    /// A header with the given counts, then `body`.
    static func message(qd: Int = 0, an: Int = 0, ns: Int = 0, ar: Int = 0, _ body: String) -> [UInt8] {
        [0x00, 0x01, 0x81, 0x80] + [qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } + [UInt8](hex: body)
    }

    /// The question `a. A IN`, occupying offsets 12…18; records start at 19.
    static let question = "01 61 00 0001 0001"
    static let label63 = "3f" + String(repeating: "78", count: 63)

    static let cases: [(String, [UInt8], DNSDecodingError)] = [
        ("shorter than a header", [0x00, 0x01, 0x81], .truncatedHeader(length: 3)),
        ("question announced but absent", message(qd: 1, ""), .truncated(field: "question name", offset: 12)),
        ("question without type", message(qd: 1, "01 61 00 00"), .truncated(field: "QTYPE", offset: 15)),
        ("label runs past the end", message(qd: 1, "05 6162"), .truncated(field: "question name", offset: 12)),
        ("pointer to itself", message(qd: 1, "c00c 0001 0001"), .pointerNotBackward(target: 12, offset: 12)),
        ("two pointers pointing at each other", message(qd: 1, "c00e c00c 0001 0001"), .pointerNotBackward(target: 14, offset: 12)),
        // The first answer's opaque RDATA (offset 31) holds a pointer to the second answer's name
        // (offset 33), which points back at it: the second hop is the forward one.
        (
            "pointer back to a forward pointer",
            message(qd: 1, an: 2, question + " c00c ff00 0001 00000000 0002 c021  c01f 0001 0001 00000000 0004 c0000201"),
            .pointerNotBackward(target: 33, offset: 31)
        ),
        ("pointer into the header", message(qd: 1, "c005 0001 0001"), .pointerOutOfRange(target: 5, offset: 12)),
        ("pointer past the end", message(qd: 1, "c100 0001 0001"), .pointerOutOfRange(target: 256, offset: 12)),
        ("truncated pointer", message(qd: 1, "c0"), .truncated(field: "question name", offset: 12)),
        ("extended label type 01", message(qd: 1, "41 00 0001 0001"), .unsupportedLabelType(0x41, offset: 12)),
        ("reserved label type 10", message(qd: 1, "80 00 0001 0001"), .unsupportedLabelType(0x80, offset: 12)),
        ("name over 255 octets", message(qd: 1, String(repeating: label63, count: 4) + " 00 0001 0001"), .nameTooLong(offset: 12)),
        (
            "name over 255 octets through a pointer",
            message(qd: 2, String(repeating: label63, count: 3) + " 00 0001 0001 " + label63 + " c00c 0001 0001"), .nameTooLong(offset: 209)
        ),
        ("answer announced but absent", message(qd: 1, an: 1, question), .truncated(field: "name", offset: 19)),
        ("RDLENGTH past the end", message(qd: 1, an: 1, question + " c00c 0001 0001 00000000 000a c0000201"), .rdataOverrun(type: .a, offset: 31)),
        (
            "A record of five octets", message(qd: 1, an: 1, question + " c00c 0001 0001 00000000 0005 c000020101"),
            .rdataLengthMismatch(type: .a, declared: 5, consumed: 4)
        ),
        (
            "AAAA record of four octets", message(qd: 1, an: 1, question + " c00c 001c 0001 00000000 0004 c0000201"),
            .rdataLengthMismatch(type: .aaaa, declared: 4, consumed: 4)
        ),
        (
            "MX with an octet after its exchange", message(qd: 1, an: 1, question + " c00c 000f 0001 00000000 0005 000a c00c ff"),
            .rdataLengthMismatch(type: .mx, declared: 5, consumed: 4)
        ),
        ("MX without its exchange", message(qd: 1, an: 1, question + " c00c 000f 0001 00000000 0002 000a"), .rdataOverrun(type: .mx, offset: 31)),
        (
            "TXT string longer than its RDATA", message(qd: 1, an: 1, question + " c00c 0010 0001 00000000 0003 05 6162"),
            .rdataOverrun(type: .txt, offset: 31)
        ),
        (
            "CNAME target running past RDLENGTH", message(qd: 1, an: 1, question + " c00c 0005 0001 00000000 0002 03 616263 00"),
            .rdataOverrun(type: .cname, offset: 31)
        ),
        ("SOA cut short", message(qd: 1, ns: 1, question + " c00c 0006 0001 00000000 0006 00 00 00000001"), .rdataOverrun(type: .soa, offset: 31)),
        ("two OPT records", message(qd: 1, ar: 2, question + " 00 0029 0200 00000000 0000 00 0029 0200 00000000 0000"), .multipleOPTRecords),
        ("OPT in the answer section", message(qd: 1, an: 1, question + " 00 0029 0200 00000000 0000"), .misplacedOPTRecord(offset: 19)),
        (
            "OPT owned by another name than the root", message(qd: 1, ar: 1, question + " c00c 0029 0200 00000000 0000"),
            .misplacedOPTRecord(offset: 19)
        ),
        (
            "EDNS option past its RDATA", message(qd: 1, ar: 1, question + " 00 0029 0200 00000000 0006 000a 0008 0102"),
            .rdataOverrun(type: .opt, offset: 30)
        ),
        ("octets after the last record", message(qd: 1, question + " beef"), .trailingBytes(count: 2)),
    ]

    @Test(arguments: cases)
    func malformedInputThrowsItsError(description: String, bytes: [UInt8], error: DNSDecodingError) {
        #expect(throws: error, "\(description)") { try DNSMessageCodec.decode(bytes) }
    }

    @Test func theValidCaseNextToTheMalformedOnesDecodes() throws {
        let message = try DNSMessageCodec.decode(Self.message(qd: 1, an: 1, Self.question + " c00c 0001 0001 00000000 0004 c0000201"))
        #expect(message.answers.first?.data == .a(IPv4Address(192, 0, 2, 1)))
    }

    /// Valid messages to mutate: captured from real servers and encoded by this library.
    static var seeds: [[UInt8]] {
        CapturedResponseTests.all
            + MessageCodecTests.everyType.map { data in
                let message = DNSMessage(
                    header: DNSHeader(id: 7, isResponse: true), questions: [DNSQuestion(name: name("seed.example"), type: data.type)],
                    answers: [DNSResourceRecord(name: name("seed.example"), ttl: 1, data: data)], edns: DNSEDNS())
                return Array(buffer: try! DNSMessageCodec.encode(message))
            }
    }

    @Test func everyTruncationOfAValidMessageThrows() {
        for seed in Self.seeds {
            for length in 0..<seed.count {
                #expect(throws: DNSDecodingError.self) { try DNSMessageCodec.decode(Array(seed.prefix(length))) }
            }
        }
    }

    /// Random bit flips, byte changes, insertions and deletions: decoding must either throw a
    /// `DNSDecodingError` (the only error type it can throw) or give a message that survives
    /// re-encoding — and never trap.
    @Test func mutatedMessagesNeverCrash() throws {
        var random = SplitMix64(seed: 0x5EED)
        var decoded = 0
        var rejected = 0
        for seed in Self.seeds {
            for _ in 0..<2000 {
                var bytes = seed
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let index = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
                    case 1: bytes[index] = UInt8.random(in: 0...255, using: &random)
                    case 2: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
                    default: if bytes.count > 1 { bytes.remove(at: index) }
                    }
                }
                do {
                    let message = try DNSMessageCodec.decode(bytes)
                    decoded += 1
                    // Mutations can produce names or strings the encoder refuses; those that encode must round-trip.
                    if let again = try? DNSMessageCodec.encode(message) {
                        #expect(try DNSMessageCodec.decode(again) == message)
                    }
                } catch {
                    rejected += 1
                }
            }
        }
        #expect(decoded > 0 && rejected > 0)
    }

    @Test func randomBytesNeverCrash() {
        var random = SplitMix64(seed: 0xD15EA5E)
        for _ in 0..<5000 {
            var bytes = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            // Small counts make the decoder go past the header more often.
            if bytes.count >= 12 {
                for index in stride(from: 4, to: 12, by: 2) {
                    bytes[index] = 0
                    bytes[index + 1] %= 3
                }
            }
            _ = try? DNSMessageCodec.decode(bytes)
        }
    }
}
