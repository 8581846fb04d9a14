import Foundation

/// Builds connection strings and endpoints the Azure SDKs accept.
public enum ConnectionString {
    /// `https://host:port/name` for the resource `name` on the server at `baseURL`.
    public static func endpoint(baseURL: String, resourceName: String) -> String {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return "\(base)/\(resourceName)"
    }

    /// `endpoint=https://host:port/name;accesskey=KEY`.
    public static func make(baseURL: String, resourceName: String, accessKey: String) -> String {
        "endpoint=\(endpoint(baseURL: baseURL, resourceName: resourceName));accesskey=\(accessKey)"
    }
}
