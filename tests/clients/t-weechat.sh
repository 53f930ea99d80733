#!/bin/bash
# locoirc: see LICENSE.
#
# WeeChat 3.8, the curses client, against locoircd and locosim: it logs in
# by SASL PLAIN, is joined to the chats with their topics and members, sees
# a message injected through locosim in the right buffer from the right
# (Korean) nick, and what it types in a channel and in a query reaches
# locosim as WRITEs to the right chats.
. "$(dirname "$0")/lib.sh"

client=weechat
setup weechat
start_sim
start_gateway
start_weechat weechat laptop
id=$$

check "WeeChat logs in by SASL and is joined to $CHAN_HIKING" \
    show weechat $client "$CHAN_HIKING"
check "the topic of $CHAN_HIKING is the chat's notice" \
    wait_screen weechat "Topic for $(re "$CHAN_HIKING") is \"?$(re "$HIKING_TOPIC")"
# WeeChat counts the members on join and lists them in the nicklist bar.
members() {
	screen_has weechat "Channel $(re "$CHAN_HIKING"): 3 nicks" &&
	    screen_has weechat "│ ?[@+]?$MINSU_NICK *\$" &&
	    screen_has weechat "│ ?[@+]?Bob *\$"
}
check "the members of $CHAN_HIKING are listed, $MINSU_NICK among them" \
    wait_until members
check "a new client gets the chat's history" \
    wait_screen weechat "$(weechat_msg "$MINSU_NICK" "다들 주말에 시간 되세요?")"

text="새 소식 $id: 토요일 7시"
ctl send $CHAT_HIKING $MINSU "$text" >/dev/null
check "a message injected through locosim shows from $MINSU_NICK" \
    wait_screen weechat "$(weechat_msg "$MINSU_NICK" "$text")"
show weechat $client "$CHAN_WORK" >/dev/null
check "and only in its own buffer" \
    eval '! screen_has weechat "$(re "$text")"'

show weechat $client "$CHAN_HIKING" >/dev/null
mine="hello from weechat $id"
type_line weechat "$mine"
check "what WeeChat says in $CHAN_HIKING is a WRITE to chat $CHAT_HIKING" \
    wait_write $CHAT_HIKING "$mine"
marker="marker $id from Bob"
ctl send $CHAT_HIKING $BOB "$marker" >/dev/null
wait_screen weechat "$(weechat_msg Bob "$marker")" >/dev/null
check "WeeChat's own line is not echoed back to it" \
    once weechat "$mine"

type_line weechat "/query $MINSU_NICK"
check "a query to $MINSU_NICK opens" show weechat $client "$MINSU_NICK"
dm="민수야 $id, 잠깐 얘기해"
type_line weechat "$dm"
check "what WeeChat says there is a WRITE to the direct chat" \
    wait_write $CHAT_MINSU "$dm"
answer="응 $id 좋아"
ctl send $CHAT_MINSU $MINSU "$answer" >/dev/null
check "the answer shows in the query" \
    wait_screen weechat "$(weechat_msg "$MINSU_NICK" "$answer")"

check "locoircd exits cleanly on SIGTERM" stop_gateway
t_done
