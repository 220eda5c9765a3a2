-- Approvals told from a callback alone, whose form data a detail reader still owes: one row per
-- approval (the read fetches whatever is current), claimed by whichever replica reads it.
CREATE TABLE details_wanted (
    key text PRIMARY KEY,
    since double precision NOT NULL,
    not_before double precision NOT NULL DEFAULT 0,
    attempts integer NOT NULL DEFAULT 0
);
CREATE INDEX details_wanted_due ON details_wanted (not_before, since);
