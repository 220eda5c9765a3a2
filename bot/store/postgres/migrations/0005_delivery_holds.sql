-- What stops delivery to Slack for a while, for every replica alike: a channel's Retry-After
-- ('channel:<id>', until `until_at`) and the fault of the bot's credentials ('fault', its next probe
-- due at `until_at`). Times are seconds since the epoch, as the replicas' clocks give them.
CREATE TABLE delivery_holds (
    name text PRIMARY KEY,
    until_at double precision NOT NULL,
    doc jsonb NOT NULL DEFAULT '{}'
);
