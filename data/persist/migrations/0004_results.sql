-- 0004: computed results, written by whichever instance computes them, and the jobs that
-- compute them region by region (serve --regions with several workers).
--
-- A result is keyed by a fingerprint of every input besides the station lists (the communes,
-- the coverage definition with its calibration, the engine's options, the region size and the
-- result format: two processes agree on it only when they would compute the same thing) and,
-- per region, by inputs: the SHA-256 of the sites the region's computation sees
-- (coverage.RegionPlan.Inputs). A result is therefore never stale: another station list gives
-- another key, and a region the change does not reach keeps its key and its stored result.
-- data_version (the carriers' heads, "carrier=upload id" joined by ",") says which version of the
-- lists it was first computed for.

-- region_results: one region's summary (its communes' integer counts and land cells, its gaps,
-- the list of its layer pieces; coverage's encoding, opaque here).
CREATE TABLE region_results (
    fingerprint  TEXT NOT NULL,
    region       INTEGER NOT NULL,
    inputs       TEXT NOT NULL,
    data_version TEXT NOT NULL,
    worker       TEXT NOT NULL,            -- who computed it (host:pid:random)
    created_at   TEXT NOT NULL,
    summary      BLOB NOT NULL,
    PRIMARY KEY (fingerprint, region, inputs)
);

-- region_layers: a region's piece of one coverage layer (carrier or 'any', technology, tier), a
-- MultiPolygon in the engine's metric frame (coverage's spill encoding: uint32 counts, float64
-- coordinates, little-endian). Read a layer at a time: the key starts with the layer.
CREATE TABLE region_layers (
    fingerprint TEXT NOT NULL,
    carrier     TEXT NOT NULL,
    tech        TEXT NOT NULL,
    tier        INTEGER NOT NULL,
    region      INTEGER NOT NULL,
    inputs      TEXT NOT NULL,
    polygons    BLOB NOT NULL,
    PRIMARY KEY (fingerprint, carrier, tech, tier, region, inputs)
);

-- commune_results: the report's per-commune statistics (JSON of coverage.CommuneStats) of a
-- complete data version, for analysts' queries; code '' is the whole area.
CREATE TABLE commune_results (
    fingerprint  TEXT NOT NULL,
    data_version TEXT NOT NULL,
    tech         TEXT NOT NULL,
    code         TEXT NOT NULL,
    stats        TEXT NOT NULL,
    PRIMARY KEY (fingerprint, data_version, tech, code)
);

-- region_jobs: the regions of a data version still to compute. A worker takes a queued job (or a
-- running one whose lease ran out: its worker died) and holds it by renewing lease_until; done
-- when its result is stored.
CREATE TABLE region_jobs (
    fingerprint  TEXT NOT NULL,
    data_version TEXT NOT NULL,
    region       INTEGER NOT NULL,
    inputs       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    worker       TEXT NOT NULL DEFAULT '',
    lease_until  TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (fingerprint, data_version, region)
);
CREATE INDEX region_jobs_open ON region_jobs (fingerprint, state, created_at, region);
