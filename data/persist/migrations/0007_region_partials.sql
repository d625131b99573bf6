-- 0007: a first start's regions, claimed region by region by the replicas starting together.

-- region_partials: what a start computed of a region to serve it (its own communes' integer
-- counts and land cells and the map's first layers; coverage's partial encoding, opaque here),
-- under the key of region_results. A row is first a claim: queued (worker '' and no lease),
-- then taken by one replica (worker, lease_until, renewed while it computes; another replica
-- takes it again once the lease has run out), then done (summary set) for every other replica
-- to assemble instead of computing it. The row goes when the region's complete result is stored
-- in region_results.
CREATE TABLE region_partials (
    fingerprint TEXT NOT NULL,
    region      INTEGER NOT NULL,
    inputs      TEXT NOT NULL,
    worker      TEXT NOT NULL DEFAULT '',
    lease_until TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    summary     BLOB,
    PRIMARY KEY (fingerprint, region, inputs)
);
