/* test_dh_path.c: libdulhandler's checks on names that come from a peer. */

#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dulhandler.h"
#include "dh_testfs.h"

/* Valid UIDs pass, including the longest and the single-digit "0". */
static void
test_dh_path_valid_uids_pass(void **state)
{
	static const char *const good[] = { "1.2.840.10008.1.1", "0", "1",
	    "2.25.0", "1.0.2", "1.2.840.10008.5.1.4.1.1.2" };
	char	 longest[DH_UID_MAX + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(good); i++)
		assert_true(dh_uid_valid(good[i]));
	/* 64 characters: "1." repeated, ending in a digit. */
	for (i = 0; i < DH_UID_MAX; i++)
		longest[i] = i % 2 ? '.' : '1';
	longest[DH_UID_MAX - 1] = '1';
	longest[DH_UID_MAX] = '\0';
	assert_true(dh_uid_valid(longest));
}

/* Hostile and merely wrong UIDs are all refused. */
static void
test_dh_path_hostile_uids_are_refused(void **state)
{
	static const char *const bad[] = { "../x", "1.2/../3", "", "..",
	    ".", "1..2", ".1", "1.", "01.2", "1.02", "1.00", "1.2 ",
	    " 1.2", "/etc/cron.d/x", "a/b", "a\\b", "1.2a", "1,2", "-1",
	    "1.2\n" };
	char	 over[DH_UID_MAX + 2];
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++)
		assert_false(dh_uid_valid(bad[i]));
	assert_false(dh_uid_valid(NULL));
	memset(over, '1', DH_UID_MAX + 1);
	over[DH_UID_MAX + 1] = '\0';
	assert_false(dh_uid_valid(over));
}

/* Path components are a small alphabet, never "." or "..", nor hidden. */
static void
test_dh_path_components_are_checked(void **state)
{
	static const char *const bad[] = { "", ".", "..", "../x", "a/b",
	    "/", ".hidden", "-rf", "a\nb", "a b", "a\\b", "a:b", "~" };
	static const char *const good[] = { "1.2.3.dcm", "CT_1", "20260101",
	    "a-b", "_" };
	char	 over[300];
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(bad); i++)
		assert_false(dh_path_component_ok(bad[i]));
	for (i = 0; i < nitems(good); i++)
		assert_true(dh_path_component_ok(good[i]));
	memset(over, 'a', 256);
	over[256] = '\0';
	assert_false(dh_path_component_ok(over));
	over[255] = '\0';
	assert_true(dh_path_component_ok(over));
}

/* AE titles map to safe directory names, whatever they hold. */
static void
test_dh_path_ae_titles_are_sanitised(void **state)
{
	static const struct {
		const char	*ae;
		const char	*dir;
	} map[] = {
		{ "CT_1", "CT_1" }, { "  STORESCU  ", "STORESCU" },
		{ "..", "__" }, { "../../etc", "______etc" }, { "", "_" },
		{ "    ", "_" }, { "-rf", "_rf" }, { "A\\B", "A_B" },
		{ "A/B", "A_B" }, { "MR 1", "MR_1" }, { ".x", "_x" },
		{ "a\tb", "a_b" },
	};
	char	 out[DH_AE_MAX + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < nitems(map); i++) {
		assert_int_equal(dh_ae_dirname(map[i].ae, out, sizeof(out)),
		    DH_OK);
		assert_string_equal(out, map[i].dir);
		assert_true(dh_path_component_ok(out));
	}
	assert_int_equal(dh_ae_dirname("ABCDEFGHIJKLMNOPQ", out, sizeof(out)),
	    DH_ERR_NAME);
	assert_int_equal(dh_ae_dirname("A", out, 4), DH_ERR_INVAL);
}

/* Directories are made one component at a time below the root. */
static void
test_dh_path_opendirs_makes_nested_directories(void **state)
{
	struct testfs		*t = *state;
	const char		*comps[] = { "CT_1", "20260101" };
	struct stat		 st;
	int			 fd, fd2;

	assert_int_equal(dh_opendirs(t->rootfd, comps, 2, 0, &fd), DH_OK);
	assert_true(fd != -1);
	assert_int_equal(fstatat(t->rootfd, "CT_1/20260101", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Opening again finds the same directory. */
	assert_int_equal(dh_opendirs(t->rootfd, comps, 2, 0, &fd2), DH_OK);
	close(fd2);
	close(fd);
	assert_int_equal(dh_opendirs(t->rootfd, comps, 0, 0, &fd), DH_OK);
	close(fd);
}

/* Hostile components are refused before anything is created. */
static void
test_dh_path_opendirs_refuses_hostile_components(void **state)
{
	struct testfs		*t = *state;
	static const char *const bad[] = { "..", "../outside", "/tmp", "",
	    ".", "a/b" };
	const char		*comps[2];
	size_t			 i;
	int			 fd;

	for (i = 0; i < nitems(bad); i++) {
		comps[0] = "ok";
		comps[1] = bad[i];
		assert_int_equal(dh_opendirs(t->rootfd, comps, 2, 0, &fd),
		    DH_ERR_NAME);
		assert_int_equal(fd, -1);
	}
	assert_int_equal(testfs_count(t->root, NULL), 0);
}

/* A symbolic link planted under the root is not followed. */
static void
test_dh_path_opendirs_does_not_follow_links(void **state)
{
	struct testfs		*t = *state;
	const char		*comps[] = { "trap", "x" };
	int			 fd;

	assert_int_equal(symlinkat("../outside", t->rootfd, "trap"), 0);
	assert_int_equal(dh_opendirs(t->rootfd, comps, 2, 0, &fd),
	    DH_ERR_SYS);
	assert_true(errno == ELOOP || errno == ENOTDIR);
	assert_int_equal(fd, -1);
	assert_int_equal(testfs_count(t->outside, NULL), 0);
	assert_int_equal(unlinkat(t->rootfd, "trap", 0), 0);
}

/*
 * The whole path a store handler takes, with every hostile UID: refused
 * as a name, and nothing written anywhere.
 */
static void
test_dh_path_hostile_uid_writes_nothing(void **state)
{
	struct testfs		*t = *state;
	static const char *const bad[] = { "../x", "1.2/../3", "",
	    "/etc/cron.d/x", "..", "1..2", "01.2" };
	struct dh_p10_meta	 m;
	struct dh_p10		*p;
	size_t			 i;
	int			 err;

	memset(&m, 0, sizeof(m));
	m.sop_class = "1.2.840.10008.5.1.4.1.1.7";
	m.transfer_syntax = "1.2.840.10008.1.2";
	for (i = 0; i < nitems(bad); i++) {
		assert_false(dh_uid_valid(bad[i]));
		m.sop_instance = bad[i];
		assert_null(p = dh_p10_begin(t->rootfd, &m, 0, &err));
		assert_int_equal(err, DH_ERR_INVAL);
	}
	assert_int_equal(testfs_count(t->root, NULL), 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, testfs_setup, \
	    testfs_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dh_path_valid_uids_pass),
		cmocka_unit_test(test_dh_path_hostile_uids_are_refused),
		cmocka_unit_test(test_dh_path_components_are_checked),
		cmocka_unit_test(test_dh_path_ae_titles_are_sanitised),
		T(test_dh_path_opendirs_makes_nested_directories),
		T(test_dh_path_opendirs_refuses_hostile_components),
		T(test_dh_path_opendirs_does_not_follow_links),
		T(test_dh_path_hostile_uid_writes_nothing),
	};

	return (cmocka_run_group_tests_name("dh_path", tests, NULL, NULL));
}
