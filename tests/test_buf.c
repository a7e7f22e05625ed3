/* test_buf.c: the bounded cursors under the codecs. */

#include "compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

/* Reading big-endian integers moves the cursor by their size. */
static void
test_buf_read_integers_are_big_endian(void **state)
{
	static const uint8_t	 in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
				    0x07 };
	struct rbuf		 b;
	uint8_t			 u8;
	uint16_t		 u16;
	uint32_t		 u32;

	(void)state;
	rbuf_init(&b, in, sizeof(in));
	assert_int_equal(rbuf_u8(&b, &u8), BUF_OK);
	assert_int_equal(u8, 0x01);
	assert_int_equal(rbuf_u16(&b, &u16), BUF_OK);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(rbuf_u32(&b, &u32), BUF_OK);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(rbuf_left(&b), 0);
}

/* A short read fails and leaves the cursor where it was. */
static void
test_buf_short_read_does_not_move(void **state)
{
	static const uint8_t	 in[] = { 0xaa, 0xbb, 0xcc };
	struct rbuf		 b;
	uint32_t		 u32;
	uint8_t			 out[4];

	(void)state;
	rbuf_init(&b, in, sizeof(in));
	assert_int_equal(rbuf_u32(&b, &u32), BUF_ERR_SHORT);
	assert_int_equal(rbuf_bytes(&b, out, 4), BUF_ERR_SHORT);
	assert_int_equal(rbuf_skip(&b, 4), BUF_ERR_SHORT);
	assert_int_equal(rbuf_left(&b), 3);
	assert_ptr_equal(b.p, in);
}

/* A child cursor longer than its parent is an error, never a clamp. */
static void
test_buf_sub_past_parent_is_short(void **state)
{
	static const uint8_t	 in[] = { 1, 2, 3, 4 };
	struct rbuf		 b, sub;

	(void)state;
	rbuf_init(&b, in, sizeof(in));
	assert_int_equal(rbuf_sub(&b, 5, &sub), BUF_ERR_SHORT);
	assert_int_equal(rbuf_sub(&b, 3, &sub), BUF_OK);
	assert_int_equal(rbuf_left(&sub), 3);
	assert_int_equal(rbuf_left(&b), 1);
}

/* The checked subtraction refuses to wrap. */
static void
test_buf_len_sub_refuses_underflow(void **state)
{
	uint32_t	 r = 7;

	(void)state;
	assert_int_equal(len_sub(4, 5, &r), BUF_ERR_SHORT);
	assert_int_equal(r, 7);
	assert_int_equal(len_sub(0xffffffffu, 1, &r), BUF_OK);
	assert_int_equal(r, 0xfffffffeu);
}

/* size_sub() is len_sub() for size_t: it refuses to go below zero. */
static void
test_buf_size_sub_refuses_underflow(void **state)
{
	size_t	 r = 7;

	(void)state;
	assert_int_equal(size_sub(4, 5, &r), BUF_ERR_SHORT);
	assert_int_equal(r, 7);
	assert_int_equal(size_sub(SIZE_MAX, 1, &r), BUF_OK);
	assert_true(r == SIZE_MAX - 1);
	assert_int_equal(size_sub(6, 6, &r), BUF_OK);
	assert_int_equal(r, 0);
}

/* A writer that runs out of room stops and remembers it. */
static void
test_buf_writer_overflow_is_sticky(void **state)
{
	uint8_t		 out[5];
	struct wbuf	 w;

	(void)state;
	memset(out, 0xee, sizeof(out));
	wbuf_init(&w, out, 4);
	wbuf_u16(&w, 0x1234);
	wbuf_u8(&w, 0x56);
	assert_int_equal(w.overflow, 0);
	wbuf_u16(&w, 0x789a);
	assert_int_equal(w.overflow, 1);
	wbuf_u8(&w, 0x01);
	assert_int_equal(wbuf_len(&w), 3);
	assert_int_equal(out[0], 0x12);
	assert_int_equal(out[1], 0x34);
	assert_int_equal(out[2], 0x56);
	assert_int_equal(out[3], 0xee);
	assert_int_equal(out[4], 0xee);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_read_integers_are_big_endian),
		cmocka_unit_test(test_buf_short_read_does_not_move),
		cmocka_unit_test(test_buf_sub_past_parent_is_short),
		cmocka_unit_test(test_buf_len_sub_refuses_underflow),
		cmocka_unit_test(test_buf_size_sub_refuses_underflow),
		cmocka_unit_test(test_buf_writer_overflow_is_sticky),
	};

	return (cmocka_run_group_tests_name("buf", tests, NULL, NULL));
}
