-- Rollups of the 15-minute aggregates per batch to (queue, local hour), (queue, local day) and
-- (queue, local month) in the time zone the programme had when the batch was stored, so a month
-- or a year of figures reads a few hundred rows. Written in the same transaction as the
-- 15-minute rows and deleted with their batch; each row is the exact merge of its 15-minute rows.
CREATE TABLE kpi_rollups (
    batch_id           BIGINT NOT NULL REFERENCES import_batches(id) ON DELETE CASCADE,
    programme_id       BIGINT NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    definition         TEXT NOT NULL,
    definition_version BIGINT NOT NULL,
    time_zone          TEXT NOT NULL,
    grain              TEXT NOT NULL,
    queue              TEXT NOT NULL,
    interval_start     BIGINT NOT NULL,
    counts             TEXT NOT NULL,
    sums               TEXT NOT NULL,
    PRIMARY KEY (batch_id, definition, definition_version, time_zone, grain, queue, interval_start)
);
CREATE INDEX kpi_rollups_lookup ON kpi_rollups(programme_id, definition, definition_version, time_zone, grain, interval_start);

-- A counter of changes to a programme's stored figures (imports, batch deletions, aggregates
-- of a new definition version), bumped in the same transaction: result caches key on it, so
-- servers stay stateless. Its own table, so the programme rows keep their columns.
CREATE TABLE programme_data_versions (
    programme_id BIGINT PRIMARY KEY REFERENCES programmes(id) ON DELETE CASCADE,
    version      BIGINT NOT NULL
);
