/* test_dh_p10.c: libdulhandler's Part-10 writer and its durability path. */

#include "compat.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "dulhandler.h"
#include "dh_testfs.h"

#define CT_STORAGE	"1.2.840.10008.5.1.4.1.1.2"
#define EXPLICIT_LE	"1.2.840.10008.1.2.1"
#define INSTANCE	"1.2.826.0.1.3680043.9.7433.42.7"

/* One element of a parsed file meta group. */
struct melem {
	uint16_t	 elem;
	char		 vr[3];
	const uint8_t	*v;
	size_t		 len;
};

/*
 * Walk the file meta group of a Part-10 file (PS3.10 7.1) independently
 * of the writer: explicit VR little endian, OB with a 4-byte length.
 * Returns the number of elements and the offset of the data set.
 */
static size_t
parse_meta(const uint8_t *f, size_t flen, struct melem *out, size_t max,
    size_t *dataset)
{
	size_t		 off = 132, end, n = 0;
	uint32_t	 glen;

	assert_true(flen >= 144);
	for (off = 0; off < 128; off++)
		assert_int_equal(f[off], 0);
	assert_memory_equal(f + 128, "DICM", 4);
	off = 132;
	/* (0002,0000) UL 4 comes first. */
	assert_memory_equal(f + off, "\x02\x00\x00\x00UL\x04\x00", 8);
	glen = f[off + 8] | f[off + 9] << 8 | f[off + 10] << 16 |
	    (uint32_t)f[off + 11] << 24;
	off += 12;
	end = off + glen;
	assert_true(end <= flen);
	while (off < end && n < max) {
		struct melem	*e = &out[n++];

		assert_int_equal(f[off] | f[off + 1] << 8, 0x0002);
		e->elem = f[off + 2] | f[off + 3] << 8;
		e->vr[0] = (char)f[off + 4];
		e->vr[1] = (char)f[off + 5];
		e->vr[2] = '\0';
		if (strcmp(e->vr, "OB") == 0) {
			e->len = f[off + 8] | f[off + 9] << 8 |
			    f[off + 10] << 16 | (size_t)f[off + 11] << 24;
			off += 12;
		} else {
			e->len = f[off + 6] | f[off + 7] << 8;
			off += 8;
		}
		assert_true(off + e->len <= end);
		assert_int_equal(e->len % 2, 0);
		e->v = f + off;
		off += e->len;
	}
	assert_int_equal(off, end);
	*dataset = end;
	return (n);
}

/* Check one string element against its expected value and padding. */
static void
check_str(const struct melem *e, uint16_t elem, const char *vr,
    const char *want, char pad)
{
	size_t	 n = strlen(want);

	assert_int_equal(e->elem, elem);
	assert_string_equal(e->vr, vr);
	assert_int_equal(e->len, n + n % 2);
	assert_memory_equal(e->v, want, n);
	if (n % 2)
		assert_int_equal(e->v[n], (uint8_t)pad);
}

/* The meta of the tests' object, with a given source AE. */
static struct dh_p10_meta
test_meta(const char *ae)
{
	struct dh_p10_meta	 m;

	memset(&m, 0, sizeof(m));
	m.sop_class = CT_STORAGE;
	m.sop_instance = INSTANCE;
	m.transfer_syntax = EXPLICIT_LE;
	m.source_ae = ae;
	return (m);
}

/* Write a file with the given data set bytes and commit it under name. */
static int
store(struct testfs *t, const char *ae, const uint8_t *data, size_t n,
    const char *stem, int dup, char *final, size_t cap)
{
	struct dh_p10_meta	 m = test_meta(ae);
	struct dh_p10		*p;
	size_t			 off, chunk;
	int			 err;

	assert_non_null(p = dh_p10_begin(t->rootfd, &m, 0, &err));
	assert_int_equal(err, DH_OK);
	assert_int_equal(testfs_count(t->root, ".dul-"), 1);
	for (off = 0; off < n; off += chunk) {
		chunk = n - off < 333 ? n - off : 333;
		assert_int_equal(dh_p10_write(p, data + off, chunk), DH_OK);
	}
	return (dh_p10_commit(p, stem, ".dcm", dup, final, cap));
}

/* The file meta is built from the command and association values only. */
static void
test_dh_p10_file_meta_and_data_set_are_exact(void **state)
{
	struct testfs	*t = *state;
	struct melem	 e[16];
	uint8_t		 data[5000], *f;
	char		 final[256];
	size_t		 flen, ds, n, i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	assert_int_equal(store(t, "CT_1", data, sizeof(data), INSTANCE,
	    DH_DUP_REJECT, final, sizeof(final)), DH_OK);
	assert_string_equal(final, INSTANCE ".dcm");
	assert_int_equal(testfs_count(t->root, ".dul-"), 0);
	assert_int_equal(testfs_count(t->root, NULL), 1);

	assert_non_null(f = testfs_slurp(t->rootfd, final, &flen));
	n = parse_meta(f, flen, e, 16, &ds);
	assert_int_equal(n, 7);
	assert_int_equal(e[0].elem, 0x0001);
	assert_string_equal(e[0].vr, "OB");
	assert_int_equal(e[0].len, 2);
	assert_memory_equal(e[0].v, "\x00\x01", 2);
	check_str(&e[1], 0x0002, "UI", CT_STORAGE, '\0');
	check_str(&e[2], 0x0003, "UI", INSTANCE, '\0');
	check_str(&e[3], 0x0010, "UI", EXPLICIT_LE, '\0');
	check_str(&e[4], 0x0012, "UI", DH_IMPL_CLASS_UID, '\0');
	check_str(&e[5], 0x0013, "SH", CONF_IMPL_VERSION, ' ');
	check_str(&e[6], 0x0016, "AE", "CT_1", ' ');
	assert_string_equal(DH_IMPL_CLASS_UID, CONF_IMPL_CLASS_UID);
	/* The data set follows byte for byte. */
	assert_int_equal(flen - ds, sizeof(data));
	assert_memory_equal(f + ds, data, sizeof(data));
	free(f);
}

/* A source AE title that is not a clean AE value is left out. */
static void
test_dh_p10_unclean_source_ae_is_left_out(void **state)
{
	struct testfs	*t = *state;
	struct melem	 e[16];
	uint8_t		*f;
	size_t		 flen, ds;

	assert_int_equal(store(t, "A\\B", (const uint8_t *)"\x08\x00", 2,
	    INSTANCE, DH_DUP_REJECT, NULL, 0), DH_OK);
	assert_non_null(f = testfs_slurp(t->rootfd, INSTANCE ".dcm", &flen));
	assert_int_equal(parse_meta(f, flen, e, 16, &ds), 6);
	assert_int_equal(e[5].elem, 0x0013);
	free(f);
}

/* Each duplicate policy does what it says, atomically. */
static void
test_dh_p10_duplicate_policies(void **state)
{
	struct testfs	*t = *state;
	uint8_t		*f;
	char		 final[256];
	size_t		 flen, ds;
	struct melem	 e[16];

	assert_int_equal(store(t, "A", (const uint8_t *)"first!", 6, "1.2",
	    DH_DUP_REJECT, NULL, 0), DH_OK);
	assert_int_equal(store(t, "A", (const uint8_t *)"second", 6, "1.2",
	    DH_DUP_REJECT, final, sizeof(final)), DH_ERR_EXISTS);
	assert_int_equal(store(t, "A", (const uint8_t *)"third!", 6, "1.2",
	    DH_DUP_KEEP, final, sizeof(final)), DH_P10_KEPT);
	assert_string_equal(final, "1.2.dcm");
	assert_non_null(f = testfs_slurp(t->rootfd, "1.2.dcm", &flen));
	parse_meta(f, flen, e, 16, &ds);
	assert_memory_equal(f + ds, "first!", 6);
	free(f);

	assert_int_equal(store(t, "A", (const uint8_t *)"fourth", 6, "1.2",
	    DH_DUP_KEEP_BOTH, final, sizeof(final)), DH_OK);
	assert_string_equal(final, "1.2_1.dcm");
	assert_int_equal(store(t, "A", (const uint8_t *)"fifth!", 6, "1.2",
	    DH_DUP_OVERWRITE, final, sizeof(final)), DH_OK);
	assert_non_null(f = testfs_slurp(t->rootfd, "1.2.dcm", &flen));
	parse_meta(f, flen, e, 16, &ds);
	assert_memory_equal(f + ds, "fifth!", 6);
	free(f);
	assert_int_equal(testfs_count(t->root, NULL), 2);
	assert_int_equal(testfs_count(t->root, ".dul-"), 0);
}

/*
 * A directory that cannot be fsynced (an O_PATH descriptor gives EBADF)
 * makes commit fail and take back the name: not durable, not stored.
 */
static void
test_dh_p10_directory_fsync_failure_stores_nothing(void **state)
{
	struct testfs		*t = *state;
	struct dh_p10_meta	 m = test_meta("A");
	struct dh_p10		*p;
	int			 dfd, err;

	dfd = open(t->root, O_PATH | O_DIRECTORY);
	assert_true(dfd != -1);
	assert_non_null(p = dh_p10_begin(dfd, &m, 0, &err));
	assert_int_equal(dh_p10_write(p, "abcd", 4), DH_OK);
	errno = 0;
	assert_int_equal(dh_p10_commit(p, "1.2", ".dcm", DH_DUP_REJECT, NULL,
	    0), DH_ERR_SYS);
	assert_int_equal(errno, EBADF);
	assert_int_equal(testfs_count(t->root, NULL), 0);

	/* Without fsync the same descriptor works: the path is the fsync. */
	assert_non_null(p = dh_p10_begin(dfd, &m, DH_P10_NOFSYNC, &err));
	assert_int_equal(dh_p10_commit(p, "1.2", ".dcm", DH_DUP_REJECT, NULL,
	    0), DH_OK);
	assert_int_equal(testfs_count(t->root, NULL), 1);
	close(dfd);
}

/* A write failure (EFBIG under RLIMIT_FSIZE) fails commit, no file left. */
static void
test_dh_p10_write_failure_leaves_no_file(void **state)
{
	struct testfs		*t = *state;
	struct dh_p10_meta	 m = test_meta("A");
	struct dh_p10		*p;
	struct rlimit		 old, lim;
	void			(*oldsig)(int);
	uint8_t			 big[8192];
	int			 err;

	memset(big, 0x11, sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	oldsig = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

	p = dh_p10_begin(t->rootfd, &m, 0, &err);
	if (p != NULL) {
		assert_int_equal(dh_p10_write(p, big, sizeof(big)),
		    DH_ERR_SYS);
		assert_int_equal(dh_p10_errno(p), EFBIG);
		/* Every later write fails the same way. */
		assert_int_equal(dh_p10_write(p, big, 1), DH_ERR_SYS);
		errno = 0;
		assert_int_equal(dh_p10_commit(p, "1.2", ".dcm",
		    DH_DUP_REJECT, NULL, 0), DH_ERR_SYS);
		assert_int_equal(errno, EFBIG);
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_non_null(p);
	assert_int_equal(testfs_count(t->root, NULL), 0);
}

/* Invalid UIDs never reach the file meta; nothing is created. */
static void
test_dh_p10_invalid_uids_are_refused(void **state)
{
	struct testfs		*t = *state;
	struct dh_p10_meta	 m;
	static const char *const bad[] = { "1.2/../3", "../x", "", "1..2",
	    "1.02", "1.2 " };
	size_t			 i;
	int			 err;

	for (i = 0; i < nitems(bad); i++) {
		m = test_meta("A");
		m.sop_instance = bad[i];
		assert_null(dh_p10_begin(t->rootfd, &m, 0, &err));
		assert_int_equal(err, DH_ERR_INVAL);
		m = test_meta("A");
		m.transfer_syntax = bad[i];
		assert_null(dh_p10_begin(t->rootfd, &m, 0, &err));
		assert_int_equal(err, DH_ERR_INVAL);
	}
	assert_int_equal(testfs_count(t->root, NULL), 0);
}

/* Unsafe final names are refused and the temporary file removed. */
static void
test_dh_p10_unsafe_names_are_refused(void **state)
{
	struct testfs		*t = *state;
	struct dh_p10_meta	 m = test_meta("A");
	struct dh_p10		*p;
	static const char *const bad[] = { "../x", "..", ".", "", "a/b",
	    "/etc/x", ".hidden", "-rf", "a\\b", "a b" };
	size_t			 i;
	int			 err;

	for (i = 0; i < nitems(bad); i++) {
		assert_non_null(p = dh_p10_begin(t->rootfd, &m, 0, &err));
		assert_int_equal(dh_p10_commit(p, bad[i], "", DH_DUP_OVERWRITE,
		    NULL, 0), DH_ERR_NAME);
	}
	assert_int_equal(testfs_count(t->root, NULL), 0);
}

/* Abort removes the temporary file. */
static void
test_dh_p10_abort_removes_temporary(void **state)
{
	struct testfs		*t = *state;
	struct dh_p10_meta	 m = test_meta("A");
	struct dh_p10		*p;
	int			 err;

	assert_non_null(p = dh_p10_begin(t->rootfd, &m, 0, &err));
	assert_int_equal(dh_p10_write(p, "abcd", 4), DH_OK);
	assert_int_equal(testfs_count(t->root, ".dul-"), 1);
	dh_p10_abort(p);
	assert_int_equal(testfs_count(t->root, NULL), 0);
}

/* The temporary file is private (0640 at most) and a regular file. */
static void
test_dh_p10_temporary_is_private(void **state)
{
	struct testfs		*t = *state;
	struct dh_p10_meta	 m = test_meta("A");
	struct dh_p10		*p;
	struct stat		 st;
	int			 err;

	assert_non_null(p = dh_p10_begin(t->rootfd, &m, 0, &err));
	assert_int_equal(dh_p10_commit(p, "9.9", ".dcm", DH_DUP_REJECT, NULL,
	    0), DH_OK);
	assert_int_equal(fstatat(t->rootfd, "9.9.dcm", &st,
	    AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0137, 0);
}

/* Backdate a file of the root by secs seconds. */
static void
backdate(int dirfd, const char *name, time_t secs)
{
	struct timespec	 ts[2];

	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - secs;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* Create a file in the root with a temporary file's name shape. */
static void
make_part(int dirfd, const char *name)
{
	int	 fd;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0640);
	assert_int_not_equal(fd, -1);
	close(fd);
}

/* The name of the only temporary file in dir, copied to out. */
static void
only_part(const char *dir, char *out, size_t cap)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, DH_P10_TMP_PREFIX, 5) == 0) {
			assert_true(strlen(e->d_name) < cap);
			memcpy(out, e->d_name, strlen(e->d_name) + 1);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

/*
 * The sweep removes an old unlocked temporary file, and leaves alone a
 * live writer's (locked, even when old), a fresh unlocked one, and files
 * whose names only look alike.
 */
static void
test_dh_p10_sweep_removes_only_dead_writers_files(void **state)
{
	struct testfs		*t = *state;
	struct dh_p10_meta	 m = test_meta("A");
	struct dh_p10		*p;
	char			 live[256];
	size_t			 removed;
	int			 err;

	assert_non_null(p = dh_p10_begin(t->rootfd, &m, 0, &err));
	assert_int_equal(dh_p10_write(p, "abcd", 4), DH_OK);
	only_part(t->root, live, sizeof(live));
	backdate(t->rootfd, live, 3600);
	make_part(t->rootfd, ".dul-0123456789abcdef.part");
	backdate(t->rootfd, ".dul-0123456789abcdef.part", 3600);
	make_part(t->rootfd, ".dul-fedcba9876543210.part");	/* fresh */
	make_part(t->rootfd, ".dul-0123456789abcdeg.part");	/* not hex */
	backdate(t->rootfd, ".dul-0123456789abcdeg.part", 3600);
	make_part(t->rootfd, ".dul-0123456789abcde.part");	/* short */
	backdate(t->rootfd, ".dul-0123456789abcde.part", 3600);
	make_part(t->rootfd, "1.2.3.dcm");
	backdate(t->rootfd, "1.2.3.dcm", 3600);

	assert_int_equal(dh_p10_sweep(t->rootfd, 60, 1000, &removed), DH_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(faccessat(t->rootfd, ".dul-0123456789abcdef.part",
	    F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(faccessat(t->rootfd, live, F_OK, 0), 0);
	assert_int_equal(testfs_count(t->root, NULL), 5);

	/* The live writer still commits; then nothing of it is left. */
	assert_int_equal(dh_p10_commit(p, "7.7", ".dcm", DH_DUP_REJECT, NULL,
	    0), DH_OK);
	assert_int_equal(faccessat(t->rootfd, live, F_OK, 0), -1);
	/* Once old, the formerly fresh one goes; the look-alikes stay. */
	backdate(t->rootfd, ".dul-fedcba9876543210.part", 120);
	assert_int_equal(dh_p10_sweep(t->rootfd, 60, 1000, &removed), DH_OK);
	assert_int_equal(removed, 1);
	assert_int_equal(testfs_count(t->root, ".dul-"), 2);
}

/* The sweep reads at most the entries it is allowed. */
static void
test_dh_p10_sweep_work_is_bounded(void **state)
{
	struct testfs	*t = *state;
	char		 name[64];
	size_t		 removed, total = 0;
	int		 i;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), ".dul-%016x.part", i);
		make_part(t->rootfd, name);
		backdate(t->rootfd, name, 3600);
	}
	/* "." and ".." count as entries read. */
	assert_int_equal(dh_p10_sweep(t->rootfd, 60, 10, &removed), DH_OK);
	assert_true(removed >= 8 && removed <= 10);
	total += removed;
	for (i = 0; i < 10 && total < 40; i++) {
		assert_int_equal(dh_p10_sweep(t->rootfd, 60, 10, &removed),
		    DH_OK);
		assert_true(removed <= 10);
		total += removed;
	}
	assert_int_equal(total, 40);
	assert_int_equal(testfs_count(t->root, NULL), 0);
}

/* dh_p10_begin_at() keeps the temporary in one directory, the file in
 * another. */
static void
test_dh_p10_begin_at_moves_across_directories(void **state)
{
	struct testfs		*t = *state;
	struct dh_p10_meta	 m = test_meta("A");
	struct dh_p10		*p;
	int			 err, tmpfd;

	assert_int_equal(mkdirat(t->rootfd, "tmp", 0750), 0);
	tmpfd = openat(t->rootfd, "tmp", O_RDONLY | O_DIRECTORY);
	assert_int_not_equal(tmpfd, -1);
	assert_non_null(p = dh_p10_begin_at(t->rootfd, tmpfd, &m, 0, &err));
	assert_int_equal(dh_p10_write(p, "abcd", 4), DH_OK);
	assert_int_equal(testfs_count(t->root, NULL), 1);	/* tmp */
	assert_int_equal(dh_p10_commit(p, "8.8", ".dcm", DH_DUP_KEEP, NULL,
	    0), DH_OK);
	assert_int_equal(faccessat(t->rootfd, "8.8.dcm", F_OK, 0), 0);
	assert_non_null(p = dh_p10_begin_at(t->rootfd, tmpfd, &m, 0, &err));
	assert_int_equal(dh_p10_commit(p, "8.8", ".dcm", DH_DUP_OVERWRITE,
	    NULL, 0), DH_OK);
	assert_non_null(p = dh_p10_begin_at(t->rootfd, tmpfd, &m, 0, &err));
	dh_p10_abort(p);
	assert_int_equal(unlinkat(t->rootfd, "8.8.dcm", 0), 0);
	assert_int_equal(unlinkat(t->rootfd, "tmp", AT_REMOVEDIR), 0);
	close(tmpfd);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, testfs_setup, \
	    testfs_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dh_p10_file_meta_and_data_set_are_exact),
		T(test_dh_p10_unclean_source_ae_is_left_out),
		T(test_dh_p10_duplicate_policies),
		T(test_dh_p10_directory_fsync_failure_stores_nothing),
		T(test_dh_p10_write_failure_leaves_no_file),
		T(test_dh_p10_invalid_uids_are_refused),
		T(test_dh_p10_unsafe_names_are_refused),
		T(test_dh_p10_abort_removes_temporary),
		T(test_dh_p10_temporary_is_private),
		T(test_dh_p10_sweep_removes_only_dead_writers_files),
		T(test_dh_p10_sweep_work_is_bounded),
		T(test_dh_p10_begin_at_moves_across_directories),
	};

	return (cmocka_run_group_tests_name("dh_p10", tests, NULL, NULL));
}
