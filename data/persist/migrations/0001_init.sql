-- 0001: tokens, uploads (every version of a carrier's list, dry runs as audit entries),
-- the current items per (kind, carrier) and the changes each upload made.
--
-- Times are UTC RFC 3339 text with nine fraction digits (they sort as text). JSON columns hold the Go encoding of the
-- item type of the kind ("sites": data.Site).

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,          -- public part of the token, e.g. "3f9a0c2e71b4"
    hash       BLOB NOT NULL,             -- SHA-256 of the secret part; the secret is never stored
    carrier    TEXT NOT NULL,             -- the carrier it may write; '' for admin tokens
    admin      INTEGER NOT NULL CHECK (admin IN (0, 1)),
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT,                      -- NULL while valid
    CHECK ((admin = 1) = (carrier = ''))
);

CREATE TABLE uploads (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after a crash
    kind        TEXT NOT NULL,                     -- "sites" (later "fibre")
    carrier     TEXT NOT NULL,
    token_id    TEXT REFERENCES tokens (id),       -- NULL for seeding
    mode        TEXT NOT NULL,                     -- replace, upsert, delete, rollback, seed
    created_at  TEXT NOT NULL,
    dry_run     INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
    rows        INTEGER NOT NULL,                  -- input rows (CSV lines or features) as counted by the caller
    added       INTEGER NOT NULL,
    modified    INTEGER NOT NULL,
    removed     INTEGER NOT NULL,
    total       INTEGER NOT NULL,                  -- items in the carrier's list after the upload
    warnings    TEXT NOT NULL,                     -- JSON array of data.Warning
    note        TEXT NOT NULL DEFAULT '',
    rollback_to INTEGER REFERENCES uploads (id)    -- mode rollback: the version restored
);
CREATE INDEX uploads_by_carrier ON uploads (kind, carrier, id);

-- items is the current list of every (kind, carrier).
CREATE TABLE items (
    kind    TEXT NOT NULL,
    carrier TEXT NOT NULL,
    item_id TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (kind, carrier, item_id)
) WITHOUT ROWID;

-- changes are the diff of each applied upload: before NULL = added, after NULL = removed.
-- Replaying them in upload order from an empty list rebuilds any version exactly.
CREATE TABLE changes (
    upload_id INTEGER NOT NULL REFERENCES uploads (id),
    item_id   TEXT NOT NULL,
    before    TEXT,
    after     TEXT,
    PRIMARY KEY (upload_id, item_id),
    CHECK (before IS NOT NULL OR after IS NOT NULL)
) WITHOUT ROWID;
