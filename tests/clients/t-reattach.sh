#!/bin/bash
# locoirc: see LICENSE.
#
# A client that detaches, misses messages and comes back under the same
# client name (alice@laptop) gets exactly the ones it missed, each once,
# in the right windows, and not what it had already seen.
. "$(dirname "$0")/lib.sh"

setup irssi
start_sim
start_gateway
start_irssi irssi laptop
id=$$

check "irssi is joined to $CHAN_HIKING" show irssi irssi "$CHAN_HIKING"
seen="seen before $id"
ctl send $CHAT_HIKING $MINSU "$seen" >/dev/null
check "it sees a live message" \
    wait_screen irssi "$(irssi_msg "$MINSU_NICK" "$seen")"

type_line irssi "/quit bye"
check "irssi quits (detaches)" wait_until pane_dead irssi

missed1="missed one $id"
missed2="missed two $id (민수)"
missed3="missed three $id"
missed_dm="missed in private $id"
missed_work="missed at work $id"
ctl send $CHAT_HIKING $MINSU "$missed1" >/dev/null
ctl send $CHAT_HIKING $BOB "$missed2" >/dev/null
ctl send $CHAT_HIKING $MINSU "$missed3" >/dev/null
ctl send $CHAT_MINSU $MINSU "$missed_dm" >/dev/null
ctl send $CHAT_WORK $CAROL "$missed_work" >/dev/null

start_irssi irssi2 laptop
check "irssi comes back to $CHAN_HIKING" show irssi2 irssi "$CHAN_HIKING"
check "it gets the first missed message" \
    wait_screen irssi2 "$(irssi_msg "$MINSU_NICK" "$missed1")"
check "and the second, from Bob" \
    wait_screen irssi2 "$(irssi_msg Bob "$missed2")"
check "and the third" \
    wait_screen irssi2 "$(irssi_msg "$MINSU_NICK" "$missed3")"
check "each of them once" \
    test "$(screen_count irssi2 "$(re "$id")")" -eq 3
check "not what it had seen" \
    eval '! screen_has irssi2 "$(re "$seen")" &&
        ! screen_has irssi2 "$(re "다들 주말에 시간 되세요?")"'
check "the missed private message is in the query with $MINSU_NICK" \
    eval 'show irssi2 irssi "$MINSU_NICK" &&
        wait_screen irssi2 "$(irssi_msg "$MINSU_NICK" "$missed_dm")"'
check "once" once irssi2 "$missed_dm"
check "the one from $CHAN_WORK is there, once" \
    eval 'show irssi2 irssi "$CHAN_WORK" &&
        wait_screen irssi2 "$(irssi_msg Carol "$missed_work")" &&
        once irssi2 "$missed_work"'

check "locoircd exits cleanly on SIGTERM" stop_gateway
t_done
