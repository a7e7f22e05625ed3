/*
 * fake_worker.h: the fake worker's frame I/O, shared by its driver
 * (fake_worker.c) and its scripts (fake_scenario.c).
 */
#ifndef DUL_FAKE_WORKER_H
#define DUL_FAKE_WORKER_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "hipc.h"
#include "fake_dicom.h"

struct fw {
	pid_t		 pid;
	int		 to_h;		/* the handler's fd 3 */
	int		 from_h;	/* the handler's fd 4 */
	const char	*root;		/* store scenario: --root */
	const char	*calling;	/* calling AE title to announce */
	uint16_t	 dup_status;	/* expected answer to a duplicate */
	int		 failures;
	uint8_t		*body;		/* last received body */
	uint8_t		 arena[65536];
};

/* A presentation context to propose, with the policy's result. */
struct fw_pc {
	uint8_t		 id;
	const char	*abstract;
	const char	*ts;
	uint8_t		 result;
};

void	 fw_fail(struct fw *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 fw_send(struct fw *, const struct hipc_msg *);
void	 fw_send_empty(struct fw *, enum hipc_type);
int	 fw_recv(struct fw *, struct hipc_msg *);
int	 fw_expect(struct fw *, int, struct hipc_msg *);
void	 fw_pdv(struct fbuf *, uint8_t, int, int, const void *, size_t);
void	 fw_pdata(struct fw *, struct fbuf *);
int	 fw_response(struct fw *, uint8_t, struct frsp *);
void	 fw_check_rsp(struct fw *, const struct frsp *, uint16_t, uint16_t,
	    uint16_t);
int	 fw_hello(struct fw *, uint16_t, uint16_t);
int	 fw_assoc(struct fw *, const struct fw_pc *, size_t, int);
int	 fw_release(struct fw *);
int	 fw_end(struct fw *);
int	 fw_scenario(struct fw *, const char *);

#endif /* DUL_FAKE_WORKER_H */
