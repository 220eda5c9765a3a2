-- Who is away, until when, and who decides for them meanwhile: one row per person (their Slack id).
-- A row past its "until" is simply no longer in force; nothing has to run to end it.
CREATE TABLE absences (
    slack_user text PRIMARY KEY,
    doc jsonb NOT NULL
);
