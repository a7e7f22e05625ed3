/* test_dh_asm.c: libdulhandler's DIMSE reassembly over PDV fragments. */

#include "compat.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dulhandler.h"

/*
 * A C-STORE-RQ command set announcing a data set (0800 = 0000), without
 * a group length: elements 0100, 0110, 0800.
 */
static const uint8_t store_rq[] = {
	0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00,
	0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* The same with 0800 = 0101: no data set. */
static const uint8_t echo_rq[] = {
	0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00,
	0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x06, 0x00,
	0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01,
};

/* A command set without a Command Data Set Type. */
static const uint8_t no_type_rq[] = {
	0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00,
};

/* What a test sink received. */
struct sink {
	uint8_t		 b[4096];
	size_t		 len;
	size_t		 calls;
	size_t		 fail_at;	/* fail the call with this number */
};

/* Collect data set bytes, failing on request. */
static int
sink_collect(void *arg, const void *p, size_t n)
{
	struct sink	*s = arg;

	s->calls++;
	if (s->fail_at != 0 && s->calls == s->fail_at) {
		errno = ENOSPC;
		return (DH_ERR_SYS);
	}
	if (s->len + n <= sizeof(s->b))
		memcpy(s->b + s->len, p, n);
	s->len += n;
	return (DH_OK);
}

/* Build a PDV. */
static struct dh_pdv
pdv(uint8_t pcid, int cmd, int last, const void *p, size_t n)
{
	struct dh_pdv	 v;

	v.pcid = pcid;
	v.is_command = cmd;
	v.is_last = last;
	v.data = p;
	v.len = n;
	return (v);
}

/* A command in three fragments comes out whole on its last fragment. */
static void
test_dh_asm_fragmented_command_is_joined(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;

	(void)state;
	assert_non_null(a = dh_asm_new(0));
	v = pdv(1, 1, 0, echo_rq, 7);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	v = pdv(1, 1, 0, echo_rq + 7, 0);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	v = pdv(1, 1, 1, echo_rq + 7, sizeof(echo_rq) - 7);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_DONE);
	assert_int_equal(m.pcid, 1);
	assert_false(m.has_data);
	assert_int_equal(m.command_len, sizeof(echo_rq));
	assert_memory_equal(m.command, echo_rq, sizeof(echo_rq));
	dh_asm_free(a);
}

/* The data set streams to the sink in order, never held by the library. */
static void
test_dh_asm_data_set_streams_to_sink(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;
	struct sink	 s;
	uint8_t		 data[1000];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	memset(&s, 0, sizeof(s));
	assert_non_null(a = dh_asm_new(0));
	v = pdv(3, 1, 1, store_rq, sizeof(store_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_COMMAND);
	assert_true(m.has_data);
	assert_memory_equal(m.command, store_rq, sizeof(store_rq));
	dh_asm_sink(a, sink_collect, &s);
	for (i = 0; i + 100 < sizeof(data); i += 100) {
		v = pdv(3, 0, 0, data + i, 100);
		assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	}
	v = pdv(3, 0, 1, data + i, sizeof(data) - i);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_DONE);
	assert_int_equal(m.data_len, sizeof(data));
	assert_int_equal(m.data_error, 0);
	assert_int_equal(s.len, sizeof(data));
	assert_memory_equal(s.b, data, sizeof(data));
	assert_int_equal(s.calls, 10);

	/* The next message starts clean, without the old sink. */
	v = pdv(3, 1, 1, echo_rq, sizeof(echo_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_DONE);
	assert_int_equal(m.data_len, 0);
	assert_int_equal(s.calls, 10);
	dh_asm_free(a);
}

/* Data to a file descriptor arrives byte for byte. */
static void
test_dh_asm_data_set_streams_to_fd(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;
	uint8_t		 got[16];
	int		 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_non_null(a = dh_asm_new(0));
	v = pdv(1, 1, 1, store_rq, sizeof(store_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_COMMAND);
	dh_asm_sink_fd(a, p[1]);
	v = pdv(1, 0, 0, "abcdef", 6);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	v = pdv(1, 0, 1, "gh", 2);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_DONE);
	close(p[1]);
	assert_int_equal(read(p[0], got, sizeof(got)), 8);
	assert_memory_equal(got, "abcdefgh", 8);
	close(p[0]);
	dh_asm_free(a);
}

/* Data before any command, or before the command ends, is a sequence error. */
static void
test_dh_asm_data_before_command_is_sequence_error(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;

	(void)state;
	assert_non_null(a = dh_asm_new(0));
	v = pdv(1, 0, 1, "xx", 2);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ERR_SEQUENCE);
	v = pdv(1, 1, 0, store_rq, 10);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	v = pdv(1, 0, 0, "xx", 2);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ERR_SEQUENCE);
	dh_asm_free(a);
}

/* A command fragment after the data set started is a sequence error. */
static void
test_dh_asm_command_inside_data_is_sequence_error(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;

	(void)state;
	assert_non_null(a = dh_asm_new(0));
	v = pdv(1, 1, 1, store_rq, sizeof(store_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_COMMAND);
	v = pdv(1, 0, 0, "xx", 2);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	v = pdv(1, 1, 1, echo_rq, sizeof(echo_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ERR_SEQUENCE);
	dh_asm_free(a);
}

/* A fragment on another context in mid-message is a sequence error. */
static void
test_dh_asm_context_switch_is_sequence_error(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;

	(void)state;
	assert_non_null(a = dh_asm_new(0));
	v = pdv(1, 1, 0, echo_rq, 10);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	v = pdv(3, 1, 1, echo_rq + 10, sizeof(echo_rq) - 10);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ERR_SEQUENCE);

	v = pdv(1, 1, 1, store_rq, sizeof(store_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_COMMAND);
	v = pdv(5, 0, 1, "xx", 2);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ERR_SEQUENCE);
	dh_asm_free(a);
}

/* A command set over the cap is refused, however it is fragmented. */
static void
test_dh_asm_command_over_cap_is_too_large(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;
	uint8_t		 junk[16];
	int		 i, rc = DH_ASM_MORE;

	(void)state;
	memset(junk, 0, sizeof(junk));
	assert_non_null(a = dh_asm_new(64));
	for (i = 0; i < 8 && rc == DH_ASM_MORE; i++) {
		v = pdv(1, 1, 0, junk, sizeof(junk));
		rc = dh_asm_feed(a, &v, &m);
	}
	assert_int_equal(rc, DH_ERR_TOO_LARGE);
	assert_int_equal(i, 5);
	dh_asm_free(a);
}

/* A sink failure is kept, the rest of the data is drained, and noted. */
static void
test_dh_asm_sink_failure_is_reported_at_end(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;
	struct sink	 s;
	int		 i;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	assert_non_null(a = dh_asm_new(0));
	v = pdv(1, 1, 1, store_rq, sizeof(store_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_COMMAND);
	dh_asm_sink(a, sink_collect, &s);
	for (i = 0; i < 5; i++) {
		v = pdv(1, 0, 0, "abcd", 4);
		assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	}
	v = pdv(1, 0, 1, "ef", 2);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_DONE);
	assert_int_equal(m.data_error, DH_ERR_SYS);
	assert_int_equal(m.data_errno, ENOSPC);
	assert_int_equal(m.data_len, 22);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.len, 4);
	dh_asm_free(a);
}

/* A command without a data set type is refused and its data dropped. */
static void
test_dh_asm_untyped_command_is_malformed(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;

	(void)state;
	assert_non_null(a = dh_asm_new(0));
	v = pdv(1, 1, 1, no_type_rq, sizeof(no_type_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ERR_MALFORMED);
	assert_int_equal(m.command_len, sizeof(no_type_rq));
	v = pdv(1, 0, 0, "ab", 2);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	v = pdv(1, 0, 1, "cd", 2);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	v = pdv(1, 1, 1, echo_rq, sizeof(echo_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_DONE);
	assert_memory_equal(m.command, echo_rq, sizeof(echo_rq));

	/* With no data following, the next command is accepted at once. */
	v = pdv(1, 1, 1, no_type_rq, sizeof(no_type_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ERR_MALFORMED);
	v = pdv(1, 1, 1, echo_rq, sizeof(echo_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_DONE);
	dh_asm_free(a);
}

/* A long run of one-byte fragments costs the library no memory. */
static void
test_dh_asm_many_small_fragments_stay_flat(void **state)
{
	struct dh_asm	*a;
	struct dh_msg	 m;
	struct dh_pdv	 v;
	struct sink	 s;
	uint8_t		 byte = 0x5a;
	int		 i;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_non_null(a = dh_asm_new(0));
	v = pdv(1, 1, 1, store_rq, sizeof(store_rq));
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_COMMAND);
	dh_asm_sink(a, sink_collect, &s);
	for (i = 0; i < 100000; i++) {
		v = pdv(1, 0, 0, &byte, 1);
		assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_MORE);
	}
	v = pdv(1, 0, 1, &byte, 1);
	assert_int_equal(dh_asm_feed(a, &v, &m), DH_ASM_DONE);
	assert_int_equal(m.data_len, 100001);
	assert_int_equal(s.calls, 100001);
	assert_int_equal(m.command_len, sizeof(store_rq));
	dh_asm_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dh_asm_fragmented_command_is_joined),
		cmocka_unit_test(test_dh_asm_data_set_streams_to_sink),
		cmocka_unit_test(test_dh_asm_data_set_streams_to_fd),
		cmocka_unit_test(
		    test_dh_asm_data_before_command_is_sequence_error),
		cmocka_unit_test(
		    test_dh_asm_command_inside_data_is_sequence_error),
		cmocka_unit_test(test_dh_asm_context_switch_is_sequence_error),
		cmocka_unit_test(test_dh_asm_command_over_cap_is_too_large),
		cmocka_unit_test(test_dh_asm_sink_failure_is_reported_at_end),
		cmocka_unit_test(test_dh_asm_untyped_command_is_malformed),
		cmocka_unit_test(test_dh_asm_many_small_fragments_stay_flat),
	};

	return (cmocka_run_group_tests_name("dh_asm", tests, NULL, NULL));
}
