-- 0006: what lets a start on stored results skip work it did before.

-- seed_files: the SHA-256 of the file a kind of list was seeded from (serve --sites F on an
-- empty database). A later start given a file with the same hash need not read it again: the
-- database's lists are served either way, and that exact file was read and validated once.
CREATE TABLE seed_files (
    kind       TEXT NOT NULL PRIMARY KEY,  -- 'sites', 'fibre'
    sha256     TEXT NOT NULL,
    file       TEXT NOT NULL,              -- the path given then (for people; not compared)
    created_at TEXT NOT NULL
);

-- layer_answers: a rendered map layer (the GeoJSON of a coverage layer at a zoom, as the map
-- asks for it first) of one result: the fingerprint of every input besides the station lists,
-- and the data version naming those lists. A start on the same result serves it from here
-- instead of simplifying the whole country's polygons again. format is the rendering's version
-- (app's answersFormat): another phusong's answers are not served.
CREATE TABLE layer_answers (
    fingerprint  TEXT NOT NULL,
    data_version TEXT NOT NULL,
    format       TEXT NOT NULL,
    layer        TEXT NOT NULL,              -- e.g. coverage|any|4G|0|9
    body         BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (fingerprint, data_version, format, layer)
);
