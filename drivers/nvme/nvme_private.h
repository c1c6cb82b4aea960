/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe driver's structures, for the driver and its white-box host test
 * (tests/test_nvme.c: a fake controller whose registers and rings are plain memory).
 */
#ifndef NVME_PRIVATE_H
#define NVME_PRIVATE_H

#include "udma_nvme.h"

/* controller registers (NVMe 1.4, section 3.1) */
#define NVME_REG_CAP 0x00
#define NVME_REG_VS 0x08
#define NVME_REG_CC 0x14
#define NVME_REG_CSTS 0x1c
#define NVME_REG_AQA 0x24
#define NVME_REG_ASQ 0x28
#define NVME_REG_ACQ 0x30
#define NVME_REG_DBS 0x1000

#define NVME_CC_EN 0x1u
#define NVME_CC_SHN_NORMAL (1u << 14)
#define NVME_CC_IOSQES (6u << 16)
#define NVME_CC_IOCQES (4u << 20)
#define NVME_CSTS_RDY 0x1u
#define NVME_CSTS_CFS 0x2u
#define NVME_CSTS_SHST_MASK (3u << 2)
#define NVME_CSTS_SHST_DONE (2u << 2)

/* opcodes */
#define NVME_ADM_DELETE_SQ 0x00
#define NVME_ADM_CREATE_SQ 0x01
#define NVME_ADM_DELETE_CQ 0x04
#define NVME_ADM_CREATE_CQ 0x05
#define NVME_ADM_IDENTIFY 0x06
#define NVME_ADM_SET_FEATURES 0x09
#define NVME_CMD_FLUSH 0x00
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ 0x02
#define NVME_CMD_WRITE_ZEROES 0x08

#define NVME_PSDT_SGL (1u << 14) /* SGLs, MPTR a contiguous buffer */
#define NVME_SGL_DATA_BLOCK 0x00
#define NVME_SGL_LAST_SEGMENT 0x30

struct nvme_sqe {
	uint32_t cdw0; /* opcode 7:0, PSDT 15:14, CID 31:16 */
	uint32_t nsid;
	uint32_t cdw2, cdw3;
	uint64_t mptr;
	uint64_t prp1; /* or the SGL descriptor's address */
	uint64_t prp2; /* or its length (32 bits), 3 reserved bytes, type */
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
	uint32_t dw0, dw1;
	uint16_t sqhd, sqid;
	uint16_t cid;
	uint16_t status; /* phase bit 0, SC 8:1, SCT 11:9, CRD, M, DNR 15 */
};

struct nvme_sgl_desc {
	uint64_t addr;
	uint32_t len;
	uint8_t rsvd[3];
	uint8_t type;
};

_Static_assert(sizeof(struct nvme_sqe) == 64, "SQE is 64 bytes");
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQE is 16 bytes");
_Static_assert(sizeof(struct nvme_sgl_desc) == 16, "SGL descriptor is 16 bytes");

/* one command in flight, indexed by its CID */
struct nvme_req {
	udma_nvme_cb cb;
	void *arg;
	struct udma_sg *sgl;     /* the caller's list while mapped */
	int nents;
	int dir;                 /* enum udma_data_direction */
	void *list;              /* PRP list / SGL segment block (pool) */
	udma_addr_t list_iova;
	void *bounce;            /* coherent bounce buffer */
	udma_addr_t bounce_iova;
	size_t len;
	uint64_t deadline_ns;
	uint16_t next_free;
	uint8_t active;
	uint8_t timed_out;       /* completed to the caller, resources kept until destroy */
};

struct udma_nvme_qpair {
	struct udma_nvme_ctrlr *ctrlr;
	uint16_t qid;
	uint16_t depth;
	uint16_t sq_tail;
	uint16_t cq_head;
	uint16_t phase;
	uint16_t free_head;      /* free CID list, depth - 1 CIDs, UINT16_MAX = empty */
	int failed;              /* -ETIMEDOUT / -ENXIO: refuses new commands */
	struct nvme_sqe *sq;
	struct nvme_cqe *cq;
	udma_addr_t sq_iova, cq_iova;
	size_t sq_bytes, cq_bytes;
	volatile uint32_t *sq_db;
	volatile uint32_t *cq_db;
	struct nvme_req *reqs;
	struct udma_pool *ring_pool;   /* rings on another node than the device's */
	uint64_t polls;
	struct udma_nvme_qpair_stats st; /* in flight: submitted - completed */
};

struct udma_nvme_ctrlr {
	struct udma_pci_device *pdev;
	struct udma_device *dev;
	volatile uint8_t *regs;
	uint64_t cap;
	uint32_t dstrd;          /* doorbell stride in bytes */
	uint32_t page_size;
	uint32_t max_xfer;
	uint32_t max_qdepth;
	unsigned int timeout_ms;
	unsigned int ready_timeout_ms; /* CAP.TO * 500 */
	int use_sgl;
	struct udma_nvme_qpair admin;
	struct udma_pool *list_pool;   /* 4 KiB PRP list / SGL blocks */
	struct udma_nvme_info info;
	uint8_t *qid_used;             /* 1..io_queues */
	uint32_t nqids;
};

/* internal, for the host test: set up a pair on rings in coherent memory without
 * telling a controller (the admin queue does this for itself) */
int nvme_qpair_init(struct udma_nvme_ctrlr *c, struct udma_nvme_qpair *qp, uint16_t qid,
		    unsigned int depth);
void nvme_qpair_fini(struct udma_nvme_qpair *qp);
/* finish the controller structure for a BAR already mapped (host test: memory) */
int nvme_ctrlr_setup(struct udma_nvme_ctrlr *c, struct udma_device *dev, void *bar, size_t len);
int nvme_submit_io(struct udma_nvme_qpair *qp, uint8_t opc, struct udma_sg *sgl, int nents,
		   uint64_t lba, uint32_t nlb, udma_nvme_cb cb, void *arg);
uint64_t nvme_now_ns(void);

#endif /* NVME_PRIVATE_H */
