import Foundation
import Testing

@testable import Switchboard

/// What webhook endpoints may be, and how long a manual validation link works.
@Suite struct EventSubscriptionTests {
    typealias IP = WebhookAddressPolicy.IPAddress

    @Test(arguments: [
        ("127.0.0.1", IP.Scope.loopback), ("::1", .loopback), ("10.1.2.3", .privateNetwork), ("172.20.0.1", .privateNetwork),
        ("172.32.0.1", .global), ("192.168.1.1", .privateNetwork), ("100.64.0.1", .privateNetwork), ("fd12::1", .privateNetwork),
        ("169.254.169.254", .linkLocal), ("fe80::1", .linkLocal), ("::ffff:169.254.169.254", .linkLocal), ("::ffff:10.0.0.1", .privateNetwork),
        ("0.0.0.0", .unspecified), ("::", .unspecified), ("224.0.0.1", .multicast), ("ff02::1", .multicast),
        ("8.8.8.8", .global), ("2001:4860:4860::8888", .global),
    ])
    func addressesAreClassified(text: String, scope: IP.Scope) throws {
        #expect(try #require(IP(text)).scope == scope)
    }

    @Test func linkLocalIsNeverCalledAndPrivateNetworksOnlyWhenAllowed() async throws {
        let developer = WebhookAddressPolicy()
        let operator_ = WebhookAddressPolicy(denyPrivateNetworks: true)
        for text in ["169.254.169.254", "fe80::1", "0.0.0.0"] {
            #expect(developer.refusal(of: IP(text)!) != nil, "\(text)")
            #expect(operator_.refusal(of: IP(text)!) != nil, "\(text)")
        }
        for text in ["127.0.0.1", "::1", "10.0.0.5", "192.168.0.10", "fd00::5"] {
            #expect(developer.refusal(of: IP(text)!) == nil, "\(text)")
            #expect(operator_.refusal(of: IP(text)!) != nil, "\(text)")
        }
        #expect(operator_.refusal(of: IP("8.8.8.8")!) == nil)
        // Host names are judged by every address they resolve to.
        await #expect(throws: WebhookAddressRefused.self) { try await operator_.check(host: "localhost") }
        try await developer.check(host: "localhost")
        await #expect(throws: WebhookAddressRefused.self) { try await developer.check(host: "[fe80::1]") }
    }

    @Test func aManualValidationLinkWorksForTenMinutes() {
        let issued = Timestamp(Date())
        let subscription = EventSubscription(
            name: "manual", endpointURL: "https://example.com/hook", schema: .eventGrid, filter: .init(), maxDeliveryAttempts: 30,
            eventTimeToLiveInMinutes: 1440, maxEventsPerBatch: 1, state: .awaitingManualAction, validationCode: "code",
            signingSecret: "secret", createdAt: issued, updatedAt: issued)
        #expect(subscription.acceptsManualValidation(at: issued.adding(seconds: 599)))
        #expect(subscription.provisioningState(at: issued.adding(seconds: 599)) == "AwaitingManualAction")
        #expect(!subscription.acceptsManualValidation(at: issued.adding(seconds: 601)))
        #expect(subscription.provisioningState(at: issued.adding(seconds: 601)) == "Failed")
    }
}
