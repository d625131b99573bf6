-- 0003 (PostgreSQL): planner tokens and what-if scenarios, as ../0003_planning.sql.

ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT '' CHECK (role IN ('', 'planner'));

CREATE TABLE scenarios (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('planner', 'carrier')),
    owner       TEXT NOT NULL,
    created_by  TEXT REFERENCES tokens (id),
    base_upload BIGINT NOT NULL,
    edits       TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ
);
CREATE INDEX scenarios_by_owner ON scenarios (owner_kind, owner, id);
