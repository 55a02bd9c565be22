-- A bounded data-quality report: import_issues keeps the first lines of each reason in full,
-- import_issue_totals counts every issue of each (severity, reason), so a file of millions of
-- bad lines stores a few thousand rows and its totals stay exact.
CREATE TABLE import_issue_totals (
    batch_id  BIGINT NOT NULL REFERENCES import_batches(id) ON DELETE CASCADE,
    severity  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    total     BIGINT NOT NULL,
    kept      BIGINT NOT NULL,
    PRIMARY KEY (batch_id, severity, kind)
);

-- Lines an import did not understand (unreadable lines and unknown events): a batch where they
-- are most of the lines read is marked as mostly not understood.
ALTER TABLE import_batches ADD COLUMN not_understood BIGINT NOT NULL DEFAULT 0;
