/* locoirc: see LICENSE.
 *
 * What the daemon tests share: the locosim program spawned with free
 * ports and driven over its control socket, a locoircd configuration in
 * the test's temp dir, the real locoircd spawned with its log on a pipe
 * and READY on --ready-fd, and read-only looks into its SQLite store.
 * Every wait blocks on a descriptor with a deadline; nothing sleeps.
 */
#ifndef LOCOIRC_TESTS_DAEMON_FIXTURE_H
#define LOCOIRC_TESTS_DAEMON_FIXTURE_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How long any single wait may take before the test gives up. */
#define DFIX_WAIT_MS 20000

/* The account locosim knows and the daemon logs in as. */
#define DFIX_USER INT64_C(7000000001)
#define DFIX_TOKEN "tok-alice"
#define DFIX_DUUID "dev-alice"

/* The chats of DFIX_WORLD: a group, a direct chat and the memo chat. */
#define DFIX_GROUP INT64_C(10)
#define DFIX_DIRECT INT64_C(20)
#define DFIX_MEMO INT64_C(30)
#define DFIX_BOB INT64_C(7000000002)
#define DFIX_CAROL INT64_C(7000000003)

/* A small world: three chats (so LOGINLIST pages into LCHATLIST), each
 * with some history. */
#define DFIX_WORLD                                                             \
	"{\"users\": ["                                                        \
	"  {\"userId\": 7000000001, \"nickName\": \"Alice\"},"                 \
	"  {\"userId\": 7000000002, \"nickName\": \"Bob\"},"                   \
	"  {\"userId\": 7000000003, \"nickName\": \"Carol\"}],"                \
	" \"accounts\": ["                                                     \
	"  {\"userId\": 7000000001, \"accessToken\": \"tok-alice\","           \
	"   \"deviceUuid\": \"dev-alice\"}],"                                  \
	" \"chats\": ["                                                        \
	"  {\"chatId\": 10, \"type\": \"MultiChat\", \"title\": \"Group\","    \
	"   \"members\": [7000000001, 7000000002, 7000000003],"                \
	"   \"messages\": [{\"authorId\": 7000000002, \"message\": \"hi\"},"   \
	"                {\"authorId\": 7000000003, \"message\": "             \
	"\"hello\"}]},"                                                        \
	"  {\"chatId\": 20, \"type\": \"DirectChat\","                         \
	"   \"members\": [7000000001, 7000000002],"                            \
	"   \"messages\": [{\"authorId\": 7000000002, \"message\": "           \
	"\"psst\"}]},"                                                         \
	"  {\"chatId\": 30, \"type\": \"MemoChat\", \"members\": "             \
	"[7000000001],"                                                        \
	"   \"messages\": [{\"authorId\": 7000000001, \"message\": "           \
	"\"note\"}]}]}"

/* The IRC password every test configuration accepts, and its hash (1000
 * pbkdf2 rounds: fast). */
#define DFIX_IRC_PASSWORD "secret"
#define DFIX_IRC_HASH                                                          \
	"pbkdf2-sha256$1000$bG9jb2lyYy10ZXN0c2FsdA==$"                         \
	"0hOhG3dGfXcGtyK+5dOX84A3Qzs0bNt1TKno+FQlUbk="
/* The [irc] section dfix_write_conf adds unless the extra text has one. */
#define DFIX_IRC_SECTION                                                       \
	"[irc]\n"                                                              \
	"listen = 127.0.0.1:0\n"                                               \
	"password = " DFIX_IRC_HASH "\n"                                       \
	"nick = alice\n"

/* The IRC tests' world: DFIX_WORLD's chats (the group now with a notice)
 * plus a second group whose title has a space and a member with a Korean
 * nickname, and a multi-line message. */
#define DFIX_SECOND INT64_C(11)
#define DFIX_MINSU INT64_C(7000000004)
#define DFIX_IRC_WORLD                                                         \
	"{\"users\": ["                                                        \
	"  {\"userId\": 7000000001, \"nickName\": \"Alice\"},"                 \
	"  {\"userId\": 7000000002, \"nickName\": \"Bob\"},"                   \
	"  {\"userId\": 7000000003, \"nickName\": \"Carol\"},"                 \
	"  {\"userId\": 7000000004, \"nickName\": "                            \
	"\"\xeb\xaf\xbc\xec\x88\x98\"}],"                                      \
	" \"accounts\": ["                                                     \
	"  {\"userId\": 7000000001, \"accessToken\": \"tok-alice\","           \
	"   \"deviceUuid\": \"dev-alice\"}],"                                  \
	" \"chats\": ["                                                        \
	"  {\"chatId\": 10, \"type\": \"MultiChat\", \"title\": \"Group\","    \
	"   \"notice\": \"be nice\", \"noticeAuthor\": 7000000002,"            \
	"   \"members\": [7000000001, 7000000002, 7000000003],"                \
	"   \"messages\": [{\"authorId\": 7000000002, \"message\": \"hi\"},"   \
	"                {\"authorId\": 7000000003, \"message\": "             \
	"\"hello\"}]},"                                                        \
	"  {\"chatId\": 11, \"type\": \"MultiChat\", \"title\": "              \
	"\"Second Room\","                                                     \
	"   \"members\": [7000000001, 7000000002, 7000000004],"                \
	"   \"messages\": [{\"authorId\": 7000000004, \"message\": "           \
	"\"\xec\x95\x88\xeb\x85\x95\"},"                                       \
	"                {\"authorId\": 7000000002, \"message\": "             \
	"\"line one\\nline two\"}]},"                                          \
	"  {\"chatId\": 20, \"type\": \"DirectChat\","                         \
	"   \"members\": [7000000001, 7000000002],"                            \
	"   \"messages\": [{\"authorId\": 7000000002, \"message\": "           \
	"\"psst\"}]},"                                                         \
	"  {\"chatId\": 30, \"type\": \"MemoChat\", \"members\": "             \
	"[7000000001],"                                                        \
	"   \"messages\": [{\"authorId\": 7000000001, \"message\": "           \
	"\"note\"}]}]}"
/* The Korean nickname of DFIX_MINSU and a Korean greeting, in UTF-8. */
#define DFIX_MINSU_NICK "\xeb\xaf\xbc\xec\x88\x98"
#define DFIX_ANNYEONG "\xec\x95\x88\xeb\x85\x95"

/* One message as locosim or the store has it. */
struct dfix_msg {
	int64_t log_id;
	char *text;   /* owned */
	int32_t type; /* LOCO message type (1 text, 0 feed, ...) */
};

/* The test's world: locosim, the daemon, their files. */
struct dfix {
	pid_t sim;             /* the locosim program, or -1 */
	int sim_out;           /* its stdout */
	unsigned sim_port[6];  /* booking checkin chat media http control */
	int ctl;               /* control socket, or -1 */
	char ctl_buf[1 << 16]; /* control bytes not yet read as lines */
	size_t ctl_len;
	char pub[600], cert[600]; /* locosim's public key and certificate */
	char conf[600], store[600];

	pid_t d;   /* locoircd, or -1 */
	int d_err; /* its stderr, or -1 */
	char *log; /* everything it has logged (all runs) */
	size_t log_len;
	size_t run_start;   /* where the current run's log begins */
	unsigned irc_port;  /* from READY: the plain IRC listener, or 0 */
	unsigned ircs_port; /* from READY: the TLS listener, or 0 */
};

/*
 * Set up f (no processes yet); children are killed at exit, by a handler
 * that reads f after main returns: f must be static, never on main's stack.
 */
void dfix_init(struct dfix *f);

/* Spawn locosim with world_json; false on failure (already reported). */
bool dfix_sim_start(struct dfix *f, const char *world_json);
/* SIGTERM locosim; returns whether it exited 0. */
bool dfix_sim_stop(struct dfix *f);

/* Send a control command; the reply line (malloc'd) or NULL. */
char *dfix_ctl(struct dfix *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A command answering "ok N": N, or INT64_MIN. */
int64_t dfix_ctl_num(struct dfix *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Send a command without reading its reply (for bursts). */
void dfix_ctl_send(struct dfix *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Read one reply line sent for an earlier dfix_ctl_send. */
char *dfix_ctl_reply(struct dfix *f);

/* Every message of chat in locosim's world (log CHAT 0); -1 on error. */
ssize_t dfix_sim_log(struct dfix *f, int64_t chat, struct dfix_msg **out);
/* Every message of chat in the daemon's store, ascending; -1 on error
 * (a store that does not exist yet holds 0). */
ssize_t dfix_store_log(struct dfix *f, int64_t chat, struct dfix_msg **out);
/* One integer from the store (a single-row SELECT), or INT64_MIN. */
int64_t dfix_store_int(struct dfix *f, const char *sql);
void dfix_msgs_free(struct dfix_msg *m, ssize_t n);

/*
 * Whether the store holds exactly locosim's messages of chat (same log
 * ids, same texts, none doubled); on a mismatch, diag says where.
 */
bool dfix_same_log(struct dfix *f, int64_t chat, bool quiet);
/* Wait until dfix_same_log holds for every chat in chats[]. */
bool dfix_wait_synced(struct dfix *f, const int64_t *chats, size_t n);
/* Wait until the store holds more than n messages of chat, looking every
 * poll_ms; the count then, or -1 at the deadline. */
ssize_t dfix_wait_count(struct dfix *f, int64_t chat, ssize_t n,
    unsigned poll_ms);

/* Write the daemon's configuration (atomically): the essentials plus
 * extra lines, appended after the [loco] keys (they may open sections; one
 * with [store] replaces our store path), then DFIX_IRC_SECTION unless
 * extra holds its own "[irc]". */
bool dfix_write_conf(struct dfix *f, const char *extra);
/* The same, but [account] names token_file as access_token_file instead of
 * holding the token inline (the daemon re-reads that file on -950). */
bool dfix_write_conf_token_file(struct dfix *f, const char *token_file,
    const char *extra);
/* Write token to path (mode 0600, atomically), as access_token_file must
 * be; false on failure (already diagnosed). */
bool dfix_write_token(const char *path, const char *token);

/*
 * Spawn locoircd -f -c conf --ready-fd=N plus args (NULL-terminated,
 * may be NULL) and wait for its READY line, "READY irc=HOST:PORT" with an
 * optional " ircs=HOST:PORT" (or "READY irc=none"); the ports go to
 * f->irc_port and f->ircs_port (0 when none).
 */
bool dfix_daemon_start(struct dfix *f, const char *const *args);
/* Signal the daemon and wait for it to exit; its wait status or -1. */
int dfix_daemon_stop(struct dfix *f, int sig);
/* Read the daemon's log for up to ms (or until EOF). */
void dfix_pump(struct dfix *f, unsigned ms);
/* Read what the daemon has logged without waiting; returns the log's
 * descriptor (or -1 once it is closed). arg is the struct dfix (the shape
 * ircc_set_pump wants). */
int dfix_pump_now(void *arg);
/* Wait until the current run's log after *mark holds text; the mark moves
 * past it. */
bool dfix_log_wait(struct dfix *f, size_t *mark, const char *text);
/* Whether the current run's log holds text. */
bool dfix_log_has(const struct dfix *f, const char *text);
/* Where the log ends now (a mark for dfix_log_wait). */
size_t dfix_log_mark(const struct dfix *f);
/* Whether the log between from (a mark) and its end holds text. */
bool dfix_log_since(const struct dfix *f, size_t from, const char *text);
/* How many times text occurs in the log after from (a mark). */
int dfix_count_since(const struct dfix *f, size_t from, const char *text);
/* Whether a control reply is exactly "ok"; diagnoses it if not, and frees
 * it (NULL reads as no reply). */
bool dfix_reply_ok(char *reply);

/*
 * Parse a READY line into the IRC ports (0 when absent or "none"); false
 * when it is not a READY line of that form.
 */
bool dfix_parse_ready(const char *line, unsigned *irc, unsigned *ircs);

/*
 * For the IRC tests: start locosim with DFIX_IRC_WORLD, write the
 * configuration (extra as for dfix_write_conf), start locoircd and wait
 * until its store holds every chat, so a client's burst shows them all.
 */
bool dfix_irc_boot(struct dfix *f, const char *extra);
/* Stop locoircd with SIGTERM (it must exit 0) and locosim. */
void dfix_irc_end(struct dfix *f);

/* Path of the locoircd program ($LOCOIRC_BIN). */
const char *dfix_locoircd(void);

/*
 * Run locoircd with args (NULL-terminated, without argv[0]) to the end,
 * capturing stdout and stderr (malloc'd); returns the wait status or -1.
 */
int dfix_run(const char *const *args, char **out, char **err);

#endif
