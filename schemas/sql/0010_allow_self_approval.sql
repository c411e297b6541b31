-- Whether a manager or admin may approve or reject their own timesheet. Off
-- by default: the person who logged the time is not the one who signs it
-- off, unless the workspace says otherwise (a one-person agency).

ALTER TABLE time_tracking_settings ADD COLUMN allow_self_approval boolean NOT NULL DEFAULT false;
