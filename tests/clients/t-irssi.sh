#!/bin/bash
# locoirc: see LICENSE.
#
# irssi 1.4 against locoircd and locosim: it logs in by SASL PLAIN, is
# joined to the chats with their topics and members, sees a message
# injected through locosim in the right window from the right (Korean)
# nick, and what it types in a channel and in a query reaches locosim as
# WRITEs to the right chats.
. "$(dirname "$0")/lib.sh"

client=irssi
setup irssi
start_sim
start_gateway
start_irssi irssi laptop
id=$$

check "irssi logs in by SASL and is joined to $CHAN_HIKING" \
    show irssi $client "$CHAN_HIKING"
check "the topic of $CHAN_HIKING is the chat's notice" \
    wait_screen irssi "Topic for $(re "$CHAN_HIKING"): $(re "$HIKING_TOPIC")"
check "the members of $CHAN_HIKING are listed, $MINSU_NICK among them" \
    wait_screen irssi "\\[[ @+%]?$MINSU_NICK *\\].*\\[[ @+%]?Bob *\\]|\\[[ @+%]?Bob *\\].*\\[[ @+%]?$MINSU_NICK *\\]"
check "a new client gets the chat's history" \
    wait_screen irssi "$(irssi_msg "$MINSU_NICK" "다들 주말에 시간 되세요?")"

text="새 소식 $id: 토요일 7시"
ctl send $CHAT_HIKING $MINSU "$text" >/dev/null
check "a message injected through locosim shows from $MINSU_NICK" \
    wait_screen irssi "$(irssi_msg "$MINSU_NICK" "$text")"
show irssi $client "$CHAN_WORK" >/dev/null
check "and only in its own window" \
    eval '! screen_has irssi "$(re "$text")"'
# The Work Room has 25 messages; a client never seen gets the last 20.
check "$CHAN_WORK shows the last 20 messages of its chat" \
    eval 'wait_screen irssi "$(irssi_msg Carol "work note 25")" &&
        once irssi "work note 06"'
check "and not the older ones" eval '! screen_has irssi "work note 05"'

show irssi $client "$CHAN_HIKING" >/dev/null
mine="hello from irssi $id"
type_line irssi "$mine"
check "what irssi says in $CHAN_HIKING is a WRITE to chat $CHAT_HIKING" \
    wait_write $CHAT_HIKING "$mine"
marker="marker $id from Bob"
ctl send $CHAT_HIKING $BOB "$marker" >/dev/null
wait_screen irssi "$(irssi_msg Bob "$marker")" >/dev/null
check "irssi's own line is not echoed back to it" \
    once irssi "$mine"

type_line irssi "/query $MINSU_NICK"
check "a query to $MINSU_NICK opens" show irssi $client "$MINSU_NICK"
dm="민수야 $id, 잠깐 얘기해"
type_line irssi "$dm"
check "what irssi says there is a WRITE to the direct chat" \
    wait_write $CHAT_MINSU "$dm"
answer="응 $id 좋아"
ctl send $CHAT_MINSU $MINSU "$answer" >/dev/null
check "the answer shows in the query" \
    wait_screen irssi "$(irssi_msg "$MINSU_NICK" "$answer")"

check "locoircd exits cleanly on SIGTERM" stop_gateway
t_done
