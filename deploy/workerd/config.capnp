# The self-hosted server: the same bundle as `wrangler deploy` ships (dist/worker.js), on workerd, with Durable
# Object storage on disk. Run it with `npm run serve` (deploy/workerd/serve.ts), which builds the bundle and sets
# the port (socket "http") and the directories ("data", "public") from PORT and DATA_DIR.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .signal),
    (name = "assets", worker = .assets),
    (name = "public", disk = (path = "public")),
    (name = "data", disk = (path = "data", writable = true)),
    # The Worker's own requests out: webhooks (WEBHOOK_URL) and TURN keys. Both go where the operator configured,
    # never where a client asks, so a webhook receiver on this host or its network (private, local) is reached too.
    (name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [(name = "http", address = "*:8787", http = (), service = "main")],
);

const signal :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "../../dist/worker.js")],
  # Keep equal to wrangler.toml's compatibility_date and compatibility_flags (a test checks).
  compatibilityDate = "2026-04-20",
  compatibilityFlags = ["no_web_socket_compression"],
  globalOutbound = "internet",
  bindings = [
    (name = "Peers", durableObjectNamespace = "Peers"),
    (name = "Topics", durableObjectNamespace = "Topics"),
    (name = "PeerjsRooms", durableObjectNamespace = "PeerjsRooms"),
    (name = "Trackers", durableObjectNamespace = "Trackers"),
    (name = "Lobbies", durableObjectNamespace = "Lobbies"),
    (name = "Directory", durableObjectNamespace = "Directory"),
    (name = "ASSETS", service = "assets"),
    # This is the self-hosted server: a client's address is its TCP peer's (or CLIENT_ADDRESS_HEADER's), never a
    # CF-Connecting-IP it sent itself.
    (name = "SIGNAL_RUNTIME", text = "workerd"),
    # The secret of the shutdown route, made anew by serve.ts for each run (unset: no such route).
    (name = "SHUTDOWN_SECRET", fromEnvironment = "SIGNAL_SHUTDOWN_SECRET"),
    # Every setting the Worker reads (SETTING_NAMES in src/core/config.ts), from the environment variable of the
    # same name; an unset variable binds null, which means the default.
    (name = "MAX_MESSAGE_BYTES", fromEnvironment = "MAX_MESSAGE_BYTES"),
    (name = "MAX_PEERS_PER_ROOM", fromEnvironment = "MAX_PEERS_PER_ROOM"),
    (name = "RATE_LIMIT_PER_SECOND", fromEnvironment = "RATE_LIMIT_PER_SECOND"),
    (name = "RATE_LIMIT_BURST", fromEnvironment = "RATE_LIMIT_BURST"),
    (name = "RATE_LIMIT_ABUSE_SECONDS", fromEnvironment = "RATE_LIMIT_ABUSE_SECONDS"),
    (name = "RATE_LIMIT_BYTES_PER_SECOND", fromEnvironment = "RATE_LIMIT_BYTES_PER_SECOND"),
    (name = "RATE_LIMIT_BURST_BYTES", fromEnvironment = "RATE_LIMIT_BURST_BYTES"),
    (name = "REGISTER_TIMEOUT_SECONDS", fromEnvironment = "REGISTER_TIMEOUT_SECONDS"),
    (name = "RESUME_GRACE_SECONDS", fromEnvironment = "RESUME_GRACE_SECONDS"),
    (name = "MAILBOX_MAX_MESSAGES", fromEnvironment = "MAILBOX_MAX_MESSAGES"),
    (name = "MAILBOX_MAX_BYTES", fromEnvironment = "MAILBOX_MAX_BYTES"),
    (name = "ROOM_MAILBOX_MAX_BYTES", fromEnvironment = "ROOM_MAILBOX_MAX_BYTES"),
    (name = "IDLE_TIMEOUT_SECONDS", fromEnvironment = "IDLE_TIMEOUT_SECONDS"),
    (name = "MAX_JSON_DEPTH", fromEnvironment = "MAX_JSON_DEPTH"),
    (name = "OUTBOUND_BYTES_PER_SECOND", fromEnvironment = "OUTBOUND_BYTES_PER_SECOND"),
    (name = "OUTBOUND_BURST_BYTES", fromEnvironment = "OUTBOUND_BURST_BYTES"),
    (name = "MAX_CONNECTIONS_PER_IP", fromEnvironment = "MAX_CONNECTIONS_PER_IP"),
    (name = "PRESENCE_FANOUT_PER_SECOND", fromEnvironment = "PRESENCE_FANOUT_PER_SECOND"),
    (name = "PRESENCE_FANOUT_BURST", fromEnvironment = "PRESENCE_FANOUT_BURST"),
    (name = "MAX_META_BYTES", fromEnvironment = "MAX_META_BYTES"),
    (name = "MAX_META_DEPTH", fromEnvironment = "MAX_META_DEPTH"),
    (name = "ICE_SERVERS", fromEnvironment = "ICE_SERVERS"),
    (name = "ALLOWED_ORIGINS", fromEnvironment = "ALLOWED_ORIGINS"),
    (name = "AUTH_SECRET", fromEnvironment = "AUTH_SECRET"),
    (name = "AUTH_JWKS", fromEnvironment = "AUTH_JWKS"),
    (name = "AUTH_ISSUER", fromEnvironment = "AUTH_ISSUER"),
    (name = "AUTH_AUDIENCE", fromEnvironment = "AUTH_AUDIENCE"),
    (name = "TURN_SECRET", fromEnvironment = "TURN_SECRET"),
    (name = "TURN_URLS", fromEnvironment = "TURN_URLS"),
    (name = "TURN_TTL", fromEnvironment = "TURN_TTL"),
    (name = "TURN_KEY_ID", fromEnvironment = "TURN_KEY_ID"),
    (name = "TURN_KEY_API_TOKEN", fromEnvironment = "TURN_KEY_API_TOKEN"),
    (name = "TURN_ALLOW_OPEN", fromEnvironment = "TURN_ALLOW_OPEN"),
    (name = "NEW_CONNECTIONS_PER_IP_PER_MINUTE", fromEnvironment = "NEW_CONNECTIONS_PER_IP_PER_MINUTE"),
    (name = "ICE_SERVERS_PER_IP_PER_MINUTE", fromEnvironment = "ICE_SERVERS_PER_IP_PER_MINUTE"),
    (name = "CLIENT_ADDRESS_HEADER", fromEnvironment = "CLIENT_ADDRESS_HEADER"),
    (name = "ADMIN_TOKEN", fromEnvironment = "ADMIN_TOKEN"),
    (name = "ENDPOINTS", fromEnvironment = "ENDPOINTS"),
    (name = "PEERJS_ALLOW_DISCOVERY", fromEnvironment = "PEERJS_ALLOW_DISCOVERY"),
    (name = "DEMO", fromEnvironment = "DEMO"),
    (name = "PERSIST_REGISTRATIONS", fromEnvironment = "PERSIST_REGISTRATIONS"),
    (name = "LOCATION_HINT", fromEnvironment = "LOCATION_HINT"),
    (name = "JURISDICTION", fromEnvironment = "JURISDICTION"),
    (name = "METRICS", fromEnvironment = "METRICS"),
    (name = "METRICS_INTERVAL_SECONDS", fromEnvironment = "METRICS_INTERVAL_SECONDS"),
    (name = "WEBHOOK_URL", fromEnvironment = "WEBHOOK_URL"),
    (name = "WEBHOOK_SECRET", fromEnvironment = "WEBHOOK_SECRET"),
    (name = "WEBHOOK_EVENTS", fromEnvironment = "WEBHOOK_EVENTS"),
    (name = "WEBHOOK_MAX_ATTEMPTS", fromEnvironment = "WEBHOOK_MAX_ATTEMPTS"),
  ],
  durableObjectNamespaces = [
    (className = "Peers", uniqueKey = "webrtc-signal-Peers", enableSql = true),
    (className = "Topics", uniqueKey = "webrtc-signal-Topics", enableSql = true),
    (className = "PeerjsRooms", uniqueKey = "webrtc-signal-PeerjsRooms", enableSql = true),
    (className = "Trackers", uniqueKey = "webrtc-signal-Trackers", enableSql = true),
    (className = "Lobbies", uniqueKey = "webrtc-signal-Lobbies", enableSql = true),
    (className = "Directory", uniqueKey = "webrtc-signal-Directory", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "data"),
);

const assets :Workerd.Worker = (
  modules = [(name = "assets.js", esModule = embed "assets.js")],
  compatibilityDate = "2026-04-20",
  bindings = [(name = "FILES", service = "public")],
);
