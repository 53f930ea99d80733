#!/bin/bash
# locoirc demo: a living simulated KakaoTalk world (locosim with
# conf/demo-world.json, members posting now and then) and locoircd logged
# in to it, ready for an IRC client on 127.0.0.1:6667. It builds nothing:
# it runs the binaries it is given. Ctrl-C stops both and waits for them.
#
# usage: demo.sh [LOCOIRCD [LOCOSIM]]
#   LOCOIRCD   default ./src/locoircd
#   LOCOSIM    default ./tests/locosim/locosim
# environment:
#   DEMO_PORT      IRC port (default 6667; 0 lets the kernel choose)
#   DEMO_PASSWORD  IRC password (default demo)
#   DEMO_ALIVE     mean seconds between simulated posts (default 20; 0 off)
#   DEMO_WORLD     world file (default conf/demo-world.json beside this)
#   DEMO_DIR       where configuration, store, logs and the world go, kept
#                  for the next run (default: a new temporary directory,
#                  removed on exit unless DEMO_KEEP=1)
set -u

here=$(cd "$(dirname "$0")" && pwd)
locoircd=${1:-./src/locoircd}
locosim=${2:-./tests/locosim/locosim}
port=${DEMO_PORT:-6667}
password=${DEMO_PASSWORD:-demo}
alive=${DEMO_ALIVE:-20}
world=${DEMO_WORLD:-$here/demo-world.json}
wait_s=30
keep=0
dir=

# Complain and exit; files made so far are kept for a look at the logs.
die() {
	echo "demo: $*" >&2
	keep=1
	exit 1
}

for b in "$locoircd" "$locosim"; do
	[ -x "$b" ] || die "cannot run '$b': build first (make), or name the" \
	    "binaries: demo.sh LOCOIRCD LOCOSIM"
done
[ -r "$world" ] || die "cannot read the world file '$world'"
case $port in
'' | *[!0-9]*) die "DEMO_PORT '$port' is not a port number" ;;
esac

# The account locoircd logs in as: the world's first account. The demo
# world keeps each account on one line, which is all this reads.
account=$(sed -n '/"accounts"/,/\]/{/"userId"/{p;q}}' "$world")
field() {
	printf '%s\n' "$account" |
	    sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\)\"\{0,1\}.*/\1/p"
}
user_id=$(field userId)
token=$(field accessToken)
duuid=$(field deviceUuid)
[ -n "$user_id" ] && [ -n "$token" ] && [ -n "$duuid" ] ||
    die "no account (userId, accessToken, deviceUuid) in '$world'"

if [ -n "${DEMO_DIR:-}" ]; then
	dir=$DEMO_DIR
	mkdir -p "$dir" || die "cannot create '$dir'"
	keep=1
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/locoirc-demo.XXXXXX") ||
	    die "cannot make a temporary directory"
	keep=${DEMO_KEEP:-0}
fi
dir=$(cd "$dir" && pwd)
chmod 700 "$dir"

sim_pid=
irc_pid=
stopping=0

# Stop pid (name) with SIGTERM, and SIGKILL after 10 s; print how it ended.
stop_one() {
	local pid=$1 name=$2 i status
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "demo: $name did not stop within 10 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	status=$?
	# When the Ctrl-C stopped it before we asked, bash 5.2 may have
	# forgotten its status and says -1; its log tells how it ended.
	[ "$status" -ge 0 ] || return 0
	[ "$status" -eq 0 ] || echo "demo: $name exited with status $status" >&2
	return "$status"
}

# Stop locoircd first (it says goodbye to IRC clients), then locosim.
cleanup() {
	local status=0
	trap '' INT TERM
	stop_one "$irc_pid" locoircd || status=1
	stop_one "$sim_pid" locosim || status=1
	irc_pid=
	sim_pid=
	if [ -z "$dir" ]; then
		:
	elif [ "$keep" = 1 ]; then
		echo "demo: files kept in $dir"
	else
		rm -rf "$dir"
	fi
	return $status
}
trap 'stopping=1' INT TERM
trap 'cleanup' EXIT

# Wait up to wait_s for a line starting with prefix on fifo (opened on fd);
# prints the line. Fails when the writer exits first.
read_ready() {
	local fd=$1 prefix=$2 line
	while IFS= read -r -t "$wait_s" -u "$fd" line; do
		case $line in
		"$prefix"*)
			printf '%s\n' "$line"
			return 0
			;;
		esac
	done
	return 1
}

# The world lives on in the directory: a kept DEMO_DIR starts where the
# last run stopped, so the store and the world agree on every message.
[ -s "$dir/world.json" ] && world=$dir/world.json
echo "demo: starting locosim ($world) in $dir"
rm -f "$dir/sim.out" "$dir/irc.out"
mkfifo "$dir/sim.out" "$dir/irc.out" || die "cannot make fifos in '$dir'"
"$locosim" -w "$world" -s "$dir/world.json" --alive "$alive" \
    --pubkey-out "$dir/loco-public.pem" --cert-out "$dir/booking-ca.pem" \
    >"$dir/sim.out" 2>>"$dir/locosim.log" &
sim_pid=$!
exec 3<"$dir/sim.out"
ready=$(read_ready 3 "READY ") || {
	tail -n 20 "$dir/locosim.log" >&2
	die "locosim did not start (log above, in $dir/locosim.log)"
}
booking=$(printf '%s\n' "$ready" | sed -n 's/.* booking=\([0-9]*\).*/\1/p')
control=$(printf '%s\n' "$ready" | sed -n 's/.* control=\([0-9]*\).*/\1/p')
[ -n "$booking" ] || die "locosim's READY line names no booking port: $ready"

hash=$(printf '%s\n' "$password" | "$locoircd" --hash-password) ||
    die "locoircd --hash-password failed"
umask 077
cat >"$dir/locoircd.conf" <<EOF
; written by conf/demo.sh for the simulated world; not for real accounts
[account]
user_id = $user_id
access_token = $token
device_uuid = $duuid

[loco]
booking = 127.0.0.1:$booking
booking_ca = $dir/booking-ca.pem
rsa_public_key = $dir/loco-public.pem

[store]
path = $dir/locoircd.db

[irc]
listen = 127.0.0.1:$port
password = $hash
user = demo
nick = ${DEMO_NICK:-jun}
EOF

echo "demo: starting locoircd ($dir/locoircd.conf)"
"$locoircd" -f -c "$dir/locoircd.conf" >"$dir/irc.out" \
    2>>"$dir/locoircd.log" &
irc_pid=$!
exec 4<"$dir/irc.out"
ready=$(read_ready 4 "READY ") || {
	tail -n 20 "$dir/locoircd.log" >&2
	die "locoircd did not start (log above, in $dir/locoircd.log)"
}
addr=${ready#READY irc=}
case $addr in
127.0.0.1:[0-9]*) ;;
*) die "locoircd has no IRC listener ($ready): is the IRC side built?" ;;
esac
host=${addr%:*}
port=${addr##*:}

cat <<EOF

  locoircd is ready: IRC on $host port $port, password "$password".
  Log in as demo@laptop ("laptop" names this client; use another name for
  a second client, and each gets exactly the messages it has not seen).

  irssi:
    /network add -sasl_mechanism PLAIN -sasl_username demo@laptop -sasl_password $password kakao
    /server add -network kakao $host $port
    /connect kakao
  or simply:  /connect $host $port demo@laptop:$password

  WeeChat:
    /server add kakao $host/$port -sasl_mechanism=plain -sasl_username=demo@laptop -sasl_password=$password
    /connect kakao

  The chats are channels, direct chats are queries with the person's nick,
  the memo chat is the query *memo. Simulated members post about every
  ${alive} s; to act as one yourself, talk to locosim's control socket
  (127.0.0.1:$control, "help" lists the commands).
  Logs: $dir/locoircd.log and $dir/locosim.log

  Press Ctrl-C to stop.

EOF

# Run until Ctrl-C, or until one of the two dies: look once a second,
# sleeping in a child so that the trap cuts the wait short.
status=0
while [ "$stopping" = 0 ]; do
	for name in locosim locoircd; do
		[ $name = locosim ] && p=$sim_pid || p=$irc_pid
		kill -0 "$p" 2>/dev/null || [ "$stopping" = 1 ] || {
			tail -n 20 "$dir/$name.log" >&2
			die "$name stopped unexpectedly (log above)"
		}
	done
	sleep 1 &
	sleeper=$!
	wait "$sleeper"
	kill "$sleeper" 2>/dev/null
	wait "$sleeper" 2>/dev/null
done
echo
echo "demo: stopping"
cleanup || status=1
trap - EXIT
exit $status
