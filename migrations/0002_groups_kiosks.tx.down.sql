DROP TABLE IF EXISTS kiosks, board_groups;
