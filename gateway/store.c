/* locoirc: see LICENSE.
 *
 * The SQLite store behind store.h: one connection in WAL mode, a schema
 * built by an ordered list of migrations keyed by PRAGMA user_version, and
 * write batching (every write joins one BEGIN IMMEDIATE transaction that a
 * zero-timeout timer commits at the end of the event-loop iteration). It
 * sees LOCO only through the engine's plain structs: no BSON, no sockets.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "log.h"
#include "loco-msgtype.h"
#include "xmalloc.h"
#include "store.h"

/*
 * How long a statement waits for a lock another process holds (the sqlite3
 * shell, a backup) before failing. It blocks the event loop, so it is short;
 * locoircd itself is the only regular user of the file.
 */
#define STORE_BUSY_TIMEOUT_MS 2000

/*
 * Version 1, the initial schema. Ids are INTEGER (SQLite keeps 64-bit
 * integers exactly), strings TEXT in UTF-8. The trigger is what ties a
 * message to its chat's cursor: it runs inside the INSERT statement, so the
 * row and the cursor move are one atomic statement inside the batch and
 * can never be committed apart. Members, messages, reactions and reads are
 * WITHOUT ROWID tables keyed by what they are looked up by. login_state
 * holds no secret: the access token stays in the config file.
 */
static const char store_schema_v1[] =
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

/*
 * Version 2: what the IRC side keeps across restarts. names holds the IRC
 * nick or channel name bridge-names gave each Kakao id, so that a name
 * stays the same for a user's clients after a restart; client_cursors is
 * how far each IRC client (by the @client part of its login) has been
 * sent, so a client that attaches again gets only what it missed;
 * settings is for small gateway values that have no table of their own.
 * No foreign keys: a name or client cursor may outlive its chat row, and
 * none of them may block deleting one.
 */
static const char store_schema_v2[] =
    "CREATE TABLE names ("
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

/*
 * Version 3: read markers (draft/read-marker), one per chat, in the
 * client's milliseconds rather than as a log id: a client expects back
 * exactly the timestamp it set, and sendAt has only seconds. No foreign
 * key, as in version 2: a marker must not block deleting its chat.
 */
static const char store_schema_v3[] = "CREATE TABLE read_markers ("
                                      " chat_id INTEGER PRIMARY KEY,"
                                      " ts_ms INTEGER NOT NULL);";

/* One schema step: applying sql to version - 1 gives version. */
struct store_migration {
	int version;
	const char *sql;
};

/* In order, one per version; append, never edit a released step. */
static const struct store_migration store_migrations[] = {
    {1, store_schema_v1},
    {2, store_schema_v2},
    {3, store_schema_v3},
};

_Static_assert(sizeof store_migrations / sizeof store_migrations[0] ==
        STORE_SCHEMA_VERSION,
    "one migration per schema version");

/* The columns of a message row, in the order store_message_row reads. */
#define STORE_MSG_COLUMNS                                                      \
	"log_id, prev_id, author_id, type, send_at, msg_id, text,"             \
	" attachment, deleted"

/* The cached statements; store_sql holds their text. */
enum store_stmt {
	STORE_BEGIN,
	STORE_COMMIT,
	STORE_ROLLBACK,
	STORE_SAVEPOINT,
	STORE_RELEASE,
	STORE_UNDO,
	STORE_LOGIN_GET,
	STORE_LOGIN_SET,
	STORE_CHAT_ENSURE,
	STORE_CHAT_PUT,
	STORE_CHAT_GONE,
	STORE_USER_PUT,
	STORE_NICK_GET,
	STORE_MEMBERS_CLEAR,
	STORE_MEMBER_PUT,
	STORE_MEMBER_DEL,
	STORE_MSG_ADD,
	STORE_MSG_DELETED,
	STORE_REACTION_PUT,
	STORE_READ_PUT,
	STORE_COUNT_CHAT,
	STORE_COUNT_ALL,
	STORE_MSG_GET,
	STORE_MSG_WALK,
	STORE_MSG_TAIL,
	STORE_NAME_PUT,
	STORE_CLIENT_CURSOR_PUT,
	STORE_CLIENT_HAS,
	STORE_SETTING_GET,
	STORE_SETTING_SET,
	STORE_MARKER_SET,
	STORE_MARKER_GET,
	STORE_READ_GET,
	STORE_LOG_AT,
	STORE_MSG_BEFORE,
	STORE_NSTMT
};

static const char *const store_sql[STORE_NSTMT] = {
    [STORE_BEGIN] = "BEGIN IMMEDIATE",
    [STORE_COMMIT] = "COMMIT",
    [STORE_ROLLBACK] = "ROLLBACK",
    [STORE_SAVEPOINT] = "SAVEPOINT store_write",
    [STORE_RELEASE] = "RELEASE store_write",
    [STORE_UNDO] = "ROLLBACK TO store_write",
    [STORE_LOGIN_GET] = "SELECT revision, last_token_id, lbk"
                        " FROM login_state WHERE id = 1",
    [STORE_LOGIN_SET] = "INSERT OR REPLACE INTO login_state"
                        " (id, revision, last_token_id, lbk)"
                        " VALUES (1, ?1, ?2, ?3)",
    [STORE_CHAT_ENSURE] = "INSERT OR IGNORE INTO chats (chat_id) VALUES (?1)",
    [STORE_CHAT_PUT] =
        "INSERT INTO chats (chat_id, type, title, notice, link_id,"
        " active_members, last_log_id, read_watermark, gone)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)"
        " ON CONFLICT (chat_id) DO UPDATE SET"
        " type = CASE excluded.type WHEN '' THEN type"
        "  ELSE excluded.type END,"
        " title = coalesce(excluded.title, title),"
        " notice = coalesce(excluded.notice, notice),"
        " link_id = CASE excluded.link_id WHEN 0 THEN link_id"
        "  ELSE excluded.link_id END,"
        " active_members = excluded.active_members,"
        " last_log_id = max(last_log_id, excluded.last_log_id),"
        " read_watermark = max(read_watermark, excluded.read_watermark),"
        " gone = 0",
    [STORE_CHAT_GONE] = "UPDATE chats SET gone = 1 WHERE chat_id = ?1",
    [STORE_USER_PUT] =
        "INSERT INTO users (user_id, nickname, country_iso,"
        " profile_image_url, status_message) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT (user_id) DO UPDATE SET"
        " nickname = coalesce(excluded.nickname, nickname),"
        " country_iso = coalesce(excluded.country_iso, country_iso),"
        " profile_image_url = coalesce(excluded.profile_image_url,"
        "  profile_image_url),"
        " status_message = coalesce(excluded.status_message,"
        "  status_message)",
    [STORE_NICK_GET] = "SELECT nickname FROM users WHERE user_id = ?1",
    [STORE_MEMBERS_CLEAR] = "DELETE FROM members WHERE chat_id = ?1",
    [STORE_MEMBER_PUT] = "INSERT INTO members (chat_id, user_id, nickname)"
                         " VALUES (?1, ?2, ?3)"
                         " ON CONFLICT (chat_id, user_id) DO UPDATE SET"
                         " nickname = coalesce(excluded.nickname, nickname)",
    [STORE_MEMBER_DEL] = "DELETE FROM members"
                         " WHERE chat_id = ?1 AND user_id = ?2",
    [STORE_MSG_ADD] =
        "INSERT OR IGNORE INTO messages (chat_id, log_id, prev_id,"
        " author_id, type, send_at, msg_id, text, attachment, deleted)"
        " SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
        " WHERE ?2 > (SELECT cursor FROM chats WHERE chat_id = ?1)",
    [STORE_MSG_DELETED] = "UPDATE messages SET deleted = 1"
                          " WHERE chat_id = ?1 AND log_id = ?2",
    [STORE_REACTION_PUT] = "INSERT INTO reactions"
                           " (chat_id, log_id, user_id, type)"
                           " VALUES (?1, ?2, ?3, ?4)"
                           " ON CONFLICT (chat_id, log_id, user_id)"
                           " DO UPDATE SET type = excluded.type",
    [STORE_READ_PUT] = "INSERT INTO reads (chat_id, user_id, watermark)"
                       " VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (chat_id, user_id) DO UPDATE SET"
                       " watermark = max(watermark, excluded.watermark)",
    [STORE_COUNT_CHAT] = "SELECT count(*) FROM messages WHERE chat_id = ?1",
    [STORE_COUNT_ALL] = "SELECT count(*) FROM messages",
    [STORE_MSG_GET] = "SELECT " STORE_MSG_COLUMNS " FROM messages"
                      " WHERE chat_id = ?1 AND log_id = ?2",
    [STORE_MSG_WALK] = "SELECT " STORE_MSG_COLUMNS " FROM messages"
                       " WHERE chat_id = ?1 AND log_id > ?2"
                       " ORDER BY log_id LIMIT ?3",
    [STORE_MSG_TAIL] = "SELECT " STORE_MSG_COLUMNS " FROM"
                       " (SELECT " STORE_MSG_COLUMNS " FROM messages"
                       "  WHERE chat_id = ?1 ORDER BY log_id DESC LIMIT ?2)"
                       " ORDER BY log_id",
    [STORE_NAME_PUT] = "INSERT OR REPLACE INTO names (kind, id, name)"
                       " VALUES (?1, ?2, ?3)",
    [STORE_CLIENT_CURSOR_PUT] =
        "INSERT INTO client_cursors (client, chat_id, log_id)"
        " VALUES (?1, ?2, ?3)"
        " ON CONFLICT (client, chat_id) DO UPDATE SET"
        " log_id = max(log_id, excluded.log_id)",
    [STORE_CLIENT_HAS] = "SELECT EXISTS (SELECT 1 FROM client_cursors"
                         " WHERE client = ?1)",
    [STORE_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
    [STORE_SETTING_SET] = "INSERT OR REPLACE INTO settings (key, value)"
                          " VALUES (?1, ?2)",
    /* The WHERE makes an older marker a no-op, so changes() says
     * whether it moved. */
    [STORE_MARKER_SET] = "INSERT INTO read_markers (chat_id, ts_ms)"
                         " VALUES (?1, ?2)"
                         " ON CONFLICT (chat_id) DO UPDATE SET"
                         " ts_ms = excluded.ts_ms"
                         " WHERE excluded.ts_ms > ts_ms",
    [STORE_MARKER_GET] = "SELECT ts_ms FROM read_markers WHERE chat_id = ?1",
    [STORE_READ_GET] = "SELECT watermark FROM reads"
                       " WHERE chat_id = ?1 AND user_id = ?2",
    /* Walking the primary key down from the newest stops at the first
     * match, which is the answer: cheap for recent times (the usual
     * question) without an index on send_at, and exact even where
     * send_at is not monotonic in log id. */
    [STORE_LOG_AT] = "SELECT log_id FROM messages"
                     " WHERE chat_id = ?1 AND send_at <= ?2"
                     " ORDER BY log_id DESC LIMIT 1",
    [STORE_MSG_BEFORE] = "SELECT " STORE_MSG_COLUMNS " FROM"
                         " (SELECT " STORE_MSG_COLUMNS " FROM messages"
                         "  WHERE chat_id = ?1 AND log_id < ?2"
                         "  ORDER BY log_id DESC LIMIT ?3)"
                         " ORDER BY log_id",
};

struct store {
	sqlite3 *db;
	char *path;
	struct event *commit_ev; /* zero-timeout timer; NULL without a base */
	sqlite3_stmt *stmt[STORE_NSTMT]; /* prepared on first use */
	bool in_txn;                     /* a batch is open */
	unsigned batch;                  /* writes in the open batch */
	bool unreported; /* committed since the commit callback last ran */
	store_commit_cb commit_cb;
	void *commit_arg;
	/* A batch was lost: refuse every later write, so no cursor can move
	 * past the lost messages (the owner restarts and refetches). */
	bool broken;
	store_fail_cb fail_cb;
	void *fail_arg;
	struct store_stats stats;
};

static void store_break(struct store *st);

static void store_commit_timer_cb(evutil_socket_t fd, short what, void *arg);

/* Run sql (one or more statements, no rows wanted) directly. */
static int
store_exec(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	log_warnx("cannot %s in store '%s': %s", what, st->path,
	    msg != NULL ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

/* Read one integer from a single-row query such as a PRAGMA. */
static int
store_query_int(struct store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		goto fail;
	if ((rc = sqlite3_step(s)) != SQLITE_ROW)
		goto fail;
	*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
fail:
	log_warnx("cannot read '%s' from store '%s': %s", sql, st->path,
	    sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return -1;
}

/* The cached statement id, prepared on first use. */
static sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt id)
{
	if (st->stmt[id] == NULL &&
	    sqlite3_prepare_v3(st->db, store_sql[id], -1,
	        SQLITE_PREPARE_PERSISTENT, &st->stmt[id], NULL) != SQLITE_OK) {
		log_warnx("cannot prepare store statement %d: %s", (int)id,
		    sqlite3_errmsg(st->db));
		st->stmt[id] = NULL;
	}
	return st->stmt[id];
}

/*
 * The cached statement id for a read whose callback may read the store
 * again: a statement runs one query at a time, so when the callback
 * re-enters the same read while the cached one is mid-step, a one-off copy
 * is prepared instead (*own true). Give it back with store_stmt_done.
 */
static sqlite3_stmt *
store_stmt_nested(struct store *st, enum store_stmt id, bool *own)
{
	sqlite3_stmt *s;

	*own = false;
	if ((s = store_stmt(st, id)) == NULL || !sqlite3_stmt_busy(s))
		return s;
	if (sqlite3_prepare_v2(st->db, store_sql[id], -1, &s, NULL) !=
	    SQLITE_OK) {
		log_warnx("cannot prepare store statement %d: %s", (int)id,
		    sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		return NULL;
	}
	*own = true;
	return s;
}

/* Give back a statement from store_stmt_nested. */
static void
store_stmt_done(sqlite3_stmt *s, bool own)
{
	if (own) {
		sqlite3_finalize(s);
		return;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/*
 * Log a failed statement once and reset it. If SQLite rolled the whole
 * transaction back (it does on I/O errors, a full disk, no memory), the
 * batch is gone: say so and let the next write open a new one.
 */
static int
store_fail(struct store *st, sqlite3_stmt *s, const char *what)
{
	char msg[256];
	const char *lost = "";

	snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(st->db));
	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
	if (st->in_txn && sqlite3_get_autocommit(st->db)) {
		st->in_txn = false;
		st->batch = 0;
		st->stats.failed++;
		lost = " (the open batch was rolled back)";
	}
	log_warnx("cannot %s in store '%s': %s%s", what, st->path, msg, lost);
	if (*lost != '\0')
		store_break(st);
	return -1;
}

/*
 * End a walk over s from store_stmt_nested; rc is its last step's result.
 * The statement is reset whether the walk ran out, was stopped by its
 * callback or failed, so a cached one never holds its read open. Logs
 * before the reset, which would replace the message.
 */
static int
store_walk_done(struct store *st, sqlite3_stmt *s, bool own, int rc,
    const char *what)
{
	int ret = 0;

	if (rc != SQLITE_DONE)
		ret = store_fail(st, NULL, what);
	store_stmt_done(s, own);
	return ret;
}

/* Step s to completion (rows, if any, ignored) and reset it for reuse. */
static int
store_run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	rc = sqlite3_step(s);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, s, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return 0;
}

/* Roll back whatever transaction the connection holds; errors logged. */
static void
store_rollback(struct store *st)
{
	sqlite3_stmt *s;

	if (sqlite3_get_autocommit(st->db))
		return;
	if ((s = store_stmt(st, STORE_ROLLBACK)) != NULL)
		(void)store_run(st, s, "roll back");
}

/*
 * Commit the open batch, if any. A failed commit is logged and rolled back
 * so that the next write starts clean. The commit callback is not run here.
 */
static int
store_commit(struct store *st)
{
	sqlite3_stmt *s;
	char msg[256];
	unsigned lost;

	if (!st->in_txn)
		return 0;
	if ((s = store_stmt(st, STORE_COMMIT)) != NULL &&
	    sqlite3_step(s) == SQLITE_DONE) {
		sqlite3_reset(s);
		st->in_txn = false;
		st->batch = 0;
		st->stats.commits++;
		st->unreported = true;
		return 0;
	}
	snprintf(msg, sizeof msg, "%s", sqlite3_errmsg(st->db));
	if (s != NULL)
		sqlite3_reset(s);
	lost = st->batch;
	st->in_txn = false;
	st->batch = 0;
	st->stats.failed++;
	store_rollback(st);
	log_warnx("cannot commit store '%s': %s (%u writes rolled back)",
	    st->path, msg, lost);
	store_break(st);
	return -1;
}

/* Enter the broken state once and tell the owner. */
static void
store_break(struct store *st)
{
	if (st->broken)
		return;
	st->broken = true;
	if (st->fail_cb != NULL)
		st->fail_cb(st, st->fail_arg);
}

/*
 * Join the open batch, opening one when there is none and arming the
 * commit timer so that it commits at the end of this loop iteration.
 */
static int
store_begin(struct store *st)
{
	static const struct timeval now = {0, 0};
	sqlite3_stmt *s;

	if (st->in_txn)
		return 0;
	if (st->broken) {
		log_warnx("store '%s' lost a batch earlier; refusing writes "
		          "until restart",
		    st->path);
		return -1;
	}
	/* A rollback that failed earlier may have left one open. */
	store_rollback(st);
	if ((s = store_stmt(st, STORE_BEGIN)) == NULL ||
	    store_run(st, s, "begin a transaction") == -1)
		return -1;
	st->in_txn = true;
	st->batch = 0;
	if (st->commit_ev != NULL && !evtimer_pending(st->commit_ev, NULL))
		evtimer_add(st->commit_ev, &now);
	return 0;
}

/* Count one finished write; a full batch commits now. */
static int
store_wrote(struct store *st)
{
	if (!st->in_txn || ++st->batch < STORE_BATCH_MAX)
		return 0;
	return store_commit(st);
}

/* The zero-timeout timer: the loop iteration that wrote is over. */
static void
store_commit_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;

	(void)fd;
	(void)what;
	(void)store_flush(st);
}

/* Apply every migration above the file's version, each in a transaction. */
static int
store_migrate(struct store *st)
{
	const struct store_migration *m;
	char *sql;
	int64_t version;
	size_t i;
	int rc;

	for (i = 0; i < sizeof store_migrations / sizeof store_migrations[0];
	     i++) {
		m = &store_migrations[i];
		if (store_exec(st, "BEGIN IMMEDIATE", "begin a migration") ==
		    -1)
			return -1;
		/* Read inside the transaction: another process may have
		 * migrated while we were opening. */
		if (store_query_int(st, "PRAGMA user_version", &version) == -1)
			goto fail;
		if (version >= m->version) {
			if (store_exec(st, "COMMIT", "end a migration") == -1)
				goto fail;
			continue;
		}
		sql = xasprintf("%s;PRAGMA user_version = %d;", m->sql,
		    m->version);
		rc = store_exec(st, sql, "migrate the schema");
		free(sql);
		if (rc == -1 ||
		    store_exec(st, "COMMIT", "commit a migration") == -1)
			goto fail;
		log_info("store '%s': schema migrated to version %d", st->path,
		    m->version);
	}
	return 0;
fail:
	store_rollback(st);
	return -1;
}

/* Create path mode 0600 if it does not exist yet (SQLite would use 0644). */
static int
store_create_file(const char *path)
{
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("cannot open store '%s'", path);
		return -1;
	}
	close(fd);
	return 0;
}

struct store *
store_open(struct event_base *base, const char *path)
{
	struct store *st;
	char mode[16];
	sqlite3_stmt *s = NULL;
	int64_t version;

	if (store_create_file(path) == -1)
		return NULL;
	st = xcalloc(1, sizeof *st);
	st->path = xstrdup(path);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		log_warnx("cannot open store '%s': %s", path,
		    st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);

	/*
	 * The version is read first: it is the first real read of the file,
	 * so a file that is not a database fails here, and a newer database
	 * is refused before anything (the journal mode included) is changed.
	 */
	if (store_query_int(st, "PRAGMA user_version", &version) == -1)
		goto fail;
	if (version > STORE_SCHEMA_VERSION) {
		log_warnx("cannot open store '%s': its schema version %" PRId64
		          " is newer than this build's %d (downgrade refused)",
		    path, version, STORE_SCHEMA_VERSION);
		goto fail;
	}

	/*
	 * WAL with synchronous=NORMAL: a commit is written to the WAL without
	 * an fsync, which is durable across a crash or kill of the process
	 * (the data is in the OS's page cache) and consistent across a power
	 * loss, where only the last commits may roll back. That is enough
	 * here: a message and its cursor roll back together, so the engine
	 * fetches such messages from the server again; nothing in the store
	 * exists only locally except read marks, which only move forward.
	 */
	if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
	        NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		log_warnx("cannot set WAL mode on store '%s': %s", path,
		    sqlite3_errmsg(st->db));
		goto fail;
	}
	snprintf(mode, sizeof mode, "%s",
	    (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	s = NULL;
	if (strcmp(mode, "wal") != 0) {
		log_warnx("cannot set WAL mode on store '%s': journal mode "
		          "stays '%s'",
		    path, mode);
		goto fail;
	}
	if (store_exec(st,
	        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
	        "set pragmas") == -1)
		goto fail;
	if (store_migrate(st) == -1)
		goto fail;

	if (base != NULL)
		st->commit_ev = evtimer_new(base, store_commit_timer_cb, st);
	log_debug("%s: store '%s' open (SQLite %s, schema %d)", __func__, path,
	    sqlite3_libversion(), STORE_SCHEMA_VERSION);
	return st;
fail:
	sqlite3_finalize(s);
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	if (st->commit_ev != NULL)
		event_free(st->commit_ev);
	if (st->db != NULL) {
		(void)store_commit(st);
		for (i = 0; i < STORE_NSTMT; i++)
			sqlite3_finalize(st->stmt[i]);
		if (sqlite3_close(st->db) != SQLITE_OK)
			log_warnx("cannot close store '%s': %s", st->path,
			    sqlite3_errmsg(st->db));
	}
	free(st->path);
	free(st);
}

int
store_flush(struct store *st)
{
	int rc;

	rc = store_commit(st);
	if (st->commit_ev != NULL)
		evtimer_del(st->commit_ev);
	if (st->unreported) {
		st->unreported = false;
		if (st->commit_cb != NULL)
			st->commit_cb(st, st->commit_arg);
	}
	return rc;
}

void
store_set_commit_cb(struct store *st, store_commit_cb cb, void *arg)
{
	st->commit_cb = cb;
	st->commit_arg = arg;
}

void
store_set_fail_cb(struct store *st, store_fail_cb cb, void *arg)
{
	st->fail_cb = cb;
	st->fail_arg = arg;
}

void
store_get_stats(const struct store *st, struct store_stats *out)
{
	*out = st->stats;
}

/* Bind a text parameter; NULL binds SQL NULL. */
static int
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* A malloc'd copy of a text column, or NULL for SQL NULL. */
static char *
store_column_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v != NULL ? xstrdup((const char *)v) : NULL;
}

/* Make sure chat_id has a row, so that rows referring to it may exist. */
static int
store_ensure_chat(struct store *st, int64_t chat_id)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_CHAT_ENSURE)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK)
		return store_fail(st, s, "bind a chat");
	return store_run(st, s, "create a chat");
}

/* Insert or update a user; NULL fields keep what is stored. */
static int
store_put_user(struct store *st, int64_t user_id, const char *nickname,
    const char *country_iso, const char *profile_image_url,
    const char *status_message)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_USER_PUT)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK ||
	    store_bind_text(s, 2, nickname) != SQLITE_OK ||
	    store_bind_text(s, 3, country_iso) != SQLITE_OK ||
	    store_bind_text(s, 4, profile_image_url) != SQLITE_OK ||
	    store_bind_text(s, 5, status_message) != SQLITE_OK)
		return store_fail(st, s, "bind a user");
	return store_run(st, s, "store a user");
}

/* Insert or update one membership (the user row must exist). */
static int
store_put_member(struct store *st, int64_t chat_id, int64_t user_id,
    const char *nickname)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, STORE_MEMBER_PUT)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, user_id) != SQLITE_OK ||
	    store_bind_text(s, 3, nickname) != SQLITE_OK)
		return store_fail(st, s, "bind a member");
	return store_run(st, s, "store a member");
}

/* Run one of the cached savepoint statements. */
static int
store_savepoint(struct store *st, enum store_stmt id, const char *what)
{
	sqlite3_stmt *s;

	if ((s = store_stmt(st, id)) == NULL)
		return -1;
	return store_run(st, s, what);
}

int
store_get_login_state(struct store *st, struct loco_login_state *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	if ((s = store_stmt(st, STORE_LOGIN_GET)) == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->revision = sqlite3_column_int(s, 0);
		out->last_token_id = sqlite3_column_int64(s, 1);
		out->lbk = sqlite3_column_int(s, 2);
	} else if (rc != SQLITE_DONE)
		return store_fail(st, s, "read the login state");
	sqlite3_reset(s);
	return 0;
}

int
store_set_login_state(struct store *st, const struct loco_login_state *ls)
{
	sqlite3_stmt *s;

	if (store_begin(st) == -1 ||
	    (s = store_stmt(st, STORE_LOGIN_SET)) == NULL)
		return -1;
	if (sqlite3_bind_int(s, 1, ls->revision) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, ls->last_token_id) != SQLITE_OK ||
	    sqlite3_bind_int(s, 3, ls->lbk) != SQLITE_OK)
		return store_fail(st, s, "bind the login state");
	if (store_run(st, s, "store the login state") == -1)
		return -1;
	return store_wrote(st);
}

int
store_get_cursors(struct store *st, struct loco_cursor **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	struct loco_cursor *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
	        "SELECT chat_id, cursor FROM chats ORDER BY chat_id", -1, &s,
	        NULL) != SQLITE_OK) {
		store_fail(st, NULL, "read the cursors");
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[len].chat_id = sqlite3_column_int64(s, 0);
		v[len].last_log_id = sqlite3_column_int64(s, 1);
		len++;
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, NULL, "read the cursors");
		sqlite3_finalize(s);
		free(v);
		return -1;
	}
	sqlite3_finalize(s);
	*out = v;
	*n = len;
	return 0;
}

int
store_put_chat(struct store *st, const struct loco_engine_chat *c)
{
	sqlite3_stmt *s;
	const char *nick;
	size_t i;

	if (store_begin(st) == -1 ||
	    (s = store_stmt(st, STORE_CHAT_PUT)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, c->chat_id) != SQLITE_OK ||
	    store_bind_text(s, 2, loco_chat_type_name(c->type)) != SQLITE_OK ||
	    store_bind_text(s, 3, c->title) != SQLITE_OK ||
	    store_bind_text(s, 4, c->notice) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 5, c->link_id) != SQLITE_OK ||
	    sqlite3_bind_int(s, 6, c->active_members) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 7, c->last_log_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 8, c->last_seen_log_id) != SQLITE_OK)
		return store_fail(st, s, "bind a chat");
	if (store_run(st, s, "store a chat") == -1)
		return -1;
	for (i = 0; c->icon_user_ids != NULL && i < c->n_icons; i++) {
		nick = c->icon_nicknames != NULL ? c->icon_nicknames[i] : NULL;
		if (store_put_user(st, c->icon_user_ids[i], nick, NULL, NULL,
		        NULL) == -1)
			return -1;
	}
	return store_wrote(st);
}

int
store_chat_gone(struct store *st, int64_t chat_id)
{
	sqlite3_stmt *s;

	if (store_begin(st) == -1 ||
	    (s = store_stmt(st, STORE_CHAT_GONE)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK)
		return store_fail(st, s, "bind a chat");
	if (store_run(st, s, "mark a chat gone") == -1)
		return -1;
	return store_wrote(st);
}

int
store_foreach_chat(struct store *st, store_chat_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	struct store_chat c;
	int rc;

	if (sqlite3_prepare_v2(st->db,
	        "SELECT chat_id, type, title, notice, link_id, active_members,"
	        " cursor, last_log_id, read_watermark, gone"
	        " FROM chats ORDER BY chat_id",
	        -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, NULL, "read the chats");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&c, 0, sizeof c);
		c.chat_id = sqlite3_column_int64(s, 0);
		c.type = (const char *)sqlite3_column_text(s, 1);
		c.title = (const char *)sqlite3_column_text(s, 2);
		c.notice = (const char *)sqlite3_column_text(s, 3);
		c.link_id = sqlite3_column_int64(s, 4);
		c.active_members = sqlite3_column_int(s, 5);
		c.cursor = sqlite3_column_int64(s, 6);
		c.last_log_id = sqlite3_column_int64(s, 7);
		c.read_watermark = sqlite3_column_int64(s, 8);
		c.gone = sqlite3_column_int(s, 9) != 0;
		if (c.type == NULL)
			c.type = "";
		cb(&c, arg);
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, NULL, "read the chats");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

int
store_set_members(struct store *st, int64_t chat_id,
    const struct loco_member *m, size_t n)
{
	sqlite3_stmt *s;
	const char *image;
	size_t i;

	if (store_begin(st) == -1 || store_ensure_chat(st, chat_id) == -1)
		return -1;
	/* Several statements: a savepoint keeps a failure from leaving a
	 * half-replaced list in the batch. */
	if (store_savepoint(st, STORE_SAVEPOINT, "start a member list") == -1)
		return -1;
	if ((s = store_stmt(st, STORE_MEMBERS_CLEAR)) == NULL)
		goto fail;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK) {
		store_fail(st, s, "bind a chat");
		goto fail;
	}
	if (store_run(st, s, "clear a member list") == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		image = m[i].profile_image_url != NULL ? m[i].profile_image_url
		                                       : m[i].pi;
		if (store_put_user(st, m[i].user_id, m[i].nickname,
		        m[i].country_iso, image, m[i].status_message) == -1 ||
		    store_put_member(st, chat_id, m[i].user_id,
		        m[i].nickname) == -1)
			goto fail;
	}
	if (store_savepoint(st, STORE_RELEASE, "end a member list") == -1)
		goto fail;
	return store_wrote(st);
fail:
	if (st->in_txn && !sqlite3_get_autocommit(st->db) &&
	    store_savepoint(st, STORE_UNDO, "undo a member list") == 0)
		(void)store_savepoint(st, STORE_RELEASE, "end a member list");
	return -1;
}

int
store_add_member(struct store *st, int64_t chat_id, int64_t user_id,
    const char *nickname)
{
	if (store_begin(st) == -1 || store_ensure_chat(st, chat_id) == -1 ||
	    store_put_user(st, user_id, nickname, NULL, NULL, NULL) == -1 ||
	    store_put_member(st, chat_id, user_id, nickname) == -1)
		return -1;
	return store_wrote(st);
}

int
store_remove_member(struct store *st, int64_t chat_id, int64_t user_id)
{
	sqlite3_stmt *s;

	if (store_begin(st) == -1 ||
	    (s = store_stmt(st, STORE_MEMBER_DEL)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, user_id) != SQLITE_OK)
		return store_fail(st, s, "bind a member");
	if (store_run(st, s, "remove a member") == -1)
		return -1;
	return store_wrote(st);
}

char *
store_get_nickname(struct store *st, int64_t user_id)
{
	sqlite3_stmt *s;
	char *nick = NULL;
	int rc;

	if ((s = store_stmt(st, STORE_NICK_GET)) == NULL)
		return NULL;
	if (sqlite3_bind_int64(s, 1, user_id) != SQLITE_OK) {
		store_fail(st, s, "bind a user");
		return NULL;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		nick = store_column_dup(s, 0);
	else if (rc != SQLITE_DONE) {
		store_fail(st, s, "read a nickname");
		return NULL;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return nick;
}

int
store_foreach_member(struct store *st, int64_t chat_id, store_member_cb cb,
    void *arg)
{
	sqlite3_stmt *s = NULL;
	struct store_member m;
	int rc;

	if (sqlite3_prepare_v2(st->db,
	        "SELECT m.user_id, coalesce(m.nickname, u.nickname)"
	        " FROM members AS m LEFT JOIN users AS u USING (user_id)"
	        " WHERE m.chat_id = ?1 ORDER BY m.user_id",
	        -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK) {
		store_fail(st, NULL, "read the members");
		sqlite3_finalize(s);
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		m.chat_id = chat_id;
		m.user_id = sqlite3_column_int64(s, 0);
		m.nickname = (const char *)sqlite3_column_text(s, 1);
		cb(&m, arg);
	}
	if (rc != SQLITE_DONE) {
		store_fail(st, NULL, "read the members");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

int
store_add_message(struct store *st, const struct loco_chatlog *cl)
{
	sqlite3_stmt *s;
	bool deleted = (cl->type & LOCO_MSGTYPE_DELETED_BIT) != 0;

	if (store_begin(st) == -1 || store_ensure_chat(st, cl->chat_id) == -1 ||
	    (s = store_stmt(st, STORE_MSG_ADD)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, cl->chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, cl->log_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, cl->prev_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, cl->author_id) != SQLITE_OK ||
	    sqlite3_bind_int(s, 5, cl->type) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 6, cl->send_at) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 7, cl->msg_id) != SQLITE_OK ||
	    store_bind_text(s, 8, cl->message) != SQLITE_OK ||
	    store_bind_text(s, 9, cl->attachment) != SQLITE_OK ||
	    sqlite3_bind_int(s, 10, deleted) != SQLITE_OK)
		return store_fail(st, s, "bind a message");
	if (store_run(st, s, "store a message") == -1)
		return -1;
	/* Direct changes only: the trigger's cursor update is not counted. */
	if (sqlite3_changes(st->db) > 0)
		st->stats.messages_added++;
	else
		st->stats.messages_ignored++;
	return store_wrote(st);
}

int
store_mark_deleted(struct store *st, int64_t chat_id, int64_t log_id)
{
	sqlite3_stmt *s;

	if (store_begin(st) == -1 ||
	    (s = store_stmt(st, STORE_MSG_DELETED)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, log_id) != SQLITE_OK)
		return store_fail(st, s, "bind a message");
	if (store_run(st, s, "mark a message deleted") == -1)
		return -1;
	return store_wrote(st);
}

int
store_add_reaction(struct store *st, int64_t chat_id, int64_t log_id,
    int64_t user_id, int32_t type)
{
	sqlite3_stmt *s;

	if (store_begin(st) == -1 || store_ensure_chat(st, chat_id) == -1 ||
	    (s = store_stmt(st, STORE_REACTION_PUT)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, log_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, user_id) != SQLITE_OK ||
	    sqlite3_bind_int(s, 4, type) != SQLITE_OK)
		return store_fail(st, s, "bind a reaction");
	if (store_run(st, s, "store a reaction") == -1)
		return -1;
	return store_wrote(st);
}

int
store_set_read(struct store *st, int64_t chat_id, int64_t user_id,
    int64_t watermark)
{
	sqlite3_stmt *s;

	if (store_begin(st) == -1 || store_ensure_chat(st, chat_id) == -1 ||
	    (s = store_stmt(st, STORE_READ_PUT)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, user_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, watermark) != SQLITE_OK)
		return store_fail(st, s, "bind a read mark");
	if (store_run(st, s, "store a read mark") == -1)
		return -1;
	return store_wrote(st);
}

/* Fill *m from the current row of s (STORE_MSG_COLUMNS); the strings are
 * borrowed from s until it is stepped again. */
static void
store_message_row(sqlite3_stmt *s, int64_t chat_id, struct store_message *m)
{
	m->chat_id = chat_id;
	m->log_id = sqlite3_column_int64(s, 0);
	m->prev_id = sqlite3_column_int64(s, 1);
	m->author_id = sqlite3_column_int64(s, 2);
	m->type = sqlite3_column_int(s, 3);
	m->send_at = sqlite3_column_int64(s, 4);
	m->msg_id = sqlite3_column_int64(s, 5);
	m->text = (const char *)sqlite3_column_text(s, 6);
	m->attachment = (const char *)sqlite3_column_text(s, 7);
	m->deleted = sqlite3_column_int(s, 8) != 0;
}

int
store_foreach_message(struct store *st, int64_t chat_id, int64_t after,
    size_t limit, store_message_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct store_message m;
	int64_t lim;
	bool own;
	int rc;

	/* LIMIT -1 is SQLite's "no limit". */
	lim = limit == 0 || limit > (uint64_t)INT64_MAX ? -1 : (int64_t)limit;
	if ((s = store_stmt_nested(st, STORE_MSG_WALK, &own)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, after) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, lim) != SQLITE_OK)
		return store_walk_done(st, s, own, SQLITE_ERROR,
		    "read messages");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_message_row(s, chat_id, &m);
		if (!cb(&m, arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return store_walk_done(st, s, own, rc, "read messages");
}

int64_t
store_count_messages(struct store *st, int64_t chat_id)
{
	sqlite3_stmt *s;
	int64_t count;

	s = store_stmt(st, chat_id == 0 ? STORE_COUNT_ALL : STORE_COUNT_CHAT);
	if (s == NULL)
		return -1;
	if (chat_id != 0 && sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK)
		return store_fail(st, s, "bind a chat");
	if (sqlite3_step(s) != SQLITE_ROW)
		return store_fail(st, s, "count messages");
	count = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return count;
}

/* End a walk over the one-off statement s; rc is its last step's result.
 * Logs (before finalizing, which would lose the message) on failure. */
static int
store_walk_end(struct store *st, sqlite3_stmt *s, int rc, const char *what)
{
	int ret = 0;

	if (rc != SQLITE_DONE)
		ret = store_fail(st, NULL, what);
	sqlite3_finalize(s);
	return ret;
}

/* A column that is text in a sound file, "" should it be NULL anyway
 * (a file edited by hand, or no memory for the conversion). */
static const char *
store_column_text(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v != NULL ? (const char *)v : "";
}

int
store_put_name(struct store *st, int kind, int64_t id, const char *name)
{
	sqlite3_stmt *s;

	if (kind != STORE_NAME_USER && kind != STORE_NAME_CHAT) {
		log_warnx("cannot store a name in store '%s': unknown kind %d",
		    st->path, kind);
		return -1;
	}
	if (name == NULL) {
		log_warnx("cannot store a name in store '%s': no name for "
		          "id %" PRId64,
		    st->path, id);
		return -1;
	}
	if (store_begin(st) == -1 ||
	    (s = store_stmt(st, STORE_NAME_PUT)) == NULL)
		return -1;
	if (sqlite3_bind_int(s, 1, kind) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, id) != SQLITE_OK ||
	    store_bind_text(s, 3, name) != SQLITE_OK)
		return store_fail(st, s, "bind a name");
	if (store_run(st, s, "store a name") == -1)
		return -1;
	return store_wrote(st);
}

int
store_foreach_name(struct store *st, store_name_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(st->db,
	        "SELECT kind, id, name FROM names ORDER BY kind, id", -1, &s,
	        NULL) != SQLITE_OK)
		return store_walk_end(st, s, SQLITE_ERROR, "read the names");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(sqlite3_column_int(s, 0), sqlite3_column_int64(s, 1),
		    store_column_text(s, 2), arg);
	return store_walk_end(st, s, rc, "read the names");
}

int
store_set_client_cursor(struct store *st, const char *client, int64_t chat_id,
    int64_t log_id)
{
	sqlite3_stmt *s;

	if (client == NULL) {
		log_warnx("cannot store a client cursor in store '%s': "
		          "no client name",
		    st->path);
		return -1;
	}
	if (store_begin(st) == -1 ||
	    (s = store_stmt(st, STORE_CLIENT_CURSOR_PUT)) == NULL)
		return -1;
	if (store_bind_text(s, 1, client) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, log_id) != SQLITE_OK)
		return store_fail(st, s, "bind a client cursor");
	if (store_run(st, s, "store a client cursor") == -1)
		return -1;
	return store_wrote(st);
}

int
store_foreach_client_cursor(struct store *st, const char *client,
    store_client_cursor_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (client == NULL) {
		log_warnx("cannot read client cursors in store '%s': "
		          "no client name",
		    st->path);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db,
	        "SELECT chat_id, log_id FROM client_cursors"
	        " WHERE client = ?1 ORDER BY chat_id",
	        -1, &s, NULL) != SQLITE_OK ||
	    store_bind_text(s, 1, client) != SQLITE_OK)
		return store_walk_end(st, s, SQLITE_ERROR,
		    "read the client cursors");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		cb(sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), arg);
	return store_walk_end(st, s, rc, "read the client cursors");
}

int
store_has_client(struct store *st, const char *client)
{
	sqlite3_stmt *s;
	int has;

	if (client == NULL) {
		log_warnx("cannot look up a client in store '%s': "
		          "no client name",
		    st->path);
		return -1;
	}
	if ((s = store_stmt(st, STORE_CLIENT_HAS)) == NULL)
		return -1;
	if (store_bind_text(s, 1, client) != SQLITE_OK)
		return store_fail(st, s, "bind a client");
	if (sqlite3_step(s) != SQLITE_ROW)
		return store_fail(st, s, "look up a client");
	has = sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return has;
}

int
store_get_message(struct store *st, int64_t chat_id, int64_t log_id,
    store_message_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct store_message m;
	bool own;
	int rc;

	if ((s = store_stmt_nested(st, STORE_MSG_GET, &own)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, log_id) != SQLITE_OK)
		rc = SQLITE_ERROR;
	else if ((rc = sqlite3_step(s)) == SQLITE_ROW && cb != NULL) {
		store_message_row(s, chat_id, &m);
		(void)cb(&m, arg);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(st, NULL, "read a message");
		store_stmt_done(s, own);
		return -1;
	}
	store_stmt_done(s, own);
	return rc == SQLITE_ROW ? 1 : 0;
}

int
store_foreach_message_tail(struct store *st, int64_t chat_id, size_t limit,
    store_message_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct store_message m;
	int64_t lim;
	bool own;
	int rc;

	if (limit == 0)
		return 0;
	/* LIMIT -1 is SQLite's "no limit". */
	lim = limit > (uint64_t)INT64_MAX ? -1 : (int64_t)limit;
	if ((s = store_stmt_nested(st, STORE_MSG_TAIL, &own)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, lim) != SQLITE_OK)
		return store_walk_done(st, s, own, SQLITE_ERROR,
		    "read messages");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_message_row(s, chat_id, &m);
		if (!cb(&m, arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return store_walk_done(st, s, own, rc, "read messages");
}

int
store_foreach_user(struct store *st, store_user_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	struct store_user u;
	int rc;

	if (sqlite3_prepare_v2(st->db,
	        "SELECT user_id, nickname, status_message, profile_image_url"
	        " FROM users ORDER BY user_id",
	        -1, &s, NULL) != SQLITE_OK)
		return store_walk_end(st, s, SQLITE_ERROR, "read the users");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		u.user_id = sqlite3_column_int64(s, 0);
		u.nickname = (const char *)sqlite3_column_text(s, 1);
		u.status_message = (const char *)sqlite3_column_text(s, 2);
		u.profile_image_url = (const char *)sqlite3_column_text(s, 3);
		cb(&u, arg);
	}
	return store_walk_end(st, s, rc, "read the users");
}

int
store_get_setting(struct store *st, const char *key, char **value)
{
	sqlite3_stmt *s;
	int rc;

	*value = NULL;
	if (key == NULL) {
		log_warnx("cannot read a setting in store '%s': no key",
		    st->path);
		return -1;
	}
	if ((s = store_stmt(st, STORE_SETTING_GET)) == NULL)
		return -1;
	if (store_bind_text(s, 1, key) != SQLITE_OK)
		return store_fail(st, s, "bind a setting");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value = xstrdup(store_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		return store_fail(st, s, "read a setting");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return 0;
}

int
store_set_setting(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;

	if (key == NULL || value == NULL) {
		log_warnx("cannot store setting '%s' in store '%s': %s",
		    key != NULL ? key : "(null)", st->path,
		    key == NULL ? "no key" : "no value");
		return -1;
	}
	if (store_begin(st) == -1 ||
	    (s = store_stmt(st, STORE_SETTING_SET)) == NULL)
		return -1;
	if (store_bind_text(s, 1, key) != SQLITE_OK ||
	    store_bind_text(s, 2, value) != SQLITE_OK)
		return store_fail(st, s, "bind a setting");
	if (store_run(st, s, "store a setting") == -1)
		return -1;
	return store_wrote(st);
}

int
store_set_read_marker(struct store *st, int64_t chat_id, int64_t ts_ms)
{
	sqlite3_stmt *s;
	int moved;

	if (store_begin(st) == -1 ||
	    (s = store_stmt(st, STORE_MARKER_SET)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, ts_ms) != SQLITE_OK)
		return store_fail(st, s, "bind a read marker");
	if (store_run(st, s, "store a read marker") == -1)
		return -1;
	moved = sqlite3_changes(st->db) > 0;
	if (store_wrote(st) == -1)
		return -1;
	return moved;
}

/*
 * Run the cached one-row query id with a and b bound (b only when nbind
 * is 2): 1 with *out from its first column, 0 when it has no row (*out is
 * 0 then), -1 after logging what failed.
 */
static int
store_get_int64(struct store *st, enum store_stmt id, int nbind, int64_t a,
    int64_t b, int64_t *out, const char *what)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	if ((s = store_stmt(st, id)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, a) != SQLITE_OK ||
	    (nbind == 2 && sqlite3_bind_int64(s, 2, b) != SQLITE_OK))
		return store_fail(st, s, what);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else if (rc != SQLITE_DONE)
		return store_fail(st, s, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW ? 1 : 0;
}

int
store_get_read_marker(struct store *st, int64_t chat_id, int64_t *ts_ms)
{
	int64_t v;
	int rc = store_get_int64(st, STORE_MARKER_GET, 1, chat_id, 0, &v,
	    "read a read marker");

	if (rc == 1)
		*ts_ms = v;
	return rc;
}

int
store_get_read(struct store *st, int64_t chat_id, int64_t user_id,
    int64_t *watermark)
{
	return store_get_int64(st, STORE_READ_GET, 2, chat_id, user_id,
	    watermark, "read a read mark");
}

int
store_find_log_at(struct store *st, int64_t chat_id, int64_t send_at,
    int64_t *log_id)
{
	return store_get_int64(st, STORE_LOG_AT, 2, chat_id, send_at, log_id,
	           "find a message by time") == -1
	    ? -1
	    : 0;
}

int
store_foreach_message_before(struct store *st, int64_t chat_id, int64_t before,
    size_t limit, store_message_cb cb, void *arg)
{
	sqlite3_stmt *s;
	struct store_message m;
	int64_t lim;
	bool own;
	int rc;

	if (limit == 0)
		return 0;
	lim = limit > (uint64_t)INT64_MAX ? -1 : (int64_t)limit;
	if ((s = store_stmt_nested(st, STORE_MSG_BEFORE, &own)) == NULL)
		return -1;
	if (sqlite3_bind_int64(s, 1, chat_id) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, before) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, lim) != SQLITE_OK)
		return store_walk_done(st, s, own, SQLITE_ERROR,
		    "read messages");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_message_row(s, chat_id, &m);
		if (!cb(&m, arg)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return store_walk_done(st, s, own, rc, "read messages");
}
