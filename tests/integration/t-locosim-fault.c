/* locoirc: see LICENSE.
 *
 * Every fault locosim can inject, through its C API and seen from a real
 * client: dropped sessions, CHANGESVR, KICKOUT, token expiry and failed
 * logins, corrupted frames, unknown pushes, stalls, reordered and delayed
 * responses, and a client echoing MSG with the push's id. Each runs in both
 * cipher profiles, and each checks that the rest of the world carries on.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <bson/bson.h>

#include "loco-boot.h"
#include "loco-bson.h"
#include "loco-conn.h"
#include "loco-packet.h"
#include "loco-secure.h"
#include "locosim.h"
#include "locosim-world.h"
#include "tap.h"
#include "tclient.h"

#define UA INT64_C(5000000001)
#define UB INT64_C(5000000002)
#define UC INT64_C(5000000003)
#define CHAT_GROUP INT64_C(10)

/* How long to let stray packets arrive when proving that none came. */
#define QUIET_MS 150
/* Packet ids the tests choose themselves, far from tclient's own. */
#define OWN_ID 500000u

static const char world_json[] =
    "{\"users\": ["
    "  {\"userId\": 5000000001, \"nickName\": \"Alice\"},"
    "  {\"userId\": 5000000002, \"nickName\": \"Bob\"},"
    "  {\"userId\": 5000000003, \"nickName\": \"Carol\"}],"
    " \"accounts\": ["
    "  {\"userId\": 5000000001, \"accessToken\": \"tok-alice\","
    "   \"deviceUuid\": \"dev-alice\"},"
    "  {\"userId\": 5000000002, \"accessToken\": \"tok-bob\","
    "   \"deviceUuid\": \"dev-bob\"}],"
    " \"chats\": ["
    "  {\"chatId\": 10, \"type\": \"MultiChat\", \"title\": \"Group\","
    "   \"members\": [5000000001, 5000000002, 5000000003],"
    "   \"messages\": [{\"authorId\": 5000000002, \"message\": \"hi\"}]}]}";

/* One run: a simulator in one cipher profile. */
struct fix {
	struct locosim *sim;
	enum loco_cipher cipher;
	const char *name; /* "GCM" or "CFB" */
};

struct answers;

/* One answer collected by reply_cb. */
struct answer {
	struct answers *all; /* borrowed; holds this */
	int order;           /* 1-based arrival order, 0 = not yet */
	char method[LOCO_METHOD_LEN + 1];
	bson_t *body; /* owned */
};

/* Requests sent straight through loco_conn, and their answers. */
struct answers {
	struct answer a[3];
	int n; /* answers so far */
};

/* locosim_request_count(sim, method) reaching n. */
struct count_cond {
	struct locosim *sim;
	const char *method;
	size_t n;
};

static void reply_cb(struct loco_conn *conn, const struct loco_packet *pkt,
    const struct loco_error *err, void *arg);
static bool count_reached(void *arg);
static bool answers_done(void *arg);

static struct event_base *base;
static char rsa_path[512], cert_path[512], certkey_path[512];

/* locosim has received the expected number of requests. */
static bool
count_reached(void *arg)
{
	struct count_cond *c = arg;

	return locosim_request_count(c->sim, c->method) >= c->n;
}

/* Log user in (dtype 2); NULL and a failed test if that fails. */
static struct tclient *
login(struct fix *f, int64_t user)
{
	struct loco_error err;
	struct tclient *tc;

	tc = tclient_login(base, f->sim, user, 2, f->cipher, NULL, &err);
	if (!ok(tc != NULL, "%s: user %lld logs in", f->name, (long long)user))
		diag("%s", err.msg);
	return tc;
}

/* The session answers PING: it is alive and in step. */
static bool
alive(struct tclient *tc, const char *who)
{
	struct loco_error err;
	struct tclient_pkt *p = tclient_call(tc, "PING", NULL, &err);
	bool good = p != NULL && tclient_status(p) == 0;

	if (!ok(good, "%s still answers PING", who) && p == NULL)
		diag("%s", err.msg);
	tclient_pkt_free(p);
	return good;
}

/* One LOGINLIST as user on a fresh connection; its status. */
static int32_t
login_status(struct fix *f, int64_t user)
{
	struct locosim_account *a;
	struct loco_error err;
	struct tclient_pkt *p = NULL;
	struct tclient *tc;
	int32_t status = INT32_MIN;
	bson_t body;

	a = locosim_world_account(locosim_world(f->sim), user);
	tc = tclient_connect_sim(base, f->sim, LOCOSIM_CHAT, f->cipher, &err);
	if (tc == NULL) {
		diag("connect: %s", err.msg);
		return status;
	}
	bson_init(&body);
	tclient_loginlist_body(&body, a->access_token, a->device_uuid, 2, NULL,
	    NULL, 0);
	if ((p = tclient_call(tc, "LOGINLIST", &body, &err)) != NULL)
		status = tclient_status(p);
	else
		diag("LOGINLIST: %s", err.msg);
	bson_destroy(&body);
	tclient_pkt_free(p);
	tclient_free(tc);
	return status;
}

/* locosim_drop: the client sees its connection end; others carry on. */
static void
test_drop(struct fix *f)
{
	struct tclient *a, *b;
	struct loco_error err;

	diag("%s: drop", f->name);
	a = login(f, UA);
	b = login(f, UB);
	if (a == NULL || b == NULL)
		goto out;
	is_int(locosim_drop(f->sim, UA), ==, 1);
	is_uint(locosim_session_count(f->sim, UA), ==, 0);
	if (ok(tclient_wait_closed(a, &err), "A's connection ends"))
		ok(err.code == LOCO_ERR_IO, "as an I/O end (%s: %s)",
		    loco_error_code_name(err.code), err.msg);
	is_int(locosim_drop(f->sim, UA), ==, 0);
	alive(b, "B");
	ok(locosim_send_text(f->sim, CHAT_GROUP, UC, "still here") > 0,
	    "the chat goes on");
	tclient_pkt_free(tclient_wait_push(b, "MSG"));
out:
	tclient_free(a);
	tclient_free(b);
}

/* locosim_changesvr: a CHANGESVR push; the session stays up. */
static void
test_changesvr(struct fix *f)
{
	struct tclient_pkt *p;
	struct tclient *a, *b;

	diag("%s: changesvr", f->name);
	a = login(f, UA);
	b = login(f, UB);
	if (a == NULL || b == NULL)
		goto out;
	is_int(locosim_changesvr(f->sim, UA), ==, 1);
	p = tclient_wait_push(a, "CHANGESVR");
	ok(p != NULL && p->hdr.packet_id >= LOCO_CONN_PUSH_ID_BASE_DEFAULT,
	    "A gets CHANGESVR as a push");
	tclient_pkt_free(p);
	tclient_settle(a, QUIET_MS);
	is_uint(tclient_push_count(b, "CHANGESVR"), ==, 0);
	alive(a, "A");
	is_int(locosim_changesvr(f->sim, 0), ==, 2);
	tclient_pkt_free(tclient_wait_push(a, "CHANGESVR"));
	p = tclient_wait_push(b, "CHANGESVR");
	ok(p != NULL, "user 0 means everyone: B gets CHANGESVR");
	tclient_pkt_free(p);
out:
	tclient_free(a);
	tclient_free(b);
}

/* locosim_kickout: KICKOUT {reason}, then the server hangs up. */
static void
test_kickout(struct fix *f)
{
	struct loco_kickout k;
	struct loco_error err;
	struct tclient_pkt *p;
	struct tclient *a, *b;

	diag("%s: kickout", f->name);
	a = login(f, UA);
	b = login(f, UB);
	if (a == NULL || b == NULL)
		goto out;
	is_int(locosim_kickout(f->sim, UA, 0), ==, 1);
	p = tclient_wait_push(a, "KICKOUT");
	if (ok(p != NULL, "A gets KICKOUT before the end") &&
	    ok(loco_kickout_decode(p->body, &k, &err) == 0, "KICKOUT decodes"))
		is_int(k.reason, ==, 0);
	tclient_pkt_free(p);
	if (ok(tclient_wait_closed(a, &err), "then A's connection ends"))
		diag("closed: %s", err.msg);
	is_uint(locosim_session_count(f->sim, UA), ==, 0);
	alive(b, "B");
	is_int(locosim_kickout(f->sim, UB, 1), ==, 1);
	p = tclient_wait_push(b, "KICKOUT");
	if (p != NULL && loco_kickout_decode(p->body, &k, &err) == 0)
		is_int(k.reason, ==, 1);
	else
		ok(false, "B gets KICKOUT {reason 1}");
	tclient_pkt_free(p);
	ok(tclient_wait_closed(b, &err), "B's connection ends");
out:
	tclient_free(a);
	tclient_free(b);
}

/* locosim_expire_token and locosim_fail_next_login. */
static void
test_login_faults(struct fix *f)
{
	struct loco_error err;
	struct tclient *a;

	diag("%s: expire_token", f->name);
	is_int(locosim_expire_token(f->sim, UA, true), ==, 0);
	is_int(login_status(f, UA), ==, -950);
	is_int(login_status(f, UA), ==, -950);
	a = tclient_login(base, f->sim, UA, 2, f->cipher, NULL, &err);
	ok(a == NULL && err.code == LOCO_ERR_STATUS && err.status == -950,
	    "tclient_login reports -950");
	tclient_free(a);
	is_int(login_status(f, UB), ==, 0);
	is_int(locosim_expire_token(f->sim, UA, false), ==, 0);
	is_int(login_status(f, UA), ==, 0);
	is_int(locosim_expire_token(f->sim, UC, true), ==, -1);

	diag("%s: fail_next_login", f->name);
	locosim_fail_next_login(f->sim, -999);
	is_int(login_status(f, UA), ==, -999);
	is_int(login_status(f, UA), ==, 0);
	locosim_fail_next_login(f->sim, -999);
	locosim_fail_next_login(f->sim, 0);
	is_int(login_status(f, UA), ==, 0);
}

/* locosim_corrupt_next_frame: the client's next frame fails to open. */
static void
test_corrupt(struct fix *f)
{
	struct loco_error err;
	struct tclient *a, *b;
	bson_t *body;

	diag("%s: corrupt_next_frame", f->name);
	a = login(f, UA);
	b = login(f, UB);
	if (a == NULL || b == NULL)
		goto out;
	is_int(locosim_corrupt_next_frame(f->sim, UA), ==, 1);
	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP));
	ok(tclient_send(a, OWN_ID, "CHATINFO", body) == 0, "A asks CHATINFO");
	bson_destroy(body);
	if (ok(tclient_wait_closed(a, &err), "A's connection fails")) {
		/*
		 * GCM authenticates the frame, so the secure layer refuses
		 * it. CFB has no tag: the flipped bit reaches the packet
		 * parser, which refuses the spoilt BSON.
		 */
		if (f->cipher == LOCO_CIPHER_GCM)
			ok(err.code == LOCO_ERR_CRYPTO,
			    "GCM: the tag does not verify (%s: %s)",
			    loco_error_code_name(err.code), err.msg);
		else
			ok(err.code == LOCO_ERR_MALFORMED,
			    "CFB: the packet is malformed (%s: %s)",
			    loco_error_code_name(err.code), err.msg);
	}
	is_uint(tclient_push_count(a, NULL), ==, 0);
	alive(b, "B");
	tclient_free(a);
	a = login(f, UA);
	if (a != NULL)
		alive(a, "A's next session");
out:
	tclient_free(a);
	tclient_free(b);
}

/* locosim_push_unknown: an unknown method as a push; nothing breaks. */
static void
test_unknown(struct fix *f)
{
	struct tclient_pkt *p;
	struct tclient *a;

	diag("%s: push_unknown", f->name);
	if ((a = login(f, UA)) == NULL)
		return;
	is_int(locosim_push_unknown(f->sim, UA, "ZZNOSUCH"), ==, 1);
	p = tclient_wait_push(a, "ZZNOSUCH");
	ok(p != NULL && p->hdr.packet_id >= LOCO_CONN_PUSH_ID_BASE_DEFAULT,
	    "A gets the unknown push");
	tclient_pkt_free(p);
	alive(a, "A");
	is_int(locosim_push_unknown(f->sim, UA, "no spaces"), ==, -1);
	is_int(locosim_push_unknown(f->sim, UA, ""), ==, -1);
	is_int(locosim_push_unknown(f->sim, UA, "TWELVECHARSX"), ==, -1);
	ok(locosim_send_text(f->sim, CHAT_GROUP, UC, "after") > 0, "send");
	p = tclient_wait_push(a, "MSG");
	ok(p != NULL, "A still gets messages");
	tclient_pkt_free(p);
	tclient_free(a);
}

/* Take the next queued packet and check its id and method. */
static void
next_is(struct tclient *tc, uint32_t id, const char *method)
{
	struct tclient_pkt *p = tclient_wait_push(tc, NULL);

	if (!ok(p != NULL, "a packet arrives (want %s %u)", method, id))
		return;
	ok(strcmp(p->hdr.method, method) == 0 &&
	        (id == 0 || p->hdr.packet_id == id),
	    "it is %s %u (got %s %u)", method, id, p->hdr.method,
	    p->hdr.packet_id);
	tclient_pkt_free(p);
}

/* locosim_stall: no answer while stalled, then all of it, in order. */
static void
test_stall(struct fix *f)
{
	struct tclient *a, *b;
	struct tclient_pkt *p;
	size_t infos;
	bson_t *body;

	diag("%s: stall", f->name);
	a = login(f, UA);
	b = login(f, UB);
	if (a == NULL || b == NULL)
		goto out;
	infos = locosim_request_count(f->sim, "CHATINFO");
	is_int(locosim_stall(f->sim, UA, true), ==, 1);
	ok(tclient_send(a, OWN_ID + 1, "PING", NULL) == 0, "A sends PING");
	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP));
	ok(tclient_send(a, OWN_ID + 2, "CHATINFO", body) == 0,
	    "A sends CHATINFO");
	bson_destroy(body);
	ok(locosim_send_text(f->sim, CHAT_GROUP, UC, "while stalled") > 0,
	    "C writes");
	p = tclient_wait_push(b, "MSG");
	ok(p != NULL, "B, not stalled, gets the MSG");
	tclient_pkt_free(p);
	tclient_settle(a, QUIET_MS);
	is_uint(tclient_push_count(a, NULL), ==, 0);
	is_uint(locosim_request_count(f->sim, "CHATINFO"), ==, infos);
	is_int(locosim_stall(f->sim, UA, false), ==, 1);
	next_is(a, 0, "MSG");
	next_is(a, OWN_ID + 1, "PING");
	next_is(a, OWN_ID + 2, "CHATINFO");
	alive(a, "A");
out:
	tclient_free(a);
	tclient_free(b);
}

/* Record one answer to a request sent through loco_conn. */
static void
reply_cb(struct loco_conn *conn, const struct loco_packet *pkt,
    const struct loco_error *err, void *arg)
{
	struct answer *a = arg;

	(void)conn;
	if (pkt != NULL) {
		snprintf(a->method, sizeof a->method, "%s", pkt->hdr.method);
		a->body = bson_copy(&pkt->body);
	} else
		diag("no answer: %s", err->msg);
	a->order = ++a->all->n;
}

/* All three requests have been answered. */
static bool
answers_done(void *arg)
{
	struct answers *all = arg;
	int i;

	for (i = 0; i < 3; i++)
		if (all->a[i].order == 0)
			return false;
	return true;
}

/* locosim_reorder_responses: three answers in reverse, each matched. */
static void
test_reorder(struct fix *f)
{
	static const char *const methods[3] = {"PING", "CHATINFO", "GETMEM"};
	struct answers all;
	struct loco_error err;
	struct tclient *a;
	bson_t *body, info, arr;
	uint32_t ids[3];
	int i;

	diag("%s: reorder_responses, on the wire", f->name);
	if ((a = login(f, UA)) == NULL)
		return;
	locosim_reorder_responses(f->sim, 3);
	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP));
	for (i = 0; i < 3; i++)
		tclient_send(a, OWN_ID + 10 + (uint32_t)i, methods[i],
		    i == 0 ? NULL : body);
	next_is(a, OWN_ID + 12, "GETMEM");
	next_is(a, OWN_ID + 11, "CHATINFO");
	next_is(a, OWN_ID + 10, "PING");
	alive(a, "A, answered in order again,");

	diag("%s: reorder_responses, matched by id", f->name);
	memset(&all, 0, sizeof all);
	for (i = 0; i < 3; i++)
		all.a[i].all = &all;
	locosim_reorder_responses(f->sim, 3);
	for (i = 0; i < 3; i++)
		if (!ok(loco_conn_request(tclient_conn(a), methods[i],
		            i == 0 ? NULL : body, TCLIENT_WAIT_MS, reply_cb,
		            &all.a[i], &ids[i], &err) == 0,
		        "request %s", methods[i]))
			diag("%s", err.msg);
	bson_destroy(body);
	if (ok(tclient_loop_until(base, answers_done, &all, TCLIENT_WAIT_MS),
	        "all three requests answered")) {
		for (i = 0; i < 3; i++) {
			is_int(all.a[i].order, ==, 3 - i);
			ok(strcmp(all.a[i].method, methods[i]) == 0,
			    "request %u (%s) got its own answer (%s)", ids[i],
			    methods[i], all.a[i].method);
		}
		ok(all.a[1].body != NULL &&
		        loco_bson_get_doc(all.a[1].body, "chatInfo", &info) ==
		            1,
		    "CHATINFO's answer carries chatInfo");
		ok(all.a[2].body != NULL &&
		        loco_bson_get_array(all.a[2].body, "members", &arr) ==
		            1 &&
		        bson_count_keys(&arr) == 3,
		    "GETMEM's answer carries the three members");
	}
	for (i = 0; i < 3; i++)
		if (all.a[i].body != NULL)
			bson_destroy(all.a[i].body);
	tclient_free(a);
}

/* locosim_set_response_delay: answers come later, and right. */
static void
test_delay(struct fix *f)
{
	struct count_cond cc;
	struct tclient_pkt *p;
	struct loco_error err;
	struct tclient *a;
	bson_t *body, info;
	int64_t id = 0;

	diag("%s: set_response_delay", f->name);
	if ((a = login(f, UA)) == NULL)
		return;
	locosim_set_response_delay(f->sim, 40);
	alive(a, "A, slowly,");
	body = BCON_NEW("chatId", BCON_INT64(CHAT_GROUP));
	p = tclient_call(a, "CHATINFO", body, &err);
	if (ok(p != NULL && tclient_status(p) == 0, "delayed CHATINFO") &&
	    loco_bson_get_doc(p->body, "chatInfo", &info) == 1)
		loco_bson_get_i64(&info, "chatId", &id);
	is_int(id, ==, CHAT_GROUP);
	tclient_pkt_free(p);

	diag("%s: a delayed answer to a session that is gone", f->name);
	cc.sim = f->sim;
	cc.method = "CHATINFO";
	cc.n = locosim_request_count(f->sim, "CHATINFO") + 1;
	tclient_send(a, OWN_ID + 20, "CHATINFO", body);
	ok(tclient_loop_until(base, count_reached, &cc, TCLIENT_WAIT_MS),
	    "the server has the request");
	tclient_free(a);
	/* Only lets the delay timer fire into the void; nothing to wait
	 * for, and a crash or leak here fails the test. */
	tclient_loop_until(base, NULL, NULL, 100);
	bson_destroy(body);

	/* Checkin answers once and hangs up; under a delay the hang-up
	 * must wait for the answer (flush before close). */
	diag("%s: a delayed CHECKIN answer still arrives before the close",
	    f->name);
	if ((a = tclient_connect_sim(base, f->sim, LOCOSIM_CHECKIN, f->cipher,
	         &err)) != NULL) {
		body = BCON_NEW("userId", BCON_INT64(UA), "os",
		    BCON_UTF8("mac"), "ntype", BCON_INT32(0), "appVer",
		    BCON_UTF8("3.7.0"), "MCCMNC", BCON_UTF8("999"));
		p = tclient_call(a, "CHECKIN", body, &err);
		ok(p != NULL && tclient_status(p) == 0,
		    "delayed CHECKIN answered");
		tclient_pkt_free(p);
		ok(tclient_wait_closed(a, &err), "then the server hangs up");
		bson_destroy(body);
	} else
		ok(false, "connect to checkin: %s", err.msg);
	tclient_free(a);

	locosim_set_response_delay(f->sim, 0);
	if ((a = login(f, UA)) != NULL)
		alive(a, "a new session of A");
	tclient_free(a);
}

/* A client echoing MSG with the push's id (loco-wrapper) is ignored. */
static void
test_msg_echo(struct fix *f)
{
	struct count_cond cc;
	struct tclient_pkt *p;
	struct tclient *a;
	uint32_t push_id;
	bson_t *body;

	diag("%s: MSG echo with the push id", f->name);
	if ((a = login(f, UA)) == NULL)
		return;
	ok(locosim_send_text(f->sim, CHAT_GROUP, UC, "echo me") > 0, "send");
	if (!ok((p = tclient_wait_push(a, "MSG")) != NULL, "A gets MSG")) {
		tclient_free(a);
		return;
	}
	push_id = p->hdr.packet_id;
	tclient_pkt_free(p);
	cc.sim = f->sim;
	cc.method = "MSG";
	cc.n = locosim_request_count(f->sim, "MSG") + 1;
	body = BCON_NEW("notiRead", BCON_BOOL(false));
	ok(tclient_send(a, push_id, "MSG", body) == 0, "A echoes MSG %u",
	    push_id);
	bson_destroy(body);
	ok(tclient_loop_until(base, count_reached, &cc, TCLIENT_WAIT_MS),
	    "locosim received the echo");
	tclient_settle(a, QUIET_MS);
	is_uint(tclient_push_count(a, NULL), ==, 0);
	ok(!tclient_is_closed(a), "the session stays open");
	alive(a, "A");
	ok(locosim_send_text(f->sim, CHAT_GROUP, UC, "next") > 0, "send");
	p = tclient_wait_push(a, "MSG");
	ok(p != NULL && p->hdr.packet_id > push_id,
	    "the next push has a fresh id");
	tclient_pkt_free(p);
	tclient_free(a);
}

/* Every fault in one cipher profile. */
static void
run(enum loco_cipher cipher)
{
	struct locosim_opts o;
	struct loco_error err;
	struct fix f;

	memset(&f, 0, sizeof f);
	f.cipher = cipher;
	f.name = cipher == LOCO_CIPHER_GCM ? "GCM" : "CFB";
	locosim_opts_init(&o);
	o.world_json = world_json;
	o.no_control = true;
	o.cipher = cipher;
	o.rsa_key_path = rsa_path;
	o.tls_cert_path = cert_path;
	o.tls_key_path = certkey_path;
	f.sim = locosim_new(base, &o, &err);
	if (!ok(f.sim != NULL, "%s: locosim starts", f.name)) {
		diag("%s", err.msg);
		return;
	}
	test_drop(&f);
	test_changesvr(&f);
	test_kickout(&f);
	test_login_faults(&f);
	test_corrupt(&f);
	test_unknown(&f);
	test_stall(&f);
	test_reorder(&f);
	test_delay(&f);
	test_msg_echo(&f);
	locosim_free(f.sim);
	tclient_loop_drain(base);
}

/* Every fault in both cipher profiles. */
int
main(void)
{
	const char *dir;

	tap_init(120);
	base = event_base_new();
	dir = tap_tmpdir();
	snprintf(rsa_path, sizeof rsa_path, "%s/rsa.pem", dir);
	snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
	snprintf(certkey_path, sizeof certkey_path, "%s/cert-key.pem", dir);
	run(LOCO_CIPHER_GCM);
	run(LOCO_CIPHER_CFB);
	event_base_free(base);
	return done_testing();
}
