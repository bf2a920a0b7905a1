#!/usr/bin/env bash
# The alert tests publish to a real MQTT broker on 127.0.0.1:1883. This
# starts Mosquitto when nothing answers there, installing Debian's package
# first when it is missing. Quiet when a broker already answers.
set -euo pipefail

answers() { (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; }

answers && exit 0

if ! command -v mosquitto >/dev/null 2>&1; then
	echo "ensure-mosquitto: installing Debian's mosquitto"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq mosquitto >/dev/null || {
		echo "ensure-mosquitto: could not install mosquitto" >&2
		exit 1
	}
fi

echo "ensure-mosquitto: starting Mosquitto on 127.0.0.1:1883"
conf=/etc/mosquitto/mosquitto.conf
if [ -f "$conf" ]; then
	mosquitto -d -c "$conf"
else
	mosquitto -d -p 1883
fi
for _ in $(seq 1 40); do
	answers && exit 0
	sleep 0.25
done
echo "ensure-mosquitto: Mosquitto did not start on 127.0.0.1:1883" >&2
exit 1
