import Foundation
import HTTPTypes

/// `GET {endpoint}/retention` (`api-version=2026-12-01`): the retention table in force for the resource — every
/// rule the maintenance service enforces, in words, with the geography whose store keeps the data.
public struct RetentionAPI: Sendable {
    public static let service = APIService(name: "retention", versions: ["2026-12-01"])

    let rules: [RetentionRule]

    struct Table: Encodable, Sendable {
        struct Line: Encodable, Sendable {
            let name: String
            let data: String
            let kept: String
        }

        let resource: String
        let geography: String
        let rules: [Line]
    }

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let lines = rules.map { Table.Line(name: $0.name, data: $0.data, kept: $0.kept) }
        return [
            Route(.get, "/retention", service: Self.service, auth: auth) { request in
                try JSONBody.response(
                    Table(resource: request.resource.name, geography: request.resource.geography.compactName, rules: lines))
            }
        ]
    }
}
