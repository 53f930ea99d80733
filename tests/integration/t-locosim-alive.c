/* locoirc: see LICENSE.
 *
 * locosim's alive mode: with a short interval, a logged-in account must
 * see every kind of action (text, photo, reply, reaction) arrive as the
 * pushes the control commands make, only from members without an
 * account, only in chats that have such members, and exactly one push per
 * action. The locosim program must parse --alive strictly and, with it,
 * act on its own.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>
#include <event2/event.h>

#include "loco-chatlog.h"
#include "loco-msgtype.h"
#include "locosim.h"
#include "locosim-alive.h"
#include "locosim-world.h"
#include "tap.h"
#include "tclient.h"

/* A logs in; D is an account too but stays offline; B and C are users. */
#define UA INT64_C(9100000001)
#define UB INT64_C(9100000002)
#define UC INT64_C(9100000003)
#define UD INT64_C(9100000004)
#define CHAT_GROUP INT64_C(10)
#define CHAT_DM INT64_C(20)
#define CHAT_MEMO INT64_C(30)
#define CHAT_ACCOUNTS INT64_C(40)

/* Mean interval of the in-process run, in ms. */
#define ALIVE_MS 20
/* How long every kind of action may take to show up. */
#define DEADLINE_MS 20000

static const char world_json[] =
    "{\"users\": ["
    "  {\"userId\": 9100000001, \"nickName\": \"Alice\"},"
    "  {\"userId\": 9100000002, \"nickName\": \"김민수\"},"
    "  {\"userId\": 9100000003, \"nickName\": \"Carol\"},"
    "  {\"userId\": 9100000004, \"nickName\": \"Dave\"}],"
    " \"accounts\": ["
    "  {\"userId\": 9100000001, \"accessToken\": \"tok-alice\","
    "   \"deviceUuid\": \"dev-alice\"},"
    "  {\"userId\": 9100000004, \"accessToken\": \"tok-dave\","
    "   \"deviceUuid\": \"dev-dave\"}],"
    " \"chats\": ["
    "  {\"chatId\": 10, \"type\": \"MultiChat\", \"title\": \"Group\","
    "   \"members\": [9100000001, 9100000002, 9100000003, 9100000004],"
    "   \"messages\": [{\"authorId\": 9100000002, \"message\": \"hi\"}]},"
    "  {\"chatId\": 20, \"type\": \"DirectChat\","
    "   \"members\": [9100000001, 9100000002]},"
    "  {\"chatId\": 30, \"type\": \"MemoChat\", \"members\": [9100000001],"
    "   \"messages\": [{\"authorId\": 9100000001, \"message\": \"memo\"}]},"
    "  {\"chatId\": 40, \"type\": \"DirectChat\","
    "   \"members\": [9100000001, 9100000004],"
    "   \"messages\": [{\"authorId\": 9100000004, \"message\": \"yo\"}]}"
    "]}";

/* What the account saw of the alive mode. */
struct seen {
	int text, photo, reply, react; /* pushes of each kind */
	int total;                     /* every push, counted once */
	int bad_author;                /* by A, D or a stranger */
	int bad_chat;                  /* in a chat without actors */
	int other;                     /* a push of no expected kind */
	char *photo_url;               /* owned; the first photo's */
	int64_t reply_src, reply_log;  /* the first reply and its source */
	int64_t reply_chat;
	int64_t react_log, react_chat; /* the first reaction's target */
};

static struct event_base *base;

/* Milliseconds of a monotonic clock. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether a push came from a member the alive mode may act as. */
static bool
is_actor(int64_t user)
{
	return user == UB || user == UC;
}

/* Whether chat has a member the alive mode may act as. */
static bool
is_lively(int64_t chat)
{
	return chat == CHAT_GROUP || chat == CHAT_DM;
}

/* Sort one push into s. */
static void
classify(struct seen *s, const struct tclient_pkt *p)
{
	const char *method = p->hdr.method;
	int64_t author, chat;
	int32_t type;

	s->total++;
	if (strcmp(method, "SYNCACTION") == 0) {
		author = tclient_i64(p->body, "userId");
		chat = tclient_i64(p->body, "chatId");
		if (s->react++ == 0) {
			s->react_log = tclient_i64(p->body, "logId");
			s->react_chat = chat;
		}
	} else if (strcmp(method, "MSG") == 0) {
		author = tclient_i64(p->body, "chatLog.authorId");
		chat = tclient_i64(p->body, "chatId");
		type = (int32_t)tclient_i64(p->body, "chatLog.type");
		if (type == LOCO_MSG_TEXT)
			s->text++;
		else if (type == LOCO_MSG_PHOTO) {
			if (s->photo++ == 0) {
				struct loco_attachment a;
				const char *json =
				    tclient_str(p->body, "chatLog.attachment");

				if (json != NULL &&
				    loco_attachment_decode(json, &a, NULL) ==
				        0) {
					s->photo_url = a.url != NULL
					    ? strdup(a.url)
					    : NULL;
					loco_attachment_release(&a);
				}
			}
		} else if (type == LOCO_MSG_REPLY) {
			if (s->reply++ == 0) {
				struct loco_attachment a;
				const char *json =
				    tclient_str(p->body, "chatLog.attachment");

				s->reply_log =
				    tclient_i64(p->body, "chatLog.logId");
				s->reply_chat = chat;
				if (json != NULL &&
				    loco_attachment_decode(json, &a, NULL) ==
				        0) {
					s->reply_src = a.src_log_id;
					loco_attachment_release(&a);
				}
			}
		} else {
			diag("MSG of unexpected type %d", (int)type);
			s->other++;
		}
	} else {
		diag("unexpected push %s", method);
		s->other++;
		return;
	}
	if (!is_actor(author)) {
		diag("%s by %lld, who has an account or is unknown", method,
		    (long long)author);
		s->bad_author++;
	}
	if (!is_lively(chat)) {
		diag("%s in chat %lld, which has no actor", method,
		    (long long)chat);
		s->bad_chat++;
	}
}

/* Whether every kind has been seen. */
static bool
seen_all(const struct seen *s)
{
	return s->text > 0 && s->photo > 0 && s->reply > 0 && s->react > 0;
}

/* Take one push, waiting; false when none came in time. */
static bool
take_one(struct tclient *tc, struct seen *s)
{
	struct tclient_pkt *p = tclient_wait_push(tc, NULL);

	if (p == NULL)
		return false;
	classify(s, p);
	tclient_pkt_free(p);
	return true;
}

/* The bounds of locosim_alive_new. */
static void
test_bounds(struct locosim *sim)
{
	struct locosim_alive *a;

	ok(locosim_alive_new(sim, 0, 1) == NULL,
	    "a mean interval of 0 is refused");
	ok(locosim_alive_new(sim, LOCOSIM_ALIVE_MAX_MS + 1, 1) == NULL,
	    "a mean interval over a day is refused");
	a = locosim_alive_new(sim, LOCOSIM_ALIVE_MAX_MS, 1);
	ok(a != NULL && locosim_alive_count(a) == 0,
	    "a day is accepted, and nothing has happened yet");
	locosim_alive_free(a);
	locosim_alive_free(NULL);
}

/* Everything the alive mode does reaches A, in the right shapes. */
static void
test_pushes(void)
{
	struct locosim_opts o;
	struct loco_error err;
	struct locosim *sim;
	struct locosim_alive *alive = NULL;
	struct locosim_chat *c;
	struct tclient *tc = NULL;
	struct seen s;
	int64_t deadline;
	uint64_t n;
	uint8_t *body = NULL;
	size_t len = 0;
	int status;

	memset(&s, 0, sizeof s);
	locosim_opts_init(&o);
	o.world_json = world_json;
	o.no_control = true;
	if (!ok((sim = locosim_new(base, &o, &err)) != NULL,
	        "locosim starts")) {
		diag("%s", err.msg);
		return;
	}
	test_bounds(sim);
	tc = tclient_login(base, sim, UA, 2, LOCO_CIPHER_GCM, NULL, &err);
	if (!ok(tc != NULL, "A logs in")) {
		diag("%s", err.msg);
		goto out;
	}
	alive = locosim_alive_new(sim, ALIVE_MS, UINT64_C(0x10c0a11fe));
	if (!ok(alive != NULL, "the alive mode starts with %d ms", ALIVE_MS))
		goto out;

	deadline = now_ms() + DEADLINE_MS;
	while (!seen_all(&s) && now_ms() < deadline && take_one(tc, &s))
		;
	ok(s.text > 0, "a text arrives (%d)", s.text);
	ok(s.photo > 0, "a photo arrives (%d)", s.photo);
	ok(s.reply > 0, "a reply arrives (%d)", s.reply);
	ok(s.react > 0, "a reaction arrives (%d)", s.react);

	/* The photo is really there to download. */
	status = s.photo_url != NULL
	    ? tclient_http_get(base, s.photo_url, &body, &len)
	    : -1;
	ok(status == 200 && len > 4 && body[0] == 0xff && body[1] == 0xd8 &&
	        body[len - 2] == 0xff && body[len - 1] == 0xd9,
	    "the photo's url serves a JPEG (status %d, %zu bytes)", status,
	    len);
	free(body);

	/* Replies and reactions are to messages that exist. */
	c = locosim_world_chat(locosim_world(sim), s.reply_chat);
	ok(c != NULL && s.reply_src != 0 &&
	        locosim_chat_find(c, s.reply_src) != NULL &&
	        s.reply_src < s.reply_log,
	    "the reply quotes an earlier message of its chat");
	c = locosim_world_chat(locosim_world(sim), s.react_chat);
	ok(c != NULL && locosim_chat_find(c, s.react_log) != NULL,
	    "the reaction is to a message of its chat");

	/* Every action reached A exactly once: stop, then count. */
	n = locosim_alive_count(alive);
	locosim_alive_free(alive);
	alive = NULL;
	while ((uint64_t)s.total < n && take_one(tc, &s))
		;
	is_int(s.total, ==, (int64_t)n);
	is_int(tclient_push_count(tc, NULL), ==, 0);
	is_int(s.bad_author, ==, 0);
	is_int(s.bad_chat, ==, 0);
	is_int(s.other, ==, 0);
out:
	free(s.photo_url);
	locosim_alive_free(alive);
	tclient_free(tc);
	locosim_free(sim);
	tclient_loop_drain(base);
}

/* Run locosim with a bad --alive; its exit status. */
static int
run_bad(const char *bin, const char *value)
{
	char w[] = "-w", path[] = "/nonexistent/world.json", opt[] = "--alive";
	char *argv[] = {(char *)bin, w, path, opt, (char *)value, NULL};

	return tap_run(argv, NULL, 0);
}

/* Read fd into buf (NUL-terminated) until it holds needle or ms pass. */
static bool
read_until(int fd, char *buf, size_t size, size_t *len, const char *needle,
    int ms)
{
	int64_t deadline = now_ms() + ms;
	struct pollfd pfd;
	ssize_t n;

	while (strstr(buf, needle) == NULL) {
		int64_t left = deadline - now_ms();

		pfd.fd = fd;
		pfd.events = POLLIN;
		if (left <= 0 || *len + 1 >= size ||
		    poll(&pfd, 1, (int)left) <= 0)
			return false;
		if ((n = read(fd, buf + *len, size - *len - 1)) <= 0)
			return false;
		*len += (size_t)n;
		buf[*len] = '\0';
	}
	return true;
}

/* The program: strict parsing, and acting on its own with --alive. */
static void
test_program(void)
{
	const char *bin = getenv("LOCOSIM_BIN");
	char world[600], out[512] = "", err[1 << 16] = "";
	size_t out_len = 0, err_len = 0;
	int po[2], pe[2], status = -1;
	pid_t pid;
	FILE *f;

	if (bin == NULL || *bin == '\0') {
		skip("LOCOSIM_BIN is not set");
		return;
	}
	is_int(run_bad(bin, "soon"), ==, 2);
	is_int(run_bad(bin, "-1"), ==, 2);
	is_int(run_bad(bin, "0.0001"), ==, 2);
	is_int(run_bad(bin, "1.2.3"), ==, 2);
	is_int(run_bad(bin, "86401"), ==, 2);
	is_int(run_bad(bin, ""), ==, 2);

	snprintf(world, sizeof world, "%s/world.json", tap_tmpdir());
	if ((f = fopen(world, "w")) == NULL || fputs(world_json, f) == EOF ||
	    fclose(f) != 0 || pipe2(po, O_CLOEXEC) != 0 ||
	    pipe2(pe, O_CLOEXEC) != 0) {
		ok(false, "write the world: %s", strerror(errno));
		return;
	}
	if ((pid = fork()) == 0) {
		dup2(po[1], STDOUT_FILENO);
		dup2(pe[1], STDERR_FILENO);
		execl(bin, bin, "-w", world, "--alive", "0.02", (char *)NULL);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	ok(read_until(po[0], out, sizeof out, &out_len, "READY ", 20000),
	    "locosim --alive 0.02 says READY");
	ok(read_until(pe[0], err, sizeof err, &err_len, " did ", 20000),
	    "and logs that a member did something");
	if (pid > 0) {
		kill(pid, SIGTERM);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "and exits 0 on SIGTERM (status %d)", status);
	close(po[0]);
	close(pe[0]);
}

int
main(void)
{
	tap_init(120);
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	test_pushes();
	test_program();
	event_base_free(base);
	return done_testing();
}
