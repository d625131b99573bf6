-- 0001 (PostgreSQL): the tables of ../0001_init.sql, in PostgreSQL's types: identity columns for
-- the ids (never reused), timestamptz for times, boolean flags, bytea for hashes; JSON item bodies
-- stay text (two items are equal when their encodings are, byte for byte). Station positions are
-- also a PostGIS point (SRID 4326, lon/lat) with a GiST index, derived from the body, for
-- analysts: SELECT carrier, item_id FROM items WHERE kind = 'sites' AND ST_DWithin(geom::geography, …).

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    hash       BYTEA NOT NULL,
    carrier    TEXT NOT NULL,
    admin      BOOLEAN NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    CHECK (admin = (carrier = ''))
);

CREATE TABLE uploads (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL,
    carrier     TEXT NOT NULL,
    token_id    TEXT REFERENCES tokens (id),
    mode        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    dry_run     BOOLEAN NOT NULL,
    rows        INTEGER NOT NULL,
    added       INTEGER NOT NULL,
    modified    INTEGER NOT NULL,
    removed     INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    warnings    TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    rollback_to BIGINT REFERENCES uploads (id)
);
CREATE INDEX uploads_by_carrier ON uploads (kind, carrier, id);

CREATE TABLE items (
    kind    TEXT NOT NULL,
    carrier TEXT NOT NULL,
    item_id TEXT NOT NULL,
    body    TEXT NOT NULL,
    -- a station's position (data.Site's lon, lat), NULL for other kinds
    geom    geometry(Point, 4326) GENERATED ALWAYS AS (CASE WHEN kind = 'sites' THEN
                ST_SetSRID(ST_MakePoint((body::json ->> 'lon')::float8, (body::json ->> 'lat')::float8), 4326) END) STORED,
    PRIMARY KEY (kind, carrier, item_id)
);
CREATE INDEX items_geom ON items USING gist (geom);

CREATE TABLE changes (
    upload_id BIGINT NOT NULL REFERENCES uploads (id),
    item_id   TEXT NOT NULL,
    before    TEXT,
    after     TEXT,
    PRIMARY KEY (upload_id, item_id),
    CHECK (before IS NOT NULL OR after IS NOT NULL)
);
