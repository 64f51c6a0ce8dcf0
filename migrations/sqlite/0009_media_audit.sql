-- The media audit (issue 15). Each check keeps the perceptual hash of the
-- checked picture beside its SHA-256, so that a copy the website resized
-- and recompressed is still found; it is not part of the signed receipt
-- (older clients do not send it) and goes when its receipt is purged.
ALTER TABLE receipts ADD COLUMN media_phash TEXT;
-- An audit reads a school's receipts at once; an exact match is by hash.
CREATE INDEX receipts_by_school_and_media ON receipts (school_id, media_hash);
CREATE INDEX publications_by_receipt ON publications (receipt_id);

-- Pictures communications asked to be taken down after an audit. The file
-- name is kept here only, never in the log.
CREATE TABLE media_takedowns (
    id             INTEGER PRIMARY KEY,
    school_id      INTEGER NOT NULL REFERENCES schools (id),
    sha256         TEXT    NOT NULL,
    phash          TEXT,
    name           TEXT,
    finding        TEXT    NOT NULL CHECK (finding IN
                       ('consent_holds', 'consent_withdrawn', 'refused_at_check', 'never_checked', 'uncertain')),
    publication_id INTEGER REFERENCES publications (id),
    requested_at   BIGINT  NOT NULL,
    requested_by   INTEGER NOT NULL REFERENCES staff (id),
    done_at        BIGINT,
    done_by        INTEGER REFERENCES staff (id)
);
-- At most one open request per picture: asking twice finds the first.
CREATE UNIQUE INDEX media_takedowns_open_by_media ON media_takedowns (school_id, sha256) WHERE done_at IS NULL;
CREATE INDEX media_takedowns_by_school ON media_takedowns (school_id, requested_at);
CREATE INDEX media_takedowns_by_publication ON media_takedowns (publication_id);
