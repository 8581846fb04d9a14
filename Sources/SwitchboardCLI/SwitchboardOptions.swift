import ArgumentParser

/// The options every command shares. Each can also be given as an environment variable or in the JSON
/// configuration file; see ``ConfigurationResolver`` for the order.
public struct SwitchboardOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(name: .long, help: "Data directory (default ./.switchboard; env SWITCHBOARD_DATA_DIR).")
    var dataDir: String?

    @Option(name: .long, help: "JSON configuration file (env SWITCHBOARD_CONFIG; default DATA_DIR/switchboard.json if present).")
    var config: String?

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1; env SWITCHBOARD_HOST).")
    var host: String?

    @Option(name: .long, help: "Port to listen on, 0 for any free port (default 8443; env SWITCHBOARD_PORT).")
    var port: Int?

    @Option(name: .long, help: "URL clients use to reach the server, when behind a proxy (env SWITCHBOARD_PUBLIC_URL).")
    var publicURL: String?

    @Option(
        name: .customLong("allowed-host"),
        help:
            "A host name requests may name besides the public URL's, the listening address's, the loopback names and the certificate's (a proxy's name; repeatable; env SWITCHBOARD_ALLOWED_HOSTS, comma-separated)."
    )
    var allowedHosts: [String] = []

    @Option(name: .long, help: "Connections held at once; more are closed as soon as accepted (default 10000; env SWITCHBOARD_MAX_CONNECTIONS).")
    var maxConnections: Int?

    @Option(name: .long, help: "Time a client has to complete the TLS handshake, e.g. 10s (default 10s; env SWITCHBOARD_TLS_HANDSHAKE_TIMEOUT).")
    var tlsHandshakeTimeout: String?

    @Option(
        name: .long,
        help: "Time from connecting to the end of the first request's headers, e.g. 20s (default 20s; env SWITCHBOARD_HEADER_TIMEOUT).")
    var headerTimeout: String?

    @Option(name: .long, help: "Longest silence while a request body is received, e.g. 30s (default 30s; env SWITCHBOARD_BODY_TIMEOUT).")
    var bodyTimeout: String?

    @Option(name: .long, help: "How long a kept-alive connection waits for the next request, e.g. 60s (default 60s; env SWITCHBOARD_IDLE_TIMEOUT).")
    var idleTimeout: String?

    @Option(name: .long, help: "PEM certificate chain to serve instead of the development certificate (env SWITCHBOARD_TLS_CERT).")
    var tlsCert: String?

    @Option(name: .long, help: "PEM private key of --tls-cert (env SWITCHBOARD_TLS_KEY).")
    var tlsKey: String?

    @Flag(name: .long, help: "Serve plain HTTP, for running behind a TLS-terminating proxy (env SWITCHBOARD_INSECURE_HTTP=1).")
    var insecureHTTP = false

    @Option(name: .long, help: "Directory database URL (default sqlite in the data directory; env SWITCHBOARD_DIRECTORY).")
    var directory: String?

    @Option(
        name: .long,
        help: "Store of one geography as GEOGRAPHY=URL, repeatable; sqlite:///path or postgres://… (env SWITCHBOARD_STORE_<GEOGRAPHY>).")
    var store: [String] = []

    @Option(
        name: .long,
        help:
            "File holding the master key (default DATA_DIR/master.key; env SWITCHBOARD_MASTER_KEY_FILE, or the key itself in SWITCHBOARD_MASTER_KEY)."
    )
    var masterKeyFile: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (default info; env SWITCHBOARD_LOG_LEVEL).")
    var logLevel: String?

    @Option(
        name: .long,
        help:
            "Delays between webhook delivery attempts, e.g. 10s,30s,1m (default Event Grid's: 10s,30s,1m,5m,10m,30m,1h,3h,6h,12h (the last repeats); env SWITCHBOARD_WEBHOOK_RETRY_DELAYS)."
    )
    var webhookRetryDelays: String?

    @Option(
        name: .customLong("sms-carrier"),
        help:
            "An SMPP carrier, NAME=smpp://system_id:password@host:port?window=10&geography=unitedstates (smpps:// for TLS; repeatable; env SWITCHBOARD_SMS_CARRIERS, space-separated)."
    )
    var smsCarriers: [String] = []

    @Option(
        name: .long,
        help:
            "Each sender's pace in messages a minute, e.g. tollFree=200,geographic=200,alphanumeric=600 (the defaults; env SWITCHBOARD_SMS_SENDER_RATES)."
    )
    var smsSenderRates: String?

    @Option(
        name: .long,
        help:
            "Send custom domains' email through this SMTP relay: smtp://user:password@host:587?starttls=required (or opportunistic, none; &ca=PEM-FILE to trust a private CA) or smtps://…:465 (env SWITCHBOARD_EMAIL_RELAY). Without it and --email-direct, all email goes to the sandbox."
    )
    var emailRelay: String?

    @Flag(
        name: .long,
        help:
            "Send custom domains' email straight to each recipient domain's MX hosts (env SWITCHBOARD_EMAIL_DIRECT=1)."
    )
    var emailDirect = false

    @Option(
        name: .long,
        help:
            "Listen for what comes back to sent email — delivery status notifications (bounces) and unsubscribe mails — with SMTP on HOST:PORT, e.g. 0.0.0.0:25 (default: no listener; env SWITCHBOARD_SMTP_LISTEN)."
    )
    var smtpListen: String?

    @Option(
        name: .long,
        help:
            "The pauses between attempts after a mail server's temporary refusal (4xx), e.g. 1m,5m,15m,30m,1h,2h,4h; the last repeats until 48 hours passed (env SWITCHBOARD_EMAIL_RETRY_DELAYS)."
    )
    var emailRetryDelays: String?

    @Option(name: .long, help: "The port --email-direct connects to (default 25; another only for tests; env SWITCHBOARD_EMAIL_SMTP_PORT).")
    var emailSmtpPort: Int?

    @Option(
        name: .long,
        help:
            "The DNS resolver email domain verification and MX lookups ask, HOST:PORT (default the system's, from /etc/resolv.conf; env SWITCHBOARD_DNS_RESOLVER)."
    )
    var dnsResolver: String?

    @Option(
        name: .long,
        help:
            "The SPF mechanism a custom email domain must publish for this server to send for it, e.g. include:spf.relay.example (default a:HOST of the public URL; env SWITCHBOARD_EMAIL_SPF)."
    )
    var emailSpf: String?

    @Option(
        name: .long,
        help: "How long after accepting an SMS the sandbox carrier reports it delivered, e.g. 1s (default 1s; env SWITCHBOARD_SMS_SANDBOX_DELAY).")
    var smsSandboxDelay: String?

    @Option(
        name: .long,
        help:
            "The Graph API the WhatsApp Cloud API carrier calls (default https://graph.facebook.com; env SWITCHBOARD_WHATSAPP_GRAPH_URL); tests point it at a local peer."
    )
    var whatsappGraphUrl: String?

    @Option(name: .long, help: "How long a webhook endpoint has to answer, e.g. 30s (default 30s; env SWITCHBOARD_WEBHOOK_TIMEOUT).")
    var webhookTimeout: String?

    @Flag(
        name: .long,
        help:
            "Call webhook endpoints on public addresses only, never loopback or private networks (env SWITCHBOARD_WEBHOOK_DENY_PRIVATE_NETWORKS=1). Link-local addresses are always refused."
    )
    var webhookDenyPrivateNetworks = false

    @Option(
        name: .long, help: "Messages a chat thread accepts per window, as MESSAGES/SECONDS (default 10/10, as ACS; env SWITCHBOARD_CHAT_SEND_RATE).")
    var chatSendRate: String?
}
