-- The first schema: one table per aggregate. Documents stay JSON (as in the TinyDB store) and the
-- columns beside them are what the database must index or enforce.
CREATE TABLE approvals (
    key text PRIMARY KEY,
    doc jsonb NOT NULL,
    final boolean NOT NULL DEFAULT false,
    updated double precision NOT NULL DEFAULT 0
);
CREATE INDEX approvals_open ON approvals (key) WHERE NOT final;
CREATE INDEX approvals_final_recent ON approvals (updated DESC) WHERE final;

-- one Slack message per card, and a message belongs to one card
CREATE TABLE cards (
    approval_key text NOT NULL,
    card_key text NOT NULL,
    channel text NOT NULL,
    ts text NOT NULL,
    PRIMARY KEY (approval_key, card_key),
    UNIQUE (channel, ts)
);

CREATE TABLE outbox (
    id text PRIMARY KEY,
    created double precision NOT NULL,
    approval_key text NOT NULL,
    item jsonb NOT NULL,
    card_key text GENERATED ALWAYS AS (nullif(item->>'card_key', '')) STORED,
    in_flight boolean GENERATED ALWAYS AS (coalesce((item->>'in_flight')::boolean, false)) STORED,
    held boolean GENERATED ALWAYS AS (coalesce(item->'held', 'null'::jsonb) NOT IN ('null'::jsonb, 'false'::jsonb)) STORED,
    claimed_by text,
    claimed_until timestamptz
);
CREATE INDEX outbox_order ON outbox (created);
CREATE INDEX outbox_approval ON outbox (approval_key);
CREATE INDEX outbox_card ON outbox (card_key) WHERE card_key IS NOT NULL;

CREATE TABLE failed_deliveries (
    id text PRIMARY KEY,
    at double precision NOT NULL,
    doc jsonb NOT NULL
);
CREATE INDEX failed_deliveries_at ON failed_deliveries (at);

-- a callback applied once: the key is the constraint, not a check in memory
CREATE TABLE dedupe (
    key text PRIMARY KEY,
    at double precision NOT NULL
);
CREATE INDEX dedupe_at ON dedupe (at);

CREATE TABLE users (
    key text PRIMARY KEY,
    at double precision NOT NULL,
    doc jsonb NOT NULL
);

CREATE TABLE identities (
    key text PRIMARY KEY,
    identity text NOT NULL,
    slack_id text NOT NULL,
    provider_id text NOT NULL,
    doc jsonb NOT NULL,
    UNIQUE (identity, provider_id)
);

-- a filed number belongs to one draft
CREATE TABLE drafts (
    id text PRIMARY KEY,
    created double precision NOT NULL,
    number text UNIQUE,
    doc jsonb NOT NULL
);

-- an approve link is used once: the primary key is the use
CREATE TABLE link_uses (
    id text PRIMARY KEY,
    expires bigint NOT NULL,
    at double precision NOT NULL
);

CREATE TABLE tracked_templates (
    alias text PRIMARY KEY,
    doc jsonb NOT NULL
);

CREATE TABLE meta (
    name text PRIMARY KEY,
    value jsonb NOT NULL
);

-- acknowledged callbacks not applied yet: a row is deleted in the transaction that stores its effects
CREATE TABLE inbox (
    seq bigserial PRIMARY KEY,
    approval_key text NOT NULL DEFAULT '',
    record jsonb NOT NULL,
    received timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_approval ON inbox (approval_key, seq);

-- which replica runs the schedule (it also holds the advisory lock), for /healthz
CREATE TABLE leader (
    name text PRIMARY KEY,
    replica text NOT NULL,
    since timestamptz NOT NULL,
    heartbeat timestamptz NOT NULL
);
