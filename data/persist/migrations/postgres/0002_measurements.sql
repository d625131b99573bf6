-- 0002 (PostgreSQL): the tables of ../0002_measurements.sql. Measurement positions and times stay
-- integers (1e-7 degrees, Unix milliseconds, 0.01 dB) so that duplicates compare exactly, as on
-- SQLite; "no signal here" reports also carry a PostGIS point with a GiST index.

CREATE TABLE measurement_uploads (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    carrier      TEXT NOT NULL,
    token_id     TEXT REFERENCES tokens (id),
    source       TEXT NOT NULL,
    file_name    TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    rows         INTEGER NOT NULL,
    samples      INTEGER NOT NULL,
    stored       INTEGER NOT NULL,
    duplicates   INTEGER NOT NULL,
    skipped      INTEGER NOT NULL,
    first_time   TIMESTAMPTZ,
    last_time    TIMESTAMPTZ,
    warnings     TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    withdrawn_at TIMESTAMPTZ
);

CREATE TABLE measurements (
    carrier     TEXT NOT NULL,
    tech        TEXT NOT NULL,
    time_ms     BIGINT NOT NULL,
    lon_e7      BIGINT NOT NULL,
    lat_e7      BIGINT NOT NULL,
    cell_id     TEXT NOT NULL,
    upload_id   BIGINT NOT NULL REFERENCES measurement_uploads (id),
    level_cdb   INTEGER NOT NULL,
    pci         INTEGER NOT NULL,
    accuracy_dm INTEGER NOT NULL,
    PRIMARY KEY (carrier, tech, time_ms, lon_e7, lat_e7, cell_id)
);
CREATE INDEX measurements_by_upload ON measurements (upload_id);

CREATE TABLE signal_reports (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    day        TEXT NOT NULL,
    carrier    TEXT NOT NULL,
    tech       TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('no_service', 'weak', 'drops', 'fine')),
    lon        DOUBLE PRECISION NOT NULL,
    lat        DOUBLE PRECISION NOT NULL,
    cell       TEXT NOT NULL,
    reporter   TEXT NOT NULL,
    geom       geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED
);
CREATE INDEX signal_reports_by_cell ON signal_reports (cell, day);
CREATE INDEX signal_reports_by_time ON signal_reports (created_at);
CREATE INDEX signal_reports_geom ON signal_reports USING gist (geom);

CREATE TABLE report_reviews (
    carrier    TEXT NOT NULL,
    tech       TEXT NOT NULL,
    cell       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'reviewed', 'resolved')),
    note       TEXT NOT NULL DEFAULT '',
    token_id   TEXT REFERENCES tokens (id),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (carrier, tech, cell)
);

CREATE TABLE reporter_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    secret     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE calibrations (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    token_id   TEXT REFERENCES tokens (id),
    version    TEXT NOT NULL DEFAULT '',
    definition TEXT,
    report     TEXT NOT NULL
);

CREATE TABLE served_definition (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    calibration_id BIGINT REFERENCES calibrations (id),
    updated_at     TIMESTAMPTZ NOT NULL
);
