-- Sync (updated_since, cursors) and webhook secret rotation.
--
-- A copy follows entries and timesheets by the transaction that last changed
-- each row (change_xid), not by updated_at: transactions commit in another
-- order than they start, so a row stamped 10:00:00 can become visible after
-- one stamped 10:00:01 was read, and a reader walking updated_at would skip
-- it. The sync read returns only rows whose transaction is older than every
-- transaction still running (pg_snapshot_xmin), in change_xid order, so
-- whatever commits later sorts after the reader's cursor.
-- A trigger stamps both columns on every insert and update (soft deletes
-- included), whichever code path writes.

CREATE OR REPLACE FUNCTION wt_stamp_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := now();
  END IF;
  NEW.change_xid := pg_current_xact_id();
  RETURN NEW;
END
$$;

ALTER TABLE time_entries ADD COLUMN change_xid xid8;
ALTER TABLE timesheets ADD COLUMN change_xid xid8;
-- Rows written before: one position for all, ordered among themselves by id.
UPDATE time_entries SET change_xid = '1'::xid8;
UPDATE timesheets SET change_xid = '1'::xid8;
ALTER TABLE time_entries ALTER COLUMN change_xid SET NOT NULL;
ALTER TABLE timesheets ALTER COLUMN change_xid SET NOT NULL;

CREATE TRIGGER time_entries_stamp BEFORE INSERT OR UPDATE ON time_entries
  FOR EACH ROW EXECUTE FUNCTION wt_stamp_change();
CREATE TRIGGER timesheets_stamp BEFORE INSERT OR UPDATE ON timesheets
  FOR EACH ROW EXECUTE FUNCTION wt_stamp_change();

-- The sync read walks (change_xid, id) in a workspace, deleted rows included;
-- members see their own rows only, hence the user_id variant.
CREATE INDEX time_entries_ws_change ON time_entries (workspace_id, change_xid, id);
CREATE INDEX time_entries_ws_user_change ON time_entries (workspace_id, user_id, change_xid, id);
CREATE INDEX timesheets_ws_change ON timesheets (workspace_id, change_xid, id);
-- The ordinary lists' keyset cursors follow their sort keys.
CREATE INDEX time_entries_ws_list ON time_entries (workspace_id, log_date DESC, created_at DESC, id)
  WHERE deleted_at IS NULL;
CREATE INDEX timesheets_ws_list ON timesheets (workspace_id, period_start DESC, id);

-- Rotation: the secret being replaced stays valid until previous_expires_at,
-- and deliveries are signed with both until then.
ALTER TABLE time_webhooks
  ADD COLUMN previous_secret_sealed text,
  ADD COLUMN previous_expires_at timestamptz,
  ADD CHECK ((previous_secret_sealed IS NULL) = (previous_expires_at IS NULL));

-- Replay finds a subscription's failed deliveries by creation time.
CREATE INDEX time_webhook_deliveries_failed ON time_webhook_deliveries (webhook_id, created_at, id)
  WHERE status = 'failed';
