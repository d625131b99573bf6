-- 0005: a region job is keyed by its inputs too. Under 0004's key (fingerprint, data_version,
-- region) a job row queued with other inputs for the same data version (two processes that read
-- the lists while an upload landed, or a done job whose result was removed) made enqueueing
-- this start's job a no-op, and the start then waited for a result nobody would compute. Jobs
-- are transient (a start queues again what its database lacks), so the table is recreated.
DROP TABLE region_jobs;
CREATE TABLE region_jobs (
    fingerprint  TEXT NOT NULL,
    data_version TEXT NOT NULL,
    region       INTEGER NOT NULL,
    inputs       TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    worker       TEXT NOT NULL DEFAULT '',
    lease_until  TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (fingerprint, data_version, region, inputs)
);
CREATE INDEX region_jobs_open ON region_jobs (fingerprint, state, created_at, region);
