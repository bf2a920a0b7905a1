-- How long a paging wall display shows each page, per display (the admin
-- page edits it; the display's URL stays the same).
ALTER TABLE kiosks
    ADD COLUMN page_seconds integer NOT NULL DEFAULT 10 CHECK (page_seconds BETWEEN 3 AND 120);
