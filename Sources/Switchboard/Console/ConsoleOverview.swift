import Foundation

/// A resource's first page: where its endpoint is, how to point an SDK at it (with the `dev` resource's connection
/// string, the one a developer starts with), and what each page shows.
struct ConsoleOverview {
    let runtime: Runtime
    let pages: [any ConsolePage]

    func render(_ request: ConsoleRequest) async throws -> HTML {
        let resource = request.resource
        let endpoint = ConnectionString.endpoint(baseURL: request.serverURL, resourceName: resource.name)
        let connection: HTML
        if resource.name == "dev", let details = try? await runtime.administration.details(of: "dev") {
            let text = ConnectionString.make(baseURL: request.serverURL, resourceName: "dev", accessKey: details.primaryKey)
            connection = """
                <p>The <code>dev</code> resource's connection string (the one <code>switchboard serve</code> prints):</p>
                \(ConsoleHTML.code(text))
                """
        } else {
            connection = """
                <p>Its connection string holds an access key; print it with:</p>
                \(ConsoleHTML.code("switchboard resource show \(resource.name)"))
                """
        }
        let quickstart = """
            import os
            from azure.communication.sms import SmsClient
            from azure.communication.email import EmailClient

            connection = os.environ["ACS_CONNECTION_STRING"]
            SmsClient.from_connection_string(connection).send(
                from_="+18005550100", to="+12065550123", message="Your code is 123456")
            EmailClient.from_connection_string(connection).begin_send({
                "senderAddress": "DoNotReply@\(resource.name).sandbox.switchboard.test",
                "recipients": {"to": [{"address": "someone@example.com"}]},
                "content": {"subject": "Hello", "plainText": "Hello from the sandbox"},
            }).result()
            """
        let descriptions = pages.sorted { ($0.group.rawValue, $0.order, $0.title) < ($1.group.rawValue, $1.order, $1.title) }.map {
            page -> [HTML] in ["<a href=\"\(request.link(page.slug))\">\(page.title)</a>", "\(page.group.title)"]
        }
        return """
            <dl class="stats">
            \(ConsoleHTML.stat("Resource", resource.name))
            \(ConsoleHTML.stat("Geography", resource.geography.displayName))
            </dl>
            <h2>Point an SDK at it</h2>
            <p>Endpoint: <code>\(endpoint)</code></p>
            \(connection)
            <p>Then send through the sandbox carriers and watch the messages arrive here, live (purchase a sandbox number first for SMS:
            <code>switchboard numbers</code> or the Phone Numbers SDK):</p>
            \(ConsoleHTML.code(quickstart))
            <h2>Pages</h2>
            \(ConsoleHTML.table(caption: "Pages", headers: ["Page", "For"], rows: descriptions))
            """
    }
}
