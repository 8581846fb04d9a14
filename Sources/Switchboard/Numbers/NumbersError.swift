/// What the Phone Numbers API and the inventory commands refuse.
public enum NumbersError: Error, Equatable, Sendable, APIErrorConvertible {
    case invalid(String, target: String?)
    case unknownCountry(String)
    case typeNotOffered(country: String, type: PhoneNumberType)
    case numberNotFound(String)
    case searchNotFound(String)
    case searchExpired(String)
    case searchPurchased(String)
    case reservationNotFound(String)
    case reservationNotActive(String, NumberReservation.Status)
    case operationNotFound(String)
    case agreementRequired
    /// The inventory commands.
    case alreadyInInventory([String])
    case notInInventory([String])
    case numberHeld([String])

    public var apiError: APIError {
        switch self {
        case .invalid(let message, let target):
            .badRequest(code: "InvalidRequest", message, target: target)
        case .unknownCountry(let code):
            .badRequest(code: "InvalidCountryCode", "Phone numbers are not offered in '\(code)'.", target: "countryCode")
        case .typeNotOffered(let country, let type):
            .badRequest(
                code: "InvalidPhoneNumberType", "\(type.rawValue) numbers are not offered in \(country).", target: "phoneNumberType")
        case .numberNotFound(let number):
            .notFound(code: "PhoneNumberNotFound", "The resource holds no phone number \(number).", target: "phoneNumber")
        case .searchNotFound(let id):
            .notFound(code: "SearchNotFound", "There is no search '\(id)'.", target: "searchId")
        case .searchExpired(let id):
            .badRequest(code: "SearchExpired", "The search '\(id)' has expired; search again.", target: "searchId")
        case .searchPurchased(let id):
            .conflict(code: "SearchAlreadyPurchased", "The numbers of the search '\(id)' were already purchased.", target: "searchId")
        case .reservationNotFound(let id):
            .notFound(code: "ReservationNotFound", "There is no reservation '\(id)'.", target: "reservationId")
        case .reservationNotActive(let id, let status):
            .conflict(code: "ReservationNotActive", "The reservation '\(id)' is \(status.rawValue).", target: "reservationId")
        case .operationNotFound(let id):
            .notFound(code: "OperationNotFound", "There is no operation '\(id)'.", target: "operationId")
        case .agreementRequired:
            .badRequest(
                code: "AgreementToNotResellRequired", "These numbers may only be purchased with agreeToNotResell set to true.",
                target: "agreeToNotResell")
        case .alreadyInInventory(let numbers):
            .conflict(code: "AlreadyInInventory", "Already in the inventory: \(numbers.joined(separator: ", ")).")
        case .notInInventory(let numbers):
            .notFound(code: "NotInInventory", "Not in the inventory: \(numbers.joined(separator: ", ")).")
        case .numberHeld(let numbers):
            .conflict(
                code: "NumberHeld",
                "Held by a resource (release them first) or not the operator's: \(numbers.joined(separator: ", ")).")
        }
    }
}
