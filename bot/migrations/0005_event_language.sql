-- The language an event's public posts speak (announcement, reminders, start and cancellation
-- notices), chosen with /event create (default: the channel's language from config.yml's
-- channel_languages, else the server's). DMs never use it: they follow each member's language.
-- NULL (events created before this column): the channel's language at posting time, else the server's.
ALTER TABLE event_series ADD COLUMN language TEXT CHECK (language IS NULL OR language IN ('en', 'fr', 'es'));
