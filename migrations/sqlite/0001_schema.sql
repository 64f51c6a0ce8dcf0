-- The consent server's schema. Ids of people, tokens, revocations and
-- receipts are lowercase hex text; times are Unix seconds.

CREATE TABLE schools (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL UNIQUE,
    digital_consent_age INTEGER NOT NULL DEFAULT 16 CHECK (digital_consent_age BETWEEN 13 AND 16),
    retention_days      INTEGER NOT NULL DEFAULT 1825 CHECK (retention_days > 0),
    log_size            BIGINT  NOT NULL DEFAULT 0,
    log_head            BLOB    NOT NULL,
    created_at          BIGINT  NOT NULL
);

CREATE TABLE staff (
    id         INTEGER PRIMARY KEY,
    school_id  INTEGER NOT NULL REFERENCES schools (id),
    name       TEXT    NOT NULL,
    role       TEXT    NOT NULL CHECK (role IN ('admin', 'communications', 'teacher')),
    created_at BIGINT  NOT NULL
);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id),
    token_hash BLOB    NOT NULL UNIQUE,
    label      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE people (
    id           TEXT    PRIMARY KEY,
    school_id    INTEGER NOT NULL REFERENCES schools (id),
    kind         TEXT    NOT NULL CHECK (kind IN ('student', 'guardian')),
    display_name TEXT,
    group_name   TEXT,
    birth_date   TEXT,
    external_id  TEXT,
    created_at   BIGINT  NOT NULL,
    erased_at    BIGINT,
    UNIQUE (school_id, external_id)
);
CREATE INDEX people_by_group ON people (school_id, group_name);

CREATE TABLE guardianships (
    school_id   INTEGER NOT NULL REFERENCES schools (id),
    guardian_id TEXT    NOT NULL REFERENCES people (id),
    child_id    TEXT    NOT NULL REFERENCES people (id),
    PRIMARY KEY (guardian_id, child_id)
);
CREATE INDEX guardianships_by_child ON guardianships (child_id);

CREATE TABLE enrollment_codes (
    code_hash  BLOB    PRIMARY KEY,
    school_id  INTEGER NOT NULL REFERENCES schools (id),
    person_id  TEXT    NOT NULL REFERENCES people (id),
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT
);

CREATE TABLE device_keys (
    key_id        TEXT    PRIMARY KEY,
    school_id     INTEGER NOT NULL REFERENCES schools (id),
    person_id     TEXT    NOT NULL REFERENCES people (id),
    public_key    BLOB    NOT NULL UNIQUE,
    registered_at BIGINT  NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX device_keys_by_person ON device_keys (person_id);

CREATE TABLE grants (
    token_id        TEXT    PRIMARY KEY,
    school_id       INTEGER NOT NULL REFERENCES schools (id),
    subject_id      TEXT    NOT NULL REFERENCES people (id),
    token           BLOB    NOT NULL,
    issued_at       BIGINT  NOT NULL,
    not_after       BIGINT  NOT NULL,
    received_at     BIGINT  NOT NULL
);
CREATE INDEX grants_by_subject ON grants (school_id, subject_id);

CREATE TABLE revocations (
    id          TEXT    PRIMARY KEY,
    school_id   INTEGER NOT NULL REFERENCES schools (id),
    subject_id  TEXT    NOT NULL REFERENCES people (id),
    token_id    TEXT,
    up_to       BIGINT,
    revocation  BLOB    NOT NULL,
    sequence    BIGINT  NOT NULL,
    received_at BIGINT  NOT NULL,
    UNIQUE (school_id, sequence)
);
CREATE INDEX revocations_by_subject ON revocations (school_id, subject_id);

CREATE TABLE receipts (
    id         TEXT    PRIMARY KEY,
    school_id  INTEGER NOT NULL REFERENCES schools (id),
    receipt    BLOB    NOT NULL,
    media_hash TEXT    NOT NULL,
    checked_at BIGINT  NOT NULL,
    staff_id   INTEGER NOT NULL REFERENCES staff (id)
);

CREATE TABLE publications (
    id            INTEGER PRIMARY KEY,
    school_id     INTEGER NOT NULL REFERENCES schools (id),
    media_hash    TEXT    NOT NULL,
    media_kind    TEXT    NOT NULL,
    purpose       TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    url           TEXT,
    receipt_id    TEXT    NOT NULL REFERENCES receipts (id),
    published_at  BIGINT  NOT NULL,
    published_by  INTEGER NOT NULL REFERENCES staff (id),
    taken_down_at BIGINT,
    taken_down_by INTEGER REFERENCES staff (id)
);
CREATE INDEX publications_by_school ON publications (school_id, published_at);

CREATE TABLE publication_people (
    publication_id INTEGER NOT NULL REFERENCES publications (id),
    subject_id     TEXT    NOT NULL REFERENCES people (id),
    token_id       TEXT    NOT NULL REFERENCES grants (token_id),
    PRIMARY KEY (publication_id, subject_id)
);
CREATE INDEX publication_people_by_subject ON publication_people (subject_id);

CREATE TABLE log_entries (
    school_id   INTEGER NOT NULL REFERENCES schools (id),
    position    BIGINT  NOT NULL,
    entry       BLOB    NOT NULL,
    head        BLOB    NOT NULL,
    recorded_at BIGINT  NOT NULL,
    PRIMARY KEY (school_id, position)
);

CREATE TABLE server_keys (
    key_id     TEXT   PRIMARY KEY,
    public_key BLOB   NOT NULL,
    created_at BIGINT NOT NULL
);
