-- Background jobs as rows, so any number of servers on one database share them: a job is
-- claimed by one worker (status running, worker_id, attempts + 1), kept alive by heartbeats,
-- re-queued when its heartbeat is older than the timeout (up to max_attempts), and finished
-- as done (result: JSON, e.g. the batch id) or failed (error: a message catalogue key, never
-- internal text). Ids are never reused, so an old job address cannot show a newer job.
CREATE TABLE job_files (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    size        INTEGER NOT NULL DEFAULT 0,
    -- The uploaded bytes: a file under the data folder on SQLite, rows of job_file_chunks on
    -- PostgreSQL (so no server needs a shared disk).
    path        TEXT,
    complete    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE job_file_chunks (
    file_id  INTEGER NOT NULL REFERENCES job_files(id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (file_id, seq)
);

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    programme_id    INTEGER REFERENCES programmes(id) ON DELETE CASCADE,
    created_by      INTEGER REFERENCES users(id),
    payload         TEXT NOT NULL,
    file_id         INTEGER REFERENCES job_files(id) ON DELETE SET NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress_done   INTEGER NOT NULL DEFAULT 0,
    progress_total  INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    worker_id       TEXT,
    heartbeat_at    INTEGER,
    created_at      INTEGER NOT NULL,
    started_at      INTEGER,
    finished_at     INTEGER,
    result          TEXT,
    error           TEXT
);
CREATE INDEX jobs_queue ON jobs(status, id);
CREATE INDEX jobs_finished ON jobs(finished_at);
