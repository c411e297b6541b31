-- A webhook attempt is recorded before it is sent: its row commits with the
-- lease, as outcome 'sending', and is completed when the answer (or the
-- error) comes. A process killed mid-delivery thus leaves a trace: whoever
-- takes the delivery once the lease has expired closes the attempt as
-- 'unknown' (the receiver may or may not have got it) and counts it on the
-- retry schedule, so the log shows every request that may have gone out.

ALTER TABLE time_webhook_attempts ADD COLUMN outcome text;
UPDATE time_webhook_attempts
   SET outcome = CASE WHEN response_code BETWEEN 200 AND 299 THEN 'delivered' ELSE 'failed' END;
ALTER TABLE time_webhook_attempts
  ALTER COLUMN outcome SET NOT NULL,
  ADD CHECK (outcome IN ('sending', 'delivered', 'failed', 'unknown')),
  -- Only a finished attempt knows how long it took.
  ALTER COLUMN duration_ms DROP NOT NULL,
  ADD CHECK ((duration_ms IS NULL) = (outcome IN ('sending', 'unknown')));

-- Leasing looks for attempts left in flight on every pass.
CREATE INDEX time_webhook_attempts_in_flight ON time_webhook_attempts (delivery_id) WHERE outcome = 'sending';
