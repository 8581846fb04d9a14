import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The ACS Phone Numbers API (`api-version=2025-06-01` and the older versions `azure-communication-phonenumbers`
/// can send), signed with the resource's access key. The long-running operations answer 202 with
/// `Operation-Location` (and `Location` where the SDK reads the result from it); their work is already done.
public struct NumbersAPI: Sendable {
    public static let service = APIService(
        name: "phoneNumbers",
        versions: [
            "2021-03-07", "2022-01-11-preview2", "2022-12-01", "2023-05-01-preview", "2024-03-01-preview", "2025-02-11", "2025-04-01",
            "2025-06-01",
        ])

    let numbers: NumbersService

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let s = Self.service
        return [
            Route(.get, "/availablePhoneNumbers/countries", service: s, auth: auth, handler: countries),
            Route(.get, "/availablePhoneNumbers/countries/{countryCode}/areaCodes", service: s, auth: auth, handler: areaCodes),
            Route(.get, "/availablePhoneNumbers/countries/{countryCode}/localities", service: s, auth: auth, handler: localities),
            Route(.get, "/availablePhoneNumbers/countries/{countryCode}/offerings", service: s, auth: auth, handler: offerings),
            Route(.post, "/availablePhoneNumbers/countries/{countryCode}/:search", service: s, auth: auth, handler: search),
            Route(.post, "/availablePhoneNumbers/countries/{countryCode}/:browse", service: s, auth: auth, handler: browse),
            Route(.get, "/availablePhoneNumbers/searchResults/{searchId}", service: s, auth: auth, handler: searchResult),
            Route(.post, "/availablePhoneNumbers/:purchase", service: s, auth: auth, handler: purchase),
            Route(.get, "/availablePhoneNumbers/reservations", service: s, auth: auth, handler: listReservations),
            Route(.patch, "/availablePhoneNumbers/reservations/{reservationId}", service: s, auth: auth, handler: updateReservation),
            Route(.get, "/availablePhoneNumbers/reservations/{reservationId}", service: s, auth: auth, handler: getReservation),
            Route(.delete, "/availablePhoneNumbers/reservations/{reservationId}", service: s, auth: auth, handler: deleteReservation),
            Route(.post, "/availablePhoneNumbers/reservations/{reservationId}/:purchase", service: s, auth: auth, handler: purchaseReservation),
            Route(.get, "/phoneNumbers/operations/{operationId}", service: s, auth: auth, handler: getOperation),
            Route(.delete, "/phoneNumbers/operations/{operationId}", service: s, auth: auth, handler: cancelOperation),
            Route(.get, "/phoneNumbers", service: s, auth: auth, handler: listNumbers),
            Route(.get, "/phoneNumbers/{phoneNumber}", service: s, auth: auth, handler: getNumber),
            Route(.delete, "/phoneNumbers/{phoneNumber}", service: s, auth: auth, handler: release),
            Route(.patch, "/phoneNumbers/{phoneNumber}/capabilities", service: s, auth: auth, handler: updateCapabilities),
            Route(.post, "/operatorInformation/:search", service: s, auth: auth, handler: operatorInformation),
        ]
    }

    // MARK: Paging by skip (the Phone Numbers API's lists)

    struct SkipPage<Item: Encodable & Sendable>: Encodable, Sendable {
        let key: String
        let items: [Item]
        let nextLink: String?

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(items, forKey: Key(stringValue: key))
            try container.encodeIfPresent(nextLink, forKey: Key(stringValue: "nextLink"))
        }
    }

    /// A page of `all` from the request's `skip`, `size` long, with a `nextLink` that moves `skip` on.
    static func page<Item: Encodable & Sendable>(
        _ all: [Item], key: String, sizeName: String = "maxPageSize", defaultSize: Int = 100, request: APIRequest, path: String
    ) throws -> Response {
        let skip = try Paging.skip(request)
        let size = try Paging.pageSize(request, name: sizeName, defaultSize: defaultSize, maximum: 1000)
        let items = Array(all.dropFirst(skip).prefix(size))
        let next = skip + size < all.count ? nextLink(request, path: path, skip: skip + size, sizeName: sizeName, size: size) : nil
        return try JSONBody.response(SkipPage(key: key, items: items, nextLink: next))
    }

    static func nextLink(_ request: APIRequest, path: String, skip: Int, sizeName: String, size: Int) -> String {
        var items = request.query.names.filter { !["skip", sizeName, "api-version"].contains($0) }.compactMap { name in
            request.query[name].map { URLQueryItem(name: name, value: $0) }
        }
        items += [
            URLQueryItem(name: "skip", value: String(skip)), URLQueryItem(name: sizeName, value: String(size)),
            URLQueryItem(name: "api-version", value: request.apiVersion.rawValue),
        ]
        var components = URLComponents()
        components.queryItems = items
        return "\(request.endpoint)\(path)?\(components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B") ?? "")"
    }

    // MARK: What is offered

    struct CountryView: Encodable, Sendable {
        let localizedName: String
        let countryCode: String
    }

    @Sendable func countries(_ request: APIRequest) async throws -> Response {
        try Self.page(
            SandboxCatalog.countries.map { CountryView(localizedName: $0.name, countryCode: $0.code) }, key: "countries", request: request,
            path: "/availablePhoneNumbers/countries")
    }

    static func type(_ request: APIRequest, required: Bool) throws -> PhoneNumberType? {
        guard let text = request.query["phoneNumberType"] else {
            if required { throw NumbersError.invalid("phoneNumberType is required.", target: "phoneNumberType") }
            return nil
        }
        guard let type = PhoneNumberType(rawValue: text) else {
            throw NumbersError.invalid("phoneNumberType must be geographic, tollFree or mobile.", target: "phoneNumberType")
        }
        return type
    }

    static func assignment(_ request: APIRequest) throws -> NumberAssignmentType? {
        guard let text = request.query["assignmentType"] else { return nil }
        guard let assignment = NumberAssignmentType(rawValue: text) else {
            throw NumbersError.invalid("assignmentType must be person or application.", target: "assignmentType")
        }
        return assignment
    }

    struct AreaCodeView: Encodable, Sendable {
        let areaCode: String
    }

    @Sendable func areaCodes(_ request: APIRequest) async throws -> Response {
        let country = try numbers.country(request.parameter("countryCode"))
        let type = try Self.type(request, required: true) ?? .geographic
        if let assignment = try Self.assignment(request),
            SandboxCatalog.offerings(country: country.code, type: type, assignmentType: assignment.rawValue).isEmpty
        {
            return try Self.page([AreaCodeView](), key: "areaCodes", request: request, path: "")
        }
        let codes = SandboxCatalog.areaCodes(
            country: country.code, type: type, locality: request.query["locality"], division: request.query["administrativeDivision"])
        return try Self.page(
            codes.map { AreaCodeView(areaCode: $0.code) }, key: "areaCodes", request: request,
            path: "/availablePhoneNumbers/countries/\(country.code)/areaCodes")
    }

    struct LocalityView: Encodable, Sendable {
        struct Division: Encodable, Sendable {
            let localizedName: String
            let abbreviatedName: String
        }

        let localizedName: String
        let administrativeDivision: Division
    }

    @Sendable func localities(_ request: APIRequest) async throws -> Response {
        let country = try numbers.country(request.parameter("countryCode"))
        // Localities are where geographic numbers are; other types have none.
        let type = try Self.type(request, required: false)
        let localities =
            type == nil || type == .geographic
            ? SandboxCatalog.localities(country: country.code, division: request.query["administrativeDivision"]) : []
        return try Self.page(
            localities.map {
                LocalityView(
                    localizedName: $0.locality,
                    administrativeDivision: .init(localizedName: $0.division.name, abbreviatedName: $0.division.abbreviation))
            }, key: "phoneNumberLocalities", request: request, path: "/availablePhoneNumbers/countries/\(country.code)/localities")
    }

    struct OfferingView: Encodable, Sendable {
        let phoneNumberType: PhoneNumberType
        let assignmentType: String
        let availableCapabilities: NumberCapabilities
        let cost: NumberCost
    }

    @Sendable func offerings(_ request: APIRequest) async throws -> Response {
        let country = try numbers.country(request.parameter("countryCode"))
        let offerings = SandboxCatalog.offerings(
            country: country.code, type: try Self.type(request, required: false), assignmentType: try Self.assignment(request)?.rawValue)
        return try Self.page(
            offerings.map {
                OfferingView(
                    phoneNumberType: $0.type, assignmentType: $0.assignmentType,
                    availableCapabilities: NumberCapabilities(
                        calling: NumberCapabilityValue(rawValue: $0.calling) ?? .none, sms: NumberCapabilityValue(rawValue: $0.sms) ?? .none),
                    cost: NumbersService.cost($0))
            }, key: "phoneNumberOfferings", request: request, path: "/availablePhoneNumbers/countries/\(country.code)/offerings")
    }

    // MARK: Long-running operations

    /// 202 with the operation's location (absolute, with its api-version, since the SDK follows it verbatim) and,
    /// for operations whose result the SDK reads from `Location`, that too. The work is done, so the SDK is told it
    /// may look at once.
    static func accepted(
        _ operation: NumberOperation, request: APIRequest, location: String? = nil, idHeader: String, body: (any Encodable & Sendable)? = nil
    ) throws -> Response {
        var headers = HTTPFields()
        let version = request.apiVersion.rawValue
        headers[HTTPField.Name("Operation-Location")!] = "\(request.endpoint)/phoneNumbers/operations/\(operation.id)?api-version=\(version)"
        headers[HTTPField.Name("operation-id")!] = operation.id
        headers[HTTPField.Name(idHeader)!] = String(operation.id.drop { $0 != "_" }.dropFirst())
        if let location { headers[.location] = "\(request.endpoint)\(location)?api-version=\(version)" }
        headers[.retryAfter] = "1"
        headers[HTTPField.Name("retry-after-ms")!] = "10"
        if let body { return try JSONBody.response(body, status: .accepted, headers: headers) }
        return Response(status: .accepted, headers: headers)
    }

    struct SearchBody: Decodable {
        var phoneNumberType: PhoneNumberType
        var assignmentType: NumberAssignmentType
        var capabilities: NumberCapabilities
        var areaCode: String?
        var quantity: Int?
    }

    @Sendable func search(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(SearchBody.self)
        let operation = try await numbers.search(
            country: request.parameter("countryCode"),
            .init(
                type: body.phoneNumberType, assignment: body.assignmentType, capabilities: body.capabilities,
                areaCode: body.areaCode?.isEmpty == true ? nil : body.areaCode, quantity: body.quantity ?? 1),
            in: request.resource)
        let id = String(operation.id.dropFirst("search_".count))
        return try Self.accepted(operation, request: request, location: "/availablePhoneNumbers/searchResults/\(id)", idHeader: "search-id")
    }

    @Sendable func searchResult(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await numbers.searchResult(request.parameter("searchId"), in: request.resource))
    }

    struct PurchaseBody: Decodable {
        var searchId: String
        var agreeToNotResell: Bool?
    }

    @Sendable func purchase(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(PurchaseBody.self)
        let operation = try await numbers.purchase(search: body.searchId, agreeToNotResell: body.agreeToNotResell ?? false, in: request.resource)
        return try Self.accepted(operation, request: request, idHeader: "purchase-id")
    }

    /// The number in the path, `+` and digits; anything else is no number the resource could hold.
    static func number(_ request: APIRequest) throws -> String {
        let text = request.parameter("phoneNumber")
        guard let number = MessagingAddress.phoneNumber(text.hasPrefix(" ") ? "+" + text.dropFirst() : text) else {
            throw NumbersError.numberNotFound(text)
        }
        return number
    }

    @Sendable func release(_ request: APIRequest) async throws -> Response {
        let operation = try await numbers.release(try Self.number(request), in: request.resource)
        return try Self.accepted(operation, request: request, idHeader: "release-id")
    }

    struct CapabilitiesBody: Decodable {
        var calling: NumberCapabilityValue?
        var sms: NumberCapabilityValue?
    }

    @Sendable func updateCapabilities(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(CapabilitiesBody.self)
        let number = try Self.number(request)
        let (updated, operation) = try await numbers.updateCapabilities(of: number, calling: body.calling, sms: body.sms, in: request.resource)
        return try Self.accepted(
            operation, request: request, location: "/phoneNumbers/\(Paging.segment(number))", idHeader: "capabilities-id", body: updated)
    }

    @Sendable func getOperation(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await numbers.operation(request.parameter("operationId"), in: request.resource))
    }

    @Sendable func cancelOperation(_ request: APIRequest) async throws -> Response {
        try await numbers.cancelOperation(request.parameter("operationId"), in: request.resource)
        return Response(status: .noContent)
    }

    // MARK: The resource's numbers

    @Sendable func listNumbers(_ request: APIRequest) async throws -> Response {
        let skip = try Paging.skip(request)
        let top = try Paging.pageSize(request, name: "top", defaultSize: 100, maximum: 1000)
        let found = try await numbers.numbers(skip: skip, limit: top + 1, in: request.resource)
        let next = found.count > top ? Self.nextLink(request, path: "/phoneNumbers", skip: skip + top, sizeName: "top", size: top) : nil
        return try JSONBody.response(SkipPage(key: "phoneNumbers", items: Array(found.prefix(top)), nextLink: next))
    }

    @Sendable func getNumber(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await numbers.number(try Self.number(request), in: request.resource))
    }

    // MARK: Browsing and reservations

    struct BrowseBody: Decodable {
        struct Capabilities: Decodable {
            var calling: NumberCapabilityValue?
            var sms: NumberCapabilityValue?
        }

        var phoneNumberType: PhoneNumberType
        var capabilities: Capabilities?
        var assignmentType: NumberAssignmentType?
        var phoneNumberPrefixes: [String]?
    }

    struct BrowseResult: Encodable, Sendable {
        let phoneNumbers: [AvailablePhoneNumber]
    }

    @Sendable func browse(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(BrowseBody.self)
        let found = try await numbers.browse(
            country: request.parameter("countryCode"),
            .init(
                type: body.phoneNumberType, assignment: body.assignmentType ?? .application,
                capabilities: NumberCapabilities(calling: body.capabilities?.calling ?? .none, sms: body.capabilities?.sms ?? .inboundOutbound),
                prefixes: body.phoneNumberPrefixes ?? []))
        return try JSONBody.response(BrowseResult(phoneNumbers: found))
    }

    /// A number to add to a reservation, as the SDK sends it (the read-only fields of an offer left out).
    struct ReservedNumberBody: Decodable {
        var countryCode: String
        var capabilities: NumberCapabilities
        var phoneNumberType: PhoneNumberType
        var assignmentType: NumberAssignmentType
    }

    struct ReservationBody: Decodable {
        var phoneNumbers: [String: ReservedNumberBody?]?
    }

    @Sendable func updateReservation(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ReservationBody.self)
        let requested = (body.phoneNumbers ?? [:]).mapValues { entry in
            entry.map { entry in
                AvailablePhoneNumber(
                    id: "", countryCode: entry.countryCode, phoneNumber: "", capabilities: entry.capabilities, phoneNumberType: entry.phoneNumberType,
                    assignmentType: entry.assignmentType, cost: NumberCost(amount: 0, currencyCode: "USD"), status: .available,
                    isAgreementToNotResellRequired: false)
            }
        }
        let change = try await numbers.updateReservation(request.parameter("reservationId"), changes: requested, in: request.resource)
        let status: HTTPResponse.Status = change.partial ? .init(code: 207) : change.created ? .created : .ok
        return try JSONBody.response(change.reservation, status: status)
    }

    @Sendable func getReservation(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await numbers.reservation(request.parameter("reservationId"), in: request.resource))
    }

    struct ReservationCursor: Codable {
        let after: String
    }

    @Sendable func listReservations(_ request: APIRequest) async throws -> Response {
        let size = try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
        let cursor = try Paging.cursor(request, as: ReservationCursor.self)
        let found = try await numbers.reservations(after: cursor?.after, limit: size, in: request.resource)
        let next =
            found.count == size
            ? found.last.map {
                Paging.nextLink(
                    request, path: "/availablePhoneNumbers/reservations", cursor: ReservationCursor(after: $0.id), keeping: ["maxPageSize"])
            } : nil
        return try JSONBody.response(SkipPage(key: "reservations", items: found, nextLink: next ?? nil))
    }

    @Sendable func deleteReservation(_ request: APIRequest) async throws -> Response {
        try await numbers.deleteReservation(request.parameter("reservationId"), in: request.resource)
        return Response(status: .noContent)
    }

    struct ReservationPurchaseBody: Decodable {
        var agreeToNotResell: Bool?
    }

    @Sendable func purchaseReservation(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeIfPresent(ReservationPurchaseBody.self)
        let operation = try await numbers.purchase(
            reservation: request.parameter("reservationId"), agreeToNotResell: body?.agreeToNotResell ?? false, in: request.resource)
        return try Self.accepted(operation, request: request, idHeader: "reservation-purchase-id")
    }

    // MARK: Operator information

    struct OperatorInformationBody: Decodable {
        struct Options: Decodable {
            var includeAdditionalOperatorDetails: Bool?
        }

        var phoneNumbers: [String]
        var options: Options?
    }

    struct OperatorInformationResult: Encodable, Sendable {
        let values: [NumbersService.OperatorInformation]
    }

    @Sendable func operatorInformation(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(OperatorInformationBody.self)
        let values = try await numbers.operatorInformation(
            body.phoneNumbers, includeDetails: body.options?.includeAdditionalOperatorDetails ?? false)
        return try JSONBody.response(OperatorInformationResult(values: values))
    }
}
