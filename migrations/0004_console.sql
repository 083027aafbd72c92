-- What the web console needs beyond the API core: a person's display name and where their jobs
-- go by default, and the blog the public pages show.

ALTER TABLE users ADD COLUMN display_name TEXT;
-- NULL means the cloud; otherwise one of the user's own devices.
ALTER TABLE users ADD COLUMN default_device_id TEXT REFERENCES agents(id) ON DELETE SET NULL;

CREATE TABLE blog_posts (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    body         TEXT NOT NULL,
    author_id    TEXT REFERENCES users(id) ON DELETE SET NULL,
    -- NULL while a draft.
    published_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX blog_posts_published ON blog_posts (published_at DESC) WHERE published_at IS NOT NULL;
