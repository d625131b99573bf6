-- 0002: measurements (drive tests, crowd samples) with the uploads that brought them; "no signal
-- here" reports, their review states and the key that pseudonymises reporters; calibrated
-- coverage definitions and which one is served.
--
-- Times are UTC RFC 3339 text with nine fraction digits, as in 0001. Measurement positions and
-- times are integers so that duplicates compare exactly: lon/lat in 1e-7 degrees (1 cm), time in
-- Unix milliseconds, level in hundredths of a dB.

CREATE TABLE measurement_uploads (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    carrier      TEXT NOT NULL,                -- the one carrier the upload could hold; '' = any (admin, planner)
    token_id     TEXT REFERENCES tokens (id),  -- NULL from the command line
    source       TEXT NOT NULL,                -- csv, opencellid, geojson
    file_name    TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    rows         INTEGER NOT NULL,             -- input rows (CSV lines or features)
    samples      INTEGER NOT NULL,             -- valid samples read
    stored       INTEGER NOT NULL,             -- samples kept: samples − duplicates
    duplicates   INTEGER NOT NULL,             -- samples already stored (this upload or an earlier one)
    skipped      INTEGER NOT NULL,             -- rows without a comparable sample (OpenCelliD's GSM, no signal …)
    first_time   TEXT,                         -- time of the first and last sample
    last_time    TEXT,
    warnings     TEXT NOT NULL,                -- JSON array of data.Warning
    note         TEXT NOT NULL DEFAULT '',
    withdrawn_at TEXT                          -- its samples were deleted
);

-- measurements: one row per sample; the key is what makes two samples the same.
CREATE TABLE measurements (
    carrier     TEXT NOT NULL,
    tech        TEXT NOT NULL,
    time_ms     INTEGER NOT NULL,
    lon_e7      INTEGER NOT NULL,
    lat_e7      INTEGER NOT NULL,
    cell_id     TEXT NOT NULL,                 -- '' unknown
    upload_id   INTEGER NOT NULL REFERENCES measurement_uploads (id),
    level_cdb   INTEGER NOT NULL,              -- level, 0.01 dBm
    pci         INTEGER NOT NULL,              -- −1 unknown
    accuracy_dm INTEGER NOT NULL,              -- position accuracy, 0.1 m; 0 unknown
    PRIMARY KEY (carrier, tech, time_ms, lon_e7, lat_e7, cell_id)
) WITHOUT ROWID;
CREATE INDEX measurements_by_upload ON measurements (upload_id);

-- signal_reports: "no signal here" from the public map, no account. The position is already
-- rounded (100 m); reporter is a keyed hash of the device's random id (reporter_key), which tells
-- one device's reports apart from another's without naming it; no address is stored.
CREATE TABLE signal_reports (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    day        TEXT NOT NULL,                  -- YYYY-MM-DD in Vietnam time
    carrier    TEXT NOT NULL,
    tech       TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('no_service', 'weak', 'drops', 'fine')),
    lon        REAL NOT NULL,
    lat        REAL NOT NULL,
    cell       TEXT NOT NULL,                  -- the aggregation grid cell, "i_j"
    reporter   TEXT NOT NULL
);
CREATE INDEX signal_reports_by_cell ON signal_reports (cell, day);
CREATE INDEX signal_reports_by_time ON signal_reports (created_at);

-- report_reviews: a carrier's review of one disputed cell of its network.
CREATE TABLE report_reviews (
    carrier    TEXT NOT NULL,
    tech       TEXT NOT NULL,
    cell       TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'reviewed', 'resolved')),
    note       TEXT NOT NULL DEFAULT '',
    token_id   TEXT REFERENCES tokens (id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (carrier, tech, cell)
) WITHOUT ROWID;

-- reporter_key: the secret of the reporters' keyed hash; replaced (never kept) when it is older
-- than the rotation period, after which no report can be linked to a later one.
CREATE TABLE reporter_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    secret     BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- calibrations: every calibration run, with the calibrated definition (JSON, NULL when every
-- group was refused) and its fits (JSON).
CREATE TABLE calibrations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    token_id   TEXT REFERENCES tokens (id),
    version    TEXT NOT NULL DEFAULT '',
    definition TEXT,
    report     TEXT NOT NULL
);

-- served_definition: the calibration the server serves (NULL: the uncalibrated definition).
CREATE TABLE served_definition (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    calibration_id INTEGER REFERENCES calibrations (id),
    updated_at     TEXT NOT NULL
);
