-- Data protection: the record of processing per programme, the register of data-subject
-- requests, the breach register, the suppression list for objections and the purge log.
-- The register never holds a caller number or RUT in clear: a request names its subject by
-- a masked form (at most the last four digits); search, export and erasure take the
-- identifier as input each time. The suppression list holds the keyed hash of a number, the
-- least that lets a future import recognise it.
CREATE TABLE processing_records (
    programme_id INTEGER PRIMARY KEY REFERENCES programmes(id) ON DELETE CASCADE,
    data         TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE rights_requests (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL,
    subject        TEXT NOT NULL,
    channel        TEXT NOT NULL DEFAULT '',
    received_on    TEXT NOT NULL,
    acknowledged_at INTEGER,
    identity_checked INTEGER NOT NULL DEFAULT 0,
    due_on         TEXT NOT NULL,
    extended       INTEGER NOT NULL DEFAULT 0,
    extension_reason TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    answered_on    TEXT,
    answer         TEXT NOT NULL DEFAULT '',
    denial_reason  TEXT NOT NULL DEFAULT '',
    complain_until TEXT,
    proof          TEXT NOT NULL DEFAULT '',
    created_by     INTEGER REFERENCES users(id),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX rights_requests_due ON rights_requests(status, due_on);

CREATE TABLE breaches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    data        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE suppressed_callers (
    caller_hash TEXT PRIMARY KEY,
    request_id  INTEGER REFERENCES rights_requests(id) ON DELETE SET NULL,
    -- objection (never contact) or blocking (kept, processing paused)
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE purge_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    data_class  TEXT NOT NULL,
    cutoff      INTEGER NOT NULL,
    removed     INTEGER NOT NULL
);
