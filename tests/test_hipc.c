/* test_hipc.c: the handler protocol codec (doc/handler-protocol.md). */

#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hipc.h"

#define V(s)	((struct hipc_view){ (const uint8_t *)(s), sizeof(s) - 1 })
#define BODY(s)	((const uint8_t *)(s)), (sizeof(s) - 1)

#define ARENA_LEN	16384
#define FRAME_LEN	8192

/* Scratch space every test may use; cmocka runs tests one at a time. */
struct scratch {
	union {
		max_align_t	 align;
		uint8_t		 b[ARENA_LEN];
	}		 arena;
	uint8_t		 frame[FRAME_LEN];
	uint8_t		 body[FRAME_LEN];
};

/*
 * Hand-built frames of a C-ECHO association, byte by byte from the
 * layouts in doc/handler-protocol.md.  The same bytes are its worked
 * example and seed the fuzz corpus.
 */
static const char fx_hello[] =
	"DU\x01\x01\x00\x00\x00\x61"
	"\x0f\x01\x00\x00\x00\x02\x00\x01"
	"\x0f\x02\x00\x00\x00\x02\x00\x01"
	"\x0f\x03\x00\x00\x00\x10" "dulserverd/0.1.0"
	"\x0f\x04\x00\x00\x00\x17" "20261101T101502Z-7f3a1c"
	"\x0f\x05\x00\x00\x00\x04\x00\x21\x00\x00"
	"\x0f\x06\x00\x00\x00\x04\x00\x10\x00\x00"
	"\x0f\x07\x00\x00\x00\x04\x00\x00\x00\x07";

static const char fx_hello_reply[] =
	"DU\x01\x02\x00\x00\x00\x1a"
	"\x0f\x10\x00\x00\x00\x02\x00\x01"
	"\x0f\x11\x00\x00\x00\x0c" "dul-echo-scp";

static const char fx_assoc_ind[] =
	"DU\x01\x10\x00\x00\x01\x9f"
	"\x00\x01\x00\x00\x00\x15" "1.2.840.10008.3.1.1.1"
	"\x00\x02\x00\x00\x00\x07" "ECHOSCU"
	"\x00\x03\x00\x00\x00\x07" "ECHOSCP"
	"\x00\x04\x00\x00\x00\x09" "127.0.0.1"
	"\x00\x05\x00\x00\x00\x09" "127.0.0.1"
	"\x00\x06\x00\x00\x00\x04\x00\x00\x40\x00"
	"\x00\x07\x00\x00\x00\x1b" "1.2.276.0.7230010.3.0.3.6.8"
	"\x00\x08\x00\x00\x00\x0f" "OFFIS_DCMTK_368"
	"\x00\x0a\x00\x00\x00\x10" "ECHOSCU         "
	"\x00\x0b\x00\x00\x00\x10" "ECHOSCP         "
	"\x00\x0c\x00\x00\x00\x02\xc8\x22"
	"\x00\x0d\x00\x00\x00\x02\x2b\x68"
	"\x00\x0e\x00\x00\x00\x17" "20261101T101502Z-7f3a1c"
	"\x00\x10\x00\x00\x00\x53"
	    "\x00\x11\x00\x00\x00\x01\x01"
	    "\x00\x12\x00\x00\x00\x11" "1.2.840.10008.1.1"
	    "\x00\x13\x00\x00\x00\x11" "1.2.840.10008.1.2"
	    "\x00\x15\x00\x00\x00\x01\x00"
	    "\x00\x16\x00\x00\x00\x11" "1.2.840.10008.1.2"
	"\x00\x40\x00\x00\x00\x04\x00\x00\x40\x00"
	"\x00\x41\x00\x00\x00\x2d"
	    "2.25.37702220845173676206920092856050917640.1"
	"\x00\x42\x00\x00\x00\x10" "DULSERVERD_0.1.0"
	"\x00\x43\x00\x00\x00\x01\x00";

static const char fx_assoc_rsp[] =
	"DU\x01\x11\x00\x00\x00\x07"
	"\x01\x00\x00\x00\x00\x01\x02";

/* C-ECHO-RQ, message id 1, as one last command fragment on context 1. */
static const char fx_pdata_ind[] =
	"DU\x01\x20\x00\x00\x00\x4a"
	"\x00\x00\x00\x46\x01\x03"
	"\x00\x00\x00\x00\x04\x00\x00\x00\x38\x00\x00\x00"
	"\x00\x00\x02\x00\x12\x00\x00\x00" "1.2.840.10008.1.1\0"
	"\x00\x00\x00\x01\x02\x00\x00\x00\x30\x00"
	"\x00\x00\x10\x01\x02\x00\x00\x00\x01\x00"
	"\x00\x00\x00\x08\x02\x00\x00\x00\x01\x01";

/* C-ECHO-RSP, status success, answering message id 1. */
static const char fx_pdata_req[] =
	"DU\x01\x21\x00\x00\x00\x54"
	"\x00\x00\x00\x50\x01\x03"
	"\x00\x00\x00\x00\x04\x00\x00\x00\x42\x00\x00\x00"
	"\x00\x00\x02\x00\x12\x00\x00\x00" "1.2.840.10008.1.1\0"
	"\x00\x00\x00\x01\x02\x00\x00\x00\x30\x80"
	"\x00\x00\x20\x01\x02\x00\x00\x00\x01\x00"
	"\x00\x00\x00\x08\x02\x00\x00\x00\x01\x01"
	"\x00\x00\x00\x09\x02\x00\x00\x00\x00\x00";

static const char fx_release_ind[] = "DU\x01\x30\x00\x00\x00\x00";
static const char fx_release_rsp[] = "DU\x01\x31\x00\x00\x00\x00";

static const char sop_echo[] = "1.2.840.10008.1.1";
static const char ts_implicit[] = "1.2.840.10008.1.2";

/* Give each test fresh scratch space. */
static int
setup(void **state)
{
	*state = test_calloc(1, sizeof(struct scratch));
	return (*state == NULL ? -1 : 0);
}

/* Free a test's scratch space. */
static int
teardown(void **state)
{
	test_free(*state);
	return (0);
}

/* Assert that a view is present and holds exactly len bytes s. */
static void
assert_view_len(const struct hipc_view *v, const char *s, size_t len)
{
	assert_non_null(v->p);
	assert_int_equal(v->len, len);
	if (len > 0)
		assert_memory_equal(v->p, s, len);
}

/* The same for a string literal or char array, NUL bytes included. */
#define assert_view(v, s)	assert_view_len((v), (s), sizeof(s) - 1)

/* Return the direction a type travels in, W2H for ERROR. */
static unsigned int
dir_of(enum hipc_type type)
{
	const struct hipc_rule	*r = hipc_rule(type);

	assert_non_null(r);
	return ((r->dir & HIPC_W2H) ? HIPC_W2H : HIPC_H2W);
}

/* Check a fixture's header and decode its body into m. */
static void
decode_fixture(struct scratch *s, const char *fx, size_t fxlen,
    struct hipc_msg *m)
{
	struct hipc_hdr	 h;

	assert_true(fxlen >= HIPC_HDR_LEN);
	assert_int_equal(hipc_hdr_check((const uint8_t *)fx, dir_of((uint8_t)fx[3]),
	    HIPC_LIMIT_MAX, &h), HIPC_OK);
	assert_int_equal(h.len, fxlen - HIPC_HDR_LEN);
	assert_int_equal(hipc_decode(h.type, (const uint8_t *)fx +
	    HIPC_HDR_LEN, h.len, m, s->arena.b, sizeof(s->arena.b), NULL),
	    HIPC_OK);
}

/* Encode m, check the frame's header, decode it back into out. */
static size_t
roundtrip(struct scratch *s, const struct hipc_msg *m, struct hipc_msg *out)
{
	struct hipc_hdr	 h;
	size_t		 n;

	assert_int_equal(hipc_encode(m, s->frame, sizeof(s->frame), &n),
	    HIPC_OK);
	assert_int_equal(hipc_hdr_check(s->frame, dir_of(m->type),
	    HIPC_LIMIT_MAX, &h), HIPC_OK);
	assert_int_equal(h.type, m->type);
	assert_int_equal(h.len, n - HIPC_HDR_LEN);
	assert_int_equal(hipc_decode(m->type, s->frame + HIPC_HDR_LEN, h.len,
	    out, s->arena.b, sizeof(s->arena.b), NULL), HIPC_OK);
	assert_true(hipc_msg_equal(m, out));
	return (n);
}

/* Decode a raw body held in a literal. */
static int
decode_raw(struct scratch *s, enum hipc_type type, const uint8_t *p,
    size_t len, struct hipc_msg *m)
{
	return (hipc_decode(type, p, len, m, s->arena.b, sizeof(s->arena.b),
	    NULL));
}

/* The wire numbers are the catalogue's, and the rule table agrees. */
static void
test_hipc_catalogue_numbers_are_fixed(void **state)
{
	static const struct {
		unsigned int	 type;
		const char	*name;
		unsigned int	 dir;
	} cat[] = {
		{ 0x01, "HELLO", HIPC_W2H },
		{ 0x02, "HELLO_REPLY", HIPC_H2W },
		{ 0x10, "ASSOC_IND", HIPC_W2H },
		{ 0x11, "ASSOC_RSP", HIPC_H2W },
		{ 0x20, "PDATA_IND", HIPC_W2H },
		{ 0x21, "PDATA_REQ", HIPC_H2W },
		{ 0x30, "RELEASE_IND", HIPC_W2H },
		{ 0x31, "RELEASE_RSP", HIPC_H2W },
		{ 0x32, "RELEASE_REQ", HIPC_H2W },
		{ 0x33, "RELEASE_CNF", HIPC_W2H },
		{ 0x40, "ABORT_IND", HIPC_W2H },
		{ 0x41, "ABORT_REQ", HIPC_H2W },
		{ 0x42, "P_ABORT_IND", HIPC_W2H },
		{ 0x7e, "ERROR", HIPC_W2H | HIPC_H2W },
		{ 0x80, "LOG", HIPC_H2W },
		{ 0x81, "SHUTDOWN_NOTICE", HIPC_W2H },
		{ 0x82, "STATS", HIPC_W2H },
	};
	const struct hipc_rule	*r;
	unsigned int		 t, known = 0;
	size_t			 i;

	(void)state;
	assert_int_equal(HIPC_HELLO, 0x01);
	assert_int_equal(HIPC_ASSOC_IND, 0x10);
	assert_int_equal(HIPC_PDATA_REQ, 0x21);
	assert_int_equal(HIPC_RELEASE_CNF, 0x33);
	assert_int_equal(HIPC_P_ABORT_IND, 0x42);
	assert_int_equal(HIPC_ERROR, 0x7e);
	assert_int_equal(HIPC_STATS, 0x82);
	assert_int_equal(HIPC_TAG_PCTX, 0x0010);
	assert_int_equal(HIPC_TAG_DECIDED, 0x0043);
	assert_int_equal(HIPC_TAG_DECISION, 0x0100);
	assert_int_equal(HIPC_TAG_RSP_UI_RESPONSE, 0x0124);
	assert_int_equal(HIPC_TAG_LOG_TEXT, 0x8e11);
	for (i = 0; i < nitems(cat); i++) {
		r = hipc_rule(cat[i].type);
		assert_non_null(r);
		assert_int_equal(r->type, cat[i].type);
		assert_string_equal(r->name, cat[i].name);
		assert_string_equal(hipc_type_name(cat[i].type), cat[i].name);
		assert_int_equal(r->dir, cat[i].dir);
		assert_true(r->min_len <= r->max_len);
		assert_true(r->max_len <= HIPC_LIMIT_MAX);
	}
	for (t = 0; t < 256; t++) {
		if (hipc_rule(t) != NULL)
			known++;
	}
	assert_int_equal(known, nitems(cat));
	assert_string_equal(hipc_type_name(0x03), "unknown");
	assert_string_equal(hipc_type_name(0x9f), "extension");
}

/* A fixture header gives its type and length before the body is read. */
static void
test_hipc_hdr_fixture_gives_type_and_length(void **state)
{
	static const uint8_t	 hdr[] = { 'D', 'U', 0x01, 0x20,
				    0x00, 0x00, 0x40, 0x06 };
	struct hipc_hdr		 h;
	uint8_t			 out[HIPC_HDR_LEN];

	(void)state;
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 16390, &h), HIPC_OK);
	assert_int_equal(h.type, HIPC_PDATA_IND);
	assert_int_equal(h.len, 0x4006);
	assert_non_null(h.rule);
	assert_string_equal(h.rule->name, "PDATA_IND");
	hipc_hdr_put(out, HIPC_PDATA_IND, 0x4006);
	assert_memory_equal(out, hdr, sizeof(hdr));
	/* One byte over the receiver's limit is refused. */
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 16389, &h),
	    HIPC_ERR_TOO_LARGE);
}

/* Each way a header can be wrong has its own error. */
static void
test_hipc_hdr_malformed_is_refused(void **state)
{
	uint8_t		 hdr[HIPC_HDR_LEN];
	struct hipc_hdr	 h;

	(void)state;
	hipc_hdr_put(hdr, HIPC_HELLO, 58);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h), HIPC_OK);

	hdr[0] = 'd';
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h),
	    HIPC_ERR_MAGIC);
	hipc_hdr_put(hdr, HIPC_HELLO, 58);
	hdr[1] = 'V';
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h),
	    HIPC_ERR_MAGIC);

	hipc_hdr_put(hdr, HIPC_HELLO, 58);
	hdr[2] = 2;
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h),
	    HIPC_ERR_FRAME_VERSION);
	hdr[2] = 0;
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h),
	    HIPC_ERR_FRAME_VERSION);

	/* Unknown core types, 0 included, are errors. */
	hipc_hdr_put(hdr, (enum hipc_type)0x03, 0);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h),
	    HIPC_ERR_TYPE);
	assert_int_equal(h.type, 0x03);
	hipc_hdr_put(hdr, (enum hipc_type)0x00, 0);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_H2W, 65536, &h),
	    HIPC_ERR_TYPE);
	hipc_hdr_put(hdr, (enum hipc_type)0x7f, 0);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_H2W, 65536, &h),
	    HIPC_ERR_TYPE);

	/* Wrong direction: HELLO from a handler, PDATA_REQ from a worker. */
	hipc_hdr_put(hdr, HIPC_HELLO, 58);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_H2W, 65536, &h),
	    HIPC_ERR_DIRECTION);
	hipc_hdr_put(hdr, HIPC_PDATA_REQ, 6);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h),
	    HIPC_ERR_DIRECTION);
	hipc_hdr_put(hdr, HIPC_LOG, 13);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h),
	    HIPC_ERR_DIRECTION);
	/* ERROR goes both ways. */
	hipc_hdr_put(hdr, HIPC_ERROR, 8);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h), HIPC_OK);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_H2W, 65536, &h), HIPC_OK);

	/* 0xFFFFFFFF is refused whatever the receiver announced. */
	hipc_hdr_put(hdr, HIPC_PDATA_REQ, 0xffffffffu);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_H2W, 1048576, &h),
	    HIPC_ERR_TOO_LARGE);
	assert_int_equal(h.len, 0xffffffffu);
	assert_null(h.rule);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_H2W, 0xffffffffu, &h),
	    HIPC_ERR_TOO_LARGE);
	/* A control message is bounded by its type, not the announcement. */
	hipc_hdr_put(hdr, HIPC_RELEASE_RSP, HIPC_CTL_MAX + 1);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_H2W, HIPC_LIMIT_MAX, &h),
	    HIPC_ERR_TOO_LARGE);

	/* Below the type's minimum. */
	hipc_hdr_put(hdr, HIPC_HELLO, 57);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h),
	    HIPC_ERR_TOO_SMALL);
	hipc_hdr_put(hdr, HIPC_PDATA_IND, 5);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 65536, &h),
	    HIPC_ERR_TOO_SMALL);
	hipc_hdr_put(hdr, HIPC_ASSOC_RSP, 0);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_H2W, 65536, &h),
	    HIPC_ERR_TOO_SMALL);
}

/* An unknown extension type is skipped, within the receiver's limit. */
static void
test_hipc_hdr_unknown_extension_is_skipped(void **state)
{
	uint8_t		 hdr[HIPC_HDR_LEN];
	struct hipc_hdr	 h;

	(void)state;
	hipc_hdr_put(hdr, (enum hipc_type)0x9f, 300);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_H2W, 65536, &h), HIPC_SKIP);
	assert_int_equal(h.type, 0x9f);
	assert_int_equal(h.len, 300);
	assert_null(h.rule);
	assert_int_equal(hipc_hdr_check(hdr, HIPC_W2H, 299, &h),
	    HIPC_ERR_TOO_LARGE);
	assert_int_equal(hipc_decode((enum hipc_type)0x9f, NULL, 0,
	    &(struct hipc_msg){ 0 }, NULL, 0, NULL), HIPC_ERR_TYPE);
}

/* The HELLO fixture decodes field by field and re-encodes to itself. */
static void
test_hipc_hello_fixture_decodes(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m;
	size_t		 n;

	decode_fixture(s, fx_hello, sizeof(fx_hello) - 1, &m);
	assert_int_equal(m.type, HIPC_HELLO);
	assert_int_equal(m.u.hello.version_min, 1);
	assert_int_equal(m.u.hello.version_max, 1);
	assert_view(&m.u.hello.software, "dulserverd/0.1.0");
	assert_view(&m.u.hello.assoc_id, "20261101T101502Z-7f3a1c");
	assert_int_equal(m.u.hello.max_w2h, 2 * 1048576 + 65536);
	assert_int_equal(m.u.hello.max_h2w, 1048576);
	assert_int_equal(m.u.hello.features,
	    HIPC_F_SHUTDOWN_NOTICE | HIPC_F_STATS | HIPC_F_LOG);
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_OK);
	assert_int_equal(n, sizeof(fx_hello) - 1);
	assert_memory_equal(s->frame, fx_hello, n);
}

/* HELLO_REPLY: the fixture, then every field through a round trip. */
static void
test_hipc_hello_reply_roundtrips(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m, out;
	size_t		 n;

	decode_fixture(s, fx_hello_reply, sizeof(fx_hello_reply) - 1, &m);
	assert_int_equal(m.u.hello_reply.version, 1);
	assert_view(&m.u.hello_reply.name, "dul-echo-scp");
	assert_int_equal(m.u.hello_reply.features, 0);
	assert_int_equal(m.u.hello_reply.max_w2h, 0);
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_OK);
	assert_int_equal(n, sizeof(fx_hello_reply) - 1);
	assert_memory_equal(s->frame, fx_hello_reply, n);

	memset(&m, 0, sizeof(m));
	m.type = HIPC_HELLO_REPLY;
	m.u.hello_reply.version = 1;
	m.u.hello_reply.name = V("store.py 2.0");
	m.u.hello_reply.features = HIPC_F_SHUTDOWN_NOTICE | HIPC_F_STATS;
	m.u.hello_reply.max_w2h = 4194304;
	n = roundtrip(s, &m, &out);
	assert_int_equal(n, HIPC_HDR_LEN + 8 + 18 + 10 + 10);
	assert_int_equal(out.u.hello_reply.version, 1);
	assert_view(&out.u.hello_reply.name, "store.py 2.0");
	assert_int_equal(out.u.hello_reply.features,
	    HIPC_F_SHUTDOWN_NOTICE | HIPC_F_STATS);
	assert_int_equal(out.u.hello_reply.max_w2h, 4194304);
}

/* The ASSOC_IND fixture of an echoscu association decodes fully. */
static void
test_hipc_assoc_ind_fixture_decodes(void **state)
{
	struct scratch			*s = *state;
	struct hipc_msg			 m;
	const struct hipc_assoc_ind	*a = &m.u.assoc_ind;
	size_t				 n;

	decode_fixture(s, fx_assoc_ind, sizeof(fx_assoc_ind) - 1, &m);
	assert_view(&a->app_context, "1.2.840.10008.3.1.1.1");
	assert_view(&a->calling_ae, "ECHOSCU");
	assert_view(&a->called_ae, "ECHOSCP");
	assert_view(&a->calling_ae_raw, "ECHOSCU         ");
	assert_view(&a->called_ae_raw, "ECHOSCP         ");
	assert_view(&a->peer_addr, "127.0.0.1");
	assert_int_equal(a->peer_port, 51234);
	assert_view(&a->local_addr, "127.0.0.1");
	assert_int_equal(a->local_port, 11112);
	assert_view(&a->assoc_id, "20261101T101502Z-7f3a1c");
	assert_int_equal(a->peer_max_pdu, 16384);
	assert_view(&a->peer_impl_uid, "1.2.276.0.7230010.3.0.3.6.8");
	assert_view(&a->peer_impl_version, "OFFIS_DCMTK_368");
	assert_int_equal(a->has_async, 0);
	assert_int_equal(a->npctx, 1);
	assert_int_equal(a->pctx[0].id, 1);
	assert_view(&a->pctx[0].abstract, sop_echo);
	assert_int_equal(a->pctx[0].nts, 1);
	assert_view(&a->pctx[0].ts[0], ts_implicit);
	assert_int_equal(a->pctx[0].has_roles, 0);
	assert_int_equal(a->pctx[0].result, 0);
	assert_view(&a->pctx[0].result_ts, ts_implicit);
	assert_int_equal(a->pctx[0].has_result_roles, 0);
	assert_int_equal(a->next, 0);
	assert_null(a->ext);
	assert_int_equal(a->nroles, 0);
	assert_int_equal(a->ncext, 0);
	assert_int_equal(a->has_user_identity, 0);
	assert_int_equal(a->our_max_pdu, 16384);
	assert_view(&a->our_impl_uid,
	    "2.25.37702220845173676206920092856050917640.1");
	assert_view(&a->our_impl_version, "DULSERVERD_0.1.0");
	assert_int_equal(a->decided, 0);
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_OK);
	assert_int_equal(n, sizeof(fx_assoc_ind) - 1);
	assert_memory_equal(s->frame, fx_assoc_ind, n);
}

/* An ASSOC_IND with every item survives a round trip field by field. */
static void
test_hipc_assoc_ind_every_item_roundtrips(void **state)
{
	struct scratch			*s = *state;
	static const struct hipc_view	 ts1[] = {
		{ (const uint8_t *)"1.2.840.10008.1.2.1", 19 },
		{ (const uint8_t *)"1.2.840.10008.1.2", 17 },
	};
	static const struct hipc_view	 rel[] = {
		{ (const uint8_t *)"1.2.840.10008.5.1.4.1.1.1", 25 },
		{ (const uint8_t *)"1.2.840.10008.5.1.4.1.1.2", 25 },
	};
	struct hipc_pctx		 pc[2];
	struct hipc_ext			 ext[1];
	struct hipc_role		 role[1];
	struct hipc_cext		 cext[1];
	struct hipc_msg			 m, out;
	struct hipc_assoc_ind		*a = &m.u.assoc_ind;
	const struct hipc_assoc_ind	*o = &out.u.assoc_ind;

	memset(pc, 0, sizeof(pc));
	pc[0].id = 1;
	pc[0].abstract = V("1.2.840.10008.5.1.4.1.1.2");
	pc[0].ts = ts1;
	pc[0].nts = 2;
	pc[0].has_roles = 1;
	pc[0].scu = 1;
	pc[0].scp = 1;
	pc[0].result = 0;
	pc[0].result_ts = V("1.2.840.10008.1.2.1");
	pc[0].has_result_roles = 1;
	pc[0].result_scu = 1;
	pc[0].result_scp = 0;
	pc[1].id = 255;
	pc[1].abstract = V("1.2.3.4");
	pc[1].result = 4;		/* no transfer syntax proposed */
	ext[0].sop_class = V("1.2.840.10008.5.1.4.1.2.2.1");
	ext[0].info = V("\x01\x00\x01");
	role[0].sop_class = V("1.2.840.10008.5.1.4.1.1.2");
	role[0].scu = 1;
	role[0].scp = 1;
	cext[0].sop_class = V("1.2.840.10008.5.1.4.1.1.2");
	cext[0].service_class = V("1.2.840.10008.4.2");
	cext[0].related = rel;
	cext[0].nrelated = 2;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_ASSOC_IND;
	a->app_context = V("1.2.840.10008.3.1.1.1");
	a->calling_ae = V("CT 1");
	a->called_ae = V("STORESCP");
	a->calling_ae_raw = V(" CT 1           ");
	a->called_ae_raw = V("STORESCP        ");
	a->peer_addr = V("2001:db8::7");
	a->peer_port = 40001;
	a->local_addr = V("2001:db8::1");
	a->local_port = 104;
	a->assoc_id = V("20261101T101502Z-0001");
	a->peer_max_pdu = 0;
	a->peer_impl_uid = V("1.2.3");
	a->has_async = 1;
	a->async_invoked = 5;
	a->async_performed = 0;
	a->pctx = pc;
	a->npctx = 2;
	a->ext = ext;
	a->next = 1;
	a->roles = role;
	a->nroles = 1;
	a->cext = cext;
	a->ncext = 1;
	a->has_user_identity = 1;
	a->ui.type = 2;
	a->ui.response_requested = 1;
	a->ui.primary = V("alice");
	a->ui.secondary = V("s3cr\x01t");
	a->our_max_pdu = 65536;
	a->our_impl_uid = V("2.25.1");
	a->decided = 1;

	roundtrip(s, &m, &out);
	assert_view(&o->app_context, "1.2.840.10008.3.1.1.1");
	assert_view(&o->calling_ae, "CT 1");
	assert_view(&o->called_ae, "STORESCP");
	assert_view(&o->calling_ae_raw, " CT 1           ");
	assert_view(&o->called_ae_raw, "STORESCP        ");
	assert_view(&o->peer_addr, "2001:db8::7");
	assert_int_equal(o->peer_port, 40001);
	assert_view(&o->local_addr, "2001:db8::1");
	assert_int_equal(o->local_port, 104);
	assert_view(&o->assoc_id, "20261101T101502Z-0001");
	assert_int_equal(o->peer_max_pdu, 0);
	assert_view(&o->peer_impl_uid, "1.2.3");
	assert_null(o->peer_impl_version.p);
	assert_int_equal(o->has_async, 1);
	assert_int_equal(o->async_invoked, 5);
	assert_int_equal(o->async_performed, 0);

	assert_int_equal(o->npctx, 2);
	assert_int_equal(o->pctx[0].id, 1);
	assert_view(&o->pctx[0].abstract, "1.2.840.10008.5.1.4.1.1.2");
	assert_int_equal(o->pctx[0].nts, 2);
	assert_view(&o->pctx[0].ts[0], "1.2.840.10008.1.2.1");
	assert_view(&o->pctx[0].ts[1], "1.2.840.10008.1.2");
	assert_int_equal(o->pctx[0].has_roles, 1);
	assert_int_equal(o->pctx[0].scu, 1);
	assert_int_equal(o->pctx[0].scp, 1);
	assert_int_equal(o->pctx[0].result, 0);
	assert_view(&o->pctx[0].result_ts, "1.2.840.10008.1.2.1");
	assert_int_equal(o->pctx[0].has_result_roles, 1);
	assert_int_equal(o->pctx[0].result_scu, 1);
	assert_int_equal(o->pctx[0].result_scp, 0);
	assert_int_equal(o->pctx[1].id, 255);
	assert_view(&o->pctx[1].abstract, "1.2.3.4");
	assert_int_equal(o->pctx[1].nts, 0);
	assert_null(o->pctx[1].ts);
	assert_int_equal(o->pctx[1].has_roles, 0);
	assert_int_equal(o->pctx[1].result, 4);
	assert_null(o->pctx[1].result_ts.p);
	assert_int_equal(o->pctx[1].has_result_roles, 0);

	assert_int_equal(o->next, 1);
	assert_view(&o->ext[0].sop_class, "1.2.840.10008.5.1.4.1.2.2.1");
	assert_view(&o->ext[0].info, "\x01\x00\x01");
	assert_int_equal(o->nroles, 1);
	assert_view(&o->roles[0].sop_class, "1.2.840.10008.5.1.4.1.1.2");
	assert_int_equal(o->roles[0].scu, 1);
	assert_int_equal(o->roles[0].scp, 1);
	assert_int_equal(o->ncext, 1);
	assert_view(&o->cext[0].sop_class, "1.2.840.10008.5.1.4.1.1.2");
	assert_view(&o->cext[0].service_class, "1.2.840.10008.4.2");
	assert_int_equal(o->cext[0].nrelated, 2);
	assert_view(&o->cext[0].related[0], "1.2.840.10008.5.1.4.1.1.1");
	assert_view(&o->cext[0].related[1], "1.2.840.10008.5.1.4.1.1.2");

	assert_int_equal(o->has_user_identity, 1);
	assert_int_equal(o->ui.type, 2);
	assert_int_equal(o->ui.response_requested, 1);
	assert_view(&o->ui.primary, "alice");
	assert_view(&o->ui.secondary, "s3cr\x01t");
	assert_int_equal(o->our_max_pdu, 65536);
	assert_view(&o->our_impl_uid, "2.25.1");
	assert_null(o->our_impl_version.p);
	assert_int_equal(o->decided, 1);
}

/* The arena is sized by the first call and checked, never overrun. */
static void
test_hipc_assoc_ind_small_arena_is_space(void **state)
{
	struct scratch	*s = *state;
	const uint8_t	*body = (const uint8_t *)fx_assoc_ind + HIPC_HDR_LEN;
	size_t		 len = sizeof(fx_assoc_ind) - 1 - HIPC_HDR_LEN;
	struct hipc_msg	 m;
	size_t		 need = 0;

	assert_int_equal(hipc_decode(HIPC_ASSOC_IND, body, len, &m, NULL, 0,
	    &need), HIPC_ERR_SPACE);
	assert_true(need >= sizeof(struct hipc_pctx) +
	    sizeof(struct hipc_view));
	assert_true(need <= hipc_arena_bound(len));
	assert_int_equal(hipc_decode(HIPC_ASSOC_IND, body, len, &m,
	    s->arena.b, need - 1, NULL), HIPC_ERR_SPACE);
	/* An unaligned arena of exactly the announced size is enough. */
	assert_int_equal(hipc_decode(HIPC_ASSOC_IND, body, len, &m,
	    s->arena.b + 1, need, NULL), HIPC_OK);
	assert_int_equal(m.u.assoc_ind.npctx, 1);
	assert_int_equal((uintptr_t)m.u.assoc_ind.pctx %
	    _Alignof(struct hipc_pctx), 0);
	/* Bodies without lists need no arena. */
	assert_int_equal(hipc_decode(HIPC_HELLO, (const uint8_t *)fx_hello +
	    HIPC_HDR_LEN, sizeof(fx_hello) - 1 - HIPC_HDR_LEN, &m, NULL, 0,
	    &need), HIPC_OK);
	assert_int_equal(need, 0);
}

/* ASSOC_RSP: the "as proposed" fixture, an accept and a reject. */
static void
test_hipc_assoc_rsp_roundtrips(void **state)
{
	struct scratch		*s = *state;
	struct hipc_pc_answer	 ans[2];
	struct hipc_ext		 ext[1];
	struct hipc_msg		 m, out;
	struct hipc_assoc_rsp	*r = &m.u.assoc_rsp;
	const struct hipc_assoc_rsp *o = &out.u.assoc_rsp;
	size_t			 n;

	decode_fixture(s, fx_assoc_rsp, sizeof(fx_assoc_rsp) - 1, &m);
	assert_int_equal(r->decision, HIPC_DECISION_AS_PROPOSED);
	assert_int_equal(r->nanswers, 0);
	assert_int_equal(r->max_pdu, 0);
	assert_null(r->ui_response.p);
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_OK);
	assert_int_equal(n, sizeof(fx_assoc_rsp) - 1);
	assert_memory_equal(s->frame, fx_assoc_rsp, n);

	memset(ans, 0, sizeof(ans));
	ans[0].id = 3;
	ans[0].result = 0;
	ans[0].ts = V("1.2.840.10008.1.2.1");
	ans[0].has_roles = 1;
	ans[0].scu = 0;
	ans[0].scp = 1;
	ans[1].id = 5;
	ans[1].result = 1;
	ext[0].sop_class = V("1.2.840.10008.5.1.4.1.2.2.1");
	ext[0].info = V("\x01");
	memset(&m, 0, sizeof(m));
	m.type = HIPC_ASSOC_RSP;
	r->decision = HIPC_DECISION_ACCEPT;
	r->answers = ans;
	r->nanswers = 2;
	r->max_pdu = 32768;
	r->has_async = 1;
	r->async_invoked = 1;
	r->async_performed = 1;
	r->ext = ext;
	r->next = 1;
	r->ui_response = V("");
	roundtrip(s, &m, &out);
	assert_int_equal(o->decision, HIPC_DECISION_ACCEPT);
	assert_int_equal(o->rj_result, 0);
	assert_int_equal(o->nanswers, 2);
	assert_int_equal(o->answers[0].id, 3);
	assert_int_equal(o->answers[0].result, 0);
	assert_view(&o->answers[0].ts, "1.2.840.10008.1.2.1");
	assert_int_equal(o->answers[0].has_roles, 1);
	assert_int_equal(o->answers[0].scu, 0);
	assert_int_equal(o->answers[0].scp, 1);
	assert_int_equal(o->answers[1].id, 5);
	assert_int_equal(o->answers[1].result, 1);
	assert_null(o->answers[1].ts.p);
	assert_int_equal(o->answers[1].has_roles, 0);
	assert_int_equal(o->max_pdu, 32768);
	assert_int_equal(o->has_async, 1);
	assert_int_equal(o->async_invoked, 1);
	assert_int_equal(o->async_performed, 1);
	assert_int_equal(o->next, 1);
	assert_view(&o->ext[0].sop_class, "1.2.840.10008.5.1.4.1.2.2.1");
	assert_view(&o->ext[0].info, "\x01");
	assert_view(&o->ui_response, "");

	memset(&m, 0, sizeof(m));
	m.type = HIPC_ASSOC_RSP;
	r->decision = HIPC_DECISION_REJECT;
	r->rj_result = 1;
	r->rj_source = 1;
	r->rj_reason = 3;
	n = roundtrip(s, &m, &out);
	assert_int_equal(n, HIPC_HDR_LEN + 4 * 7);
	assert_int_equal(o->decision, HIPC_DECISION_REJECT);
	assert_int_equal(o->rj_result, 1);
	assert_int_equal(o->rj_source, 1);
	assert_int_equal(o->rj_reason, 3);
	assert_int_equal(o->nanswers, 0);
	assert_null(o->answers);
}

/* The C-ECHO-RQ fixture yields one PDV with the command bytes intact. */
static void
test_hipc_pdata_ind_fixture_iterates(void **state)
{
	struct scratch		*s = *state;
	struct hipc_msg		 m;
	struct hipc_pdv_iter	 it;
	struct hipc_pdv		 pdv;
	size_t			 n;

	decode_fixture(s, fx_pdata_ind, sizeof(fx_pdata_ind) - 1, &m);
	assert_int_equal(m.u.pdata.npdv, 1);
	assert_ptr_equal(m.u.pdata.pdvs, fx_pdata_ind + HIPC_HDR_LEN);
	assert_int_equal(m.u.pdata.len, 0x4a);
	hipc_pdv_begin(&it, &m.u.pdata);
	assert_int_equal(hipc_pdv_next(&it, &pdv), 1);
	assert_int_equal(pdv.pcid, 1);
	assert_int_equal(pdv.mch, 0x03);
	assert_int_equal(pdv.len, 68);
	assert_ptr_equal(pdv.data, fx_pdata_ind + HIPC_HDR_LEN + 6);
	/* (0000,0100) Command Field is C-ECHO-RQ. */
	assert_memory_equal(pdv.data + 38, "\x00\x00\x00\x01\x02\x00\x00\x00"
	    "\x30\x00", 10);
	assert_int_equal(hipc_pdv_next(&it, &pdv), 0);
	assert_int_equal(hipc_pdv_next(&it, &pdv), 0);
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_OK);
	assert_int_equal(n, sizeof(fx_pdata_ind) - 1);
	assert_memory_equal(s->frame, fx_pdata_ind, n);
}

/* A PDATA_REQ with several PDVs, one built with hipc_pdv_hdr_put(). */
static void
test_hipc_pdata_req_several_pdvs_roundtrip(void **state)
{
	struct scratch		*s = *state;
	struct hipc_msg		 m, out;
	struct hipc_pdv_iter	 it;
	struct hipc_pdv		 pdv;
	uint8_t			 body[64];
	size_t			 len;

	decode_fixture(s, fx_pdata_req, sizeof(fx_pdata_req) - 1, &m);
	assert_int_equal(m.type, HIPC_PDATA_REQ);
	assert_int_equal(m.u.pdata.npdv, 1);

	hipc_pdv_hdr_put(body, 3, 0x01, 4);
	memcpy(body + 6, "\x01\x02\x03\x04", 4);
	hipc_pdv_hdr_put(body + 10, 3, 0x03, 0);
	hipc_pdv_hdr_put(body + 16, 7, 0x02, 2);
	memcpy(body + 22, "\xfe\xff", 2);
	len = 24;
	assert_memory_equal(body, "\x00\x00\x00\x06\x03\x01", 6);
	memset(&m, 0, sizeof(m));
	m.type = HIPC_PDATA_REQ;
	m.u.pdata.pdvs = body;
	m.u.pdata.len = len;
	roundtrip(s, &m, &out);
	assert_int_equal(out.u.pdata.npdv, 3);
	assert_int_equal(out.u.pdata.len, len);
	hipc_pdv_begin(&it, &out.u.pdata);
	assert_int_equal(hipc_pdv_next(&it, &pdv), 1);
	assert_int_equal(pdv.pcid, 3);
	assert_int_equal(pdv.mch, 0x01);
	assert_int_equal(pdv.len, 4);
	assert_memory_equal(pdv.data, "\x01\x02\x03\x04", 4);
	assert_int_equal(hipc_pdv_next(&it, &pdv), 1);
	assert_int_equal(pdv.pcid, 3);
	assert_int_equal(pdv.mch, 0x03);
	assert_int_equal(pdv.len, 0);
	assert_int_equal(hipc_pdv_next(&it, &pdv), 1);
	assert_int_equal(pdv.pcid, 7);
	assert_int_equal(pdv.mch, 0x02);
	assert_int_equal(pdv.len, 2);
	assert_memory_equal(pdv.data, "\xfe\xff", 2);
	assert_int_equal(hipc_pdv_next(&it, &pdv), 0);
}

/* Malformed PDV sequences get their exact errors. */
static void
test_hipc_pdata_malformed_is_refused(void **state)
{
	struct scratch		*s = *state;
	struct hipc_msg		 m;
	struct hipc_pdv_iter	 it;
	struct hipc_pdv		 pdv;
	struct hipc_pdata	 pd;

	/* Item length 1: no room for the message control header. */
	assert_int_equal(decode_raw(s, HIPC_PDATA_IND,
	    BODY("\x00\x00\x00\x01\x01\x03"), &m), HIPC_ERR_ITEM_LEN);
	/* Runs past the body. */
	assert_int_equal(decode_raw(s, HIPC_PDATA_IND,
	    BODY("\x00\x00\x00\x05\x01\x03\x00\x00"), &m), HIPC_ERR_SHORT);
	/* Three bytes after the last PDV cannot be an item length. */
	assert_int_equal(decode_raw(s, HIPC_PDATA_REQ,
	    BODY("\x00\x00\x00\x02\x01\x03\x00\x00\x00"), &m),
	    HIPC_ERR_TRAILING);
	/* Even and zero context ids are never valid (PS3.8 7.1.1.13). */
	assert_int_equal(decode_raw(s, HIPC_PDATA_REQ,
	    BODY("\x00\x00\x00\x02\x02\x03"), &m), HIPC_ERR_VALUE);
	assert_int_equal(decode_raw(s, HIPC_PDATA_REQ,
	    BODY("\x00\x00\x00\x02\x00\x03"), &m), HIPC_ERR_VALUE);
	assert_int_equal(decode_raw(s, HIPC_PDATA_REQ,
	    BODY("\x00\x00\x00"), &m), HIPC_ERR_TOO_SMALL);
	/* The iterator stays bounded on bytes nobody validated. */
	pd.pdvs = (const uint8_t *)"\x00\x00\x00\x09\x01\x03";
	pd.len = 6;
	hipc_pdv_begin(&it, &pd);
	assert_int_equal(hipc_pdv_next(&it, &pdv), HIPC_ERR_SHORT);
	pd.len = 3;
	hipc_pdv_begin(&it, &pd);
	assert_int_equal(hipc_pdv_next(&it, &pdv), HIPC_ERR_TRAILING);
}

/* The release, abort and session messages keep every field. */
static void
test_hipc_small_messages_roundtrip(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m, out;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_RELEASE_CNF;
	m.u.release_cnf.collision = 1;
	assert_int_equal(roundtrip(s, &m, &out), HIPC_HDR_LEN + 7);
	assert_int_equal(out.u.release_cnf.collision, 1);

	memset(&m, 0, sizeof(m));
	m.type = HIPC_ABORT_IND;
	m.u.abort_ind.source = 2;
	m.u.abort_ind.reason = 6;
	assert_int_equal(roundtrip(s, &m, &out), HIPC_HDR_LEN + 14);
	assert_int_equal(out.u.abort_ind.source, 2);
	assert_int_equal(out.u.abort_ind.reason, 6);

	memset(&m, 0, sizeof(m));
	m.type = HIPC_P_ABORT_IND;
	m.u.p_abort_ind.reason = 2;
	m.u.p_abort_ind.cause = HIPC_CAUSE_IDLE;
	m.u.p_abort_ind.text = V("no PDU for 60 s");
	roundtrip(s, &m, &out);
	assert_int_equal(out.u.p_abort_ind.reason, 2);
	assert_int_equal(out.u.p_abort_ind.cause, 1);
	assert_view(&out.u.p_abort_ind.text, "no PDU for 60 s");

	memset(&m, 0, sizeof(m));
	m.type = HIPC_ERROR;
	m.u.error.code = HIPC_ECODE_VERSION;
	m.u.error.text = V("no common protocol version");
	roundtrip(s, &m, &out);
	assert_int_equal(out.u.error.code, 2);
	assert_view(&out.u.error.text, "no common protocol version");
	m.u.error.text.p = NULL;
	assert_int_equal(roundtrip(s, &m, &out), HIPC_HDR_LEN + 8);
	assert_null(out.u.error.text.p);

	memset(&m, 0, sizeof(m));
	m.type = HIPC_LOG;
	m.u.log.level = HIPC_LOG_WARNING;
	m.u.log.text = V("disk 90% full");
	roundtrip(s, &m, &out);
	assert_int_equal(out.u.log.level, 1);
	assert_view(&out.u.log.text, "disk 90% full");

	memset(&m, 0, sizeof(m));
	m.type = HIPC_SHUTDOWN_NOTICE;
	m.u.shutdown_notice.seconds = 30;
	roundtrip(s, &m, &out);
	assert_int_equal(out.u.shutdown_notice.seconds, 30);

	memset(&m, 0, sizeof(m));
	m.type = HIPC_STATS;
	m.u.stats.pdus_in = 12;
	m.u.stats.pdus_out = 7;
	m.u.stats.bytes_in = 0x123456789aULL;
	m.u.stats.bytes_out = UINT64_MAX;
	roundtrip(s, &m, &out);
	assert_int_equal(out.u.stats.pdus_in, 12);
	assert_int_equal(out.u.stats.pdus_out, 7);
	assert_true(out.u.stats.bytes_in == 0x123456789aULL);
	assert_true(out.u.stats.bytes_out == UINT64_MAX);
}

/* Empty messages are bare headers; they take extension items only. */
static void
test_hipc_empty_messages_take_only_extensions(void **state)
{
	static const enum hipc_type	 types[] = { HIPC_RELEASE_IND,
		HIPC_RELEASE_RSP, HIPC_RELEASE_REQ, HIPC_ABORT_REQ };
	struct scratch			*s = *state;
	struct hipc_msg			 m;
	size_t				 i, n;

	for (i = 0; i < nitems(types); i++) {
		memset(&m, 0, sizeof(m));
		m.type = types[i];
		assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame),
		    &n), HIPC_OK);
		assert_int_equal(n, HIPC_HDR_LEN);
		assert_int_equal(s->frame[3], types[i]);
		assert_memory_equal(s->frame + 4, "\x00\x00\x00\x00", 4);
		assert_int_equal(hipc_decode(types[i], NULL, 0, &m, NULL, 0,
		    NULL), HIPC_OK);
		assert_int_equal(decode_raw(s, types[i],
		    BODY("\x80\x01\x00\x00\x00\x02\xaa\xbb"), &m), HIPC_OK);
		assert_int_equal(decode_raw(s, types[i],
		    BODY("\x00\x01\x00\x00\x00\x00"), &m), HIPC_ERR_TAG);
	}
	assert_memory_equal(fx_release_ind, "DU\x01\x30\x00\x00\x00\x00", 8);
	decode_fixture(s, fx_release_ind, sizeof(fx_release_ind) - 1, &m);
	decode_fixture(s, fx_release_rsp, sizeof(fx_release_rsp) - 1, &m);
}

/* Each rule's minimum is the size of the smallest valid body. */
static void
test_hipc_rule_minimum_is_smallest_body(void **state)
{
	struct scratch		*s = *state;
	struct hipc_pctx	 pc;
	struct hipc_msg		 m;
	const struct hipc_rule	*r;
	unsigned int		 t;
	size_t			 n;

	for (t = 0; t < 256; t++) {
		if ((r = hipc_rule(t)) == NULL)
			continue;
		memset(&m, 0, sizeof(m));
		m.type = t;
		switch (t) {
		case HIPC_HELLO:
			m.u.hello.version_min = m.u.hello.version_max = 1;
			m.u.hello.software = V("");
			m.u.hello.assoc_id = V("");
			m.u.hello.max_w2h = m.u.hello.max_h2w = HIPC_LIMIT_MIN;
			break;
		case HIPC_HELLO_REPLY:
			m.u.hello_reply.version = 1;
			break;
		case HIPC_ASSOC_IND:
			memset(&pc, 0, sizeof(pc));
			pc.id = 1;
			pc.abstract = V("");
			pc.result = 3;
			m.u.assoc_ind.app_context = V("");
			m.u.assoc_ind.calling_ae = V("");
			m.u.assoc_ind.called_ae = V("");
			m.u.assoc_ind.calling_ae_raw = V("                ");
			m.u.assoc_ind.called_ae_raw = V("                ");
			m.u.assoc_ind.peer_addr = V("");
			m.u.assoc_ind.local_addr = V("");
			m.u.assoc_ind.assoc_id = V("");
			m.u.assoc_ind.our_impl_uid = V("");
			m.u.assoc_ind.pctx = &pc;
			m.u.assoc_ind.npctx = 1;
			break;
		case HIPC_ASSOC_RSP:
			m.u.assoc_rsp.decision = HIPC_DECISION_AS_PROPOSED;
			break;
		case HIPC_PDATA_IND:
		case HIPC_PDATA_REQ:
			m.u.pdata.pdvs = (const uint8_t *)"\0\0\0\x02\x01\x00";
			m.u.pdata.len = 6;
			break;
		case HIPC_LOG:
			m.u.log.text = V("");
			break;
		case HIPC_P_ABORT_IND:
		default:
			break;
		}
		assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame),
		    &n), HIPC_OK);
		assert_int_equal(n - HIPC_HDR_LEN, r->min_len);
	}
}

/* A TLV that runs past its body, or past its parent, is short. */
static void
test_hipc_tlv_past_parent_is_short(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m;
	size_t		 len = sizeof(fx_assoc_ind) - 1 - HIPC_HDR_LEN;
	size_t		 pctx_off;

	assert_int_equal(decode_raw(s, HIPC_RELEASE_CNF,
	    BODY("\x03\x00\x00\x00\x00\x02\x01"), &m), HIPC_ERR_SHORT);
	assert_int_equal(decode_raw(s, HIPC_RELEASE_CNF,
	    BODY("\x03\x00\xff\xff\xff\xff\x01"), &m), HIPC_ERR_SHORT);
	/* A nested item's length reaching past the context item. */
	memcpy(s->body, fx_assoc_ind + HIPC_HDR_LEN, len);
	pctx_off = 236;
	assert_memory_equal(s->body + pctx_off, "\x00\x10\x00\x00\x00\x53",
	    6);
	assert_memory_equal(s->body + pctx_off + 6, "\x00\x11\x00\x00\x00\x01",
	    6);
	s->body[pctx_off + 6 + 5] = 0x02;
	assert_int_equal(decode_raw(s, HIPC_ASSOC_IND, s->body, len, &m),
	    HIPC_ERR_ITEM_LEN);
	s->body[pctx_off + 6 + 5] = 0x60;
	assert_int_equal(decode_raw(s, HIPC_ASSOC_IND, s->body, len, &m),
	    HIPC_ERR_SHORT);
	/* The context item itself reaching past the body. */
	memcpy(s->body, fx_assoc_ind + HIPC_HDR_LEN, len);
	s->body[pctx_off + 5] = 0xff;
	assert_int_equal(decode_raw(s, HIPC_ASSOC_IND, s->body, len, &m),
	    HIPC_ERR_SHORT);
}

/* Bytes after the last item, too few for a TLV header, are trailing. */
static void
test_hipc_trailing_bytes_are_refused(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m;
	size_t		 len = sizeof(fx_hello) - 1 - HIPC_HDR_LEN;

	assert_int_equal(decode_raw(s, HIPC_RELEASE_CNF,
	    BODY("\x03\x00\x00\x00\x00\x01\x01\x00\x00"), &m),
	    HIPC_ERR_TRAILING);
	memcpy(s->body, fx_hello + HIPC_HDR_LEN, len);
	memcpy(s->body + len, "\x0f\x07\x00\x00\x00", 5);
	assert_int_equal(decode_raw(s, HIPC_HELLO, s->body, len + 5, &m),
	    HIPC_ERR_TRAILING);
	assert_int_equal(decode_raw(s, HIPC_HELLO, s->body, len + 1, &m),
	    HIPC_ERR_TRAILING);
	assert_int_equal(decode_raw(s, HIPC_HELLO, s->body, len, &m),
	    HIPC_OK);
}

/* Unknown core tags fail; unknown extension tags are skipped. */
static void
test_hipc_unknown_tags_follow_criticality(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m;
	size_t		 len = sizeof(fx_assoc_ind) - 1 - HIPC_HDR_LEN;

	assert_int_equal(decode_raw(s, HIPC_RELEASE_CNF,
	    BODY("\x03\x00\x00\x00\x00\x01\x01\x03\x01\x00\x00\x00\x00"), &m),
	    HIPC_ERR_TAG);
	assert_int_equal(decode_raw(s, HIPC_RELEASE_CNF,
	    BODY("\x8f\xff\x00\x00\x00\x01\x42\x03\x00\x00\x00\x00\x01\x01"),
	    &m), HIPC_OK);
	assert_int_equal(m.u.release_cnf.collision, 1);
	/* A tag of another message is unknown here. */
	assert_int_equal(decode_raw(s, HIPC_RELEASE_CNF,
	    BODY("\x03\x00\x00\x00\x00\x01\x01\x04\x00\x00\x00\x00\x01\x00"),
	    &m), HIPC_ERR_TAG);
	/* Inside a nested item too. */
	memcpy(s->body, fx_assoc_ind + HIPC_HDR_LEN, len);
	memcpy(s->body + 236 + 6, "\x80\x11", 2);	/* id -> extension */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_IND, s->body, len, &m),
	    HIPC_ERR_MISSING);
	memcpy(s->body + 236 + 6, "\x00\x18", 2);
	assert_int_equal(decode_raw(s, HIPC_ASSOC_IND, s->body, len, &m),
	    HIPC_ERR_TAG);
}

/* A missing mandatory item and a repeated single item are named. */
static void
test_hipc_missing_and_duplicate_items(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m;
	size_t		 len = sizeof(fx_assoc_ind) - 1 - HIPC_HDR_LEN;

	/* Source without reason, padded to the minimum by an extension. */
	assert_int_equal(decode_raw(s, HIPC_ABORT_IND,
	    BODY("\x04\x00\x00\x00\x00\x01\x00\x80\x00\x00\x00\x00\x01\x00"),
	    &m), HIPC_ERR_MISSING);
	assert_int_equal(decode_raw(s, HIPC_RELEASE_CNF,
	    BODY("\x03\x00\x00\x00\x00\x01\x01\x03\x00\x00\x00\x00\x01\x01"),
	    &m), HIPC_ERR_DUP);
	/* ASSOC_IND with a second "decided" item. */
	memcpy(s->body, fx_assoc_ind + HIPC_HDR_LEN, len);
	memcpy(s->body + len, "\x00\x43\x00\x00\x00\x01\x00", 7);
	assert_int_equal(decode_raw(s, HIPC_ASSOC_IND, s->body, len + 7, &m),
	    HIPC_ERR_DUP);
	/* Repeated transfer syntaxes are a list, not a duplicate. */
	memcpy(s->body + len, "\x00\x10\x00\x00\x00\x2a"
	    "\x00\x11\x00\x00\x00\x01\x03"
	    "\x00\x12\x00\x00\x00\x01" "9"
	    "\x00\x13\x00\x00\x00\x01" "1"
	    "\x00\x13\x00\x00\x00\x01" "2"
	    "\x00\x15\x00\x00\x00\x01\x00"
	    "\x00\x16\x00\x00\x00\x01" "2", 48);
	assert_int_equal(decode_raw(s, HIPC_ASSOC_IND, s->body, len + 48, &m),
	    HIPC_OK);
	assert_int_equal(m.u.assoc_ind.npctx, 2);
	assert_int_equal(m.u.assoc_ind.pctx[1].id, 3);
	assert_int_equal(m.u.assoc_ind.pctx[1].nts, 2);
	assert_view(&m.u.assoc_ind.pctx[1].ts[0], "1");
	assert_view(&m.u.assoc_ind.pctx[1].ts[1], "2");
	assert_view(&m.u.assoc_ind.pctx[0].ts[0], ts_implicit);
	/* Without any presentation context the indication is incomplete. */
	memcpy(s->body, fx_assoc_ind + HIPC_HDR_LEN, len);
	s->body[236] = 0x80;		/* the context becomes an extension */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_IND, s->body, len, &m),
	    HIPC_ERR_MISSING);
}

/* Values outside their ranges and texts with NUL are refused. */
static void
test_hipc_values_out_of_range_are_refused(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m;

	assert_int_equal(decode_raw(s, HIPC_RELEASE_CNF,
	    BODY("\x03\x00\x00\x00\x00\x01\x02"), &m), HIPC_ERR_VALUE);
	assert_int_equal(decode_raw(s, HIPC_ABORT_IND,
	    BODY("\x04\x00\x00\x00\x00\x01\x03\x04\x01\x00\x00\x00\x01\x00"),
	    &m), HIPC_ERR_VALUE);
	assert_int_equal(decode_raw(s, HIPC_P_ABORT_IND,
	    BODY("\x04\x02\x00\x00\x00\x01\x03\x04\x03\x00\x00\x00\x01\x00"),
	    &m), HIPC_ERR_VALUE);
	assert_int_equal(decode_raw(s, HIPC_P_ABORT_IND,
	    BODY("\x04\x02\x00\x00\x00\x01\x07\x04\x03\x00\x00\x00\x01\x00"),
	    &m), HIPC_ERR_VALUE);
	/* Unknown local causes pass: receivers treat them as 0. */
	assert_int_equal(decode_raw(s, HIPC_P_ABORT_IND,
	    BODY("\x04\x02\x00\x00\x00\x01\x06\x04\x03\x00\x00\x00\x01\xee"),
	    &m), HIPC_OK);
	assert_int_equal(m.u.p_abort_ind.cause, 0xee);
	assert_int_equal(decode_raw(s, HIPC_ERROR,
	    BODY("\x0e\x01\x00\x00\x00\x02\x00\x04"
	    "\x0e\x02\x00\x00\x00\x03" "a\0b"), &m), HIPC_ERR_VALUE);
	assert_int_equal(decode_raw(s, HIPC_ERROR,
	    BODY("\x0e\x01\x00\x00\x00\x01\x04"), &m), HIPC_ERR_TOO_SMALL);
	assert_int_equal(decode_raw(s, HIPC_ERROR,
	    BODY("\x0e\x01\x00\x00\x00\x03\x00\x04\x00"), &m),
	    HIPC_ERR_ITEM_LEN);
	/* HELLO_REPLY: version 0, then a limit below the protocol's. */
	assert_int_equal(decode_raw(s, HIPC_HELLO_REPLY,
	    BODY("\x0f\x10\x00\x00\x00\x02\x00\x00"), &m), HIPC_ERR_VALUE);
	assert_int_equal(decode_raw(s, HIPC_HELLO_REPLY,
	    BODY("\x0f\x10\x00\x00\x00\x02\x00\x01"
	    "\x0f\x13\x00\x00\x00\x04\x00\x00\xff\xff"), &m), HIPC_ERR_VALUE);
}

/* HELLO with a reversed version range or out-of-bounds limits fails. */
static void
test_hipc_hello_bad_values_are_refused(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m, out;
	size_t		 n;

	decode_fixture(s, fx_hello, sizeof(fx_hello) - 1, &m);
	m.u.hello.version_min = 2;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_VALUE);
	m.u.hello.version_min = 0;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_VALUE);
	m.u.hello.version_min = 1;
	m.u.hello.max_h2w = HIPC_LIMIT_MIN - 1;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_VALUE);
	m.u.hello.max_h2w = HIPC_LIMIT_MAX + 1;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_VALUE);
	m.u.hello.max_h2w = HIPC_LIMIT_MAX;
	m.u.hello.version_max = 3;
	roundtrip(s, &m, &out);
	assert_int_equal(out.u.hello.version_min, 1);
	assert_int_equal(out.u.hello.version_max, 3);
	assert_int_equal(out.u.hello.max_h2w, HIPC_LIMIT_MAX);
}

/* Context items: result and transfer syntax must agree, ids be odd. */
static void
test_hipc_pctx_inconsistent_is_refused(void **state)
{
	struct scratch		*s = *state;
	struct hipc_msg		 m;
	struct hipc_pctx	 pc;
	size_t			 n;

	decode_fixture(s, fx_assoc_ind, sizeof(fx_assoc_ind) - 1, &m);
	pc = m.u.assoc_ind.pctx[0];
	m.u.assoc_ind.pctx = &pc;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_OK);
	pc.id = 2;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_VALUE);
	pc.id = 1;
	pc.result = 5;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_VALUE);
	pc.result = 1;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_NOT_ALLOWED);
	pc.result = 0;
	pc.result_ts.p = NULL;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_MISSING);
	pc.result_ts = V("1.2.840.10008.1.2");
	/* Policy roles need a proposal and may only narrow it. */
	pc.has_result_roles = 1;
	pc.result_scu = 1;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_NOT_ALLOWED);
	pc.has_roles = 1;
	pc.scu = 0;
	pc.scp = 1;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_VALUE);
	pc.scu = 1;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_OK);
	/* A text over its bound, and the "decided" flag over 1. */
	pc.abstract = V("1.2.840.10008.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
	    "1.1.1.1.1.1.1");
	assert_int_equal(pc.abstract.len, 65);
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_ITEM_LEN);
	pc.abstract = V("1.2.840.10008.1.1");
	m.u.assoc_ind.decided = 2;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_VALUE);
}

/* ASSOC_RSP items must match the decision and PS3.8's reject codes. */
static void
test_hipc_assoc_rsp_inconsistent_is_refused(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m;

	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x03"), &m), HIPC_ERR_VALUE);
	/* Reject without a reason. */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x01"
	    "\x01\x01\x00\x00\x00\x01\x01"
	    "\x01\x02\x00\x00\x00\x01\x01"), &m), HIPC_ERR_MISSING);
	/* Reject with a provider source: the handler is the user. */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x01"
	    "\x01\x01\x00\x00\x00\x01\x02"
	    "\x01\x02\x00\x00\x00\x01\x03"
	    "\x01\x03\x00\x00\x00\x01\x01"), &m), HIPC_ERR_VALUE);
	/* Reject with reason 4 (reserved for source 1). */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x01"
	    "\x01\x01\x00\x00\x00\x01\x02"
	    "\x01\x02\x00\x00\x00\x01\x01"
	    "\x01\x03\x00\x00\x00\x01\x04"), &m), HIPC_ERR_VALUE);
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x01"
	    "\x01\x01\x00\x00\x00\x01\x02"
	    "\x01\x02\x00\x00\x00\x01\x01"
	    "\x01\x03\x00\x00\x00\x01\x07"), &m), HIPC_OK);
	assert_int_equal(m.u.assoc_rsp.rj_result, 2);
	assert_int_equal(m.u.assoc_rsp.rj_reason, 7);
	/* Reject with an accept item. */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x01"
	    "\x01\x01\x00\x00\x00\x01\x02"
	    "\x01\x02\x00\x00\x00\x01\x01"
	    "\x01\x03\x00\x00\x00\x01\x01"
	    "\x01\x21\x00\x00\x00\x04\x00\x00\x40\x00"), &m),
	    HIPC_ERR_NOT_ALLOWED);
	/* Accept with a reject item. */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x00"
	    "\x01\x03\x00\x00\x00\x01\x01"), &m), HIPC_ERR_NOT_ALLOWED);
	/* "As proposed" is one item alone. */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x02"
	    "\x01\x10\x00\x00\x00\x0e"
	    "\x00\x11\x00\x00\x00\x01\x01"
	    "\x00\x15\x00\x00\x00\x01\x01"), &m), HIPC_ERR_NOT_ALLOWED);
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x00"
	    "\x01\x10\x00\x00\x00\x0e"
	    "\x00\x11\x00\x00\x00\x01\x01"
	    "\x00\x15\x00\x00\x00\x01\x01"), &m), HIPC_OK);
	assert_int_equal(m.u.assoc_rsp.nanswers, 1);
	/* An accepted answer needs its transfer syntax. */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x00"
	    "\x01\x10\x00\x00\x00\x0e"
	    "\x00\x11\x00\x00\x00\x01\x01"
	    "\x00\x15\x00\x00\x00\x01\x00"), &m), HIPC_ERR_MISSING);
	/* Maximum length 0 would mean unlimited: never above config. */
	assert_int_equal(decode_raw(s, HIPC_ASSOC_RSP,
	    BODY("\x01\x00\x00\x00\x00\x01\x00"
	    "\x01\x21\x00\x00\x00\x04\x00\x00\x00\x00"), &m), HIPC_ERR_VALUE);
}

/* The rule table gives the PS3.8 states where each message is legal. */
static void
test_hipc_state_legality_follows_table(void **state)
{
	int	 sta;

	(void)state;
	/* P-DATA: indications in Sta6/7 (DT-2, AR-6), requests Sta6/8. */
	assert_int_equal(hipc_state_ok(HIPC_PDATA_IND, 6), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_PDATA_IND, 7), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_PDATA_IND, 8), HIPC_ERR_STATE);
	assert_int_equal(hipc_state_ok(HIPC_PDATA_REQ, 6), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_PDATA_REQ, 8), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_PDATA_REQ, 7), HIPC_ERR_STATE);
	assert_int_equal(hipc_state_ok(HIPC_PDATA_REQ, 3), HIPC_ERR_STATE);
	assert_int_equal(hipc_state_ok(HIPC_PDATA_REQ, 10), HIPC_ERR_STATE);
	/* The handler answers the association only in Sta3. */
	for (sta = 1; sta <= 13; sta++) {
		assert_int_equal(hipc_state_ok(HIPC_ASSOC_RSP, sta),
		    sta == 3 ? HIPC_OK : HIPC_ERR_STATE);
		/* The AC may precede HELLO_REPLY ("policy"). */
		assert_int_equal(hipc_state_ok(HIPC_HELLO_REPLY, sta),
		    (sta == 3 || (sta >= 6 && sta <= 12)) ? HIPC_OK :
		    HIPC_ERR_STATE);
		assert_int_equal(hipc_state_ok(HIPC_HELLO, sta),
		    sta == 3 ? HIPC_OK : HIPC_ERR_STATE);
		assert_int_equal(hipc_state_ok(HIPC_RELEASE_RSP, sta),
		    sta == 8 ? HIPC_OK : HIPC_ERR_STATE);
		assert_int_equal(hipc_state_ok(HIPC_RELEASE_IND, sta),
		    sta == 6 ? HIPC_OK : HIPC_ERR_STATE);
		assert_int_equal(hipc_state_ok(HIPC_ERROR, sta), HIPC_OK);
		assert_int_equal(hipc_state_ok(HIPC_LOG, sta), HIPC_OK);
		/* Evt15 has AA-1 in Sta3 and Sta6..Sta12 (acceptor). */
		assert_int_equal(hipc_state_ok(HIPC_ABORT_REQ, sta),
		    (sta == 3 || (sta >= 6 && sta <= 12)) ? HIPC_OK :
		    HIPC_ERR_STATE);
		assert_int_equal(hipc_state_ok(HIPC_ABORT_IND, sta),
		    (sta == 3 || (sta >= 6 && sta <= 12)) ? HIPC_OK :
		    HIPC_ERR_STATE);
	}
	/* RELEASE_REQ: Sta6, and Sta8 when it crossed a RELEASE_IND. */
	assert_int_equal(hipc_state_ok(HIPC_RELEASE_REQ, 6), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_RELEASE_REQ, 8), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_RELEASE_REQ, 7), HIPC_ERR_STATE);
	/* RELEASE_CNF: AR-3 in Sta7, AR-10 in Sta10, the crossing in Sta8. */
	assert_int_equal(hipc_state_ok(HIPC_RELEASE_CNF, 7), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_RELEASE_CNF, 10), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_RELEASE_CNF, 8), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_RELEASE_CNF, 12), HIPC_ERR_STATE);
	/* ASSOC_IND in Sta3, or Sta6 when the policy already answered. */
	assert_int_equal(hipc_state_ok(HIPC_ASSOC_IND, 3), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_ASSOC_IND, 6), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_ASSOC_IND, 2), HIPC_ERR_STATE);
	assert_int_equal(hipc_state_ok(HIPC_STATS, 13), HIPC_OK);
	assert_int_equal(hipc_state_ok(HIPC_STATS, 6), HIPC_ERR_STATE);
	/* Out of range states and unknown types. */
	assert_int_equal(hipc_state_ok(HIPC_ERROR, 0), HIPC_ERR_STATE);
	assert_int_equal(hipc_state_ok(HIPC_ERROR, 14), HIPC_ERR_STATE);
	assert_int_equal(hipc_state_ok(HIPC_ERROR, -1), HIPC_ERR_STATE);
	assert_int_equal(hipc_state_ok(0x03, 6), HIPC_ERR_TYPE);
	assert_int_equal(hipc_rule(HIPC_PDATA_REQ)->states,
	    HIPC_STA(6) | HIPC_STA(8));
}

/* Build the indication used by the response checks. */
static void
rsp_check_ind(struct hipc_assoc_ind *ind, struct hipc_pctx *pc,
    struct hipc_ext *ext)
{
	static const struct hipc_view	 ts[] = {
		{ (const uint8_t *)"1.2.840.10008.1.2.1", 19 },
		{ (const uint8_t *)"1.2.840.10008.1.2", 17 },
	};

	memset(ind, 0, sizeof(*ind));
	memset(pc, 0, 2 * sizeof(*pc));
	pc[0].id = 1;
	pc[0].abstract = V("1.2.840.10008.1.1");
	pc[0].ts = ts;
	pc[0].nts = 2;
	pc[0].result = 0;
	pc[0].result_ts = ts[0];
	pc[1].id = 3;
	pc[1].abstract = V("1.2.840.10008.5.1.4.1.1.2");
	pc[1].ts = ts;
	pc[1].nts = 1;
	pc[1].has_roles = 1;
	pc[1].scu = 0;
	pc[1].scp = 1;
	pc[1].result = 3;
	ext[0].sop_class = V("1.2.840.10008.5.1.4.1.1.2");
	ext[0].info = V("\x01");
	ind->pctx = pc;
	ind->npctx = 2;
	ind->ext = ext;
	ind->next = 1;
	ind->has_async = 1;
	ind->async_invoked = 4;
	ind->async_performed = 0;
	ind->our_max_pdu = 16384;
}

/* A response that picks only what was proposed passes the check. */
static void
test_hipc_assoc_rsp_check_accepts_proposed(void **state)
{
	struct hipc_assoc_ind	 ind;
	struct hipc_pctx	 pc[2];
	struct hipc_ext		 ext[1];
	struct hipc_assoc_rsp	 rsp;
	struct hipc_pc_answer	 a[2];

	(void)state;
	rsp_check_ind(&ind, pc, ext);
	memset(&rsp, 0, sizeof(rsp));
	memset(a, 0, sizeof(a));
	a[0].id = 3;
	a[0].result = 0;
	a[0].ts = V("1.2.840.10008.1.2.1");
	a[0].has_roles = 1;
	a[0].scp = 1;
	a[1].id = 1;
	a[1].result = 1;
	rsp.decision = HIPC_DECISION_ACCEPT;
	rsp.answers = a;
	rsp.nanswers = 2;
	rsp.max_pdu = 16384;
	rsp.has_async = 1;
	rsp.async_invoked = 1;
	rsp.async_performed = 1;
	rsp.ext = ext;
	rsp.next = 1;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_OK);
	rsp.decision = HIPC_DECISION_AS_PROPOSED;
	rsp.nanswers = 0;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_OK);
}

/* Each way a response can leave the proposal has its own error. */
static void
test_hipc_assoc_rsp_check_refuses_unproposed(void **state)
{
	struct hipc_assoc_ind	 ind;
	struct hipc_pctx	 pc[2];
	struct hipc_ext		 ext[1], rext[2];
	struct hipc_assoc_rsp	 rsp;
	struct hipc_pc_answer	 a[2];

	(void)state;
	rsp_check_ind(&ind, pc, ext);
	memset(&rsp, 0, sizeof(rsp));
	memset(a, 0, sizeof(a));
	rsp.decision = HIPC_DECISION_ACCEPT;
	rsp.answers = a;
	rsp.nanswers = 1;

	a[0].id = 5;
	a[0].result = 1;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_UNKNOWN_PC);
	a[0].id = 1;
	a[0].result = 0;
	a[0].ts = V("1.2.840.10008.1.2.2");
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_UNPROPOSED);
	/* An acceptance naming no transfer syntax at all. */
	a[0].ts = V("");
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_UNPROPOSED);
	/* Context 3 proposed only its first syntax. */
	a[0].id = 3;
	a[0].ts = V("1.2.840.10008.1.2");
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_UNPROPOSED);
	a[0].ts = V("1.2.840.10008.1.2.1");
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_OK);
	/* The same context answered twice. */
	a[1] = a[0];
	rsp.nanswers = 2;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_ERR_DUP);
	rsp.nanswers = 1;
	/* Roles: SCU was not proposed for 3; none at all for 1. */
	a[0].has_roles = 1;
	a[0].scu = 1;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_UNPROPOSED);
	a[0].id = 1;
	a[0].scu = 0;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_NOT_ALLOWED);
	a[0].has_roles = 0;
	/* Maximum length above ours, or too small for any fragment. */
	rsp.max_pdu = 16385;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_ERR_VALUE);
	rsp.max_pdu = 7;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_ERR_VALUE);
	rsp.max_pdu = 8;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_OK);
	/* Window: more than proposed, unlimited, or never proposed. */
	rsp.has_async = 1;
	rsp.async_invoked = 5;
	rsp.async_performed = 9;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_ERR_VALUE);
	rsp.async_invoked = 0;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_ERR_VALUE);
	rsp.async_invoked = 4;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_OK);
	ind.has_async = 0;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_NOT_ALLOWED);
	rsp.has_async = 0;
	/* Extended negotiation for an unproposed class, or twice. */
	rext[0].sop_class = V("1.2.840.10008.5.1.4.1.1.4");
	rext[0].info = V("");
	rsp.ext = rext;
	rsp.next = 1;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_UNPROPOSED);
	rext[0] = ext[0];
	rext[1] = ext[0];
	rsp.next = 2;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_ERR_DUP);
	rsp.next = 0;
	/* A user identity response nobody asked for. */
	rsp.ui_response = V("");
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_NOT_ALLOWED);
	ind.has_user_identity = 1;
	ind.ui.type = 1;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp),
	    HIPC_ERR_NOT_ALLOWED);
	ind.ui.response_requested = 1;
	assert_int_equal(hipc_assoc_rsp_check(&ind, &rsp), HIPC_OK);
}

/* The encoder reports the size it needs and never writes past cap. */
static void
test_hipc_encode_small_buffer_is_space(void **state)
{
	struct scratch	*s = *state;
	struct hipc_msg	 m;
	size_t		 n, need;

	decode_fixture(s, fx_assoc_ind, sizeof(fx_assoc_ind) - 1, &m);
	assert_int_equal(hipc_encode(&m, NULL, 0, &need), HIPC_ERR_SPACE);
	assert_int_equal(need, sizeof(fx_assoc_ind) - 1);
	memset(s->frame, 0xa5, sizeof(s->frame));
	assert_int_equal(hipc_encode(&m, s->frame, need - 1, &n),
	    HIPC_ERR_SPACE);
	assert_int_equal(n, need);
	assert_int_equal(s->frame[need - 1], 0xa5);
	assert_int_equal(hipc_encode(&m, s->frame, need, &n), HIPC_OK);
	assert_memory_equal(s->frame, fx_assoc_ind, need);
}

/* The encoder refuses what the decoder would refuse. */
static void
test_hipc_encode_invalid_struct_is_refused(void **state)
{
	struct scratch		*s = *state;
	struct hipc_msg		 m;
	struct hipc_view	 bad[1] = { { NULL, 3 } };
	size_t			 n;

	memset(&m, 0, sizeof(m));
	m.type = HIPC_LOG;
	m.u.log.level = HIPC_LOG_INFO;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_TOO_SMALL);
	m.u.log.text = V("a\0b");
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_VALUE);
	m.type = (enum hipc_type)0x03;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_TYPE);

	decode_fixture(s, fx_assoc_ind, sizeof(fx_assoc_ind) - 1, &m);
	m.u.assoc_ind.assoc_id.p = NULL;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_MISSING);
	decode_fixture(s, fx_assoc_ind, sizeof(fx_assoc_ind) - 1, &m);
	m.u.assoc_ind.calling_ae_raw = V("ECHOSCU");
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_ITEM_LEN);
	/* A list with a hole, or with no array at all. */
	decode_fixture(s, fx_assoc_ind, sizeof(fx_assoc_ind) - 1, &m);
	m.u.assoc_ind.ncext = 1;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_MISSING);
	m.u.assoc_ind.ncext = 0;
	m.u.assoc_ind.cext = &(struct hipc_cext){ .sop_class = V("1"),
	    .service_class = V("2"), .related = bad, .nrelated = 1 };
	m.u.assoc_ind.ncext = 1;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_MISSING);
	/* A body over the type's maximum. */
	memset(&m, 0, sizeof(m));
	m.type = HIPC_ERROR;
	m.u.error.text.p = s->body;
	m.u.error.text.len = HIPC_TEXT_MAX + 1;
	memset(s->body, 'x', HIPC_TEXT_MAX + 1);
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_ITEM_LEN);
	m.type = HIPC_PDATA_REQ;
	m.u.pdata.pdvs = NULL;
	m.u.pdata.len = 6;
	assert_int_equal(hipc_encode(&m, s->frame, sizeof(s->frame), &n),
	    HIPC_ERR_MISSING);
}

/* Every error code has its own text. */
static void
test_hipc_strerror_names_every_code(void **state)
{
	int	 a, b;

	(void)state;
	assert_string_equal(hipc_strerror(HIPC_OK), "success");
	assert_string_equal(hipc_strerror(HIPC_ERR_MAGIC), "bad magic");
	assert_string_equal(hipc_strerror(HIPC_ERR_DUP), "item repeated");
	assert_string_equal(hipc_strerror(-1000), "unknown error");
	assert_string_equal(hipc_strerror(1000), "unknown error");
	assert_non_null(strstr(hipc_strerror(HIPC_SKIP), "skipped"));
	for (a = HIPC_ERR_UNPROPOSED; a <= HIPC_OK; a++) {
		assert_string_not_equal(hipc_strerror(a), "unknown error");
		for (b = HIPC_ERR_UNPROPOSED; b < a; b++)
			assert_string_not_equal(hipc_strerror(a),
			    hipc_strerror(b));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hipc_catalogue_numbers_are_fixed),
		cmocka_unit_test(test_hipc_hdr_fixture_gives_type_and_length),
		cmocka_unit_test(test_hipc_hdr_malformed_is_refused),
		cmocka_unit_test(test_hipc_hdr_unknown_extension_is_skipped),
		cmocka_unit_test_setup_teardown(
		    test_hipc_hello_fixture_decodes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_hello_reply_roundtrips, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_assoc_ind_fixture_decodes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_assoc_ind_every_item_roundtrips, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_assoc_ind_small_arena_is_space, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_assoc_rsp_roundtrips, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_pdata_ind_fixture_iterates, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_pdata_req_several_pdvs_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_pdata_malformed_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_small_messages_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_empty_messages_take_only_extensions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_rule_minimum_is_smallest_body, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_tlv_past_parent_is_short, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_trailing_bytes_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_unknown_tags_follow_criticality, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_missing_and_duplicate_items, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_values_out_of_range_are_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_hello_bad_values_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_pctx_inconsistent_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_assoc_rsp_inconsistent_is_refused, setup,
		    teardown),
		cmocka_unit_test(test_hipc_state_legality_follows_table),
		cmocka_unit_test(test_hipc_assoc_rsp_check_accepts_proposed),
		cmocka_unit_test(test_hipc_assoc_rsp_check_refuses_unproposed),
		cmocka_unit_test_setup_teardown(
		    test_hipc_encode_small_buffer_is_space, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_hipc_encode_invalid_struct_is_refused, setup,
		    teardown),
		cmocka_unit_test(test_hipc_strerror_names_every_code),
	};

	return (cmocka_run_group_tests_name("hipc", tests, NULL, NULL));
}
