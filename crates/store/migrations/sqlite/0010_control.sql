-- The control loop: alarm rules per programme (versioned: a new version per change, never
-- edited in place), alarms with their lifecycle (open → acknowledged → resolved) and
-- corrective actions (a JSON document each: cause, action, owner, options, evaluation).
-- An alarm is found again by its fingerprint (kind, metric, subject, period start), so a
-- re-evaluation updates it instead of raising it twice.
CREATE TABLE alarm_rules (
    id           INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    rules_json   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    UNIQUE (programme_id, version)
);

CREATE TABLE alarms (
    id               INTEGER PRIMARY KEY,
    programme_id     INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    fingerprint      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    metric           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    period_start     INTEGER NOT NULL,
    period_end       INTEGER NOT NULL,
    expected         REAL NOT NULL,
    observed         REAL NOT NULL,
    magnitude        REAL NOT NULL,
    score            REAL NOT NULL,
    rules_version    INTEGER NOT NULL,
    status           TEXT NOT NULL,
    raised_at        INTEGER NOT NULL,
    last_seen_at     INTEGER NOT NULL,
    acknowledged_by  TEXT,
    acknowledged_at  INTEGER,
    resolved_at      INTEGER,
    assignee_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (programme_id, fingerprint)
);
CREATE INDEX alarms_programme_status ON alarms(programme_id, status, period_start);

CREATE TABLE corrective_actions (
    id           INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    alarm_id     INTEGER REFERENCES alarms(id) ON DELETE SET NULL,
    data         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX corrective_actions_programme ON corrective_actions(programme_id, id);
