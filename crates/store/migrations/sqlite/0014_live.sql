-- Live operations. A watcher (`rumbo watch queue-log`, `rumbo watch ami` or a server job)
-- keeps each programme's live state and writes it here as one compact JSON document with a
-- version that grows with every change; servers stay stateless and stream a programme's state
-- to wallboards whenever its version moves.
CREATE TABLE live_state (
    programme_id INTEGER PRIMARY KEY REFERENCES programmes(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    source       TEXT NOT NULL,
    state_json   TEXT NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Where a followed queue_log was read up to: the file's identity (device and inode), the
-- offset up to which every call is imported (a restart reads again from here and the
-- natural keys skip what was imported) and the offset the live state has seen.
CREATE TABLE live_follow (
    programme_id     INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    path             TEXT NOT NULL,
    file_id          TEXT NOT NULL,
    imported_offset  INTEGER NOT NULL,
    live_offset      INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (programme_id, path)
);

-- Per programme: the queue_log a server job follows (if any) and the live alarm thresholds.
CREATE TABLE live_settings (
    programme_id  INTEGER PRIMARY KEY REFERENCES programmes(id) ON DELETE CASCADE,
    settings_json TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
);
