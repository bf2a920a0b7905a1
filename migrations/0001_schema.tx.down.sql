DROP TABLE IF EXISTS users, discovered_devices, discovery_tasks, connections, assignments, performers,
    transmitters, channels, receivers, locations, manufacturers;
