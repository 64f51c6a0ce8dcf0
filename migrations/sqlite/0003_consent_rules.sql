-- Each grant's position in the school's audit log, so that "withdraw all"
-- covers every grant the server held when the revocation arrived, whatever
-- moment the signer's clock put on the grant. Grants stored before this
-- migration take the last log position of the second they arrived: never
-- earlier than their true position, so no grant is withdrawn by a revocation
-- that arrived before it.
ALTER TABLE grants ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0;
UPDATE grants SET sequence = COALESCE((
    SELECT MAX(position) FROM log_entries
    WHERE log_entries.school_id = grants.school_id AND log_entries.recorded_at <= grants.received_at
), 0);

-- When a device last signed something the server accepted, so that an
-- administrator can tell a lost phone from the new one.
ALTER TABLE device_keys ADD COLUMN last_used_at BIGINT;
