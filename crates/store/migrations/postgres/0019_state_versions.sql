-- A counter of changes to what a programme's cockpit shows besides its figures: plan items
-- (targets, work plan, calendar, budget), alarm rules, alarms and corrective actions. The
-- triggers bump it in the transaction of every write to those tables, whatever code path
-- makes it, so a cached cockpit keyed on it is never older than the database. No foreign key:
-- the cascade that deletes a programme fires these triggers too (the row goes with the
-- programme, in the store's delete).
CREATE TABLE programme_state_versions (
    programme_id BIGINT PRIMARY KEY,
    version      BIGINT NOT NULL
);

CREATE FUNCTION bump_programme_state() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.programme_id IS NOT NULL THEN
        INSERT INTO programme_state_versions (programme_id, version) VALUES (OLD.programme_id, 1)
        ON CONFLICT (programme_id) DO UPDATE SET version = programme_state_versions.version + 1;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.programme_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR OLD.programme_id IS DISTINCT FROM NEW.programme_id) THEN
        INSERT INTO programme_state_versions (programme_id, version) VALUES (NEW.programme_id, 1)
        ON CONFLICT (programme_id) DO UPDATE SET version = programme_state_versions.version + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER plan_items_state AFTER INSERT OR UPDATE OR DELETE ON plan_items
    FOR EACH ROW EXECUTE FUNCTION bump_programme_state();
CREATE TRIGGER alarm_rules_state AFTER INSERT OR UPDATE OR DELETE ON alarm_rules
    FOR EACH ROW EXECUTE FUNCTION bump_programme_state();
CREATE TRIGGER alarms_state AFTER INSERT OR UPDATE OR DELETE ON alarms
    FOR EACH ROW EXECUTE FUNCTION bump_programme_state();
CREATE TRIGGER corrective_actions_state AFTER INSERT OR UPDATE OR DELETE ON corrective_actions
    FOR EACH ROW EXECUTE FUNCTION bump_programme_state();
