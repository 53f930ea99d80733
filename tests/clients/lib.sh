# locoirc: see LICENSE.
#
# What the real-client tests share (sourced by bash): TAP output, locosim
# and locoircd started in a private directory on kernel-chosen ports (their
# READY lines name them), IRC clients with private homes running in a tmux
# server of our own, and waits that poll a condition every 0.2 s up to a
# deadline. Nothing sleeps to synchronise. Everything started here is
# stopped by the EXIT trap.
#
# Environment: LOCOIRC_BIN, LOCOSIM_BIN and LOCOIRC_CTL_BIN (make check sets
# them), CI=true (missing clients fail instead of skipping),
# LOCOIRC_TEST_KEEP=1 (keep the directory), LOCOIRC_TEST_VERBOSE=1 (copy the
# logs into the TAP output even when everything passed).

set -u

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# How long one wait may take, in seconds.
WAIT_S=${LOCOIRC_CLIENT_WAIT:-20}
# The account of world.json and the password behind TEST_HASH.
ALICE=7100000001
MINSU=7100000002
BOB=7100000003
CAROL=7100000004
MINSU_NICK=김민수
CHAT_HIKING=10
CHAT_WORK=11
CHAT_MINSU=20
CHAN_HIKING='#Hiking_Club'
CHAN_WORK='#Work_Room'
HIKING_TOPIC='Saturday 7am at exit 3'
NICK=alice
PASSWORD=secret
# pbkdf2 of "secret" with 1000 iterations: cheap, for tests only.
TEST_HASH='pbkdf2-sha256$1000$bG9jb2lyYy10ZXN0c2FsdA==$0hOhG3dGfXcGtyK+5dOX84A3Qzs0bNt1TKno+FQlUbk='

export LANG=C.UTF-8 LC_ALL=C.UTF-8

t_n=0
t_failed=0
T=
sim_pid=
irc_pid=
TMUX_SOCK=

# TAP: one result line per check; diagnostics start with "# ".
diag() {
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}
pass() {
	t_n=$((t_n + 1))
	printf 'ok %d - %s\n' "$t_n" "$*"
}
fail() {
	t_n=$((t_n + 1))
	t_failed=$((t_failed + 1))
	printf 'not ok %d - %s\n' "$t_n" "$*"
}
# check DESCRIPTION COMMAND...: pass or fail on the command's status.
check() {
	local what=$1
	shift
	if "$@"; then
		pass "$what"
	else
		fail "$what"
	fi
}
# Setup went wrong: no point going on.
bail() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}
# The trailing plan; the exit status says whether all passed.
t_done() {
	printf '1..%d\n' "$t_n"
	[ "$t_failed" -eq 0 ]
	exit $?
}

# Skip (outside CI) or fail (in CI) when a program the test needs is absent.
need() {
	local p missing=
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "${CI:-}" = true ]; then
		printf '1..1\nnot ok 1 - installed:%s (CI never skips)\n' \
		    "$missing"
		exit 1
	fi
	printf '1..0 # SKIP not installed:%s\n' "$missing"
	exit 0
}

# Stop pid with SIGTERM, then SIGKILL after 10 s; its exit status.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# Copy the tail of a log into the TAP output.
show_log() {
	[ -s "$1" ] || return 0
	diag "--- last lines of $(basename "$1")"
	diag "$(tail -n "${2:-40}" "$1")"
}

# What an irssi still running in session name last exchanged with the
# gateway (its /rawlog), into the TAP output.
irssi_rawlog() {
	local raw=$T/rawlog-$1.txt
	case $1 in irssi*) ;; *) return 0 ;; esac
	pane_dead "$1" && return 0
	type_line "$1" "/rawlog save $raw"
	WAIT_S=3 wait_until test -s "$raw" || return 0
	diag "--- IRC lines of $1 (its rawlog, without PING/PONG)"
	diag "$(grep -vE '^(<<|>>) ([^ ]+ )?P[IO]NG' "$raw" | tail -n 40)"
}

cleanup() {
	local f
	trap '' INT TERM
	if [ -n "$TMUX_SOCK" ] && [ -S "$TMUX_SOCK" ]; then
		if [ "$t_failed" -gt 0 ]; then
			for f in $(tm list-sessions -F '#S' 2>/dev/null); do
				diag "--- screen of $f"
				diag "$(screen "$f" | sed -e 's/ *$//' -e '/^$/d')"
				[ -n "$irc_pid" ] && irssi_rawlog "$f"
			done
		fi
		tm kill-server 2>/dev/null
	fi
	[ -n "$irc_pid" ] && stop_pid "$irc_pid"
	[ -n "$sim_pid" ] && stop_pid "$sim_pid"
	if [ -n "$T" ]; then
		if [ "$t_failed" -gt 0 ] || [ "${LOCOIRC_TEST_VERBOSE:-}" = 1 ]; then
			show_log "$T/locoircd.log" 60
			show_log "$T/locosim.log" 20
		fi
		if [ "${LOCOIRC_TEST_KEEP:-}" = 1 ]; then
			diag "kept $T"
		else
			rm -rf "$T"
		fi
	fi
}

# Make the private directory and check the programs; call first.
setup() {
	local v
	need tmux "$@"
	for v in LOCOIRC_BIN LOCOSIM_BIN LOCOIRC_CTL_BIN; do
		[ -n "${!v:-}" ] || bail "$v is not set (make check sets it)"
		[ -x "${!v}" ] || bail "cannot run ${!v} (\$$v)"
	done
	T=$(mktemp -d "${TMPDIR:-/tmp}/locoirc-clients.XXXXXX") ||
	    bail "cannot make a temporary directory"
	trap cleanup EXIT
	trap 'exit 1' INT TERM
	TMUX_SOCK=$T/tmux.sock
}

# Read lines from fd until one starts with prefix (printed), within WAIT_S.
read_ready() {
	local fd=$1 prefix=$2 line
	while IFS= read -r -t "$WAIT_S" -u "$fd" line; do
		case $line in
		"$prefix"*)
			printf '%s\n' "$line"
			return 0
			;;
		esac
	done
	return 1
}

# Start locosim with world.json; sets CTL_PORT and BOOKING_PORT.
start_sim() {
	local ready
	mkfifo "$T/sim.out" || bail "mkfifo"
	"$LOCOSIM_BIN" -w "$LIB_DIR/world.json" --pubkey-out "$T/pub.pem" \
	    --cert-out "$T/ca.pem" "$@" >"$T/sim.out" 2>"$T/locosim.log" &
	sim_pid=$!
	exec 3<"$T/sim.out"
	ready=$(read_ready 3 "READY ") || {
		show_log "$T/locosim.log"
		bail "locosim did not say READY"
	}
	BOOKING_PORT=$(printf '%s\n' "$ready" | sed -n 's/.* booking=\([0-9]*\).*/\1/p')
	CTL_PORT=$(printf '%s\n' "$ready" | sed -n 's/.* control=\([0-9]*\).*/\1/p')
	[ -n "$BOOKING_PORT" ] && [ -n "$CTL_PORT" ] ||
	    bail "locosim's READY line names no ports: $ready"
}

# Write locoircd.conf (extra lines go into [irc]) and start locoircd; sets
# IRC_PORT from its READY line.
start_gateway() {
	local ready
	umask 077
	cat >"$T/locoircd.conf" <<EOF
[account]
user_id = $ALICE
access_token = tok-clients-alice
device_uuid = dev-clients-alice

[loco]
booking = 127.0.0.1:$BOOKING_PORT
booking_ca = $T/ca.pem
rsa_public_key = $T/pub.pem

[store]
path = $T/locoircd.db

[log]
level = debug

[irc]
listen = 127.0.0.1:0
password = $TEST_HASH
nick = $NICK
${1:-}
EOF
	[ -p "$T/irc.out" ] || mkfifo "$T/irc.out" || bail "mkfifo"
	"$LOCOIRC_BIN" -f -c "$T/locoircd.conf" >"$T/irc.out" \
	    2>>"$T/locoircd.log" &
	irc_pid=$!
	exec 4<"$T/irc.out"
	ready=$(read_ready 4 "READY ") || {
		show_log "$T/locoircd.log"
		bail "locoircd did not say READY"
	}
	case $ready in
	"READY irc=127.0.0.1:"[0-9]*) IRC_PORT=${ready##*:} ;;
	*) bail "locoircd has no IRC listener: $ready" ;;
	esac
}

# Stop locoircd; succeeds when it exits 0 (cleanly, no leak reports).
stop_gateway() {
	local status f
	# The IRC lines of a failed test, while irssi still has them.
	if [ "$t_failed" -gt 0 ]; then
		for f in $(tm list-sessions -F '#S' 2>/dev/null); do
			irssi_rawlog "$f"
		done
	fi
	stop_pid "$irc_pid"
	status=$?
	irc_pid=
	exec 4<&-
	[ "$status" -eq 0 ] || diag "locoircd exited with status $status"
	return "$status"
}

# locosim's control socket: one command, the reply on stdout.
ctl() {
	"$LOCOIRC_CTL_BIN" "$CTL_PORT" "$@"
}

# Poll cond (a command) every 0.2 s until it succeeds or WAIT_S pass.
wait_until() {
	local end=$((SECONDS + WAIT_S))
	while ! "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# Whether locosim recorded a WRITE of text to chat (a whole JSON line).
has_write() {
	ctl writes 0 | grep -F "\"chatId\" : $1," |
	    grep -qF "\"message\" : \"$2\""
}
wait_write() {
	wait_until has_write "$1" "$2" ||
	    { diag "no WRITE of '$2' to chat $1; locosim has:"; diag "$(ctl writes 10)"; return 1; }
}

# tmux with our own server, UTF-8 and no user configuration.
tm() {
	tmux -u -f /dev/null -S "$TMUX_SOCK" "$@"
}

# Run a client in a new tmux session name, 200x50, which stays on screen
# when the client exits (to see why).
tm_start() {
	local name=$1
	shift
	tm new-session -d -s "$name" -x 200 -y 50 -- "$@" \; \
	    set-option -w -t "$name" remain-on-exit on >/dev/null ||
	    bail "cannot start $name in tmux"
}

# The visible screen of session name.
screen() {
	tm capture-pane -p -J -t "$1"
}

# Type text into session name, then Enter.
type_line() {
	tm send-keys -t "$1" -l -- "$2" && tm send-keys -t "$1" Enter
}

# Whether the screen of name has a line matching the extended regex.
screen_has() {
	screen "$1" | grep -qE -- "$2"
}
# How many screen lines of name match the extended regex.
screen_count() {
	screen "$1" | grep -cE -- "$2"
}
# Whether text shows on exactly one line of the screen of name.
once() {
	local n
	n=$(screen_count "$1" "$(re "$2")")
	[ "$n" -eq 1 ] && return 0
	diag "'$2' is on $n lines of the screen of $1, not 1"
	return 1
}

# Wait until the screen of name matches; diagnose it when it does not.
wait_screen() {
	wait_until screen_has "$1" "$2" && return 0
	diag "not on the screen of $1 within ${WAIT_S}s: $2"
	diag "$(screen "$1" | sed -e 's/ *$//' -e '/^$/d')"
	return 1
}

# The regex of text as a literal (for grep -E).
re() {
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# A line as irssi shows a message from nick ("< nick> text", maybe a mode).
irssi_msg() {
	printf '<[ @+%%]?%s> (\\[[^]]*\\] )?%s' "$(re "$1")" "$(re "$2")"
}
# A line as WeeChat shows one ("nick | text", the bar may be a box line).
weechat_msg() {
	printf '[ @+%%]?%s (│|\\|) (\\[[^]]*\\] )?%s' "$(re "$1")" "$(re "$2")"
}

# Start irssi as session name logging in as alice@client by SASL PLAIN.
start_irssi() {
	local name=$1 client=$2 home=$T/home-$1
	mkdir -p "$home/.irssi"
	cat >"$home/.irssi/config" <<EOF
servers = (
  {
    address = "127.0.0.1";
    chatnet = "kakao";
    port = "$IRC_PORT";
    use_tls = "no";
    autoconnect = "yes";
  }
);
chatnets = {
  kakao = {
    type = "IRC";
    nick = "$NICK";
    username = "$NICK";
    realname = "Alice";
    sasl_mechanism = "PLAIN";
    sasl_username = "$NICK@$client";
    sasl_password = "$PASSWORD";
  };
};
settings = {
  core = {
    real_name = "Alice";
    user_name = "$NICK";
    nick = "$NICK";
    settings_autosave = "no";
  };
  "fe-text" = { actlist_sort = "refnum"; };
  "fe-common/core" = {
    autocreate_own_query = "yes";
    autolog = "no";
    beep_msg_level = "";
  };
};
EOF
	tm_start "$name" env HOME="$home" TERM=screen-256color \
	    irssi --home="$home/.irssi"
}

# Start WeeChat 3.8 as session name logging in as alice@client by SASL.
start_weechat() {
	local name=$1 client=$2 home=$T/home-$1
	mkdir -p "$home/weechat"
	tm_start "$name" env HOME="$home" TERM=screen-256color \
	    weechat -d "$home/weechat" -P irc -r "/set weechat.look.hotlist_names_count 0;/set weechat.look.prefix_align_max 0;/set irc.look.buffer_switch_autojoin off;/set irc.look.buffer_switch_join off;/server add kakao 127.0.0.1/$IRC_PORT -nossl -nicks=$NICK -username=$NICK -realname=Alice -sasl_mechanism=plain -sasl_username=$NICK@$client -sasl_password=$PASSWORD;/connect kakao"
}

# Bring target (a channel or query) to the screen of session, whose client
# is irssi or weechat, and wait until its status bar names it. The window
# may not exist yet (the gateway joins us), so the command is retyped
# every second until the deadline.
show() {
	local sess=$1 client=$2 target=$3 bar cmd i end=$((SECONDS + WAIT_S))
	if [ "$client" = irssi ]; then
		bar="[0-9]+:kakao/$(re "$target")([( ]|\])"
		cmd="/window goto $target"
	else
		bar="[0-9]+:$(re "$target")([({ ]|\]|$)"
		cmd="/buffer $target"
	fi
	while [ "$SECONDS" -lt "$end" ]; do
		type_line "$sess" "$cmd"
		for ((i = 0; i < 5; i++)); do
			screen_has "$sess" "$bar" && return 0
			sleep 0.2
		done
	done
	diag "$client in $sess does not show $target"
	diag "$(screen "$sess" | sed -e 's/ *$//' -e '/^$/d')"
	return 1
}

# A message line of client (irssi or weechat) from nick with text.
msg_re() {
	if [ "$1" = irssi ]; then
		irssi_msg "$2" "$3"
	else
		weechat_msg "$2" "$3"
	fi
}

# Whether the pane of session has exited (remain-on-exit keeps it).
pane_dead() {
	[ "$(tm display-message -p -t "$1" '#{pane_dead}' 2>/dev/null)" = 1 ]
}
