-- Programme planning: every plan entity is a JSON document of its kind, with a
-- per-kind code where the plan refers to items by code (activity codes), plus numbered plan
-- versions. Documents hold the canonical form of values already validated by `rumbo-domain`.
-- Library entries (best practices, adoptions) belong to no programme.
CREATE TABLE plan_items (
    id           INTEGER PRIMARY KEY,
    programme_id INTEGER REFERENCES programmes(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    code         TEXT,
    data         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (programme_id, kind, code)
);
CREATE INDEX plan_items_programme_kind ON plan_items(programme_id, kind, id);

CREATE TABLE plan_versions (
    id                INTEGER PRIMARY KEY,
    programme_id      INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    number            INTEGER NOT NULL,
    change_request_id INTEGER REFERENCES plan_items(id) ON DELETE SET NULL,
    values_json       TEXT NOT NULL,
    changes_json      TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    UNIQUE (programme_id, number)
);
