-- The layout the importer recognised in a file (pipe queue_log, realtime table dump, CDR
-- with a header, VICIdial log...), shown with the batch; NULL for batches imported before.
ALTER TABLE import_batches ADD COLUMN layout TEXT;
