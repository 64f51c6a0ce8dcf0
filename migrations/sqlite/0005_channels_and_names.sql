-- Each school's publishing channels, and the purpose each one is for: a
-- publication on a channel must rest on a check for that purpose.
CREATE TABLE channels (
    school_id INTEGER NOT NULL REFERENCES schools (id),
    name      TEXT    NOT NULL,
    purpose   TEXT    NOT NULL,
    PRIMARY KEY (school_id, name)
);

-- Schools that exist already get the defaults a new school gets
-- (server/src/store/channels.rs, DEFAULT_CHANNELS).
INSERT INTO channels (school_id, name, purpose)
SELECT schools.id, defaults.column1, defaults.column2
FROM schools CROSS JOIN (VALUES
    ('internal', 'internal'),
    ('website', 'website'),
    ('instagram', 'social-media'),
    ('facebook', 'social-media'),
    ('tiktok', 'social-media'),
    ('youtube', 'social-media'),
    ('x', 'social-media'),
    ('linkedin', 'social-media'),
    ('newsletter', 'newsletter'),
    ('prospectus', 'newsletter'),
    ('yearbook', 'yearbook'),
    ('press', 'press')
) AS defaults;

-- Staff name people and groups in any case ("3b" finds 3B; "sam de groot"
-- finds Sam de Groot): these indexes serve those lookups.
CREATE INDEX people_by_group_any_case ON people (school_id, LOWER(group_name));
CREATE INDEX people_by_name_any_case ON people (school_id, LOWER(display_name));
