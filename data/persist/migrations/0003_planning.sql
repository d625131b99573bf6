-- 0002: planner tokens and what-if scenarios.
--
-- A planner token (role 'planner') reads everything and manages scenarios but publishes no
-- list; its carrier column holds the planner's name (a slug), so the CHECK of 0001 still holds.
-- Uploads refuse it (checkTokenTx reads the role).

ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT '' CHECK (role IN ('', 'planner'));

-- scenarios are named what-if edits of the published station lists. owner_kind says who may
-- see and change one: 'planner' (owner = the planner's name) or 'carrier' (owner = the carrier
-- id, whose tokens share it). base_upload is the id of the last applied station-list upload
-- when the scenario was based or rebased (0 for none); edits is a JSON array of the edits in
-- order; revision counts the writes (optimistic concurrency).
CREATE TABLE scenarios (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('planner', 'carrier')),
    owner       TEXT NOT NULL,
    created_by  TEXT REFERENCES tokens (id),
    base_upload INTEGER NOT NULL,
    edits       TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE INDEX scenarios_by_owner ON scenarios (owner_kind, owner, id);
