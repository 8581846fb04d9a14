import NIOCore
import Testing

@testable import SMPP

@Suite struct SimulatorProtocolTests {
    static let submit = SubmitSM(
        source: .international("+15550001"), destination: .international("+15550002"),
        shortMessage: Array("hi".utf8))

    @Test func refusesSubmitBeforeBind() async throws {
        try await withSimulator { simulator in
            try await withRawSession(port: simulator.port) { session in
                let response = try #require(try await session.request(.submitSM(Self.submit)))
                #expect(response.commandID == .submitSMResp)
                #expect(response.commandStatus == .invalidBindStatus)
            }
        }
    }

    @Test func checksCredentialsAndRefusesSecondBind() async throws {
        try await withSimulator { simulator in
            try await withRawSession(port: simulator.port) { session in
                let unknown = try #require(try await session.request(.bind(BindRequest(mode: .transmitter, systemID: "nobody", password: "x"))))
                #expect(unknown.commandStatus == .invalidSystemID)
                let wrong = try #require(try await session.request(.bind(BindRequest(mode: .transmitter, systemID: "test", password: "x"))))
                #expect(wrong.commandStatus == .invalidPassword)
                let good = try #require(try await session.request(.bind(BindRequest(mode: .transmitter, systemID: "test", password: "secret"))))
                #expect(good.commandStatus == .ok)
                #expect(good.body == .bindResponse(BindResponse(mode: .transmitter, systemID: "SIMSMSC", tlvs: [.scInterfaceVersion(0x34)])))
                let again = try #require(try await session.request(.bind(BindRequest(mode: .transmitter, systemID: "test", password: "secret"))))
                #expect(again.commandStatus == .alreadyBound)
            }
        }
    }

    @Test func receiverBindCannotSubmit() async throws {
        try await withSimulator { simulator in
            try await withRawSession(port: simulator.port) { session in
                _ = try await session.request(.bind(BindRequest(mode: .receiver, systemID: "test", password: "secret")))
                let response = try #require(try await session.request(.submitSM(Self.submit)))
                #expect(response.commandStatus == .invalidBindStatus)
            }
        }
    }

    @Test func answersUnknownCommandsAndCorruptBodiesWithGenericNack() async throws {
        try await withSimulator { simulator in
            try await withRawSession(port: simulator.port) { session in
                try await session.sendRaw(frame(commandID: 0x0000_0003, sequence: 41, body: cstr("1") + [0, 0] + cstr("")))
                let nack = try #require(try await session.receive())
                #expect(nack.body == .genericNack)
                #expect(nack.sequenceNumber == 41)
                #expect(nack.commandStatus == .invalidCommandID)
                try await session.sendRaw(frame(commandID: 0x15, sequence: 42, body: [1, 2, 3]))
                let second = try #require(try await session.receive())
                #expect(second.body == .genericNack)
                #expect(second.sequenceNumber == 42)
                #expect(second.commandStatus == .invalidCommandLength)
                // The session is still usable afterwards.
                let enquire = try #require(try await session.request(.enquireLink))
                #expect(enquire.body == .enquireLinkResponse)
            }
        }
    }

    @Test func closesTheConnectionOnInvalidCommandLength() async throws {
        try await withSimulator { simulator in
            try await withRawSession(port: simulator.port) { session in
                try await session.sendRaw(hex("00 00 00 04 00 00 00 15 00 00 00 00 00 00 00 01"))
                #expect(try await session.receive() == nil)
            }
        }
    }

    @Test func unbindIsAnsweredAndCloses() async throws {
        try await withSimulator { simulator in
            try await withRawSession(port: simulator.port) { session in
                _ = try await session.request(.bind(BindRequest(mode: .transceiver, systemID: "test", password: "secret")))
                let response = try #require(try await session.request(.unbind))
                #expect(response.body == .unbindResponse)
                #expect(try await session.receive() == nil)
            }
            try await simulator.waitUntil("disconnect") { $0.connectionCount == 0 }
        }
    }

    @Test func dataSMIsAccepted() async throws {
        try await withSimulator { simulator in
            try await withRawSession(port: simulator.port) { session in
                _ = try await session.request(.bind(BindRequest(mode: .transmitter, systemID: "test", password: "secret")))
                let data = DataSM(
                    source: .international("+1"), destination: .international("+2"),
                    tlvs: [.messagePayload(SMSText.encode("via data_sm", as: .gsm7))])
                let response = try #require(try await session.request(.dataSM(data)))
                guard case .dataSMResponse(let body) = response.body else {
                    Issue.record("expected data_sm_resp, got \(response)")
                    return
                }
                #expect(!body.messageID.isEmpty)
            }
            #expect(simulator.receivedMessages.map(\.text) == ["via data_sm"])
        }
    }

    @Test func simulatorSendsEnquireLinkAndClientAnswers() async throws {
        var configuration = SMSCSimulatorConfiguration()
        configuration.enquireLinkInterval = .milliseconds(10)
        try await withSimulator(configuration) { simulator in
            let client = try await SMPPClient.connect(configuration: testConfiguration(simulator))
            try await simulator.waitUntil("enquire_link answers") { $0.enquireLinkResponsesReceived >= 3 }
            await client.close()
        }
    }
}
