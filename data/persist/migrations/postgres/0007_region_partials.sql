-- 0007 (PostgreSQL): a first start's regions, claimed region by region by the replicas starting
-- together, as ../0007_region_partials.sql (times are timestamptz, the summary bytea).
CREATE TABLE region_partials (
    fingerprint TEXT NOT NULL,
    region      INTEGER NOT NULL,
    inputs      TEXT NOT NULL,
    worker      TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMPTZ,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    summary     BYTEA,
    PRIMARY KEY (fingerprint, region, inputs)
);
