#!/bin/bash
# locoirc: see LICENSE.
#
# irssi and WeeChat attached at once to one account (as alice@irssi and
# alice@weechat): each sees what the other said as said by the own nick,
# locosim gets each line as exactly one WRITE, and a message from a
# simulated member reaches both clients once.
. "$(dirname "$0")/lib.sh"

setup irssi weechat
start_sim
start_gateway
start_irssi irssi irssi
start_weechat weechat weechat
id=$$

check "irssi is joined to $CHAN_HIKING" show irssi irssi "$CHAN_HIKING"
check "WeeChat is joined to $CHAN_HIKING" show weechat weechat "$CHAN_HIKING"

from_irssi="irssi says $id"
type_line irssi "$from_irssi"
check "WeeChat sees what irssi said, from the own nick" \
    wait_screen weechat "$(weechat_msg "$NICK" "$from_irssi")"
from_weechat="weechat says $id"
type_line weechat "$from_weechat"
check "irssi sees what WeeChat said, from the own nick" \
    wait_screen irssi "$(irssi_msg "$NICK" "$from_weechat")"
wait_write $CHAT_HIKING "$from_weechat" >/dev/null
check "locosim got each line as one WRITE" \
    test "$(ctl writes 0 | grep -cF -e "\"$from_irssi\"" -e "\"$from_weechat\"")" -eq 2

text="둘 다 보여요? $id"
ctl send $CHAT_HIKING $MINSU "$text" >/dev/null
marker="marker $id from Bob"
ctl send $CHAT_HIKING $BOB "$marker" >/dev/null
check "irssi gets $MINSU_NICK's message" \
    wait_screen irssi "$(irssi_msg "$MINSU_NICK" "$text")"
check "WeeChat gets it too" \
    wait_screen weechat "$(weechat_msg "$MINSU_NICK" "$text")"
wait_screen irssi "$(irssi_msg Bob "$marker")" >/dev/null
wait_screen weechat "$(weechat_msg Bob "$marker")" >/dev/null
check "irssi shows it once" once irssi "$text"
check "WeeChat shows it once" once weechat "$text"
check "irssi shows its own line once" once irssi "$from_irssi"
check "irssi shows WeeChat's line once" once irssi "$from_weechat"
check "WeeChat shows its own line once" once weechat "$from_weechat"
check "WeeChat shows irssi's line once" once weechat "$from_irssi"

type_line irssi "/query $MINSU_NICK"
show irssi irssi "$MINSU_NICK" >/dev/null
dm="irssi to 민수 $id"
type_line irssi "$dm"
check "irssi's line in the query is a WRITE to the direct chat" \
    wait_write $CHAT_MINSU "$dm"
check "WeeChat shows it in its query with $MINSU_NICK, from the own nick" \
    eval 'show weechat weechat "$MINSU_NICK" &&
        wait_screen weechat "$(weechat_msg "$NICK" "$dm")"'

check "locoircd exits cleanly on SIGTERM" stop_gateway
t_done
