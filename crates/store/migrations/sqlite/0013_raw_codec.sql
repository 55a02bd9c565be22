-- How a batch's raw segments are stored: 'zstd' (one zstd frame per segment, in the batch
-- file on SQLite or in raw_segments.data on PostgreSQL) or NULL for plain CSV lines (batches
-- imported before compression).
ALTER TABLE import_batches ADD COLUMN raw_codec TEXT;
