-- Placeholder on the consult branch only: 0011 is another branch's migration. Delete this file when
-- merging (the real 0011 takes its place); 0013_consultations.sql needs the numbers without a gap.
SELECT 1;
