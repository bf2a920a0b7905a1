ALTER TABLE kiosks DROP COLUMN page_seconds;
