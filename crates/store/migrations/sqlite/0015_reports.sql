-- Report distribution: schedules (a report kind, format and language sent weekly or monthly to
-- recipients) and the distribution record (each produced report with its version, SHA-256,
-- recipients, outcome and the stored copy).
CREATE TABLE report_schedules (
    id           INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    format       TEXT NOT NULL,
    lang         TEXT NOT NULL,
    frequency    TEXT NOT NULL,
    recipients   TEXT NOT NULL,
    next_run     INTEGER NOT NULL,
    created_by   INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX report_schedules_due ON report_schedules(next_run);
CREATE INDEX report_schedules_programme ON report_schedules(programme_id, id);

CREATE TABLE report_distributions (
    id           INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    schedule_id  INTEGER REFERENCES report_schedules(id) ON DELETE SET NULL,
    kind         TEXT NOT NULL,
    format       TEXT NOT NULL,
    lang         TEXT NOT NULL,
    period_from  TEXT NOT NULL,
    period_to    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content      BLOB NOT NULL,
    recipients   TEXT NOT NULL,
    status       TEXT NOT NULL,
    error        TEXT,
    client_safe  INTEGER NOT NULL,
    created_by   INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX report_distributions_programme ON report_distributions(programme_id, id);
