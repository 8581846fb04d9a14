import Hummingbird
import Logging

/// The per-request context Hummingbird creates. Switchboard's own pipeline (``APIResponder``) carries the
/// resource and principal in ``APIRequest`` instead, so this holds only what Hummingbird needs.
public struct SwitchboardRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
