-- The twin of SQLite's 0019.
-- Organizations: teams of users with roles (one owner, admins, members) and invites by email
-- with single-use tokens. Every user has a personal organization (`personal_of`), created here
-- for existing users and with each new account after.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    personal_of TEXT UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX organizations_by_time ON organizations (created_at, id);

CREATE TABLE memberships (
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);
CREATE UNIQUE INDEX memberships_one_owner ON memberships (org_id) WHERE role = 'owner';

CREATE TABLE org_invites (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    token_hash  BYTEA NOT NULL UNIQUE,
    invited_by  TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_at BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX org_invites_by_org ON org_invites (org_id, created_at);

INSERT INTO organizations (id, name, personal_of, created_at, updated_at)
    SELECT 'org_' || id, 'Personal', id, created_at, updated_at FROM users;
INSERT INTO memberships (org_id, user_id, role, created_at)
    SELECT 'org_' || id, id, 'owner', created_at FROM users;
