/* locoirc: see LICENSE.
 *
 * Tests for the SQLite store: creation, schema version and refusals (newer
 * schema, garbage file), every table through the API, batching (one commit
 * per burst, seen from a second connection), a failed commit (file size
 * limit in a child), and crash safety: a child writing bursts is killed
 * with SIGKILL at a random moment and the database must reopen with every
 * cursor equal to its chat's largest stored log id. Schema 2: migration
 * of a hand-built version 1 file (and its rollback when it cannot apply),
 * names, per-client cursors, settings, single messages, message tails and
 * users. Message walks run from inside each other's callbacks, and one
 * stopped early leaves no read open behind it. Schema 3: migration of a
 * version 2 file, forward-only read markers, finding a message by time
 * (ties, gaps, sendAt out of log-id order) and the walk before a log id.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "loco-msgtype.h"
#include "store.h"
#include "tap.h"
#include "xmalloc.h"

/* What a crash-test child reports, several times per burst. */
struct crash_report {
	int64_t committed; /* 1: cursor[] is committed; 0: a progress note */
	int64_t cursor[3]; /* committed cursor of each test chat */
};

/* A chat as store_foreach_chat showed it, copied. */
struct seen_chat {
	bool found;
	struct store_chat c;
	char type[32];
	char title[64];
	char notice[64];
	bool has_title;
	bool has_notice;
};

/* Collected members. */
struct seen_members {
	size_t n;
	int64_t user_id[8];
	char nick[8][32];
	bool has_nick[8];
};

/* Collected messages. */
struct seen_messages {
	size_t n;
	size_t stop_after; /* 0 = never stop */
	int64_t log_id[64];
	struct store_message last;
	char text[64];
	char attachment[64];
	bool has_text;
	bool has_attachment;
};

/* Collected names. */
struct seen_names {
	size_t n;
	int kind[16];
	int64_t id[16];
	char name[16][64];
};

/* Collected client cursors. */
struct seen_cursors {
	size_t n;
	int64_t chat_id[16];
	int64_t log_id[16];
};

/* Collected user ids, and a copy of the one wanted. */
struct seen_users {
	size_t n;
	int64_t user_id[32];
	int64_t want;
	bool found;
	char nickname[64];
	char status_message[64];
	char profile_image_url[64];
	bool has_nickname;
	bool has_status_message;
	bool has_profile_image_url;
};

/* What nested_get_cb saw: the outer message's text before and after a
 * store_get_message from inside the callback, and that inner result. */
struct nested_get {
	struct store *st;
	int calls;
	int inner_rc;
	struct seen_messages inner;
	char outer_text_before[64];
	char outer_text_after[64];
};

/* The walks nested_walk_cb runs from inside a walk's callback. */
enum nested_mode {
	NESTED_FORWARD,  /* forward walk of the rest of the same chat */
	NESTED_TAIL,     /* the newest two of the same chat */
	NESTED_OTHER,    /* the other chat in the other direction */
	NESTED_RECURSE,  /* the same callback, two rows deeper */
	NESTED_STOP_ONE, /* a forward walk its callback stops at once */
	NESTED_BEFORE,   /* the two before the row, same chat */
};

/* What nested_walk_cb saw: the outer rows in order, whether each outer
 * row's text survived the inner walk, and every inner walk's result. */
struct nested_walk {
	struct store *st;
	enum nested_mode mode;
	bool outer_tail; /* the outer walk is a tail walk (for NESTED_OTHER) */
	int64_t other_chat;
	int depth;       /* NESTED_RECURSE: current level, from 1 */
	int inner_fails; /* inner walks that did not return 0 */
	bool text_kept;  /* every outer text unchanged after its inner walk */
	size_t n;        /* callbacks run, all levels */
	int64_t ids[32]; /* log ids in the order the callbacks saw them */
	size_t inner_n[16];
	int64_t inner_first[16]; /* first inner log id, 0 for none */
	int64_t inner_last[16];  /* last inner log id, 0 for none */
};

/*
 * Version 1 of the schema as released, frozen here: a database of that
 * version cannot be made with the current code any more, and the test of
 * the migration must not follow later edits of store.c.
 */
static const char v1_schema[] =
    "CREATE TABLE login_state ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " revision INTEGER NOT NULL DEFAULT 0,"
    " last_token_id INTEGER NOT NULL DEFAULT 0,"
    " lbk INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE chats ("
    " chat_id INTEGER PRIMARY KEY,"
    " type TEXT NOT NULL DEFAULT '',"
    " title TEXT,"
    " notice TEXT,"
    " link_id INTEGER NOT NULL DEFAULT 0,"
    " active_members INTEGER NOT NULL DEFAULT 0,"
    " cursor INTEGER NOT NULL DEFAULT 0,"
    " last_log_id INTEGER NOT NULL DEFAULT 0,"
    " read_watermark INTEGER NOT NULL DEFAULT 0,"
    " gone INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE users ("
    " user_id INTEGER PRIMARY KEY,"
    " nickname TEXT,"
    " country_iso TEXT,"
    " profile_image_url TEXT,"
    " status_message TEXT);"
    "CREATE TABLE members ("
    " chat_id INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE,"
    " user_id INTEGER NOT NULL REFERENCES users (user_id),"
    " nickname TEXT,"
    " PRIMARY KEY (chat_id, user_id)) WITHOUT ROWID;"
    "CREATE INDEX members_user ON members (user_id);"
    "CREATE TABLE messages ("
    " chat_id INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE,"
    " log_id INTEGER NOT NULL,"
    " prev_id INTEGER NOT NULL DEFAULT 0,"
    " author_id INTEGER NOT NULL DEFAULT 0,"
    " type INTEGER NOT NULL DEFAULT 0,"
    " send_at INTEGER NOT NULL DEFAULT 0,"
    " msg_id INTEGER NOT NULL DEFAULT 0,"
    " text TEXT,"
    " attachment TEXT,"
    " deleted INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (chat_id, log_id)) WITHOUT ROWID;"
    "CREATE TABLE reactions ("
    " chat_id INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE,"
    " log_id INTEGER NOT NULL,"
    " user_id INTEGER NOT NULL,"
    " type INTEGER NOT NULL,"
    " PRIMARY KEY (chat_id, log_id, user_id)) WITHOUT ROWID;"
    "CREATE TABLE reads ("
    " chat_id INTEGER NOT NULL REFERENCES chats (chat_id) ON DELETE CASCADE,"
    " user_id INTEGER NOT NULL,"
    " watermark INTEGER NOT NULL,"
    " PRIMARY KEY (chat_id, user_id)) WITHOUT ROWID;"
    "CREATE TRIGGER messages_cursor AFTER INSERT ON messages BEGIN"
    " UPDATE chats SET cursor = NEW.log_id"
    "  WHERE chat_id = NEW.chat_id AND cursor < NEW.log_id;"
    " END;";

/* What a version 1 locoircd had stored: a chat with two messages, a user
 * and a member, in WAL mode as store_open left it. */
static const char v1_data[] =
    "PRAGMA journal_mode = WAL;"
    "INSERT INTO login_state (id, revision, last_token_id, lbk)"
    " VALUES (1, 3, 44, 0);"
    "INSERT INTO chats (chat_id, type, title, last_log_id)"
    " VALUES (700, 'MultiChat', 'Old room', 12);"
    "INSERT INTO users (user_id, nickname, status_message)"
    " VALUES (70, 'Olga', 'away');"
    "INSERT INTO members (chat_id, user_id, nickname)"
    " VALUES (700, 70, NULL);"
    "INSERT INTO messages (chat_id, log_id, prev_id, author_id, type,"
    " send_at, msg_id, text) VALUES"
    " (700, 11, 0, 70, 1, 1600000000, 110, 'old one'),"
    " (700, 12, 11, 70, 1, 1600000001, 120, 'old two');"
    "PRAGMA user_version = 1;";

/* Version 2's step as released, frozen like version 1, and data for it:
 * v1_schema + v1_data + v2_schema + v2_data is a version 2 file. */
static const char v2_schema[] = "CREATE TABLE names ("
                                " kind INTEGER,"
                                " id INTEGER,"
                                " name TEXT NOT NULL,"
                                " PRIMARY KEY (kind, id)) WITHOUT ROWID;"
                                "CREATE TABLE client_cursors ("
                                " client TEXT,"
                                " chat_id INTEGER,"
                                " log_id INTEGER,"
                                " PRIMARY KEY (client, chat_id)) WITHOUT ROWID;"
                                "CREATE TABLE settings ("
                                " key TEXT PRIMARY KEY,"
                                " value TEXT NOT NULL);";
static const char v2_data[] =
    "INSERT INTO names (kind, id, name) VALUES (0, 70, 'Olga'),"
    " (1, 700, '#old-room');"
    "INSERT INTO client_cursors (client, chat_id, log_id)"
    " VALUES ('phone', 700, 11);"
    "INSERT INTO settings (key, value) VALUES ('motd', 'v2');"
    "PRAGMA user_version = 2;";

static const int64_t crash_chats[3] = {1001, 1002, 1003};
static unsigned commit_calls;

static char *tmp_path(const char *name);
static int64_t raw_int(const char *path, const char *sql);
static char *raw_text(const char *path, const char *sql);
static int raw_exec(const char *path, const char *sql);
static struct loco_chatlog make_log(int64_t chat_id, int64_t log_id,
    const char *text);
static void find_chat_cb(const struct store_chat *c, void *arg);
static struct seen_chat find_chat(struct store *st, int64_t chat_id);
static int64_t cursor_of(struct store *st, int64_t chat_id, bool *found);
static void members_cb(const struct store_member *m, void *arg);
static bool messages_cb(const struct store_message *m, void *arg);
static void commit_cb(struct store *st, void *arg);
static void commit_write_cb(struct store *st, void *arg);
static void test_open(void);
static void test_refuse(void);
static void test_login_state(struct store *st);
static void test_chats(struct store *st);
static void test_members(struct store *st);
static void test_messages(struct store *st, const char *path);
static void test_foreach(struct store *st);
static void test_reopen(const char *path);
static void names_cb(int kind, int64_t id, const char *name, void *arg);
static void cursors_cb(int64_t chat_id, int64_t log_id, void *arg);
static void users_cb(const struct store_user *u, void *arg);
static bool nested_get_cb(const struct store_message *m, void *arg);
static char *make_v1(const char *name, const char *extra);
static void test_migrate_v1(void);
static void test_migrate_rollback(void);
static void test_names(struct store *st, const char *path);
static void test_client_cursors(struct store *st, const char *path);
static void test_settings(struct store *st, const char *path);
static void test_batch_schema2(struct store *st, const char *path);
static void test_get_message(struct store *st, const char *path);
static void test_tail(struct store *st);
static void test_users(struct store *st);
static void test_reopen_schema2(const char *path);
static void test_migrate_v2(void);
static void test_read_markers(struct store *st, const char *path);
static void test_find_log_at(struct store *st);
static void test_before(struct store *st);
static void test_reopen_schema3(const char *path);
static void test_batching(void);
static void test_busy(void);
static void fail_count_cb(struct store *st, void *arg);
static int commit_failure_child(const char *path);
static void test_commit_failure(void);
static void crash_child(const char *path, int fd, unsigned seed);
static void crash_check(const char *path, const struct crash_report *r);
static void test_crash(void);

/* A malloc'd path inside the test's private directory. */
static char *
tmp_path(const char *name)
{
	return xasprintf("%s/%s", tap_tmpdir(), name);
}

/* One integer from sql on a second, independent connection to path. */
static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = INT64_MIN;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else
		diag("raw query '%s': %s", sql,
		    db != NULL ? sqlite3_errmsg(db) : "no memory");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* One text value (malloc'd, NULL for none) from sql on a second
 * connection. */
static char *
raw_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *v = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		if (sqlite3_column_text(s, 0) != NULL)
			v = xstrdup((const char *)sqlite3_column_text(s, 0));
	} else
		diag("raw query '%s': %s", sql,
		    db != NULL ? sqlite3_errmsg(db) : "no memory");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Run sql on a second connection, creating path if needed. */
static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		diag("raw exec '%s': %s", sql,
		    db != NULL ? sqlite3_errmsg(db) : "no memory");
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* A text message; text is borrowed (NULL allowed). */
static struct loco_chatlog
make_log(int64_t chat_id, int64_t log_id, const char *text)
{
	struct loco_chatlog cl;

	memset(&cl, 0, sizeof cl);
	cl.chat_id = chat_id;
	cl.log_id = log_id;
	cl.prev_id = log_id - 1;
	cl.author_id = 77;
	cl.type = LOCO_MSG_TEXT;
	cl.send_at = 1700000000;
	cl.msg_id = log_id * 10;
	cl.message = (char *)text;
	return cl;
}

/* store_foreach_chat callback: copy the chat whose id is wanted. */
static void
find_chat_cb(const struct store_chat *c, void *arg)
{
	struct seen_chat *seen = arg;

	if (c->chat_id != seen->c.chat_id)
		return;
	seen->found = true;
	seen->c = *c;
	snprintf(seen->type, sizeof seen->type, "%s", c->type);
	seen->has_title = c->title != NULL;
	seen->has_notice = c->notice != NULL;
	snprintf(seen->title, sizeof seen->title, "%s",
	    c->title != NULL ? c->title : "");
	snprintf(seen->notice, sizeof seen->notice, "%s",
	    c->notice != NULL ? c->notice : "");
	seen->c.type = NULL;
	seen->c.title = NULL;
	seen->c.notice = NULL;
}

/* The stored chat chat_id (found false when absent). */
static struct seen_chat
find_chat(struct store *st, int64_t chat_id)
{
	struct seen_chat seen;

	memset(&seen, 0, sizeof seen);
	seen.c.chat_id = chat_id;
	if (store_foreach_chat(st, find_chat_cb, &seen) != 0)
		diag("store_foreach_chat failed");
	return seen;
}

/* chat_id's cursor as store_get_cursors reports it. */
static int64_t
cursor_of(struct store *st, int64_t chat_id, bool *found)
{
	struct loco_cursor *c = NULL;
	size_t n = 0, i;
	int64_t v = -1;

	*found = false;
	if (store_get_cursors(st, &c, &n) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (c[i].chat_id == chat_id) {
			*found = true;
			v = c[i].last_log_id;
		}
	free(c);
	return v;
}

/* store_foreach_member callback: collect. */
static void
members_cb(const struct store_member *m, void *arg)
{
	struct seen_members *seen = arg;

	if (seen->n == sizeof seen->user_id / sizeof seen->user_id[0])
		return;
	seen->user_id[seen->n] = m->user_id;
	seen->has_nick[seen->n] = m->nickname != NULL;
	snprintf(seen->nick[seen->n], sizeof seen->nick[0], "%s",
	    m->nickname != NULL ? m->nickname : "");
	seen->n++;
}

/* store_foreach_message callback: collect, stop when asked. */
static bool
messages_cb(const struct store_message *m, void *arg)
{
	struct seen_messages *seen = arg;

	if (seen->n < sizeof seen->log_id / sizeof seen->log_id[0])
		seen->log_id[seen->n] = m->log_id;
	seen->n++;
	seen->last = *m;
	seen->has_text = m->text != NULL;
	seen->has_attachment = m->attachment != NULL;
	snprintf(seen->text, sizeof seen->text, "%s",
	    m->text != NULL ? m->text : "");
	snprintf(seen->attachment, sizeof seen->attachment, "%s",
	    m->attachment != NULL ? m->attachment : "");
	seen->last.text = NULL;
	seen->last.attachment = NULL;
	return seen->stop_after == 0 || seen->n < seen->stop_after;
}

/* Count commit callbacks. */
static void
commit_cb(struct store *st, void *arg)
{
	(void)st;
	(void)arg;
	commit_calls++;
}

/* A commit callback that writes once (allowed: it starts a new batch). */
static void
commit_write_cb(struct store *st, void *arg)
{
	int *left = arg;
	struct loco_chatlog cl;

	commit_calls++;
	if (*left > 0) {
		(*left)--;
		cl = make_log(9, 1000 + *left, "from the callback");
		if (store_add_message(st, &cl) != 0)
			diag("write from the commit callback failed");
	}
}

/* A new file is created private, with the schema at this build's version,
 * in WAL mode, and opens again. */
static void
test_open(void)
{
	char *path = tmp_path("open.db");
	struct store *st;
	struct stat sb;
	char *mode;

	st = store_open(NULL, path);
	ok(st != NULL, "a new store opens");
	store_close(st);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "the database file is mode 0600");
	is_int(raw_int(path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	mode = raw_text(path, "PRAGMA journal_mode");
	is_str(mode, "wal");
	free(mode);
	is_int(raw_int(path,
	           "SELECT count(*) FROM sqlite_master"
	           " WHERE type = 'table'"),
	    ==, 11);
	is_int(raw_int(path,
	           "SELECT count(*) FROM sqlite_master"
	           " WHERE type = 'trigger'"),
	    ==, 1);
	st = store_open(NULL, path);
	ok(st != NULL, "an existing store opens again");
	store_close(st);
	is_int(raw_int(path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	store_close(NULL);
	free(path);
}

/* Newer schemas, garbage files and impossible paths are refused, with the
 * file left as it was. */
static void
test_refuse(void)
{
	char *path = tmp_path("newer.db");
	char *sql, *mode;
	char junk[8192];
	struct stat sb;
	int fd;

	sql = xasprintf("CREATE TABLE future (x); PRAGMA user_version = %d;",
	    STORE_SCHEMA_VERSION + 1);
	ok(raw_exec(path, sql) == 0, "made a database from the future");
	free(sql);
	ok(store_open(NULL, path) == NULL, "a newer schema is refused");
	is_int(raw_int(path, "PRAGMA user_version"), ==,
	    STORE_SCHEMA_VERSION + 1);
	mode = raw_text(path, "PRAGMA journal_mode");
	is_str(mode, "delete");
	free(mode);
	free(path);

	path = tmp_path("garbage.db");
	memset(junk, 'x', sizeof junk);
	memcpy(junk, "this is not a database\n", 23);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd != -1 && write(fd, junk, sizeof junk) == (ssize_t)sizeof junk,
	    "wrote a garbage file");
	close(fd);
	ok(store_open(NULL, path) == NULL, "a garbage file is refused");
	ok(stat(path, &sb) == 0 && sb.st_size == (off_t)sizeof junk,
	    "the garbage file is left alone");
	free(path);

	/* A valid magic string over a nonsense header. */
	path = tmp_path("badheader.db");
	memset(junk, 0xff, sizeof junk);
	memcpy(junk, "SQLite format 3", 16);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd != -1 && write(fd, junk, sizeof junk) == (ssize_t)sizeof junk,
	    "wrote a file with a broken header");
	close(fd);
	ok(store_open(NULL, path) == NULL, "a broken header is refused");
	free(path);

	path = tmp_path("no/such/dir/x.db");
	ok(store_open(NULL, path) == NULL, "a missing directory is refused");
	free(path);
}

/* Login state: zeros at first, then what was set, before and after a
 * commit. */
static void
test_login_state(struct store *st)
{
	struct loco_login_state ls, got;

	memset(&got, 0xaa, sizeof got);
	is_int(store_get_login_state(st, &got), ==, 0);
	ok(got.revision == 0 && got.last_token_id == 0 && got.lbk == 0,
	    "no login state reads as zeros");
	ls.revision = 7;
	ls.last_token_id = INT64_C(9007199254740993); /* 2^53 + 1 */
	ls.lbk = -5;
	is_int(store_set_login_state(st, &ls), ==, 0);
	is_int(store_get_login_state(st, &got), ==, 0);
	is_int(got.last_token_id, ==, INT64_C(9007199254740993));
	is_int(store_flush(st), ==, 0);
	ls.revision = 8;
	is_int(store_set_login_state(st, &ls), ==, 0);
	is_int(store_get_login_state(st, &got), ==, 0);
	is_int(got.revision, ==, 8);
	is_int(got.lbk, ==, -5);
	is_int(store_flush(st), ==, 0);
}

/* Chats: insert, partial updates that keep what is known, gone and back. */
static void
test_chats(struct store *st)
{
	const int64_t icon_ids[2] = {501, 502};
	char alice[] = "Alice", bob[] = "Bob";
	char *const icon_nicks[2] = {alice, bob};
	struct loco_engine_chat c;
	struct seen_chat seen;
	int64_t big = INT64_MAX - 1;
	char *nick;
	bool found;

	memset(&c, 0, sizeof c);
	c.chat_id = 10;
	c.type = LOCO_CHAT_MULTI;
	c.title = "Room";
	c.last_log_id = 40;
	c.last_seen_log_id = 30;
	c.active_members = 3;
	c.icon_user_ids = icon_ids;
	c.icon_nicknames = icon_nicks;
	c.n_icons = 2;
	is_int(store_put_chat(st, &c), ==, 0);
	seen = find_chat(st, 10);
	ok(seen.found, "a put chat is listed");
	is_str(seen.type, "MultiChat");
	is_str(seen.title, "Room");
	ok(!seen.has_notice, "an unset notice is NULL");
	is_int(seen.c.last_log_id, ==, 40);
	is_int(seen.c.read_watermark, ==, 30);
	is_int(seen.c.active_members, ==, 3);
	is_int(seen.c.cursor, ==, 0);
	ok(!seen.c.gone, "a put chat is not gone");
	nick = store_get_nickname(st, 502);
	is_str(nick, "Bob");
	free(nick);

	/* What the engine reports after a restart: no title, no type. */
	c.type = LOCO_CHAT_UNKNOWN;
	c.title = NULL;
	c.notice = "Be nice";
	c.last_log_id = 35;
	c.last_seen_log_id = 38;
	c.link_id = 0;
	c.n_icons = 0;
	is_int(store_put_chat(st, &c), ==, 0);
	seen = find_chat(st, 10);
	is_str(seen.type, "MultiChat");
	is_str(seen.title, "Room");
	is_str(seen.notice, "Be nice");
	is_int(seen.c.last_log_id, ==, 40);
	is_int(seen.c.read_watermark, ==, 38);

	c.title = "새 이름 ✓";
	c.type = LOCO_CHAT_OPEN_MULTI;
	c.link_id = 123456789012345;
	is_int(store_put_chat(st, &c), ==, 0);
	seen = find_chat(st, 10);
	is_str(seen.title, "새 이름 ✓");
	is_str(seen.type, "OM");
	is_int(seen.c.link_id, ==, 123456789012345);

	is_int(store_chat_gone(st, 10), ==, 0);
	seen = find_chat(st, 10);
	ok(seen.found && seen.c.gone, "a gone chat is still listed, gone");
	cursor_of(st, 10, &found);
	ok(found, "a gone chat keeps its cursor in store_get_cursors");
	is_int(store_put_chat(st, &c), ==, 0);
	seen = find_chat(st, 10);
	ok(!seen.c.gone, "putting a gone chat brings it back");
	is_int(store_chat_gone(st, 999), ==, 0);
	ok(!find_chat(st, 999).found, "an unknown gone chat is not created");

	memset(&c, 0, sizeof c);
	c.chat_id = big;
	c.type = LOCO_CHAT_DIRECT;
	is_int(store_put_chat(st, &c), ==, 0);
	seen = find_chat(st, big);
	ok(seen.found && seen.c.chat_id == big,
	    "a 63-bit chat id survives exactly");
	is_int(store_flush(st), ==, 0);
}

/* Members: a full list, joins, leaves, replacement and nicknames. */
static void
test_members(struct store *st)
{
	struct loco_member m[3];
	struct seen_members seen;
	char n1[] = "Carol", n2[] = "Dan", n3[] = "Eve", n1b[] = "Caro";
	char kr[] = "KR", url[] = "https://example.invalid/p.jpg";
	char *nick;

	memset(m, 0, sizeof m);
	m[0].user_id = 601;
	m[0].nickname = n1;
	m[0].country_iso = kr;
	m[0].profile_image_url = url;
	m[1].user_id = 602;
	m[1].nickname = n2;
	m[2].user_id = 603;
	m[2].nickname = n3;
	is_int(store_set_members(st, 20, m, 3), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_member(st, 20, members_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 3);
	ok(seen.user_id[0] == 601 && seen.user_id[1] == 602 &&
	        seen.user_id[2] == 603,
	    "members come ascending by user id");
	is_str(seen.nick[1], "Dan");
	ok(find_chat(st, 20).found, "a member list creates its chat");

	is_int(store_add_member(st, 20, 604, "Fay"), ==, 0);
	is_int(store_add_member(st, 20, 604, NULL), ==, 0);
	is_int(store_remove_member(st, 20, 602), ==, 0);
	is_int(store_remove_member(st, 20, 999), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_member(st, 20, members_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 3);
	ok(seen.user_id[0] == 601 && seen.user_id[1] == 603 &&
	        seen.user_id[2] == 604,
	    "a join and a leave are applied");
	is_str(seen.nick[2], "Fay");

	/* A new full list replaces the old one; a nickname changes. */
	m[0].nickname = n1b;
	m[0].country_iso = NULL;
	is_int(store_set_members(st, 20, m, 1), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_member(st, 20, members_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 1);
	is_str(seen.nick[0], "Caro");
	nick = store_get_nickname(st, 601);
	is_str(nick, "Caro");
	free(nick);
	nick = store_get_nickname(st, 604);
	is_str(nick, "Fay");
	free(nick);
	ok(store_get_nickname(st, 4242) == NULL, "an unknown user has no nick");

	is_int(store_add_member(st, 21, 601, "Other"), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_member(st, 20, members_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 1);
	is_str(seen.nick[0], "Caro");
	is_int(store_set_members(st, 21, NULL, 0), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_member(st, 21, members_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 0);
	is_int(store_flush(st), ==, 0);
}

/* Messages: cursor moves with each stored message; duplicates and old
 * ones are ignored; deletion, reactions and read marks. */
static void
test_messages(struct store *st, const char *path)
{
	struct loco_chatlog cl;
	struct store_stats before, after;
	struct seen_messages seen;
	bool found;
	int64_t i;

	store_get_stats(st, &before);
	for (i = 100; i <= 102; i++) {
		cl = make_log(30, i, "hello");
		is_int(store_add_message(st, &cl), ==, 0);
		is_int(cursor_of(st, 30, &found), ==, i);
	}
	is_int(store_count_messages(st, 30), ==, 3);
	cl = make_log(30, 101, "duplicate");
	is_int(store_add_message(st, &cl), ==, 0);
	cl = make_log(30, 102, "at the cursor");
	is_int(store_add_message(st, &cl), ==, 0);
	cl = make_log(30, 50, "below the cursor");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(store_count_messages(st, 30), ==, 3);
	is_int(cursor_of(st, 30, &found), ==, 102);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 30, 100, 1, messages_cb, &seen), ==,
	    0);
	is_str(seen.text, "hello");
	store_get_stats(st, &after);
	is_int(after.messages_added - before.messages_added, ==, 3);
	is_int(after.messages_ignored - before.messages_ignored, ==, 3);

	/* Every field round-trips; NULL strings stay NULL. */
	cl = make_log(30, 103, NULL);
	cl.type = LOCO_MSG_PHOTO;
	cl.author_id = INT64_MAX;
	cl.msg_id = INT64_MIN;
	cl.prev_id = 102;
	cl.send_at = INT32_MAX;
	cl.attachment = (char *)"{\"url\":\"https://x.invalid/a\"}";
	is_int(store_add_message(st, &cl), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 30, 102, 0, messages_cb, &seen), ==,
	    0);
	is_uint(seen.n, ==, 1);
	is_int(seen.last.chat_id, ==, 30);
	is_int(seen.last.log_id, ==, 103);
	is_int(seen.last.prev_id, ==, 102);
	is_int(seen.last.author_id, ==, INT64_MAX);
	is_int(seen.last.msg_id, ==, INT64_MIN);
	is_int(seen.last.type, ==, LOCO_MSG_PHOTO);
	is_int(seen.last.send_at, ==, INT32_MAX);
	ok(!seen.has_text, "a NULL text stays NULL");
	is_str(seen.attachment, "{\"url\":\"https://x.invalid/a\"}");
	ok(!seen.last.deleted, "a new message is not deleted");

	cl = make_log(30, 104, "안녕하세요 👋");
	cl.type = LOCO_MSG_TEXT | LOCO_MSGTYPE_DELETED_BIT;
	is_int(store_add_message(st, &cl), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 30, 103, 0, messages_cb, &seen), ==,
	    0);
	is_str(seen.text, "안녕하세요 👋");
	ok(seen.last.deleted, "a type with the deleted bit is stored deleted");
	/* Not committed yet: a second connection does not see it. */
	is_int(raw_int(path,
	           "SELECT count(*) FROM messages"
	           " WHERE chat_id = 30 AND log_id = 104"),
	    ==, 0);
	is_int(store_flush(st), ==, 0);
	is_int(raw_int(path,
	           "SELECT typeof(text) = 'text' AND"
	           " typeof(log_id) = 'integer' FROM messages"
	           " WHERE chat_id = 30 AND log_id = 104"),
	    ==, 1);

	is_int(store_mark_deleted(st, 30, 100), ==, 0);
	is_int(store_mark_deleted(st, 30, 5000), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 30, 99, 1, messages_cb, &seen), ==, 0);
	ok(seen.n == 1 && seen.last.log_id == 100 && seen.last.deleted,
	    "store_mark_deleted marks the message");
	is_int(store_count_messages(st, 30), ==, 5);

	/* A message for a chat never put creates it, cursor included. */
	cl = make_log(31, 7, "first");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(cursor_of(st, 31, &found), ==, 7);
	ok(found, "a message creates its chat");

	is_int(store_add_reaction(st, 30, 101, 601, 1), ==, 0);
	is_int(store_add_reaction(st, 30, 101, 601, 2), ==, 0);
	is_int(store_add_reaction(st, 30, 101, 602, 1), ==, 0);
	is_int(store_add_reaction(st, 32, 1, 601, 1), ==, 0);
	is_int(store_set_read(st, 30, 601, 101), ==, 0);
	is_int(store_set_read(st, 30, 601, 50), ==, 0);
	is_int(store_set_read(st, 30, 602, 102), ==, 0);
	is_int(store_set_read(st, 30, 602, 104), ==, 0);
	{
		int64_t wm = -1;

		is_int(store_get_read(st, 30, 601, &wm), ==, 1);
		is_int(wm, ==, 101);
		is_int(store_get_read(st, 30, 602, &wm), ==, 1);
		is_int(wm, ==, 104);
		is_int(store_get_read(st, 30, 603, &wm), ==, 0);
		is_int(wm, ==, 0);
	}
	is_int(store_flush(st), ==, 0);
	is_int(raw_int(path,
	           "SELECT count(*) FROM reactions"
	           " WHERE chat_id = 30 AND log_id = 101"),
	    ==, 2);
	is_int(raw_int(path,
	           "SELECT type FROM reactions WHERE chat_id = 30"
	           " AND log_id = 101 AND user_id = 601"),
	    ==, 2);
	is_int(raw_int(path,
	           "SELECT count(*) FROM reactions"
	           " WHERE chat_id = 32"),
	    ==, 1);
	is_int(raw_int(path,
	           "SELECT watermark FROM reads"
	           " WHERE chat_id = 30 AND user_id = 601"),
	    ==, 101);
	is_int(raw_int(path,
	           "SELECT watermark FROM reads"
	           " WHERE chat_id = 30 AND user_id = 602"),
	    ==, 104);
}

/* Paging through a chat's messages: after, limit, stopping early. */
static void
test_foreach(struct store *st)
{
	struct loco_chatlog cl;
	struct seen_messages seen;
	int64_t i, before;
	size_t k;
	bool asc = true;

	before = store_count_messages(st, 0);
	for (i = 1; i <= 25; i++) {
		cl = make_log(40, i, "page");
		is_int(store_add_message(st, &cl), ==, 0);
	}
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 40, 0, 0, messages_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 25);
	for (k = 0; k < seen.n; k++)
		asc = asc && seen.log_id[k] == (int64_t)k + 1;
	ok(asc, "all messages, ascending");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 40, 10, 5, messages_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 5);
	ok(seen.log_id[0] == 11 && seen.log_id[4] == 15,
	    "after 10, limit 5 gives 11..15");
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 3;
	is_int(store_foreach_message(st, 40, 20, 0, messages_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 3);
	is_int(seen.log_id[2], ==, 23);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 40, 25, 0, messages_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 4040, 0, 0, messages_cb, &seen), ==,
	    0);
	is_uint(seen.n, ==, 0);
	is_int(store_count_messages(st, 40), ==, 25);
	is_int(store_count_messages(st, 0), ==, before + 25);
	is_int(store_count_messages(st, 4040), ==, 0);
}

/* Everything written above is there after closing and opening again. */
static void
test_reopen(const char *path)
{
	struct store *st;
	struct loco_login_state ls;
	struct seen_chat seen;
	struct seen_members mem;
	struct seen_messages msgs;
	char *nick;
	bool found;

	st = store_open(NULL, path);
	if (!ok(st != NULL, "the store opens again"))
		return;
	is_int(store_get_login_state(st, &ls), ==, 0);
	ok(ls.revision == 8 && ls.last_token_id == INT64_C(9007199254740993) &&
	        ls.lbk == -5,
	    "login state kept");
	seen = find_chat(st, 10);
	is_str(seen.title, "새 이름 ✓");
	is_str(seen.notice, "Be nice");
	memset(&mem, 0, sizeof mem);
	is_int(store_foreach_member(st, 20, members_cb, &mem), ==, 0);
	ok(mem.n == 1 && mem.user_id[0] == 601, "members kept");
	nick = store_get_nickname(st, 502);
	is_str(nick, "Bob");
	free(nick);
	is_int(cursor_of(st, 30, &found), ==, 104);
	is_int(cursor_of(st, 40, &found), ==, 25);
	is_int(store_count_messages(st, 40), ==, 25);
	memset(&msgs, 0, sizeof msgs);
	is_int(store_foreach_message(st, 30, 103, 0, messages_cb, &msgs), ==,
	    0);
	ok(msgs.n == 1 && msgs.last.deleted, "the deleted message kept");
	is_str(msgs.text, "안녕하세요 👋");
	store_close(st);
}

/* store_foreach_name callback: collect. */
static void
names_cb(int kind, int64_t id, const char *name, void *arg)
{
	struct seen_names *seen = arg;

	if (seen->n == sizeof seen->id / sizeof seen->id[0])
		return;
	seen->kind[seen->n] = kind;
	seen->id[seen->n] = id;
	snprintf(seen->name[seen->n], sizeof seen->name[0], "%s",
	    name != NULL ? name : "(null)");
	seen->n++;
}

/* store_foreach_client_cursor callback: collect. */
static void
cursors_cb(int64_t chat_id, int64_t log_id, void *arg)
{
	struct seen_cursors *seen = arg;

	if (seen->n == sizeof seen->chat_id / sizeof seen->chat_id[0])
		return;
	seen->chat_id[seen->n] = chat_id;
	seen->log_id[seen->n] = log_id;
	seen->n++;
}

/* store_foreach_user callback: collect ids, copy the wanted user. */
static void
users_cb(const struct store_user *u, void *arg)
{
	struct seen_users *seen = arg;

	if (seen->n < sizeof seen->user_id / sizeof seen->user_id[0])
		seen->user_id[seen->n] = u->user_id;
	seen->n++;
	if (u->user_id != seen->want)
		return;
	seen->found = true;
	seen->has_nickname = u->nickname != NULL;
	seen->has_status_message = u->status_message != NULL;
	seen->has_profile_image_url = u->profile_image_url != NULL;
	snprintf(seen->nickname, sizeof seen->nickname, "%s",
	    u->nickname != NULL ? u->nickname : "");
	snprintf(seen->status_message, sizeof seen->status_message, "%s",
	    u->status_message != NULL ? u->status_message : "");
	snprintf(seen->profile_image_url, sizeof seen->profile_image_url, "%s",
	    u->profile_image_url != NULL ? u->profile_image_url : "");
}

/* store_get_message callback that looks up the message's predecessor while
 * its own row is still being handed out. */
static bool
nested_get_cb(const struct store_message *m, void *arg)
{
	struct nested_get *n = arg;

	n->calls++;
	snprintf(n->outer_text_before, sizeof n->outer_text_before, "%s",
	    m->text != NULL ? m->text : "(null)");
	memset(&n->inner, 0, sizeof n->inner);
	n->inner_rc = store_get_message(n->st, m->chat_id, m->prev_id,
	    messages_cb, &n->inner);
	snprintf(n->outer_text_after, sizeof n->outer_text_after, "%s",
	    m->text != NULL ? m->text : "(null)");
	return true;
}

/* Walk callback that runs another walk (nw->mode) while its own row is
 * being handed out; the outer row must come through untouched. */
static bool
nested_walk_cb(const struct store_message *m, void *arg)
{
	struct nested_walk *nw = arg;
	struct seen_messages inner;
	char before[64];
	size_t k = nw->n;
	int rc = 0;

	if (nw->n < sizeof nw->ids / sizeof nw->ids[0])
		nw->ids[nw->n] = m->log_id;
	nw->n++;
	snprintf(before, sizeof before, "%s",
	    m->text != NULL ? m->text : "(null)");
	memset(&inner, 0, sizeof inner);
	switch (nw->mode) {
	case NESTED_FORWARD:
		rc = store_foreach_message(nw->st, m->chat_id, m->log_id, 0,
		    messages_cb, &inner);
		break;
	case NESTED_TAIL:
		rc = store_foreach_message_tail(nw->st, m->chat_id, 2,
		    messages_cb, &inner);
		break;
	case NESTED_OTHER:
		if (nw->outer_tail)
			rc = store_foreach_message(nw->st, nw->other_chat, 0, 0,
			    messages_cb, &inner);
		else
			rc = store_foreach_message_tail(nw->st, nw->other_chat,
			    2, messages_cb, &inner);
		break;
	case NESTED_RECURSE:
		if (nw->depth < 3) {
			nw->depth++;
			rc = store_foreach_message(nw->st, m->chat_id,
			    m->log_id, 2, nested_walk_cb, nw);
			nw->depth--;
		}
		break;
	case NESTED_STOP_ONE:
		inner.stop_after = 1;
		rc = store_foreach_message(nw->st, m->chat_id, 0, 0,
		    messages_cb, &inner);
		break;
	case NESTED_BEFORE:
		rc = store_foreach_message_before(nw->st, m->chat_id, m->log_id,
		    2, messages_cb, &inner);
		break;
	}
	if (rc != 0)
		nw->inner_fails++;
	if (m->text == NULL || strcmp(before, m->text) != 0)
		nw->text_kept = false;
	if (nw->mode != NESTED_RECURSE &&
	    k < sizeof nw->inner_n / sizeof nw->inner_n[0]) {
		nw->inner_n[k] = inner.n;
		nw->inner_first[k] = inner.n > 0 ? inner.log_id[0] : 0;
		nw->inner_last[k] = inner.last.log_id;
	}
	return true;
}

/* A nested_walk for mode, ready to run. */
static struct nested_walk
nested_walk_init(struct store *st, enum nested_mode mode)
{
	struct nested_walk nw;

	memset(&nw, 0, sizeof nw);
	nw.st = st;
	nw.mode = mode;
	nw.depth = 1;
	nw.text_kept = true;
	return nw;
}

/* The busy column of a TRUNCATE checkpoint from a second connection: 1
 * while some connection still reads the WAL, which an unfinished
 * statement of the store does. */
static int64_t
raw_checkpoint_busy(const char *path)
{
	return raw_int(path, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* A malloc'd path to a new version 1 database built by hand, with extra
 * SQL run after the data (NULL for none). */
static char *
make_v1(const char *name, const char *extra)
{
	char *path = tmp_path(name);
	char *sql;

	sql =
	    xasprintf("%s%s%s", v1_schema, v1_data, extra != NULL ? extra : "");
	if (raw_exec(path, sql) != 0)
		diag("cannot build the version 1 database '%s'", path);
	free(sql);
	return path;
}

/* A version 1 file is migrated to 2 on open: the data stays, the new
 * tables work, and the result survives a reopen. */
static void
test_migrate_v1(void)
{
	char *path = make_v1("v1.db", NULL);
	struct store *st;
	struct loco_login_state ls;
	struct seen_chat chat;
	struct seen_messages msgs;
	struct seen_members mem;
	struct seen_users users;
	struct seen_names names;
	struct loco_chatlog cl;
	char *value = NULL, *mode;
	bool found;

	is_int(raw_int(path, "PRAGMA user_version"), ==, 1);
	st = store_open(NULL, path);
	if (!ok(st != NULL, "a version 1 store opens"))
		goto end;
	is_int(raw_int(path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	is_int(raw_int(path,
	           "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	           " AND name IN ('names', 'client_cursors', 'settings',"
	           " 'read_markers')"),
	    ==, 4);
	mode = raw_text(path, "PRAGMA journal_mode");
	is_str(mode, "wal");
	free(mode);

	/* The version 1 data, through the API. */
	is_int(store_get_login_state(st, &ls), ==, 0);
	ok(ls.revision == 3 && ls.last_token_id == 44,
	    "the login state survives the migration");
	chat = find_chat(st, 700);
	ok(chat.found, "the chat survives the migration");
	is_str(chat.title, "Old room");
	is_int(chat.c.cursor, ==, 12);
	is_int(cursor_of(st, 700, &found), ==, 12);
	memset(&msgs, 0, sizeof msgs);
	is_int(store_foreach_message(st, 700, 0, 0, messages_cb, &msgs), ==, 0);
	ok(msgs.n == 2 && msgs.log_id[0] == 11 && msgs.log_id[1] == 12,
	    "both messages survive the migration");
	memset(&msgs, 0, sizeof msgs);
	is_int(store_get_message(st, 700, 12, messages_cb, &msgs), ==, 1);
	is_str(msgs.text, "old two");
	is_int(msgs.last.prev_id, ==, 11);
	memset(&mem, 0, sizeof mem);
	is_int(store_foreach_member(st, 700, members_cb, &mem), ==, 0);
	ok(mem.n == 1 && mem.user_id[0] == 70, "the member survives");
	is_str(mem.nick[0], "Olga");
	memset(&users, 0, sizeof users);
	users.want = 70;
	is_int(store_foreach_user(st, users_cb, &users), ==, 0);
	ok(users.n == 1 && users.found, "the user survives");
	is_str(users.status_message, "away");

	/* The new tables start empty and take writes; the old trigger still
	 * moves the cursor. */
	memset(&names, 0, sizeof names);
	is_int(store_foreach_name(st, names_cb, &names), ==, 0);
	is_uint(names.n, ==, 0);
	is_int(store_has_client(st, ""), ==, 0);
	is_int(store_get_setting(st, "motd", &value), ==, 0);
	ok(value == NULL, "no settings after the migration");
	is_int(store_put_name(st, STORE_NAME_USER, 70, "Olga"), ==, 0);
	is_int(store_set_client_cursor(st, "", 700, 12), ==, 0);
	is_int(store_set_setting(st, "motd", "migrated"), ==, 0);
	cl = make_log(700, 13, "new one");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(cursor_of(st, 700, &found), ==, 13);
	store_close(st);

	st = store_open(NULL, path);
	if (!ok(st != NULL, "the migrated store opens again"))
		goto end;
	is_int(raw_int(path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	memset(&names, 0, sizeof names);
	is_int(store_foreach_name(st, names_cb, &names), ==, 0);
	ok(names.n == 1 && names.id[0] == 70,
	    "the name written after the "
	    "migration is kept");
	is_int(store_has_client(st, ""), ==, 1);
	is_int(store_get_setting(st, "motd", &value), ==, 0);
	is_str(value, "migrated");
	free(value);
	is_int(store_count_messages(st, 700), ==, 3);
end:
	store_close(st);
	free(path);
}

/* A migration that cannot apply (a table of that name is in the way) is
 * refused and rolled back as a whole; once the clash is gone it applies. */
static void
test_migrate_rollback(void)
{
	char *path = make_v1("v1-clash.db", "CREATE TABLE settings (x);");
	struct store *st;

	ok(store_open(NULL, path) == NULL,
	    "a migration that cannot apply is refused");
	is_int(raw_int(path, "PRAGMA user_version"), ==, 1);
	is_int(raw_int(path,
	           "SELECT count(*) FROM sqlite_master"
	           " WHERE name IN ('names', 'client_cursors')"),
	    ==, 0);
	is_int(raw_int(path, "SELECT count(*) FROM messages"), ==, 2);
	ok(raw_exec(path, "DROP TABLE settings") == 0, "clash removed");
	st = store_open(NULL, path);
	ok(st != NULL, "the migration applies once the clash is gone");
	is_int(raw_int(path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	is_int(store_set_setting(st, "k", "v"), ==, 0);
	store_close(st);
	is_int(raw_int(path, "SELECT count(*) FROM settings"), ==, 1);
	free(path);
}

/* Names: insert, replace, order by kind then id, bad input refused,
 * uncommitted names readable. */
static void
test_names(struct store *st, const char *path)
{
	struct seen_names seen;

	is_int(store_flush(st), ==, 0);
	is_int(store_put_name(st, STORE_NAME_CHAT, 30, "#room"), ==, 0);
	is_int(store_put_name(st, STORE_NAME_USER, 602, "Dan"), ==, 0);
	is_int(store_put_name(st, STORE_NAME_USER, 601, "Carol"), ==, 0);
	is_int(store_put_name(st, STORE_NAME_CHAT, 10, "#새-이름"), ==, 0);
	is_int(store_put_name(st, STORE_NAME_USER, INT64_MAX, "kakao9"), ==, 0);
	is_int(store_put_name(st, STORE_NAME_USER, 601, "Caro"), ==, 0);
	is_int(store_put_name(st, 2, 1, "x"), ==, -1);
	is_int(store_put_name(st, -1, 1, "x"), ==, -1);
	is_int(store_put_name(st, STORE_NAME_USER, 1, NULL), ==, -1);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_name(st, names_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 5);
	ok(seen.kind[0] == STORE_NAME_USER && seen.id[0] == 601 &&
	        seen.kind[1] == STORE_NAME_USER && seen.id[1] == 602 &&
	        seen.kind[2] == STORE_NAME_USER && seen.id[2] == INT64_MAX &&
	        seen.kind[3] == STORE_NAME_CHAT && seen.id[3] == 10 &&
	        seen.kind[4] == STORE_NAME_CHAT && seen.id[4] == 30,
	    "names come by kind, then id");
	is_str(seen.name[0], "Caro");
	is_str(seen.name[1], "Dan");
	is_str(seen.name[3], "#새-이름");
	/* Not committed yet: only this connection sees them. */
	is_int(raw_int(path, "SELECT count(*) FROM names"), ==, 0);
	is_int(store_flush(st), ==, 0);
	is_int(raw_int(path, "SELECT count(*) FROM names"), ==, 5);
	is_int(raw_int(path,
	           "SELECT count(*) FROM names"
	           " WHERE kind = 0 AND id = 601 AND name = 'Caro'"),
	    ==, 1);
}

/* Client cursors: per client and chat, only forward, has_client. */
static void
test_client_cursors(struct store *st, const char *path)
{
	struct seen_cursors seen;

	is_int(store_has_client(st, "laptop"), ==, 0);
	is_int(store_has_client(st, ""), ==, 0);
	is_int(store_set_client_cursor(st, "laptop", 30, 102), ==, 0);
	is_int(store_has_client(st, "laptop"), ==, 1);
	is_int(raw_int(path, "SELECT count(*) FROM client_cursors"), ==, 0);
	is_int(store_set_client_cursor(st, "laptop", 30, 101), ==, 0);
	is_int(store_set_client_cursor(st, "laptop", 40, 25), ==, 0);
	is_int(store_set_client_cursor(st, "laptop", 10, 5), ==, 0);
	is_int(store_set_client_cursor(st, "phone", 30, 100), ==, 0);
	is_int(store_set_client_cursor(st, "", 30, 104), ==, 0);

	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_client_cursor(st, "laptop", cursors_cb, &seen), ==,
	    0);
	is_uint(seen.n, ==, 3);
	ok(seen.chat_id[0] == 10 && seen.chat_id[1] == 30 &&
	        seen.chat_id[2] == 40,
	    "client cursors come ascending by chat");
	is_int(seen.log_id[0], ==, 5);
	is_int(seen.log_id[1], ==, 102);
	is_int(seen.log_id[2], ==, 25);

	/* Forward moves, backward is ignored. */
	is_int(store_set_client_cursor(st, "laptop", 30, 104), ==, 0);
	is_int(store_set_client_cursor(st, "laptop", 30, 0), ==, 0);
	is_int(store_set_client_cursor(st, "laptop", 30, 103), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_client_cursor(st, "laptop", cursors_cb, &seen), ==,
	    0);
	is_int(seen.log_id[1], ==, 104);

	/* Clients are apart, names exact. */
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_client_cursor(st, "phone", cursors_cb, &seen), ==,
	    0);
	ok(seen.n == 1 && seen.chat_id[0] == 30 && seen.log_id[0] == 100,
	    "another client keeps its own cursor");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_client_cursor(st, "", cursors_cb, &seen), ==, 0);
	ok(seen.n == 1 && seen.log_id[0] == 104, "the unnamed client is one");
	is_int(store_has_client(st, ""), ==, 1);
	is_int(store_has_client(st, "Laptop"), ==, 0);
	is_int(store_has_client(st, "nobody"), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_client_cursor(st, "nobody", cursors_cb, &seen), ==,
	    0);
	is_uint(seen.n, ==, 0);

	is_int(store_set_client_cursor(st, NULL, 30, 1), ==, -1);
	is_int(store_has_client(st, NULL), ==, -1);
	is_int(store_foreach_client_cursor(st, NULL, cursors_cb, &seen), ==,
	    -1);

	is_int(store_flush(st), ==, 0);
	is_int(raw_int(path, "SELECT count(*) FROM client_cursors"), ==, 5);
	is_int(raw_int(path,
	           "SELECT log_id FROM client_cursors"
	           " WHERE client = 'laptop' AND chat_id = 30"),
	    ==, 104);
}

/* Settings: unset reads NULL, a set overwrites, bad input refused. */
static void
test_settings(struct store *st, const char *path)
{
	char *value = xstrdup("stale");
	char *raw;

	free(value);
	value = (char *)&value; /* anything but NULL */
	is_int(store_get_setting(st, "motd", &value), ==, 0);
	ok(value == NULL, "an unset setting reads as NULL");
	is_int(store_set_setting(st, "motd", "hello"), ==, 0);
	is_int(store_get_setting(st, "motd", &value), ==, 0);
	is_str(value, "hello");
	free(value);
	is_int(raw_int(path, "SELECT count(*) FROM settings"), ==, 0);
	is_int(store_set_setting(st, "motd", "안녕 ✓"), ==, 0);
	is_int(store_get_setting(st, "motd", &value), ==, 0);
	is_str(value, "안녕 ✓");
	free(value);
	is_int(store_set_setting(st, "empty", ""), ==, 0);
	is_int(store_get_setting(st, "empty", &value), ==, 0);
	ok(value != NULL && *value == '\0', "an empty value is not unset");
	free(value);

	is_int(store_set_setting(st, NULL, "x"), ==, -1);
	is_int(store_set_setting(st, "motd", NULL), ==, -1);
	value = (char *)&value;
	is_int(store_get_setting(st, NULL, &value), ==, -1);
	ok(value == NULL, "a failed read leaves *value NULL");
	is_int(store_get_setting(st, "motd", &value), ==, 0);
	is_str(value, "안녕 ✓");
	free(value);

	is_int(store_flush(st), ==, 0);
	is_int(raw_int(path, "SELECT count(*) FROM settings"), ==, 2);
	raw = raw_text(path, "SELECT value FROM settings WHERE key = 'motd'");
	is_str(raw, "안녕 ✓");
	free(raw);
}

/* The schema 2 writes join the open batch: one commit for all of them. */
static void
test_batch_schema2(struct store *st, const char *path)
{
	struct store_stats s0, s1;

	is_int(store_flush(st), ==, 0);
	store_get_stats(st, &s0);
	is_int(store_put_name(st, STORE_NAME_CHAT, 31, "#batch"), ==, 0);
	is_int(store_set_client_cursor(st, "batch", 31, 7), ==, 0);
	is_int(store_set_setting(st, "batch", "yes"), ==, 0);
	store_get_stats(st, &s1);
	is_int(s1.commits - s0.commits, ==, 0);
	is_int(raw_int(path,
	           "SELECT (SELECT count(*) FROM names WHERE id = 31) +"
	           " (SELECT count(*) FROM client_cursors"
	           "  WHERE client = 'batch') +"
	           " (SELECT count(*) FROM settings WHERE key = 'batch')"),
	    ==, 0);
	is_int(store_flush(st), ==, 0);
	store_get_stats(st, &s1);
	is_int(s1.commits - s0.commits, ==, 1);
	is_int(raw_int(path,
	           "SELECT (SELECT count(*) FROM names WHERE id = 31) +"
	           " (SELECT count(*) FROM client_cursors"
	           "  WHERE client = 'batch') +"
	           " (SELECT count(*) FROM settings WHERE key = 'batch')"),
	    ==, 3);
}

/* One message by id: found with every field, not found, NULL callback,
 * uncommitted, and a lookup from inside the callback. */
static void
test_get_message(struct store *st, const char *path)
{
	struct seen_messages seen;
	struct nested_get nested;
	struct loco_chatlog cl;

	memset(&seen, 0, sizeof seen);
	is_int(store_get_message(st, 30, 103, messages_cb, &seen), ==, 1);
	is_uint(seen.n, ==, 1);
	is_int(seen.last.chat_id, ==, 30);
	is_int(seen.last.log_id, ==, 103);
	is_int(seen.last.prev_id, ==, 102);
	is_int(seen.last.author_id, ==, INT64_MAX);
	is_int(seen.last.msg_id, ==, INT64_MIN);
	is_int(seen.last.type, ==, LOCO_MSG_PHOTO);
	ok(!seen.has_text, "a NULL text stays NULL");
	is_str(seen.attachment, "{\"url\":\"https://x.invalid/a\"}");
	memset(&seen, 0, sizeof seen);
	is_int(store_get_message(st, 30, 104, messages_cb, &seen), ==, 1);
	ok(seen.last.deleted, "a deleted message reads deleted");
	is_str(seen.text, "안녕하세요 👋");

	memset(&seen, 0, sizeof seen);
	is_int(store_get_message(st, 30, 105, messages_cb, &seen), ==, 0);
	is_int(store_get_message(st, 4040, 1, messages_cb, &seen), ==, 0);
	is_int(store_get_message(st, 31, 103, messages_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 0);
	is_int(store_get_message(st, 31, 7, NULL, NULL), ==, 1);
	is_int(store_get_message(st, 31, 8, NULL, NULL), ==, 0);

	cl = make_log(34, 1, "fresh");
	is_int(store_add_message(st, &cl), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_get_message(st, 34, 1, messages_cb, &seen), ==, 1);
	is_str(seen.text, "fresh");
	is_int(raw_int(path,
	           "SELECT count(*) FROM messages"
	           " WHERE chat_id = 34 AND log_id = 1"),
	    ==, 0);

	cl = make_log(33, 1, "first");
	is_int(store_add_message(st, &cl), ==, 0);
	cl = make_log(33, 2, "second");
	is_int(store_add_message(st, &cl), ==, 0);
	memset(&nested, 0, sizeof nested);
	nested.st = st;
	is_int(store_get_message(st, 33, 2, nested_get_cb, &nested), ==, 1);
	is_int(nested.calls, ==, 1);
	is_int(nested.inner_rc, ==, 1);
	ok(nested.inner.n == 1 && nested.inner.last.log_id == 1,
	    "a lookup from inside the callback finds its message");
	is_str(nested.inner.text, "first");
	is_str(nested.outer_text_before, "second");
	is_str(nested.outer_text_after, "second");
	memset(&seen, 0, sizeof seen);
	is_int(store_get_message(st, 33, 2, messages_cb, &seen), ==, 1);
	is_str(seen.text, "second");
	is_int(store_flush(st), ==, 0);
}

/* The newest messages of a chat, ascending, limit honoured. */
static void
test_tail(struct store *st)
{
	struct seen_messages seen;
	struct loco_chatlog cl;
	bool asc = true;
	size_t k;

	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_tail(st, 40, 5, messages_cb, &seen), ==,
	    0);
	is_uint(seen.n, ==, 5);
	for (k = 0; k < seen.n && k < 5; k++)
		asc = asc && seen.log_id[k] == 21 + (int64_t)k;
	ok(asc, "limit 5 gives 21..25, ascending");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_tail(st, 40, 1, messages_cb, &seen), ==,
	    0);
	ok(seen.n == 1 && seen.log_id[0] == 25, "limit 1 gives the newest");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_tail(st, 40, 0, messages_cb, &seen), ==,
	    0);
	is_uint(seen.n, ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_tail(st, 40, 100, messages_cb, &seen), ==,
	    0);
	is_uint(seen.n, ==, 25);
	asc = true;
	for (k = 0; k < seen.n && k < 25; k++)
		asc = asc && seen.log_id[k] == 1 + (int64_t)k;
	ok(asc, "a limit above the count gives all, ascending");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_tail(st, 40, SIZE_MAX, messages_cb, &seen),
	    ==, 0);
	is_uint(seen.n, ==, 25);
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 2;
	is_int(store_foreach_message_tail(st, 40, 5, messages_cb, &seen), ==,
	    0);
	ok(seen.n == 2 && seen.log_id[0] == 21 && seen.log_id[1] == 22,
	    "the callback stops the tail walk");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_tail(st, 4040, 5, messages_cb, &seen), ==,
	    0);
	is_uint(seen.n, ==, 0);
	/* Uncommitted messages are in the tail. */
	cl = make_log(34, 2, "tail");
	is_int(store_add_message(st, &cl), ==, 0);
	cl = make_log(34, 3, "tail end");
	is_int(store_add_message(st, &cl), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_tail(st, 34, 2, messages_cb, &seen), ==,
	    0);
	ok(seen.n == 2 && seen.log_id[0] == 2 && seen.log_id[1] == 3 &&
	        seen.last.chat_id == 34,
	    "the tail includes uncommitted messages");
	is_str(seen.text, "tail end");
	/* Only the chat asked for. */
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_tail(st, 30, 3, messages_cb, &seen), ==,
	    0);
	ok(seen.n == 3 && seen.log_id[0] == 102 && seen.log_id[1] == 103 &&
	        seen.log_id[2] == 104 && seen.last.chat_id == 30,
	    "chat 30's tail is its own");
	is_int(store_flush(st), ==, 0);
}

/*
 * Walks from inside a walk's callback: the same walk (forward, tail), the
 * other kind, three levels deep, and one whose callback stops it; the
 * outer walk must hand out every row, in order, with its text intact.
 */
static void
test_nested_walks(struct store *st)
{
	/* NESTED_RECURSE over chat 50 with limit 2: each row r is followed
	 * by the walk after r, down to the third level. */
	static const int64_t tree[] = {1, 2, 3, 4, 3, 4, 5, 2, 3, 4, 5, 4, 5,
	    6};
	struct nested_walk nw;
	struct loco_chatlog cl;
	char text[32];
	bool good;
	int64_t i;
	size_t k;

	for (i = 1; i <= 6; i++) {
		snprintf(text, sizeof text, "outer %" PRId64, i);
		cl = make_log(50, i, text);
		is_int(store_add_message(st, &cl), ==, 0);
	}
	for (i = 1; i <= 3; i++) {
		cl = make_log(51, i, "other");
		is_int(store_add_message(st, &cl), ==, 0);
	}
	is_int(store_flush(st), ==, 0);

	/* Forward inside forward: each row sees the rest of the chat. */
	nw = nested_walk_init(st, NESTED_FORWARD);
	is_int(store_foreach_message(st, 50, 0, 0, nested_walk_cb, &nw), ==, 0);
	is_uint(nw.n, ==, 6);
	good = nw.n == 6;
	for (k = 0; good && k < 6; k++)
		good = nw.ids[k] == (int64_t)k + 1 && nw.inner_n[k] == 5 - k &&
		    (k == 5 ||
		        (nw.inner_first[k] == (int64_t)k + 2 &&
		            nw.inner_last[k] == 6));
	ok(good, "a forward walk inside a forward walk: both complete");
	ok(nw.text_kept, "the outer row survives the inner forward walk");
	is_int(nw.inner_fails, ==, 0);

	/* Tail inside tail. */
	nw = nested_walk_init(st, NESTED_TAIL);
	is_int(store_foreach_message_tail(st, 50, 3, nested_walk_cb, &nw), ==,
	    0);
	good = nw.n == 3;
	for (k = 0; good && k < 3; k++)
		good = nw.ids[k] == (int64_t)k + 4 && nw.inner_n[k] == 2 &&
		    nw.inner_first[k] == 5 && nw.inner_last[k] == 6;
	ok(good, "a tail walk inside a tail walk: both complete");
	ok(nw.text_kept, "the outer row survives the inner tail walk");
	is_int(nw.inner_fails, ==, 0);

	/* A tail walk of another chat inside a forward walk, and the
	 * reverse. */
	nw = nested_walk_init(st, NESTED_OTHER);
	nw.other_chat = 51;
	is_int(store_foreach_message(st, 50, 3, 0, nested_walk_cb, &nw), ==, 0);
	good = nw.n == 3;
	for (k = 0; good && k < 3; k++)
		good = nw.ids[k] == (int64_t)k + 4 && nw.inner_n[k] == 2 &&
		    nw.inner_first[k] == 2 && nw.inner_last[k] == 3;
	ok(good, "a tail walk inside a forward walk");
	ok(nw.text_kept && nw.inner_fails == 0,
	    "the forward walk's rows survive, the tail walks succeed");
	nw = nested_walk_init(st, NESTED_OTHER);
	nw.other_chat = 51;
	nw.outer_tail = true;
	is_int(store_foreach_message_tail(st, 50, 2, nested_walk_cb, &nw), ==,
	    0);
	good = nw.n == 2;
	for (k = 0; good && k < 2; k++)
		good = nw.ids[k] == (int64_t)k + 5 && nw.inner_n[k] == 3 &&
		    nw.inner_first[k] == 1 && nw.inner_last[k] == 3;
	ok(good, "a forward walk inside a tail walk");
	ok(nw.text_kept && nw.inner_fails == 0,
	    "the tail walk's rows survive, the forward walks succeed");

	/* Three levels of the same walk at once. */
	nw = nested_walk_init(st, NESTED_RECURSE);
	is_int(store_foreach_message(st, 50, 0, 2, nested_walk_cb, &nw), ==, 0);
	is_uint(nw.n, ==, sizeof tree / sizeof tree[0]);
	good = nw.n == sizeof tree / sizeof tree[0];
	for (k = 0; good && k < nw.n; k++)
		good = nw.ids[k] == tree[k];
	ok(good, "three nested levels of one walk visit rows in order");
	ok(nw.text_kept && nw.inner_fails == 0 && nw.depth == 1,
	    "every level returns intact");

	/* An inner walk its callback stops does not disturb the outer. */
	nw = nested_walk_init(st, NESTED_STOP_ONE);
	is_int(store_foreach_message(st, 50, 0, 0, nested_walk_cb, &nw), ==, 0);
	good = nw.n == 6;
	for (k = 0; good && k < 6; k++)
		good = nw.ids[k] == (int64_t)k + 1 && nw.inner_n[k] == 1 &&
		    nw.inner_first[k] == 1;
	ok(good, "inner walks stopped early; the outer one goes on");
	ok(nw.text_kept && nw.inner_fails == 0, "no inner walk failed");

	/* Before inside before: each row sees the two below it. */
	nw = nested_walk_init(st, NESTED_BEFORE);
	is_int(store_foreach_message_before(st, 50, INT64_MAX, 3,
	           nested_walk_cb, &nw),
	    ==, 0);
	good = nw.n == 3;
	for (k = 0; good && k < 3; k++)
		good = nw.ids[k] == (int64_t)k + 4 && nw.inner_n[k] == 2 &&
		    nw.inner_first[k] == (int64_t)k + 2 &&
		    nw.inner_last[k] == (int64_t)k + 3;
	ok(good, "a before walk inside a before walk: both complete");
	ok(nw.text_kept && nw.inner_fails == 0,
	    "the outer row survives the inner before walk");
	/* And inside a forward walk (different cached statements). */
	nw = nested_walk_init(st, NESTED_BEFORE);
	is_int(store_foreach_message(st, 50, 4, 0, nested_walk_cb, &nw), ==, 0);
	ok(nw.n == 2 && nw.ids[0] == 5 && nw.ids[1] == 6 &&
	        nw.inner_first[0] == 3 && nw.inner_last[1] == 5 &&
	        nw.inner_fails == 0 && nw.text_kept,
	    "a before walk inside a forward walk");
}

/*
 * A walk whose callback stops it early leaves nothing behind: the next
 * walk, with other parameters, sees exactly its own rows, and no read
 * stays open on the WAL (a second connection can truncate it).
 */
static void
test_walk_early_stop(struct store *st, const char *path)
{
	struct seen_messages seen;
	struct nested_walk nw;
	struct loco_chatlog cl;

	/* Nothing may hold a read when the tests start. */
	is_int(store_flush(st), ==, 0);
	is_int(raw_checkpoint_busy(path), ==, 0);

	/* New WAL frames, so that a reader holds a WAL snapshot. */
	cl = make_log(51, 4, "other");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(store_flush(st), ==, 0);
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 2;
	is_int(store_foreach_message(st, 50, 0, 0, messages_cb, &seen), ==, 0);
	ok(seen.n == 2 && seen.log_id[1] == 2, "a forward walk stops at 2");
	is_int(raw_checkpoint_busy(path), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 51, 1, 2, messages_cb, &seen), ==, 0);
	ok(seen.n == 2 && seen.log_id[0] == 2 && seen.log_id[1] == 3 &&
	        seen.last.chat_id == 51,
	    "the next forward walk has its own chat, after and limit");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 50, 4, 0, messages_cb, &seen), ==, 0);
	ok(seen.n == 2 && seen.log_id[0] == 5 && seen.log_id[1] == 6,
	    "and the one after that, unlimited");
	is_str(seen.text, "outer 6");

	cl = make_log(51, 5, "other");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(store_flush(st), ==, 0);
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 1;
	is_int(store_foreach_message_tail(st, 50, 4, messages_cb, &seen), ==,
	    0);
	ok(seen.n == 1 && seen.log_id[0] == 3, "a tail walk stops at 1");
	is_int(raw_checkpoint_busy(path), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_tail(st, 51, 2, messages_cb, &seen), ==,
	    0);
	ok(seen.n == 2 && seen.log_id[0] == 4 && seen.log_id[1] == 5 &&
	        seen.last.chat_id == 51,
	    "the next tail walk has its own chat and limit");

	/* The same after nested walks that were stopped early. */
	cl = make_log(51, 6, "other");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(store_flush(st), ==, 0);
	nw = nested_walk_init(st, NESTED_STOP_ONE);
	is_int(store_foreach_message(st, 50, 0, 0, nested_walk_cb, &nw), ==, 0);
	is_uint(nw.n, ==, 6);
	is_int(raw_checkpoint_busy(path), ==, 0);
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 1;
	is_int(store_foreach_message(st, 51, 0, 0, messages_cb, &seen), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 51, 0, 0, messages_cb, &seen), ==, 0);
	ok(seen.n == 6 && seen.log_id[0] == 1 && seen.log_id[5] == 6,
	    "a full walk after all that sees every row");

	/* A before walk stopped early. */
	cl = make_log(51, 7, "other");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(store_flush(st), ==, 0);
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 1;
	is_int(store_foreach_message_before(st, 50, INT64_MAX, 4, messages_cb,
	           &seen),
	    ==, 0);
	ok(seen.n == 1 && seen.log_id[0] == 3, "a before walk stops at 1");
	is_int(raw_checkpoint_busy(path), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 51, 7, 2, messages_cb, &seen),
	    ==, 0);
	ok(seen.n == 2 && seen.log_id[0] == 5 && seen.log_id[1] == 6 &&
	        seen.last.chat_id == 51,
	    "the next before walk has its own chat, bound and limit");
	is_int(store_flush(st), ==, 0);
}

/* Users: every one, ascending, with their fields. */
static void
test_users(struct store *st)
{
	char gus[] = "Gus", busy[] = "busy", url[] = "https://x.invalid/g.png";
	struct seen_users seen;
	struct loco_member m;
	bool asc = true;
	size_t k;

	memset(&m, 0, sizeof m);
	m.user_id = 605;
	m.nickname = gus;
	m.status_message = busy;
	m.profile_image_url = url;
	is_int(store_set_members(st, 22, &m, 1), ==, 0);
	memset(&seen, 0, sizeof seen);
	seen.want = 605;
	is_int(store_foreach_user(st, users_cb, &seen), ==, 0);
	is_uint(seen.n, ==, 7);
	for (k = 1; k < seen.n && k < 32; k++)
		asc = asc && seen.user_id[k - 1] < seen.user_id[k];
	ok(asc && seen.user_id[0] == 501 && seen.user_id[6] == 605,
	    "users come ascending by id");
	ok(seen.found, "an uncommitted user is listed");
	is_str(seen.nickname, "Gus");
	is_str(seen.status_message, "busy");
	is_str(seen.profile_image_url, "https://x.invalid/g.png");

	memset(&seen, 0, sizeof seen);
	seen.want = 502;
	is_int(store_foreach_user(st, users_cb, &seen), ==, 0);
	ok(seen.found && seen.has_nickname && !seen.has_status_message &&
	        !seen.has_profile_image_url,
	    "unknown user fields are NULL");
	is_str(seen.nickname, "Bob");
	is_int(store_flush(st), ==, 0);
}

/* The schema 2 data is there after closing and opening again. */
static void
test_reopen_schema2(const char *path)
{
	struct store *st;
	struct seen_names names;
	struct seen_cursors cur;
	struct seen_messages msgs;
	struct seen_users users;
	char *value = NULL;

	st = store_open(NULL, path);
	if (!ok(st != NULL, "the store opens again for schema 2"))
		return;
	memset(&names, 0, sizeof names);
	is_int(store_foreach_name(st, names_cb, &names), ==, 0);
	is_uint(names.n, ==, 6);
	is_str(names.name[0], "Caro");
	is_int(store_has_client(st, "laptop"), ==, 1);
	memset(&cur, 0, sizeof cur);
	is_int(store_foreach_client_cursor(st, "laptop", cursors_cb, &cur), ==,
	    0);
	ok(cur.n == 3 && cur.chat_id[1] == 30 && cur.log_id[1] == 104,
	    "client cursors kept");
	is_int(store_get_setting(st, "motd", &value), ==, 0);
	is_str(value, "안녕 ✓");
	free(value);
	memset(&msgs, 0, sizeof msgs);
	is_int(store_get_message(st, 33, 2, messages_cb, &msgs), ==, 1);
	is_str(msgs.text, "second");
	memset(&msgs, 0, sizeof msgs);
	is_int(store_foreach_message_tail(st, 34, 2, messages_cb, &msgs), ==,
	    0);
	ok(msgs.n == 2 && msgs.log_id[0] == 2 && msgs.log_id[1] == 3,
	    "the tail is kept");
	is_str(msgs.text, "tail end");
	memset(&users, 0, sizeof users);
	users.want = 605;
	is_int(store_foreach_user(st, users_cb, &users), ==, 0);
	ok(users.found && users.n == 7, "users kept");
	is_str(users.status_message, "busy");
	store_close(st);
}

/* A version 2 file is migrated to 3 on open: every table's data stays,
 * read_markers starts empty and works, and it all survives a reopen. */
static void
test_migrate_v2(void)
{
	char *path = tmp_path("v2.db");
	char *sql, *value = NULL;
	struct store *st = NULL;
	struct seen_names names;
	struct seen_cursors cur;
	struct seen_messages msgs;
	struct seen_chat chat;
	struct loco_chatlog cl;
	int64_t ts = -1, log_id = -1;

	sql = xasprintf("%s%s%s%s", v1_schema, v1_data, v2_schema, v2_data);
	if (raw_exec(path, sql) != 0)
		diag("cannot build the version 2 database '%s'", path);
	free(sql);
	is_int(raw_int(path, "PRAGMA user_version"), ==, 2);
	st = store_open(NULL, path);
	if (!ok(st != NULL, "a version 2 store opens"))
		goto end;
	is_int(raw_int(path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	is_int(raw_int(path,
	           "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
	           " AND name = 'read_markers'"),
	    ==, 1);

	/* Version 1 and 2 data, through the API. */
	chat = find_chat(st, 700);
	ok(chat.found && chat.c.cursor == 12, "the chat and its cursor stay");
	memset(&msgs, 0, sizeof msgs);
	is_int(store_foreach_message(st, 700, 0, 0, messages_cb, &msgs), ==, 0);
	ok(msgs.n == 2 && msgs.log_id[0] == 11 && msgs.log_id[1] == 12,
	    "the messages stay");
	memset(&names, 0, sizeof names);
	is_int(store_foreach_name(st, names_cb, &names), ==, 0);
	ok(names.n == 2 && names.id[0] == 70 && names.id[1] == 700,
	    "the names stay");
	is_str(names.name[1], "#old-room");
	memset(&cur, 0, sizeof cur);
	is_int(store_foreach_client_cursor(st, "phone", cursors_cb, &cur), ==,
	    0);
	ok(cur.n == 1 && cur.chat_id[0] == 700 && cur.log_id[0] == 11,
	    "the client cursor stays");
	is_int(store_get_setting(st, "motd", &value), ==, 0);
	is_str(value, "v2");
	free(value);
	value = NULL;

	/* The schema-3 functions on migrated data. */
	is_int(store_get_read_marker(st, 700, &ts), ==, 0);
	is_int(store_find_log_at(st, 700, 1600000000, &log_id), ==, 0);
	is_int(log_id, ==, 11);
	memset(&msgs, 0, sizeof msgs);
	is_int(store_foreach_message_before(st, 700, INT64_MAX, 5, messages_cb,
	           &msgs),
	    ==, 0);
	ok(msgs.n == 2 && msgs.log_id[0] == 11 && msgs.log_id[1] == 12,
	    "the before walk sees the migrated messages");
	is_int(store_set_read_marker(st, 700, 1600000001500), ==, 1);
	cl = make_log(700, 13, "after v3");
	is_int(store_add_message(st, &cl), ==, 0);
	store_close(st);

	st = store_open(NULL, path);
	if (!ok(st != NULL, "the migrated version 2 store opens again"))
		goto end;
	is_int(raw_int(path, "PRAGMA user_version"), ==, STORE_SCHEMA_VERSION);
	ts = -1;
	is_int(store_get_read_marker(st, 700, &ts), ==, 1);
	ok(ts == 1600000001500, "the marker set after the migration is kept");
	is_int(store_count_messages(st, 700), ==, 3);
end:
	store_close(st);
	free(path);
}

/* Read markers: none at first, forward only (equal and older are
 * no-ops), per chat, exact milliseconds, uncommitted ones readable. */
static void
test_read_markers(struct store *st, const char *path)
{
	int64_t ts = -1;

	is_int(store_get_read_marker(st, 80, &ts), ==, 0);
	ok(ts == -1, "no marker leaves *ts_ms alone");
	is_int(store_set_read_marker(st, 80, 1700000000123), ==, 1);
	is_int(store_get_read_marker(st, 80, &ts), ==, 1);
	ok(ts == 1700000000123, "the marker reads back exactly");
	is_int(store_set_read_marker(st, 80, 1700000000122), ==, 0);
	is_int(store_set_read_marker(st, 80, 1700000000123), ==, 0);
	is_int(store_get_read_marker(st, 80, &ts), ==, 1);
	ok(ts == 1700000000123, "an older or equal marker does not move it");
	is_int(store_set_read_marker(st, 80, 1700000000124), ==, 1);
	is_int(store_get_read_marker(st, 80, &ts), ==, 1);
	ok(ts == 1700000000124, "a later marker moves it by 1 ms");
	/* Another chat is separate, and needs no chat row. */
	is_int(store_get_read_marker(st, 8080, &ts), ==, 0);
	is_int(store_set_read_marker(st, 8080, 5), ==, 1);
	is_int(store_get_read_marker(st, 8080, &ts), ==, 1);
	ok(ts == 5, "chat 8080's marker is its own");
	is_int(store_get_read_marker(st, 80, &ts), ==, 1);
	ok(ts == 1700000000124, "and chat 80's is unchanged");
	ok(!find_chat(st, 8080).found, "a marker creates no chat row");
	is_int(store_flush(st), ==, 0);
	is_int(raw_int(path,
	           "SELECT ts_ms FROM read_markers"
	           " WHERE chat_id = 80"),
	    ==, 1700000000124);
	is_int(raw_int(path, "SELECT count(*) FROM read_markers"), ==, 2);
}

/* Finding a log id by time: seconds, ties, gaps, unknown chats, and a
 * sendAt out of log-id order (the highest log id still wins). */
static void
test_find_log_at(struct store *st)
{
	/* log id, send_at */
	static const int64_t rows[][2] = {{1, 100}, {2, 100}, {3, 105},
	    {5, 105}, {7, 110}, {8, 103}};
	static const int64_t want[][2] = {{0, 0}, {99, 0}, {100, 2}, {102, 2},
	    {103, 8}, {104, 8}, {105, 8}, {109, 8}, {110, 8}, {INT64_MAX, 8},
	    {INT64_MIN, 0}};
	struct loco_chatlog cl;
	int64_t log_id;
	bool good = true;
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		cl = make_log(90, rows[i][0], "timed");
		cl.send_at = rows[i][1];
		is_int(store_add_message(st, &cl), ==, 0);
	}
	/* Without 8 (sent "before" 7): ties and gaps. Uncommitted yet. */
	is_int(store_find_log_at(st, 90, 100, &log_id), ==, 0);
	is_int(log_id, ==, 2);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		log_id = -1;
		if (store_find_log_at(st, 90, want[i][0], &log_id) != 0 ||
		    log_id != want[i][1]) {
			diag("at %" PRId64 ": got %" PRId64 ", want %" PRId64,
			    want[i][0], log_id, want[i][1]);
			good = false;
		}
	}
	ok(good, "each time maps to the highest log id sent at or before it");
	is_int(store_flush(st), ==, 0);

	/* A plain ascending chat: the last of a tie. */
	for (i = 1; i <= 6; i++) {
		cl = make_log(91, (int64_t)i, "tied");
		cl.send_at = 200 + (int64_t)(i - 1) / 2; /* 200,200,201,... */
		is_int(store_add_message(st, &cl), ==, 0);
	}
	is_int(store_find_log_at(st, 91, 200, &log_id), ==, 0);
	is_int(log_id, ==, 2);
	is_int(store_find_log_at(st, 91, 201, &log_id), ==, 0);
	is_int(log_id, ==, 4);
	is_int(store_find_log_at(st, 91, 199, &log_id), ==, 0);
	is_int(log_id, ==, 0);
	log_id = -1;
	is_int(store_find_log_at(st, 9191, 1000, &log_id), ==, 0);
	ok(log_id == 0, "an unknown chat gives 0");
	is_int(store_flush(st), ==, 0);
}

/* The walk before a log id: newest first cut, ascending out, limits,
 * bounds exclusive, INT64_MAX for the newest, stopping early. */
static void
test_before(struct store *st)
{
	struct seen_messages seen;
	struct loco_chatlog cl;
	bool asc = true;
	size_t k;

	/* Chat 40 holds 1..25 (test_foreach). */
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 40, INT64_MAX, 5, messages_cb,
	           &seen),
	    ==, 0);
	is_uint(seen.n, ==, 5);
	for (k = 0; k < seen.n && k < 5; k++)
		asc = asc && seen.log_id[k] == 21 + (int64_t)k;
	ok(asc, "INT64_MAX, limit 5 gives 21..25, ascending");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 40, 10, 3, messages_cb, &seen),
	    ==, 0);
	ok(seen.n == 3 && seen.log_id[0] == 7 && seen.log_id[1] == 8 &&
	        seen.log_id[2] == 9,
	    "before 10, limit 3 gives 7..9 (10 excluded)");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 40, 3, 10, messages_cb, &seen),
	    ==, 0);
	ok(seen.n == 2 && seen.log_id[0] == 1 && seen.log_id[1] == 2,
	    "a limit above what is left gives what is left");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 40, 1, 10, messages_cb, &seen),
	    ==, 0);
	is_uint(seen.n, ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 40, INT64_MIN, 10, messages_cb,
	           &seen),
	    ==, 0);
	is_uint(seen.n, ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 40, INT64_MAX, 0, messages_cb,
	           &seen),
	    ==, 0);
	ok(seen.n == 0, "limit 0 hands out nothing");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 40, 1000, SIZE_MAX, messages_cb,
	           &seen),
	    ==, 0);
	ok(seen.n == 25 && seen.log_id[0] == 1 && seen.log_id[24] == 25,
	    "SIZE_MAX gives all, ascending");
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 2;
	is_int(store_foreach_message_before(st, 40, 20, 5, messages_cb, &seen),
	    ==, 0);
	ok(seen.n == 2 && seen.log_id[0] == 15 && seen.log_id[1] == 16,
	    "the callback stops the before walk");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 4040, INT64_MAX, 5, messages_cb,
	           &seen),
	    ==, 0);
	is_uint(seen.n, ==, 0);
	/* Gaps in log ids, deleted messages (handed out, marked), and
	 * uncommitted rows. */
	cl = make_log(92, 10, "ten");
	is_int(store_add_message(st, &cl), ==, 0);
	cl = make_log(92, 30, "thirty");
	is_int(store_add_message(st, &cl), ==, 0);
	cl = make_log(92, 50, "fifty");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(store_mark_deleted(st, 92, 30), ==, 0);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 92, 50, 1, messages_cb, &seen),
	    ==, 0);
	ok(seen.n == 1 && seen.log_id[0] == 30 && seen.last.deleted &&
	        seen.last.chat_id == 92,
	    "the row below a gap, deleted and uncommitted, is handed out");
	is_str(seen.text, "thirty");
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 92, 31, 5, messages_cb, &seen),
	    ==, 0);
	ok(seen.n == 2 && seen.log_id[0] == 10 && seen.log_id[1] == 30,
	    "a bound inside a gap");
	is_int(store_flush(st), ==, 0);
}

/* Schema-3 data survives a reopen. */
static void
test_reopen_schema3(const char *path)
{
	struct store *st;
	struct seen_messages seen;
	int64_t ts = 0, log_id = 0;

	st = store_open(NULL, path);
	if (!ok(st != NULL, "the store opens again for schema 3"))
		return;
	is_int(store_get_read_marker(st, 80, &ts), ==, 1);
	ok(ts == 1700000000124, "the read marker is kept");
	is_int(store_find_log_at(st, 91, 201, &log_id), ==, 0);
	is_int(log_id, ==, 4);
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message_before(st, 92, INT64_MAX, 2, messages_cb,
	           &seen),
	    ==, 0);
	ok(seen.n == 2 && seen.log_id[0] == 30 && seen.log_id[1] == 50,
	    "the before walk after a reopen");
	store_close(st);
}

/* One commit per loop iteration, reported once, never inside a write. */
static void
test_batching(void)
{
	char *path = tmp_path("batch.db");
	struct event_base *base;
	struct store *st;
	struct store_stats s0, s1;
	struct loco_chatlog cl;
	char text[32];
	int64_t i;
	int fails = 0, left = 1;

	base = event_base_new();
	st = store_open(base, path);
	if (!ok(st != NULL && base != NULL, "store with an event base"))
		goto end;
	store_set_commit_cb(st, commit_cb, NULL);
	commit_calls = 0;

	for (i = 1; i <= 500; i++) {
		snprintf(text, sizeof text, "m%" PRId64, i);
		cl = make_log(5, i, text);
		fails += store_add_message(st, &cl) != 0;
	}
	is_int(fails, ==, 0);
	is_uint(commit_calls, ==, 0);
	is_int(raw_int(path, "SELECT count(*) FROM messages"), ==, 0);
	is_int(event_base_loop(base, EVLOOP_ONCE), ==, 0);
	is_uint(commit_calls, ==, 1);
	is_int(raw_int(path, "SELECT count(*) FROM messages"), ==, 500);
	is_int(raw_int(path, "SELECT cursor FROM chats WHERE chat_id = 5"), ==,
	    500);
	event_base_loop(base, EVLOOP_ONCE);
	is_uint(commit_calls, ==, 1);

	/* 10,000 messages in one burst: STORE_BATCH_MAX per transaction,
	 * one callback when the burst is over. */
	store_get_stats(st, &s0);
	commit_calls = 0;
	for (i = 501; i <= 10500; i++) {
		snprintf(text, sizeof text, "m%" PRId64, i);
		cl = make_log(5 + i % 2, i, text);
		fails += store_add_message(st, &cl) != 0;
	}
	is_int(fails, ==, 0);
	is_uint(commit_calls, ==, 0);
	store_get_stats(st, &s1);
	is_int(s1.commits - s0.commits, ==, 10000 / STORE_BATCH_MAX);
	is_int(s1.messages_added - s0.messages_added, ==, 10000);
	event_base_loop(base, EVLOOP_ONCE);
	is_uint(commit_calls, ==, 1);
	store_get_stats(st, &s1);
	is_int(s1.commits - s0.commits, ==, 10000 / STORE_BATCH_MAX);
	is_int(raw_int(path, "SELECT count(*) FROM messages"), ==, 10500);
	is_int(raw_int(path, "SELECT cursor FROM chats WHERE chat_id = 6"), ==,
	    10499);

	/* store_flush commits now, reports at once, and cancels the timer;
	 * with nothing pending it reports nothing. */
	commit_calls = 0;
	is_int(store_flush(st), ==, 0);
	is_uint(commit_calls, ==, 0);
	cl = make_log(5, 20000, "flushed");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(store_flush(st), ==, 0);
	is_uint(commit_calls, ==, 1);
	is_int(raw_int(path, "SELECT cursor FROM chats WHERE chat_id = 5"), ==,
	    20000);
	event_base_loop(base, EVLOOP_ONCE);
	is_uint(commit_calls, ==, 1);

	/* The callback may write; that write is the next batch. */
	store_set_commit_cb(st, commit_write_cb, &left);
	commit_calls = 0;
	cl = make_log(9, 1, "start");
	is_int(store_add_message(st, &cl), ==, 0);
	event_base_loop(base, EVLOOP_ONCE);
	is_uint(commit_calls, ==, 1);
	is_int(raw_int(path, "SELECT count(*) FROM messages WHERE chat_id = 9"),
	    ==, 1);
	event_base_loop(base, EVLOOP_ONCE);
	is_uint(commit_calls, ==, 2);
	is_int(raw_int(path, "SELECT count(*) FROM messages WHERE chat_id = 9"),
	    ==, 2);
	event_base_loop(base, EVLOOP_ONCE);
	is_uint(commit_calls, ==, 2);

	/* Closing commits what is pending without calling back. */
	cl = make_log(9, 5000, "at close");
	is_int(store_add_message(st, &cl), ==, 0);
end:
	store_close(st);
	is_uint(commit_calls, ==, 2);
	is_int(raw_int(path, "SELECT count(*) FROM messages WHERE chat_id = 9"),
	    ==, 3);
	if (base != NULL)
		event_base_free(base);
	free(path);
}

/* A write that cannot begin (another process holds the write lock) fails
 * cleanly, and the next write starts a new transaction. */
static void
test_busy(void)
{
	char *path = tmp_path("busy.db");
	struct store *st;
	struct loco_chatlog cl;
	sqlite3 *other = NULL;
	bool found;

	st = store_open(NULL, path);
	if (!ok(st != NULL, "store for the lock test"))
		goto end;
	ok(sqlite3_open(path, &other) == SQLITE_OK &&
	        sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	            SQLITE_OK,
	    "another connection holds the write lock");
	cl = make_log(1, 1, "blocked");
	is_int(store_add_message(st, &cl), ==, -1);
	ok(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL) == SQLITE_OK,
	    "the other connection lets go");
	cl = make_log(1, 2, "goes through");
	is_int(store_add_message(st, &cl), ==, 0);
	is_int(store_flush(st), ==, 0);
	is_int(store_count_messages(st, 1), ==, 1);
	is_int(cursor_of(st, 1, &found), ==, 2);
end:
	sqlite3_close(other);
	store_close(st);
	free(path);
}

/* Counts store_set_fail_cb calls. */
static void
fail_count_cb(struct store *st, void *arg)
{
	(void)st;
	(*(int *)arg)++;
}

/*
 * In a child (the limit applies to the whole process, stdout included):
 * commit one message, then lower the file size limit to the WAL's size so
 * the next commit cannot write, then lift it: the store is broken and
 * refuses writes (so no cursor moves past the lost batch) until it is
 * reopened. Returns the number of the first step that went wrong, 0 when
 * all went as expected.
 */
static int
commit_failure_child(const char *path)
{
	int fails = 0;
	char *wal = xasprintf("%s-wal", path);
	char *big = xmalloc(65536);
	struct store *st;
	struct store_stats stats;
	struct loco_chatlog cl;
	struct rlimit old, low;
	struct stat sb;
	int rc = 0;

	memset(big, 'z', 65535);
	big[65535] = '\0';
	signal(SIGXFSZ, SIG_IGN);
	if ((st = store_open(NULL, path)) == NULL)
		return 1;
	store_set_fail_cb(st, fail_count_cb, &fails);
	cl = make_log(3, 1, "one");
	if (store_add_message(st, &cl) != 0 || store_flush(st) != 0)
		rc = 2;
	else if (stat(wal, &sb) != 0 || getrlimit(RLIMIT_FSIZE, &old) != 0)
		rc = 3;
	if (rc != 0)
		goto out;
	low = old;
	low.rlim_cur = (rlim_t)sb.st_size;
	if (setrlimit(RLIMIT_FSIZE, &low) != 0) {
		rc = 4;
		goto out;
	}
	cl = make_log(3, 2, big);
	if (store_add_message(st, &cl) != 0)
		rc = 5;
	else if (store_flush(st) != -1)
		rc = 6;
	if (setrlimit(RLIMIT_FSIZE, &old) != 0 && rc == 0)
		rc = 7;
	if (rc != 0)
		goto out;
	store_get_stats(st, &stats);
	if (stats.failed != 1 || fails != 1)
		rc = 8;
	cl = make_log(3, 3, "three");
	if (rc == 0 && store_add_message(st, &cl) != -1)
		rc = 9;
	store_close(st);
	if (rc == 0 && (st = store_open(NULL, path)) == NULL)
		return 10;
	if (rc == 0 &&
	    (store_add_message(st, &cl) != 0 || store_flush(st) != 0))
		rc = 11;
	if (rc == 0 && store_count_messages(st, 3) != 2)
		rc = 12;
out:
	store_close(st);
	free(big);
	free(wal);
	return rc;
}

/* A failed commit is rolled back, the store refuses writes until it is
 * reopened, and a reopened store starts afresh. */
static void
test_commit_failure(void)
{
	char *path = tmp_path("full.db");
	struct store *st;
	struct seen_messages seen;
	pid_t pid;
	int status = 0;
	char *check;

	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(commit_failure_child(path));
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	    "the commit-failure child ran");
	is_int(WEXITSTATUS(status), ==, 0);
	st = store_open(NULL, path);
	if (!ok(st != NULL, "the store opens after a failed commit"))
		goto end;
	memset(&seen, 0, sizeof seen);
	is_int(store_foreach_message(st, 3, 0, 0, messages_cb, &seen), ==, 0);
	ok(seen.n == 2 && seen.log_id[0] == 1 && seen.log_id[1] == 3,
	    "the failed batch is gone, the next one is there");
	check = raw_text(path, "PRAGMA integrity_check");
	is_str(check, "ok");
	free(check);
end:
	store_close(st);
	free(path);
}

/*
 * The crash-test child: resume each chat above its stored cursor, write
 * bursts of random size (some above STORE_BATCH_MAX, with duplicates
 * mixed in), let the event loop commit, and report what is committed.
 * Progress notes in the middle of a burst and just before the commit let
 * the parent's kill land anywhere, the commit included. Runs until killed.
 */
static void
crash_child(const char *path, int fd, unsigned seed)
{
	struct event_base *base;
	struct store *st;
	struct crash_report r;
	struct loco_chatlog cl;
	struct loco_engine_chat c;
	bool found;
	char text[64];
	int64_t next[3];
	int k, i, n, note;

	srand(seed);
	base = event_base_new();
	if (base == NULL || (st = store_open(base, path)) == NULL)
		_exit(2);
	memset(&r, 0, sizeof r);
	for (k = 0; k < 3; k++) {
		next[k] = cursor_of(st, crash_chats[k], &found) + 1;
		if (!found)
			next[k] = 1;
		r.cursor[k] = next[k] - 1;
	}
	for (;;) {
		n = 1 + rand() % 2500;
		note = rand() % n;
		for (i = 0; i < n; i++) {
			k = rand() % 3;
			snprintf(text, sizeof text, "chat %d message %" PRId64,
			    k, next[k]);
			cl = make_log(crash_chats[k], next[k], text);
			if (rand() % 16 == 0 && next[k] > 1) {
				/* A duplicate, as after a reconnect. */
				cl.log_id = next[k] - 1 - rand() % next[k];
			} else
				next[k]++;
			if (store_add_message(st, &cl) != 0)
				_exit(3);
			if (rand() % 64 == 0) {
				memset(&c, 0, sizeof c);
				c.chat_id = crash_chats[k];
				c.type = LOCO_CHAT_MULTI;
				c.last_log_id = next[k] - 1;
				if (store_put_chat(st, &c) != 0 ||
				    store_set_read(st, c.chat_id, 1,
				        next[k] - 1) != 0)
					_exit(4);
			}
			if (i == note) {
				r.committed = 0;
				if (write(fd, &r, sizeof r) !=
				    (ssize_t)sizeof r)
					_exit(6);
			}
		}
		r.committed = 0;
		if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
			_exit(6);
		if (event_base_loop(base, EVLOOP_NONBLOCK) == -1)
			_exit(5);
		r.committed = 1;
		for (k = 0; k < 3; k++)
			r.cursor[k] = next[k] - 1;
		if (write(fd, &r, sizeof r) != (ssize_t)sizeof r)
			_exit(6);
	}
}

/* After a kill: the file is sound, and for each chat the cursor is its
 * largest log id, all of 1..cursor are there, and nothing reported
 * committed was lost. */
static void
crash_check(const char *path, const struct crash_report *r)
{
	struct store *st;
	char *check, *sql;
	bool found;
	int64_t cur;
	int k;

	st = store_open(NULL, path);
	if (!ok(st != NULL, "the store opens after SIGKILL"))
		return;
	check = raw_text(path, "PRAGMA integrity_check");
	is_str(check, "ok");
	free(check);
	is_int(raw_int(path,
	           "SELECT count(*) FROM messages AS m"
	           " JOIN chats AS c USING (chat_id)"
	           " WHERE m.log_id > c.cursor"),
	    ==, 0);
	is_int(raw_int(path,
	           "SELECT count(*) FROM chats AS c WHERE cursor <>"
	           " (SELECT coalesce(max(log_id), 0) FROM messages"
	           "  WHERE chat_id = c.chat_id)"),
	    ==, 0);
	for (k = 0; k < 3; k++) {
		cur = cursor_of(st, crash_chats[k], &found);
		if (!found)
			cur = 0;
		if (!ok(cur >= r->cursor[k],
		        "chat %d: cursor %" PRId64 " >= committed %" PRId64, k,
		        cur, r->cursor[k]))
			continue;
		sql = xasprintf("SELECT count(*) = %" PRId64 " AND"
		                " coalesce(min(log_id), 1) = 1 FROM messages"
		                " WHERE chat_id = %" PRId64,
		    cur, crash_chats[k]);
		ok(raw_int(path, sql) == 1,
		    "chat %d: every log id 1..%" PRId64 " is stored once", k,
		    cur);
		free(sql);
	}
	store_close(st);
}

/* Kill a writing child at random moments, three times over one file. */
static void
test_crash(void)
{
	char *path = tmp_path("crash.db");
	struct crash_report r, last;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	int round, fds[2], status = 0, want, got;
	ssize_t nr;
	size_t have;
	pid_t pid;

	diag("crash test seed %u", seed);
	srand(seed);
	for (round = 0; round < 3; round++) {
		if (!ok(pipe(fds) == 0, "pipe"))
			break;
		fflush(stdout);
		if ((pid = fork()) == 0) {
			close(fds[0]);
			crash_child(path, fds[1], seed + (unsigned)round);
		}
		close(fds[1]);
		want = 1 + rand() % 120;
		memset(&last, 0, sizeof last);
		for (got = 0; got < want; got++) {
			for (have = 0; have < sizeof r; have += (size_t)nr) {
				nr = read(fds[0], (char *)&r + have,
				    sizeof r - have);
				if (nr <= 0 && !(nr < 0 && errno == EINTR))
					break;
				if (nr < 0)
					nr = 0;
			}
			if (have != sizeof r)
				break;
			if (r.committed)
				last = r;
		}
		/* The child keeps writing while we decide: the kill lands
		 * anywhere in a burst or a commit. */
		if (pid > 0)
			kill(pid, SIGKILL);
		close(fds[0]);
		ok(pid > 0 && waitpid(pid, &status, 0) == pid &&
		        WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		    "round %d: child killed after %d reports", round, got);
		if (!is_int(got, ==, want))
			break;
		crash_check(path, &last);
	}
	free(path);
}

int
main(void)
{
	char *path;
	struct store *st;

	tap_init(0);
	test_open();
	test_refuse();
	test_migrate_v1();
	test_migrate_rollback();
	test_migrate_v2();

	path = tmp_path("main.db");
	st = store_open(NULL, path);
	if (ok(st != NULL, "main store opens")) {
		test_login_state(st);
		test_chats(st);
		test_members(st);
		test_messages(st, path);
		test_foreach(st);
		test_names(st, path);
		test_client_cursors(st, path);
		test_settings(st, path);
		test_batch_schema2(st, path);
		test_get_message(st, path);
		test_tail(st);
		test_nested_walks(st);
		test_walk_early_stop(st, path);
		test_users(st);
		test_read_markers(st, path);
		test_find_log_at(st);
		test_before(st);
		store_close(st);
		test_reopen(path);
		test_reopen_schema2(path);
		test_reopen_schema3(path);
	}
	free(path);

	test_batching();
	test_busy();
	test_commit_failure();
	test_crash();
	return done_testing();
}
