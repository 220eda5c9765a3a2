-- Template policies admins changed from Slack (escalation, expiry), which win over the config:
-- one document per template, keyed "<provider>:<template id>".
CREATE TABLE policy_overrides (
    template text PRIMARY KEY,
    doc jsonb NOT NULL
);
