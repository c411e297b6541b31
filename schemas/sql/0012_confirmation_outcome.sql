-- What became of a confirmation: the person confirmed it (the action ran in
-- the same transaction as this row) or declined it (nothing ran). A declined
-- token is used up like a confirmed one, so a card declined in one place
-- cannot be confirmed later from another; the chat reads the outcome back to
-- tell the model what happened.

ALTER TABLE confirmations ADD COLUMN outcome text NOT NULL DEFAULT 'confirmed'
  CHECK (outcome IN ('confirmed', 'declined'));
