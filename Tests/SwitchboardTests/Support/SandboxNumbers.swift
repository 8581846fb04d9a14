@testable import Switchboard

extension NumbersService {
    /// Searches the sandbox inventory for one US toll-free number that sends and receives SMS, buys it for `resource`
    /// and returns it, as an application does with the Phone Numbers API.
    func buySandboxTollFreeNumber(in resource: ResourceHandle) async throws -> String {
        let search = try await search(
            country: "US",
            .init(type: .tollFree, assignment: .application, capabilities: .init(calling: .none, sms: .inboundOutbound), areaCode: nil, quantity: 1),
            in: resource)
        let result = try await searchResult(String(search.id.dropFirst("search_".count)), in: resource)
        _ = try await purchase(search: result.searchId, agreeToNotResell: false, in: resource)
        return result.phoneNumbers[0]
    }
}
