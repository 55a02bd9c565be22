-- Exactly-once imports and indexed raw records.
--
-- import_keys: the sorted 128-bit natural keys (16 bytes each, big-endian) of the records a
-- batch imported, packed into blobs of at most 1M keys. An import skips every key already
-- stored for its programme; its commit, serialised per programme, re-checks the keys of
-- batches committed meanwhile, so two concurrent imports of one file store each record once.
--
-- raw_segments: where the raw records of a batch are, grouped by (queue, 15-minute interval
-- of the call's entry). On SQLite `data` is NULL and the bytes are at [byte_offset,
-- byte_offset + byte_len) of the batch's file (import_batches.data_path) under the data
-- folder; on PostgreSQL they are in `data`. A (queue, interval) may span several segments.
-- raw_header is the CSV header the records are written under; raw_max_span the longest
-- wait + talk + hold of the batch's calls (how far another attribution can move a call).
ALTER TABLE import_batches ADD COLUMN raw_header TEXT;
ALTER TABLE import_batches ADD COLUMN raw_max_span INTEGER;

CREATE TABLE import_keys (
    batch_id  INTEGER NOT NULL REFERENCES import_batches(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    keys      BLOB NOT NULL,
    PRIMARY KEY (batch_id, seq)
);

CREATE TABLE raw_segments (
    batch_id        INTEGER NOT NULL REFERENCES import_batches(id) ON DELETE CASCADE,
    programme_id    INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    queue           TEXT NOT NULL,
    interval_start  INTEGER NOT NULL,
    n               INTEGER NOT NULL,
    byte_offset     INTEGER NOT NULL,
    byte_len        INTEGER NOT NULL,
    data            BLOB
);
CREATE INDEX raw_segments_lookup ON raw_segments(programme_id, interval_start, queue);
CREATE INDEX raw_segments_batch ON raw_segments(batch_id, byte_offset);
