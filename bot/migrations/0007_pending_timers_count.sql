-- The number of pending timers, kept by triggers, so /about and the start-up log read one row instead of
-- counting an index that grows with every timer ever scheduled (COUNT(*) over 50,000 pending rows takes
-- about 2 ms; this takes microseconds). Each timer write pays one extra single-row UPDATE.
-- (Numbered 0009 in the issue; it follows whatever migrations main has when it is merged.)
CREATE TABLE timer_counts (
    status TEXT    PRIMARY KEY CHECK (status = 'pending'),
    n      INTEGER NOT NULL CHECK (n >= 0)
) WITHOUT ROWID;
INSERT INTO timer_counts (status, n) SELECT 'pending', count(*) FROM timers WHERE status = 'pending';

CREATE TRIGGER timers_count_insert AFTER INSERT ON timers WHEN NEW.status = 'pending'
BEGIN
    UPDATE timer_counts SET n = n + 1 WHERE status = 'pending';
END;

CREATE TRIGGER timers_count_leave AFTER UPDATE OF status ON timers
WHEN OLD.status = 'pending' AND NEW.status != 'pending'
BEGIN
    UPDATE timer_counts SET n = n - 1 WHERE status = 'pending';
END;

CREATE TRIGGER timers_count_enter AFTER UPDATE OF status ON timers
WHEN OLD.status != 'pending' AND NEW.status = 'pending'
BEGIN
    UPDATE timer_counts SET n = n + 1 WHERE status = 'pending';
END;

CREATE TRIGGER timers_count_delete AFTER DELETE ON timers WHEN OLD.status = 'pending'
BEGIN
    UPDATE timer_counts SET n = n - 1 WHERE status = 'pending';
END;
