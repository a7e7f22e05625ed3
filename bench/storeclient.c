/*
 * storeclient.c: the benchmark's Storage SCU, on the requestor side of
 * the DUL engine (requestor.c), so that both servers meet the same
 * client.  One association proposes the SOP class of the files with
 * Implicit VR Little Endian, the syntax their data sets must be in; each
 * file is sent with a
 * C-STORE-RQ whose data set streams from the file in chunks (the engine
 * fragments them to the acceptor's maximum PDU length), and each
 * C-STORE-RSP must say success before the next file goes.
 *
 * It prints one line, "files=N bytes=B seconds=S", timing the store
 * phase alone: from the first command to the last response.  With -w it
 * then waits for a line on stdin before releasing, so that the caller
 * can look at the server's processes while the association is open.
 */

#include "compat.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dimse.h"
#include "io.h"
#include "log.h"
#include "pdu.h"
#include "requestor.h"

#define SC_CHUNK	(1024 * 1024)	/* data set bytes per PDV item */
#define SC_META_MAX	4096		/* preamble, DICM, group 0002 */
#define SC_C_STORE_RQ	0x0001
#define SC_C_STORE_RSP	0x8001

/* What the file meta information says, and where the data set starts. */
struct sc_file {
	char		 sop_class[PDU_UID_MAX + 1];
	char		 sop_instance[PDU_UID_MAX + 1];
	char		 ts[PDU_UID_MAX + 1];
	off_t		 data_off;
};

static __dead void usage(void);
static double	now_s(void);
static uint16_t	le16(const uint8_t *);
static uint32_t	le32(const uint8_t *);
static void	ui_copy(char *, const uint8_t *, size_t);
static void	pdv_hdr(uint8_t *, uint8_t, uint8_t, size_t);
static int	meta_read(const char *, struct sc_file *);
static size_t	cmd_elem(uint8_t *, uint16_t, const void *, size_t);
static size_t	store_rq(uint8_t *, uint16_t, const struct sc_file *);
static int	store_one(struct requestor *, const char *,
		    const struct sc_file *, uint16_t, uint8_t *[2], uint64_t,
		    uint64_t *);

/* Print the synopsis and exit with the usage status. */
static __dead void
usage(void)
{
	fprintf(stderr, "usage: storeclient [-w] [-a calling-aet] "
	    "[-C called-aet] [-m max-pdu] [-t seconds]\n"
	    "\thost port file ...\n");
	exit(100);
}

/* Seconds on the monotonic clock. */
static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Read a little-endian 16-bit integer. */
static uint16_t
le16(const uint8_t *p)
{
	return ((uint16_t)(p[0] | p[1] << 8));
}

/* Read a little-endian 32-bit integer. */
static uint32_t
le32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

/* Copy a UI value without its padding. */
static void
ui_copy(char *dst, const uint8_t *p, size_t len)
{
	if (len > PDU_UID_MAX)
		len = PDU_UID_MAX;
	memcpy(dst, p, len);
	while (len > 0 && (dst[len - 1] == '\0' || dst[len - 1] == ' '))
		len--;
	dst[len] = '\0';
}

/*
 * Read a Part-10 file's meta information (PS3.10 7.1): explicit VR
 * little endian elements of group 0002 after the preamble and "DICM".
 */
static int
meta_read(const char *path, struct sc_file *f)
{
	uint8_t		 b[SC_META_MAX];
	size_t		 off, end, vlen, hlen;
	ssize_t		 n;
	uint16_t	 group, elem;
	int		 fd;

	memset(f, 0, sizeof(*f));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n < 144 || memcmp(b + 128, "DICM", 4) != 0)
		return (-1);
	if (le16(b + 132) != 0x0002 || le16(b + 134) != 0x0000)
		return (-1);
	end = 144 + le32(b + 140);
	if (end > (size_t)n)
		return (-1);
	for (off = 144; off + 8 <= end; off += hlen + vlen) {
		group = le16(b + off);
		elem = le16(b + off + 2);
		if (group != 0x0002)
			return (-1);
		if (memcmp(b + off + 4, "OB", 2) == 0 ||
		    memcmp(b + off + 4, "UN", 2) == 0) {
			hlen = 12;
			if (off + 12 > end)
				return (-1);
			vlen = le32(b + off + 8);
		} else {
			hlen = 8;
			vlen = le16(b + off + 6);
		}
		if (vlen > end - off - hlen)
			return (-1);
		if (elem == 0x0002)
			ui_copy(f->sop_class, b + off + hlen, vlen);
		else if (elem == 0x0003)
			ui_copy(f->sop_instance, b + off + hlen, vlen);
		else if (elem == 0x0010)
			ui_copy(f->ts, b + off + hlen, vlen);
	}
	if (f->sop_class[0] == '\0' || f->sop_instance[0] == '\0' ||
	    f->ts[0] == '\0')
		return (-1);
	f->data_off = (off_t)end;
	return (0);
}

/* One command element, implicit VR little endian, padded to even. */
static size_t
cmd_elem(uint8_t *p, uint16_t elem, const void *v, size_t len)
{
	size_t	 plen = len + (len & 1);

	p[0] = 0x00;
	p[1] = 0x00;
	p[2] = elem & 0xff;
	p[3] = elem >> 8;
	p[4] = plen & 0xff;
	p[5] = (plen >> 8) & 0xff;
	p[6] = p[7] = 0;
	memcpy(p + 8, v, len);
	if (plen != len)
		p[8 + len] = '\0';
	return (8 + plen);
}

/* Encode a C-STORE-RQ command set (PS3.7 9.3.1.1); returns its length. */
static size_t
store_rq(uint8_t *p, uint16_t msgid, const struct sc_file *f)
{
	uint8_t		 us[2];
	uint32_t	 glen;
	size_t		 off = 12;

	off += cmd_elem(p + off, 0x0002, f->sop_class, strlen(f->sop_class));
	us[0] = SC_C_STORE_RQ & 0xff;
	us[1] = SC_C_STORE_RQ >> 8;
	off += cmd_elem(p + off, 0x0100, us, 2);
	us[0] = msgid & 0xff;
	us[1] = msgid >> 8;
	off += cmd_elem(p + off, 0x0110, us, 2);
	us[0] = us[1] = 0;			/* priority: medium */
	off += cmd_elem(p + off, 0x0700, us, 2);
	off += cmd_elem(p + off, 0x0800, us, 2);	/* a data set follows */
	off += cmd_elem(p + off, 0x1000, f->sop_instance,
	    strlen(f->sop_instance));
	glen = (uint32_t)(off - 12);
	cmd_elem(p, 0x0000, &glen, 4);
	p[8] = glen & 0xff;
	p[9] = (glen >> 8) & 0xff;
	p[10] = (glen >> 16) & 0xff;
	p[11] = glen >> 24;
	return (off);
}

/* Put a PDV item header in front of len bytes at p + PDU_PDV_HDR_LEN. */
static void
pdv_hdr(uint8_t *p, uint8_t pcid, uint8_t mch, size_t len)
{
	uint32_t	 l = (uint32_t)len + 2;

	p[0] = l >> 24;
	p[1] = (l >> 16) & 0xff;
	p[2] = (l >> 8) & 0xff;
	p[3] = l & 0xff;
	p[4] = pcid;
	p[5] = mch;
}

/*
 * Send one file: the command, then its data set in chunks, then wait for
 * a successful C-STORE-RSP to this message.  The two buffers take turns,
 * so that each chunk is known to be the last before it is sent.
 */
static int
store_one(struct requestor *r, const char *path, const struct sc_file *f,
    uint16_t msgid, uint8_t *buf[2], uint64_t timeout, uint64_t *bytes)
{
	struct dimse_cmd	 c;
	size_t			 n;
	ssize_t			 got, next;
	int			 fd, cur = 0, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    lseek(fd, f->data_off, SEEK_SET) == -1) {
		fprintf(stderr, "storeclient: %s: %s\n", path,
		    strerror(errno));
		goto done;
	}
	n = store_rq(buf[0] + PDU_PDV_HDR_LEN, msgid, f);
	pdv_hdr(buf[0], r->pcid, PDU_MCH_COMMAND | PDU_MCH_LAST, n);
	if (requestor_send(r, buf[0], PDU_PDV_HDR_LEN + n,
	    io_now() + timeout) == -1)
		goto fail;
	got = read(fd, buf[cur] + PDU_PDV_HDR_LEN, SC_CHUNK);
	while (got > 0) {
		n = (size_t)got;
		*bytes += n;
		next = read(fd, buf[!cur] + PDU_PDV_HDR_LEN, SC_CHUNK);
		if (next < 0) {
			got = next;
			break;
		}
		pdv_hdr(buf[cur], r->pcid, next == 0 ? PDU_MCH_LAST : 0, n);
		if (requestor_send(r, buf[cur], PDU_PDV_HDR_LEN + n,
		    io_now() + timeout) == -1)
			goto fail;
		got = next;
		cur = !cur;
	}
	if (got < 0) {
		fprintf(stderr, "storeclient: %s: %s\n", path,
		    strerror(errno));
		goto done;
	}
	if (requestor_command(r, &c, io_now() + timeout) == -1)
		goto fail;
	if (c.command != SC_C_STORE_RSP || !c.has_rsp_to ||
	    c.rsp_to != msgid || !c.has_status) {
		fprintf(stderr, "storeclient: %s: unexpected response "
		    "0x%04x\n", path, c.command);
		goto done;
	}
	if (c.status != DIMSE_STATUS_SUCCESS) {
		fprintf(stderr, "storeclient: %s: status 0x%04x\n", path,
		    c.status);
		goto done;
	}
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "storeclient: %s: %s\n", path, requestor_error(r));
done:
	if (fd != -1)
		close(fd);
	return (rc);
}

int
main(int argc, char *argv[])
{
	struct requestor_params	 rp;
	struct requestor	 r;
	struct addrinfo		 hints, *ai;
	struct sc_file		*files;
	uint64_t		 timeout = 60000, bytes = 0;
	struct pollfd		 pfd;
	uint8_t			*buf[2];
	double			 t0, t1;
	char			 line[16];
	int			 ch, e, i, nfiles, wait_line = 0, rc = 1;

	memset(&rp, 0, sizeof(rp));
	rp.calling = "STORECLIENT";
	rp.called = "STORESCP";
	rp.explicit_le = 0;	/* Implicit VR Little Endian only */
	rp.max_pdu_receive = PDU_DEFAULT_MAX_PDATA_LEN;
	rp.max_pdu_send = 4 * 1024 * 1024;
	while ((ch = getopt(argc, argv, "a:C:m:t:w")) != -1) {
		switch (ch) {
		case 'a':
			rp.calling = optarg;
			break;
		case 'C':
			rp.called = optarg;
			break;
		case 'm':
			rp.max_pdu_send = (uint32_t)strtoul(optarg, NULL, 10);
			if (rp.max_pdu_send < 4096)
				usage();
			break;
		case 't':
			timeout = strtoull(optarg, NULL, 10) * 1000;
			if (timeout == 0)
				usage();
			break;
		case 'w':
			wait_line = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		usage();
	nfiles = argc - 2;
	rp.artim = timeout;
	log_init(1, 0);
	log_procinit("storeclient");
	signal(SIGPIPE, SIG_IGN);

	if ((files = calloc((size_t)nfiles, sizeof(*files))) == NULL ||
	    (buf[0] = malloc(SC_CHUNK + PDU_PDV_HDR_LEN)) == NULL ||
	    (buf[1] = malloc(SC_CHUNK + PDU_PDV_HDR_LEN)) == NULL) {
		perror("storeclient");
		return (111);
	}
	for (i = 0; i < nfiles; i++) {
		if (meta_read(argv[2 + i], &files[i]) == -1) {
			fprintf(stderr, "storeclient: %s: not a Part-10 file "
			    "this client reads\n", argv[2 + i]);
			return (1);
		}
		if (strcmp(files[i].sop_class, files[0].sop_class) != 0) {
			fprintf(stderr, "storeclient: %s: every file must "
			    "have the SOP class of the first\n", argv[2 + i]);
			return (1);
		}
	}
	rp.abstract = files[0].sop_class;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(argv[0], argv[1], &hints, &ai)) != 0) {
		fprintf(stderr, "storeclient: %s: %s\n", argv[0],
		    gai_strerror(e));
		return (111);
	}
	requestor_init(&r, &rp);
	if (requestor_connect(&r, ai->ai_addr, ai->ai_addrlen,
	    io_now() + timeout) == -1 ||
	    requestor_associate(&r, io_now() + timeout) == -1) {
		fprintf(stderr, "storeclient: associate: %s\n",
		    requestor_error(&r));
		goto out;
	}
	t0 = now_s();
	for (i = 0; i < nfiles; i++) {
		if (strcmp(files[i].ts, r.ts) != 0) {
			fprintf(stderr, "storeclient: %s: transfer syntax %s "
			    "was not accepted\n", argv[2 + i], files[i].ts);
			goto abort;
		}
		if (store_one(&r, argv[2 + i], &files[i],
		    (uint16_t)(i + 1), buf, timeout, &bytes) == -1)
			goto abort;
	}
	t1 = now_s();
	printf("files=%d bytes=%llu seconds=%.6f\n", nfiles,
	    (unsigned long long)bytes, t1 - t0);
	fflush(stdout);
	if (wait_line) {
		pfd.fd = 0;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)timeout) == 1)
			(void)!read(0, line, sizeof(line));
	}
	if (requestor_release(&r, io_now() + timeout) == -1) {
		fprintf(stderr, "storeclient: release: %s\n",
		    requestor_error(&r));
		goto out;
	}
	rc = 0;
	goto out;
abort:
	requestor_abort(&r, io_now() + timeout);
out:
	requestor_free(&r);
	freeaddrinfo(ai);
	free(buf[0]);
	free(buf[1]);
	free(files);
	return (rc);
}
