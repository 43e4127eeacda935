-- AuthErrorOps schema, version 1. Table and status names are contracts (DESIGN §4, §5).

CREATE TABLE auth_error (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id          varchar(128)  NOT NULL,
    -- Id of the auth.error.recorded.v1 event; kept here because outbox rows are deleted after retention.
    event_id            uuid          NOT NULL,
    -- SHA-256 of the normalised request: tells a replayed request from a conflicting one.
    request_hash        char(64)      NOT NULL,
    occurred_at         timestamptz   NOT NULL,
    received_at         timestamptz   NOT NULL DEFAULT now(),
    source_service      varchar(200),
    environment         varchar(100),
    http_status         smallint      NOT NULL CHECK (http_status BETWEEN 100 AND 599),
    error_type          varchar(40)   NOT NULL CHECK (error_type IN (
                            'INVALID_CREDENTIALS', 'TOKEN_EXPIRED', 'TOKEN_INVALID_SIGNATURE',
                            'ACCOUNT_LOCKED', 'MFA_FAILED', 'RATE_LIMITED', 'AUTH_PROVIDER_TIMEOUT',
                            'AUTH_PROVIDER_5XX', 'UNKNOWN_AUTH_ERROR')),
    severity            varchar(10)   NOT NULL CHECK (severity IN ('LOW', 'MEDIUM', 'HIGH')),
    security_signal     boolean       NOT NULL DEFAULT false,
    exception_class     varchar(500)  NOT NULL,
    exception_message   varchar(1000),
    root_cause_class    varchar(500),
    root_cause_message  varchar(1000),
    stacktrace          varchar(8000) NOT NULL,
    stack_hash          char(64)      NOT NULL,
    fingerprint_version smallint      NOT NULL,
    -- Title of the fingerprint ("InvalidTokenException at TokenValidator.Validate"), for the cluster.
    cluster_title       varchar(300),
    endpoint            varchar(2000),
    http_method         varchar(16),
    provider            varchar(100),
    client_type         varchar(100),
    user_agent_family   varchar(100),
    -- HMAC-SHA-256 hex of the raw identifiers, which are never stored.
    principal_hash      char(64),
    ip_hash             char(64),
    trace_id            varchar(64),
    status              varchar(16)   NOT NULL DEFAULT 'RECEIVED'
                            CHECK (status IN ('RECEIVED', 'LINKED', 'DEAD')),
    analyzed_at         timestamptz,
    attributes          jsonb,
    CONSTRAINT uq_auth_error_request_id UNIQUE (request_id),
    CONSTRAINT uq_auth_error_event_id UNIQUE (event_id)
);

CREATE INDEX ix_auth_error_stack_hash ON auth_error (stack_hash);
CREATE INDEX ix_auth_error_received_at ON auth_error (received_at);

CREATE TABLE outbox_message (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid          NOT NULL,
    aggregate_type  varchar(100)  NOT NULL,
    aggregate_id    varchar(100)  NOT NULL,
    event_type      varchar(200)  NOT NULL,
    payload         jsonb         NOT NULL,
    payload_hash    char(64)      NOT NULL,
    -- W3C trace context of the request that wrote the row, continued by the publish span.
    trace_parent    varchar(64),
    trace_state     varchar(512),
    status          varchar(16)   NOT NULL DEFAULT 'PENDING'
                        CHECK (status IN ('PENDING', 'PROCESSING', 'PUBLISHED', 'DEAD')),
    attempts        integer       NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz   NOT NULL DEFAULT now(),
    locked_by       varchar(200),
    locked_until    timestamptz,
    last_error      varchar(2000),
    created_at      timestamptz   NOT NULL DEFAULT now(),
    published_at    timestamptz,
    CONSTRAINT uq_outbox_message_event_id UNIQUE (event_id),
    CONSTRAINT ck_outbox_message_lease CHECK (status <> 'PROCESSING' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL))
) WITH (fillfactor = 80);

-- Claim: due PENDING rows in id order. Reaper: expired PROCESSING leases. Retention: old PUBLISHED rows.
CREATE INDEX ix_outbox_message_pending ON outbox_message (id) INCLUDE (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX ix_outbox_message_lease ON outbox_message (locked_until) WHERE status = 'PROCESSING';
CREATE INDEX ix_outbox_message_published ON outbox_message (published_at) WHERE status = 'PUBLISHED';
CREATE INDEX ix_outbox_message_dead ON outbox_message (id) WHERE status = 'DEAD';
CREATE INDEX ix_outbox_message_aggregate ON outbox_message (aggregate_type, aggregate_id);

CREATE TABLE processed_message (
    consumer     varchar(100) NOT NULL,
    event_id     uuid         NOT NULL,
    processed_at timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_processed_message PRIMARY KEY (consumer, event_id)
);

CREATE INDEX ix_processed_message_processed_at ON processed_message (processed_at);

CREATE TABLE auth_error_cluster (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_key               char(64)     NOT NULL,
    title                     varchar(300) NOT NULL,
    status                    varchar(10)  NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'MUTED', 'RESOLVED')),
    total_count               bigint       NOT NULL DEFAULT 0 CHECK (total_count >= 0),
    first_seen_at             timestamptz  NOT NULL,
    last_seen_at              timestamptz  NOT NULL,
    fingerprint_version       smallint     NOT NULL,
    error_type                varchar(40)  NOT NULL,
    severity                  varchar(10)  NOT NULL,
    sample_auth_error_id      bigint,
    sample_exception_class    varchar(500),
    sample_exception_message  varchar(1000),
    sample_source_service     varchar(200),
    created_at                timestamptz  NOT NULL DEFAULT now(),
    updated_at                timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT uq_auth_error_cluster_key UNIQUE (cluster_key)
);

CREATE INDEX ix_auth_error_cluster_last_seen ON auth_error_cluster (last_seen_at DESC, id DESC);
CREATE INDEX ix_auth_error_cluster_total ON auth_error_cluster (total_count DESC, id DESC);
CREATE INDEX ix_auth_error_cluster_first_seen ON auth_error_cluster (first_seen_at DESC, id DESC);

CREATE TABLE auth_error_cluster_item (
    cluster_id    bigint      NOT NULL REFERENCES auth_error_cluster (id) ON DELETE CASCADE,
    auth_error_id bigint      NOT NULL REFERENCES auth_error (id) ON DELETE CASCADE,
    linked_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_auth_error_cluster_item PRIMARY KEY (cluster_id, auth_error_id)
);

-- An error belongs to exactly one cluster; also serves "which cluster is this error in".
CREATE UNIQUE INDEX uq_auth_error_cluster_item_error ON auth_error_cluster_item (auth_error_id);
CREATE INDEX ix_auth_error_cluster_item_recent ON auth_error_cluster_item (cluster_id, linked_at DESC);

CREATE TABLE dead_letter_message (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- message_id when present, else the SHA-256 of the body: malformed messages may carry no id.
    message_key     varchar(100)  NOT NULL,
    event_id        uuid,
    event_type      varchar(200),
    reason          varchar(100)  NOT NULL,
    error           varchar(2000),
    payload         text,
    headers         jsonb,
    retry_count     integer       NOT NULL DEFAULT 0,
    delivery_count  integer       NOT NULL DEFAULT 1 CHECK (delivery_count >= 1),
    first_seen_at   timestamptz   NOT NULL DEFAULT now(),
    last_seen_at    timestamptz   NOT NULL DEFAULT now(),
    replay_status   varchar(16)   NOT NULL DEFAULT 'NONE'
                        CHECK (replay_status IN ('NONE', 'REPLAYED', 'FAILED')),
    replay_count    integer       NOT NULL DEFAULT 0,
    replayed_at     timestamptz,
    CONSTRAINT uq_dead_letter_message_key UNIQUE (message_key)
);

CREATE INDEX ix_dead_letter_message_reason ON dead_letter_message (reason, last_seen_at DESC);
CREATE INDEX ix_dead_letter_message_last_seen ON dead_letter_message (last_seen_at DESC, id DESC);
