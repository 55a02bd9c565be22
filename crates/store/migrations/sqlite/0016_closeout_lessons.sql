-- Close-out and lessons: the close-out evaluation of a programme as numbered versions (a saved
-- draft or the signed one, never edited in place), lessons learnt (in a programme or, for a
-- client, outside any), and one search row per lesson or library practice. The search row
-- holds the text already folded (lower case, no diacritics) by the application, so SQLite's
-- FTS5 and PostgreSQL's tsvector index the same words.
CREATE TABLE closeouts (
    id           INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    data         TEXT NOT NULL,
    signed       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    UNIQUE (programme_id, version)
);

CREATE TABLE lessons (
    id           INTEGER PRIMARY KEY,
    programme_id INTEGER REFERENCES programmes(id) ON DELETE CASCADE,
    client_id    INTEGER REFERENCES clients(id) ON DELETE CASCADE,
    data         TEXT NOT NULL,
    practice_id  INTEGER REFERENCES plan_items(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL
);
CREATE INDEX lessons_programme ON lessons(programme_id, id);

CREATE TABLE library_search (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    item_id      INTEGER NOT NULL,
    client_id    INTEGER,
    shared       INTEGER NOT NULL DEFAULT 0,
    body         TEXT NOT NULL,
    UNIQUE (kind, item_id)
);

CREATE VIRTUAL TABLE library_fts USING fts5(
    body,
    content = 'library_search',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER library_search_ai AFTER INSERT ON library_search BEGIN
    INSERT INTO library_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER library_search_ad AFTER DELETE ON library_search BEGIN
    INSERT INTO library_fts(library_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
