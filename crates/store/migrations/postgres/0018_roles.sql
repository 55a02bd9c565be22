-- A programme's owner (its manager: whom no supervisor can remove; only the owner or an admin
-- deletes it) and its archive: a deleted programme that held data is archived, restorable by an
-- admin for 30 days, then purged by the daily purge job.
ALTER TABLE programmes ADD COLUMN owner_id BIGINT REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE programmes ADD COLUMN archived_at BIGINT;
-- The first manager on each existing team becomes its owner.
UPDATE programmes SET owner_id = (
    SELECT MIN(m.user_id) FROM programme_members m JOIN users u ON u.id = m.user_id
    WHERE m.programme_id = programmes.id AND u.role = 'manager'
);
