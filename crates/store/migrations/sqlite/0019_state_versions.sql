-- A counter of changes to what a programme's cockpit shows besides its figures: plan items
-- (targets, work plan, calendar, budget), alarm rules, alarms and corrective actions. The
-- triggers bump it in the transaction of every write to those tables, whatever code path
-- makes it, so a cached cockpit keyed on it is never older than the database. No foreign key:
-- the cascade that deletes a programme fires these triggers too (the row goes with the
-- programme, in the store's delete).
CREATE TABLE programme_state_versions (
    programme_id INTEGER PRIMARY KEY,
    version      INTEGER NOT NULL
);

CREATE TRIGGER plan_items_state_ins AFTER INSERT ON plan_items WHEN NEW.programme_id IS NOT NULL BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (NEW.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id = NEW.programme_id;
END;
CREATE TRIGGER plan_items_state_upd AFTER UPDATE ON plan_items WHEN NEW.programme_id IS NOT NULL OR OLD.programme_id IS NOT NULL BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (COALESCE(NEW.programme_id, OLD.programme_id), 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id IN (NEW.programme_id, OLD.programme_id);
END;
CREATE TRIGGER plan_items_state_del AFTER DELETE ON plan_items WHEN OLD.programme_id IS NOT NULL BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (OLD.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id = OLD.programme_id;
END;

CREATE TRIGGER alarm_rules_state_ins AFTER INSERT ON alarm_rules BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (NEW.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id = NEW.programme_id;
END;
CREATE TRIGGER alarm_rules_state_upd AFTER UPDATE ON alarm_rules BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (NEW.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id IN (NEW.programme_id, OLD.programme_id);
END;
CREATE TRIGGER alarm_rules_state_del AFTER DELETE ON alarm_rules BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (OLD.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id = OLD.programme_id;
END;

CREATE TRIGGER alarms_state_ins AFTER INSERT ON alarms BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (NEW.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id = NEW.programme_id;
END;
CREATE TRIGGER alarms_state_upd AFTER UPDATE ON alarms BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (NEW.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id IN (NEW.programme_id, OLD.programme_id);
END;
CREATE TRIGGER alarms_state_del AFTER DELETE ON alarms BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (OLD.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id = OLD.programme_id;
END;

CREATE TRIGGER corrective_actions_state_ins AFTER INSERT ON corrective_actions BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (NEW.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id = NEW.programme_id;
END;
CREATE TRIGGER corrective_actions_state_upd AFTER UPDATE ON corrective_actions BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (NEW.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id IN (NEW.programme_id, OLD.programme_id);
END;
CREATE TRIGGER corrective_actions_state_del AFTER DELETE ON corrective_actions BEGIN
    INSERT OR IGNORE INTO programme_state_versions (programme_id, version) VALUES (OLD.programme_id, 0);
    UPDATE programme_state_versions SET version = version + 1 WHERE programme_id = OLD.programme_id;
END;
