/* test_dh_cmd.c: libdulhandler's DIMSE command-set codec. */

#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dulhandler.h"

#define VERIFICATION	"1.2.840.10008.1.1"
#define CT_STORAGE	"1.2.840.10008.5.1.4.1.1.2"

/* A command set under construction, element by element. */
struct cmdw {
	uint8_t		 b[1024];
	size_t		 len;
};

/* Append one implicit VR little endian element of group 0000. */
static void
cw_elem(struct cmdw *w, uint16_t elem, const void *v, uint32_t len)
{
	uint8_t	*p = w->b + w->len;

	assert_true(w->len + 8 + len <= sizeof(w->b));
	p[0] = 0;
	p[1] = 0;
	p[2] = elem & 0xff;
	p[3] = elem >> 8;
	p[4] = len & 0xff;
	p[5] = (len >> 8) & 0xff;
	p[6] = (len >> 16) & 0xff;
	p[7] = len >> 24;
	if (len > 0)
		memcpy(p + 8, v, len);
	w->len += 8 + len;
}

/* Append a US element. */
static void
cw_us(struct cmdw *w, uint16_t elem, uint16_t v)
{
	uint8_t	 b[2] = { v & 0xff, v >> 8 };

	cw_elem(w, elem, b, 2);
}

/* Append a UI element, NUL-padded to even length. */
static void
cw_ui(struct cmdw *w, uint16_t elem, const char *uid)
{
	char	 b[80];
	size_t	 n = strlen(uid);

	memcpy(b, uid, n);
	if (n % 2)
		b[n++] = '\0';
	cw_elem(w, elem, b, (uint32_t)n);
}

/* Build a C-ECHO-RQ with an honest group length. */
static void
build_echo_rq(struct cmdw *w, uint16_t msg_id)
{
	struct cmdw	 body;
	uint8_t		 gl[4];

	memset(&body, 0, sizeof(body));
	cw_ui(&body, 0x0002, VERIFICATION);
	cw_us(&body, 0x0100, DH_C_ECHO_RQ);
	cw_us(&body, 0x0110, msg_id);
	cw_us(&body, 0x0800, DH_NO_DATA_SET);
	gl[0] = body.len & 0xff;
	gl[1] = (body.len >> 8) & 0xff;
	gl[2] = gl[3] = 0;
	memset(w, 0, sizeof(*w));
	cw_elem(w, 0x0000, gl, 4);
	memcpy(w->b + w->len, body.b, body.len);
	w->len += body.len;
}

/* A C-ECHO-RQ parses into its fields. */
static void
test_dh_cmd_echo_rq_parses_fields(void **state)
{
	struct cmdw	 w;
	struct dh_cmd	 c;

	(void)state;
	build_echo_rq(&w, 7);
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_OK);
	assert_int_equal(dh_cmd_parse(w.b, w.len, &c), DH_OK);
	assert_int_equal(c.command_field, DH_C_ECHO_RQ);
	assert_true(c.has_msg_id);
	assert_int_equal(c.msg_id, 7);
	assert_false(c.has_msg_id_rsp);
	assert_true(c.has_data_set_type);
	assert_int_equal(c.data_set_type, DH_NO_DATA_SET);
	assert_int_equal(c.sop_class_st, DH_UI_OK);
	assert_string_equal(c.sop_class, VERIFICATION);
	assert_int_equal(c.sop_instance_st, DH_UI_ABSENT);
}

/* A group length that does not match what follows is refused. */
static void
test_dh_cmd_lying_group_length_is_malformed(void **state)
{
	struct cmdw	 w;

	(void)state;
	build_echo_rq(&w, 1);
	w.b[8] += 2;
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_ERR_MALFORMED);
	w.b[8] -= 4;
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_ERR_MALFORMED);
}

/* An element longer than the command set, even 0xffffffff, is refused. */
static void
test_dh_cmd_element_past_end_is_malformed(void **state)
{
	struct cmdw	 w;
	uint16_t	 v;

	(void)state;
	memset(&w, 0, sizeof(w));
	cw_us(&w, 0x0100, DH_C_ECHO_RQ);
	w.b[4] = 4;				/* 2 bytes of value only */
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_ERR_MALFORMED);
	memset(w.b + 4, 0xff, 4);
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_ERR_MALFORMED);
	assert_int_equal(dh_cmd_get_us(w.b, w.len, 0x0100, &v),
	    DH_ERR_MALFORMED);
}

/* Duplicate or descending tags, odd lengths and other groups are refused. */
static void
test_dh_cmd_bad_structure_is_malformed(void **state)
{
	struct cmdw	 w;
	uint8_t		 odd[3] = { '1', '.', '2' };

	(void)state;
	memset(&w, 0, sizeof(w));
	cw_us(&w, 0x0100, DH_C_ECHO_RQ);
	cw_us(&w, 0x0100, DH_C_ECHO_RQ);
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_ERR_MALFORMED);

	memset(&w, 0, sizeof(w));
	cw_us(&w, 0x0110, 1);
	cw_us(&w, 0x0100, DH_C_ECHO_RQ);
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_ERR_MALFORMED);

	memset(&w, 0, sizeof(w));
	cw_elem(&w, 0x0002, odd, 3);
	cw_us(&w, 0x0100, DH_C_ECHO_RQ);
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_ERR_MALFORMED);

	memset(&w, 0, sizeof(w));
	cw_us(&w, 0x0100, DH_C_ECHO_RQ);
	w.b[0] = 0x08;				/* group 0008 */
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_ERR_MALFORMED);

	memset(&w, 0, sizeof(w));
	cw_us(&w, 0x0100, DH_C_ECHO_RQ);
	assert_int_equal(dh_cmd_check(w.b, w.len - 3), DH_ERR_MALFORMED);
	assert_int_equal(dh_cmd_check(w.b, 5), DH_ERR_MALFORMED);
	assert_int_equal(dh_cmd_check(w.b, 0), DH_ERR_MALFORMED);
}

/* A group length anywhere but first, or of the wrong size, is refused. */
static void
test_dh_cmd_misplaced_group_length_is_malformed(void **state)
{
	struct cmdw	 w;
	uint8_t		 gl2[2] = { 10, 0 };

	(void)state;
	memset(&w, 0, sizeof(w));
	cw_elem(&w, 0x0000, gl2, 2);
	cw_us(&w, 0x0100, DH_C_ECHO_RQ);
	assert_int_equal(dh_cmd_check(w.b, w.len), DH_ERR_MALFORMED);
}

/* Elements of the wrong size and missing mandatory ones are refused. */
static void
test_dh_cmd_wrong_sizes_are_malformed(void **state)
{
	struct cmdw	 w;
	struct dh_cmd	 c;
	uint8_t		 four[4] = { 0x30, 0, 0, 0 };
	uint16_t	 v;

	(void)state;
	memset(&w, 0, sizeof(w));
	cw_elem(&w, 0x0100, four, 4);
	assert_int_equal(dh_cmd_get_us(w.b, w.len, 0x0100, &v),
	    DH_ERR_MALFORMED);
	assert_int_equal(dh_cmd_parse(w.b, w.len, &c), DH_ERR_MALFORMED);

	memset(&w, 0, sizeof(w));
	cw_us(&w, 0x0110, 3);
	cw_us(&w, 0x0800, DH_NO_DATA_SET);
	assert_int_equal(dh_cmd_get_us(w.b, w.len, 0x0100, &v),
	    DH_ERR_ABSENT);
	assert_int_equal(dh_cmd_parse(w.b, w.len, &c), DH_ERR_MALFORMED);
}

/* UIDs over 64 bytes or with a NUL inside are not handed out. */
static void
test_dh_cmd_hostile_ui_is_bad(void **state)
{
	struct cmdw	 w;
	struct dh_cmd	 c;
	char		 out[DH_UID_MAX + 1];
	char		 longuid[70];
	static const uint8_t nul_inside[6] = { '1', '.', '2', 0, '.', '3' };

	(void)state;
	memset(longuid, '1', 65);
	longuid[65] = '\0';
	memset(&w, 0, sizeof(w));
	cw_ui(&w, 0x0002, CT_STORAGE);
	cw_us(&w, 0x0100, DH_C_STORE_RQ);
	cw_us(&w, 0x0110, 9);
	cw_us(&w, 0x0800, 0x0000);
	cw_ui(&w, 0x1000, longuid);
	assert_int_equal(dh_cmd_get_ui(w.b, w.len, 0x1000, out),
	    DH_ERR_TOO_LARGE);
	assert_int_equal(dh_cmd_parse(w.b, w.len, &c), DH_OK);
	assert_int_equal(c.sop_instance_st, DH_UI_BAD);
	assert_string_equal(c.sop_instance, "");

	memset(&w, 0, sizeof(w));
	cw_us(&w, 0x0100, DH_C_STORE_RQ);
	cw_elem(&w, 0x1000, nul_inside, sizeof(nul_inside));
	assert_int_equal(dh_cmd_get_ui(w.b, w.len, 0x1000, out),
	    DH_ERR_MALFORMED);
	assert_int_equal(dh_cmd_parse(w.b, w.len, &c), DH_OK);
	assert_int_equal(c.sop_instance_st, DH_UI_BAD);

	/* A path is a well-formed string: judging it is dh_uid_valid's job. */
	memset(&w, 0, sizeof(w));
	cw_us(&w, 0x0100, DH_C_STORE_RQ);
	cw_ui(&w, 0x1000, "../../etc/x");
	assert_int_equal(dh_cmd_parse(w.b, w.len, &c), DH_OK);
	assert_int_equal(c.sop_instance_st, DH_UI_OK);
	assert_string_equal(c.sop_instance, "../../etc/x");
	assert_false(dh_uid_valid(c.sop_instance));
}

/* C-ECHO-RSP comes out byte for byte as PS3.7 9.3.5.2 lays it out. */
static void
test_dh_cmd_echo_rsp_matches_layout(void **state)
{
	static const uint8_t want[] = {
		0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
		0x42, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00,
		'1', '.', '2', '.', '8', '4', '0', '.', '1', '0', '0', '0',
		'8', '.', '1', '.', '1', 0x00,
		0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x80,
		0x00, 0x00, 0x20, 0x01, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00,
		0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01,
		0x00, 0x00, 0x00, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t		 buf[DH_RSP_MAX];
	size_t		 len;

	(void)state;
	len = dh_cmd_echo_rsp(buf, sizeof(buf), VERIFICATION, 7,
	    DH_ST_SUCCESS);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
}

/* A C-STORE-RSP parses back to what was put in, comment cleaned. */
static void
test_dh_cmd_store_rsp_round_trips(void **state)
{
	uint8_t		 buf[DH_RSP_MAX];
	const uint8_t	*v;
	size_t		 len, vlen;
	struct dh_cmd	 c;

	(void)state;
	len = dh_cmd_store_rsp(buf, sizeof(buf), CT_STORAGE, "1.2.3.4", 513,
	    DH_ST_OUT_OF_RESOURCES, "disk\\full\n");
	assert_true(len > 0);
	assert_int_equal(dh_cmd_parse(buf, len, &c), DH_OK);
	assert_int_equal(c.command_field, DH_C_STORE_RSP);
	assert_true(c.has_msg_id_rsp);
	assert_int_equal(c.msg_id_rsp, 513);
	assert_false(c.has_msg_id);
	assert_int_equal(c.data_set_type, DH_NO_DATA_SET);
	assert_true(c.has_status);
	assert_int_equal(c.status, DH_ST_OUT_OF_RESOURCES);
	assert_string_equal(c.sop_class, CT_STORAGE);
	assert_string_equal(c.sop_instance, "1.2.3.4");
	assert_int_equal(dh_cmd_find(buf, len, 0x0902, &v, &vlen), DH_OK);
	assert_int_equal(vlen, 10);
	assert_memory_equal(v, "disk?full?", 10);
}

/* Building into too small a buffer, or with an overlong UID, gives 0. */
static void
test_dh_cmd_rsp_without_room_is_zero(void **state)
{
	uint8_t		 buf[DH_RSP_MAX];
	char		 longuid[70];

	(void)state;
	assert_int_equal(dh_cmd_echo_rsp(buf, 40, VERIFICATION, 1, 0), 0);
	memset(longuid, '1', 65);
	longuid[65] = '\0';
	assert_int_equal(dh_cmd_store_rsp(buf, sizeof(buf), longuid, "1.2",
	    1, 0, NULL), 0);
	/* The largest response this library builds fits DH_RSP_MAX. */
	memset(longuid, '1', 64);
	longuid[64] = '\0';
	assert_true(dh_cmd_store_rsp(buf, sizeof(buf), longuid, longuid,
	    1, 0xc000, "0123456789012345678901234567890123456789012345678901"
	    "23456789abcdef") > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dh_cmd_echo_rq_parses_fields),
		cmocka_unit_test(test_dh_cmd_lying_group_length_is_malformed),
		cmocka_unit_test(test_dh_cmd_element_past_end_is_malformed),
		cmocka_unit_test(test_dh_cmd_bad_structure_is_malformed),
		cmocka_unit_test(
		    test_dh_cmd_misplaced_group_length_is_malformed),
		cmocka_unit_test(test_dh_cmd_wrong_sizes_are_malformed),
		cmocka_unit_test(test_dh_cmd_hostile_ui_is_bad),
		cmocka_unit_test(test_dh_cmd_echo_rsp_matches_layout),
		cmocka_unit_test(test_dh_cmd_store_rsp_round_trips),
		cmocka_unit_test(test_dh_cmd_rsp_without_room_is_zero),
	};

	return (cmocka_run_group_tests_name("dh_cmd", tests, NULL, NULL));
}
