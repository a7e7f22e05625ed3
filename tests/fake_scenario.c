/*
 * fake_scenario.c: the fake worker's scripts.  Each one is a whole
 * association as the worker would run it, with the answers the handler
 * protocol and PS3.4/PS3.7 require, and the statuses dul-store-scp(8)
 * documents.
 */

#include "compat.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hipc.h"
#include "fake_dicom.h"
#include "fake_worker.h"

#define U_CT		FD_TEST_ROOT ".1.1"
#define U_SC		FD_TEST_ROOT ".1.2"
#define U_BIG		FD_TEST_ROOT ".1.3"
#define SEARCH_DEPTH	4

static const struct fw_pc echo_pcs[] = {
	{ 1, FD_VERIFICATION, FD_IMPLICIT_LE, 0 },
	{ 3, FD_CT_STORAGE, FD_IMPLICIT_LE, 3 },
};

static const struct fw_pc store_pcs[] = {
	{ 1, FD_VERIFICATION, FD_IMPLICIT_LE, 0 },
	{ 3, FD_CT_STORAGE, FD_IMPLICIT_LE, 0 },
	{ 5, FD_SC_STORAGE, FD_EXPLICIT_LE, 0 },
	{ 7, FD_MR_STORAGE, FD_IMPLICIT_LE, 3 },
};

/* What a search of the root found. */
struct found {
	const char	*want;		/* file name looked for */
	char		 path[1024];	/* where it is */
	int		 files;		/* regular files seen */
	int		 temps;		/* leftover temporary files */
};

/* Walk a directory tree (without following links), bounded in depth. */
static void
search(int dfd, const char *path, int depth, struct found *f)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	char		 sub[1024];
	int		 cfd;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (S_ISDIR(st.st_mode) && depth > 0) {
			cfd = openat(dirfd(d), e->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (cfd != -1)
				search(cfd, sub, depth - 1, f);
		} else if (S_ISREG(st.st_mode)) {
			f->files++;
			if (strncmp(e->d_name, ".dul-", 5) == 0)
				f->temps++;
			if (f->want != NULL && strcmp(e->d_name, f->want) == 0)
				snprintf(f->path, sizeof(f->path), "%s", sub);
		}
	}
	closedir(d);
}

/* Search the root for a file name (or NULL) and count what is there. */
static void
search_root(struct fw *fw, const char *want, struct found *f)
{
	int	 fd;

	memset(f, 0, sizeof(*f));
	f->want = want;
	if ((fd = open(fw->root, O_RDONLY | O_DIRECTORY)) == -1) {
		fw_fail(fw, "cannot open %s", fw->root);
		return;
	}
	search(fd, fw->root, SEARCH_DEPTH, f);
}

/* Read a whole file. */
static int
slurp(const char *path, struct fbuf *out)
{
	uint8_t	 b[4096];
	ssize_t	 r;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW)) == -1)
		return (-1);
	while ((r = read(fd, b, sizeof(b))) > 0)
		fbuf_put(out, b, (size_t)r);
	close(fd);
	return (r == 0 ? 0 : -1);
}

/*
 * Find the stored file of an instance and check it: file meta from the
 * command and context, data set byte for byte.  Prints its path.
 */
static void
check_stored(struct fw *fw, const char *uid, const char *sop_class,
    const char *ts, const struct fbuf *data)
{
	struct found	 f;
	struct fbuf	 file = { 0 };
	struct fmeta	 m;
	char		 name[128];

	snprintf(name, sizeof(name), "%s.dcm", uid);
	search_root(fw, name, &f);
	if (f.path[0] == '\0') {
		fw_fail(fw, "%s not found under %s", name, fw->root);
		return;
	}
	if (slurp(f.path, &file) == -1 ||
	    fd_parse_meta(file.b, file.len, &m) == -1) {
		fw_fail(fw, "%s: not a Part-10 file", f.path);
		goto out;
	}
	if (strcmp(m.sop_class, sop_class) != 0 ||
	    strcmp(m.sop_instance, uid) != 0 || strcmp(m.ts, ts) != 0 ||
	    strcmp(m.source_ae, fw->calling) != 0 || m.impl_uid[0] == '\0')
		fw_fail(fw, "%s: file meta class %s instance %s ts %s ae %s",
		    f.path, m.sop_class, m.sop_instance, m.ts, m.source_ae);
	if (file.len - m.data_off != data->len ||
	    memcmp(file.b + m.data_off, data->b, data->len) != 0)
		fw_fail(fw, "%s: data set differs from what was sent", f.path);
	printf("%s\n", f.path);
	fflush(stdout);
out:
	fbuf_free(&file);
}

/* Send a C-ECHO-RQ in nfrag fragments, one PDATA_IND each; check 0000. */
static void
sc_echo(struct fw *fw, uint8_t pcid, uint16_t msg_id, size_t nfrag)
{
	struct fbuf	 cmd = { 0 }, body = { 0 };
	struct frsp	 r;
	size_t		 i, step, off = 0;

	fd_echo_rq(&cmd, msg_id);
	step = cmd.len / nfrag;
	for (i = 0; i < nfrag; i++) {
		fw_pdv(&body, pcid, 1, i + 1 == nfrag, cmd.b + off,
		    i + 1 == nfrag ? cmd.len - off : step);
		off += step;
		fw_pdata(fw, &body);
	}
	if (fw_response(fw, pcid, &r) == 0) {
		fw_check_rsp(fw, &r, 0x8030, msg_id, 0x0000);
		if (strcmp(r.sop_class, FD_VERIFICATION) != 0)
			fw_fail(fw, "C-ECHO-RSP class %s", r.sop_class);
	}
	fbuf_free(&cmd);
	fbuf_free(&body);
}

/* Send a request no SCP here supports; check 0211. */
static void
sc_unknown(struct fw *fw, uint8_t pcid, uint16_t msg_id)
{
	struct fbuf	 b = { 0 }, cmd = { 0 }, body = { 0 };
	struct frsp	 r;

	fd_cmd_ui(&b, 0x0002, FD_VERIFICATION, strlen(FD_VERIFICATION));
	fd_cmd_us(&b, 0x0100, 0x0ff0);
	fd_cmd_us(&b, 0x0110, msg_id);
	fd_cmd_us(&b, 0x0800, 0x0101);
	fd_cmd_finish(&cmd, &b);
	fw_pdv(&body, pcid, 1, 1, cmd.b, cmd.len);
	fw_pdata(fw, &body);
	if (fw_response(fw, pcid, &r) == 0)
		fw_check_rsp(fw, &r, 0x8ff0, msg_id, 0x0211);
	fbuf_free(&b);
	fbuf_free(&cmd);
	fbuf_free(&body);
}

/* Send a command set without a Command Data Set Type; check C000. */
static void
sc_malformed(struct fw *fw, uint8_t pcid, uint16_t msg_id)
{
	struct fbuf	 b = { 0 }, cmd = { 0 }, body = { 0 };
	struct frsp	 r;

	fd_cmd_ui(&b, 0x0002, FD_CT_STORAGE, strlen(FD_CT_STORAGE));
	fd_cmd_us(&b, 0x0100, 0x0001);
	fd_cmd_us(&b, 0x0110, msg_id);
	fd_cmd_finish(&cmd, &b);
	fw_pdv(&body, pcid, 1, 1, cmd.b, cmd.len);
	fw_pdata(fw, &body);
	if (fw_response(fw, pcid, &r) == 0)
		fw_check_rsp(fw, &r, 0x8001, msg_id, 0xc000);
	fbuf_free(&b);
	fbuf_free(&cmd);
	fbuf_free(&body);
}

/*
 * Send a C-STORE-RQ and its data set.  split: the command in two
 * PDATA_INDs, its last fragment together with the first data fragment
 * (PS3.8 allows both in one PDU), the rest in 128-byte PDVs; otherwise
 * all in one PDATA_IND.  Checks the status and, on success, the echoed
 * UIDs.
 */
static void
sc_store(struct fw *fw, uint8_t pcid, uint16_t msg_id, const char *cls,
    const char *uid, size_t uidlen, const struct fbuf *data, int split,
    uint16_t want)
{
	struct fbuf	 cmd = { 0 }, body = { 0 };
	struct frsp	 r;
	size_t		 off, n;

	fd_store_rq(&cmd, msg_id, cls, uid, uidlen);
	if (!split) {
		fw_pdv(&body, pcid, 1, 1, cmd.b, cmd.len);
		fw_pdv(&body, pcid, 0, 1, data->b, data->len);
		fw_pdata(fw, &body);
	} else {
		fw_pdv(&body, pcid, 1, 0, cmd.b, 20);
		fw_pdata(fw, &body);
		fw_pdv(&body, pcid, 1, 1, cmd.b + 20, cmd.len - 20);
		fw_pdv(&body, pcid, 0, 0, data->b, 100);
		fw_pdata(fw, &body);
		for (off = 100; off < data->len; off += n) {
			n = data->len - off < 128 ? data->len - off : 128;
			fw_pdv(&body, pcid, 0, off + n == data->len,
			    data->b + off, n);
			fw_pdata(fw, &body);
		}
	}
	if (fw_response(fw, pcid, &r) == 0) {
		fw_check_rsp(fw, &r, 0x8001, msg_id, want);
		if (want == 0 && (strcmp(r.sop_instance, uid) != 0 ||
		    strcmp(r.sop_class, cls) != 0))
			fw_fail(fw, "C-STORE-RSP UIDs %s %s", r.sop_class,
			    r.sop_instance);
		if (want != 0 && !r.has_comment)
			fw_fail(fw, "failure 0x%04x without an Error Comment",
			    want);
	}
	fbuf_free(&cmd);
	fbuf_free(&body);
}

/* Check that the root holds exactly n files and no temporary file. */
static void
check_count(struct fw *fw, int n)
{
	struct found	 f;

	search_root(fw, NULL, &f);
	if (f.files != n || f.temps != 0)
		fw_fail(fw, "root holds %d files (%d temporary), wanted %d",
		    f.files, f.temps, n);
}

/* The store scenario: echo, two objects, hostile and bad requests. */
static void
sc_store_all(struct fw *fw)
{
	static const struct {
		const char	*uid;
		size_t		 len;
	} hostile[] = {
		{ "../../x", 7 }, { "1.2/../3", 8 }, { "/etc/cron.d/x", 13 },
		{ "..", 2 }, { "1..2", 4 }, { "01.2", 4 }, { "", 0 },
		{ "1.2\0.3", 6 }, { "1.2 ", 4 }, { NULL, 65 },
	};
	char		 longuid[66];
	struct fbuf	 ct = { 0 }, sc = { 0 }, other = { 0 };
	uint16_t	 id = 2;
	size_t		 i;

	fd_dataset(&ct, 0, FD_CT_STORAGE, U_CT);
	fd_dataset(&sc, 1, FD_SC_STORAGE, U_SC);
	sc_echo(fw, 1, 1, 1);
	sc_store(fw, 3, id++, FD_CT_STORAGE, U_CT, strlen(U_CT), &ct, 1, 0);
	check_stored(fw, U_CT, FD_CT_STORAGE, FD_IMPLICIT_LE, &ct);
	sc_store(fw, 5, id++, FD_SC_STORAGE, U_SC, strlen(U_SC), &sc, 0, 0);
	check_stored(fw, U_SC, FD_SC_STORAGE, FD_EXPLICIT_LE, &sc);
	check_count(fw, 2);

	/* The last one is 65 digits: one over the limit. */
	memset(longuid, '1', sizeof(longuid));
	for (i = 0; i < nitems(hostile); i++)
		sc_store(fw, 3, id++, FD_CT_STORAGE, hostile[i].uid != NULL ?
		    hostile[i].uid : longuid, hostile[i].len, &ct, i % 2,
		    0x0117);
	/* A class that is not the context's, and a broken command. */
	sc_store(fw, 3, id++, FD_MR_STORAGE, FD_TEST_ROOT ".1.9",
	    strlen(FD_TEST_ROOT ".1.9"), &ct, 0, 0x0122);
	sc_malformed(fw, 3, id++);
	sc_unknown(fw, 1, id++);
	check_count(fw, 2);

	/* The same instance again, with other bytes. */
	fd_dataset(&other, 0, FD_CT_STORAGE, U_CT);
	other.b[other.len - 1] ^= 0xff;
	sc_store(fw, 3, id++, FD_CT_STORAGE, U_CT, strlen(U_CT), &other, 1,
	    fw->dup_status);
	check_count(fw, 2);
	check_stored(fw, U_CT, FD_CT_STORAGE, FD_IMPLICIT_LE, &ct);
	sc_echo(fw, 1, id++, 3);
	fbuf_free(&ct);
	fbuf_free(&sc);
	fbuf_free(&other);
}

/* Require a clean exit. */
static int
exited_ok(struct fw *fw, int st)
{
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fw_fail(fw, "handler ended with status 0x%x", st);
		return (-1);
	}
	return (0);
}

/* Run the named scenario; 0 if it ran to its end. */
int
fw_scenario(struct fw *fw, const char *name)
{
	struct fbuf	 body = { 0 }, big = { 0 };
	struct hipc_msg	 m;
	int		 rc = -1;

	if (strcmp(name, "version") == 0) {
		/* No common version: ERROR, then the handler gives up. */
		(void)fw_hello(fw, HIPC_VERSION + 1, HIPC_VERSION + 2);
		return (fw_end(fw) == -1 ? -1 : 0);
	}
	if (fw_hello(fw, 1, 1) == -1)
		return (-1);
	if (strcmp(name, "echo") == 0) {
		if (fw_assoc(fw, echo_pcs, nitems(echo_pcs), 0) == -1)
			return (-1);
		sc_echo(fw, 1, 1, 1);
		sc_echo(fw, 1, 2, 3);
		sc_unknown(fw, 1, 3);
		rc = exited_ok(fw, fw_release(fw));
	} else if (strcmp(name, "decided") == 0) {
		/* The AC is already out: no ASSOC_RSP may come. */
		if (fw_assoc(fw, echo_pcs, nitems(echo_pcs), 1) == -1)
			return (-1);
		sc_echo(fw, 1, 1, 1);
		rc = exited_ok(fw, fw_release(fw));
	} else if (strcmp(name, "seq") == 0) {
		/* A data fragment before any command: the handler aborts. */
		if (fw_assoc(fw, echo_pcs, nitems(echo_pcs), 0) == -1)
			return (-1);
		fw_pdv(&body, 1, 0, 1, "\x08\x00\x10\x00", 4);
		fw_pdata(fw, &body);
		(void)fw_expect(fw, HIPC_ABORT_REQ, &m);
		rc = exited_ok(fw, fw_end(fw));
	} else if (strcmp(name, "abort") == 0) {
		if (fw_assoc(fw, echo_pcs, nitems(echo_pcs), 0) == -1)
			return (-1);
		memset(&m, 0, sizeof(m));
		m.type = HIPC_ABORT_IND;
		fw_send(fw, &m);
		rc = exited_ok(fw, fw_end(fw));
	} else if (strcmp(name, "store") == 0 && fw->root != NULL) {
		if (fw_assoc(fw, store_pcs, nitems(store_pcs), 0) == -1)
			return (-1);
		sc_store_all(fw);
		rc = exited_ok(fw, fw_release(fw));
	} else if (strcmp(name, "toolarge") == 0 && fw->root != NULL) {
		/* Run with --max-object-size under the test object's size. */
		if (fw_assoc(fw, store_pcs, nitems(store_pcs), 0) == -1)
			return (-1);
		fd_dataset(&big, 0, FD_CT_STORAGE, U_BIG);
		sc_store(fw, 3, 1, FD_CT_STORAGE, U_BIG, strlen(U_BIG), &big,
		    1, 0xa700);
		check_count(fw, 0);
		sc_echo(fw, 1, 2, 1);
		rc = exited_ok(fw, fw_release(fw));
	} else
		fw_fail(fw, "unknown scenario %s (or no -r)", name);
	fbuf_free(&body);
	fbuf_free(&big);
	return (rc);
}
