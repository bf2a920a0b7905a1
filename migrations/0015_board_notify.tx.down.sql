DROP TRIGGER performers_notify_board ON performers;
DROP TRIGGER assignments_notify_board ON assignments;
DROP TRIGGER channels_notify_board ON channels;
DROP TRIGGER receivers_notify_board ON receivers;
DROP FUNCTION micboard_performers_changed();
DROP FUNCTION micboard_assignments_changed();
DROP FUNCTION micboard_channels_changed();
DROP FUNCTION micboard_receivers_changed();
DROP FUNCTION micboard_notify_receiver(bigint);
