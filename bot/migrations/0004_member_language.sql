-- The member's Discord language, remembered from their last interaction (RSVP, check-in, /timezone),
-- so what the bot sends outside an interaction (reminder and change DMs) speaks it. NULL = unknown:
-- the guild's language applies.
ALTER TABLE member_settings ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('en', 'fr', 'es'));
