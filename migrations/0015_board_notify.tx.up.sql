-- Every instance's board shows what people set in Micboard the moment it
-- is stored, whichever instance stored it: a change to a receiver, its
-- channels' overrides, an assignment or a performer's name notifies
-- channel micboard_receivers with the receiver's id, and each instance
-- loads that receiver onto its board again. Live values (device names,
-- battery, online) travel on micboard_board instead, so the writes of the
-- device side notify nothing here. Notifications with the same payload in
-- one transaction are delivered once, so a bulk change costs one per
-- receiver.

CREATE FUNCTION micboard_notify_receiver(rx bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_notify('micboard_receivers', rx::text) WHERE rx IS NOT NULL
$$;

CREATE FUNCTION micboard_receivers_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM micboard_notify_receiver(OLD.id);
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' OR (NEW.name, NEW.location_id, NEW.active, NEW.model, NEW.device_type, NEW.host, NEW.port, NEW.manufacturer_id)
        IS DISTINCT FROM (OLD.name, OLD.location_id, OLD.active, OLD.model, OLD.device_type, OLD.host, OLD.port, OLD.manufacturer_id) THEN
        PERFORM micboard_notify_receiver(NEW.id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER receivers_notify_board AFTER INSERT OR UPDATE OR DELETE ON receivers
    FOR EACH ROW EXECUTE FUNCTION micboard_receivers_changed();

CREATE FUNCTION micboard_channels_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM micboard_notify_receiver(OLD.receiver_id);
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' OR (NEW.override_name, NEW.override_device_name, NEW.number, NEW.receiver_id)
        IS DISTINCT FROM (OLD.override_name, OLD.override_device_name, OLD.number, OLD.receiver_id) THEN
        PERFORM micboard_notify_receiver(NEW.receiver_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER channels_notify_board AFTER INSERT OR UPDATE OR DELETE ON channels
    FOR EACH ROW EXECUTE FUNCTION micboard_channels_changed();

CREATE FUNCTION micboard_assignments_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM micboard_notify_receiver((SELECT receiver_id FROM channels WHERE id = OLD.channel_id));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM micboard_notify_receiver((SELECT receiver_id FROM channels WHERE id = NEW.channel_id));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER assignments_notify_board AFTER INSERT OR UPDATE OR DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION micboard_assignments_changed();

CREATE FUNCTION micboard_performers_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.name IS DISTINCT FROM OLD.name THEN
        PERFORM micboard_notify_receiver(c.receiver_id)
        FROM assignments AS a JOIN channels AS c ON c.id = a.channel_id
        WHERE a.performer_id = NEW.id AND a.active;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER performers_notify_board AFTER UPDATE ON performers
    FOR EACH ROW EXECUTE FUNCTION micboard_performers_changed();
