-- Ingest and KPI engine: import batches with their data-quality report, saved
-- column mappings, and KPI aggregates per (batch, definition version, queue, 15-min interval).
-- Raw records are retained in batch files beside the database (path in data_path): the
-- standard call CSV plus extra columns, and a sorted file of natural-key hashes used to skip
-- duplicates on re-import. A batch row is committed in the same transaction as its issues and
-- aggregates, so a crash leaves the whole batch or nothing (an uncommitted file is an orphan
-- that the next import deletes).
CREATE TABLE import_batches (
    id            INTEGER PRIMARY KEY,
    programme_id  INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    source        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    file_hash     TEXT NOT NULL,
    mapping_name  TEXT,
    lines_read    INTEGER NOT NULL,
    imported      INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    suspicious    INTEGER NOT NULL,
    duplicates    INTEGER NOT NULL,
    data_path     TEXT,
    keys_path     TEXT,
    min_ts        INTEGER,
    max_ts        INTEGER,
    created_at    INTEGER NOT NULL,
    actor         TEXT NOT NULL
);
CREATE INDEX import_batches_programme ON import_batches(programme_id, id);

CREATE TABLE import_issues (
    batch_id  INTEGER NOT NULL REFERENCES import_batches(id) ON DELETE CASCADE,
    line      INTEGER NOT NULL,
    severity  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    message   TEXT NOT NULL
);
CREATE INDEX import_issues_batch ON import_issues(batch_id, line);

CREATE TABLE import_mappings (
    id            INTEGER PRIMARY KEY,
    programme_id  INTEGER REFERENCES programmes(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    mapping_json  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (programme_id, name)
);

-- Exact sums are 64.64 fixed-point integers written as decimal text (they exceed 64 bits).
CREATE TABLE kpi_aggregates (
    batch_id           INTEGER NOT NULL REFERENCES import_batches(id) ON DELETE CASCADE,
    programme_id       INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    definition         TEXT NOT NULL,
    definition_version INTEGER NOT NULL,
    queue              TEXT NOT NULL,
    interval_start     INTEGER NOT NULL,
    counts             TEXT NOT NULL,
    sums               TEXT NOT NULL,
    PRIMARY KEY (batch_id, definition, definition_version, queue, interval_start)
);
CREATE INDEX kpi_aggregates_lookup ON kpi_aggregates(programme_id, definition, definition_version, interval_start);
