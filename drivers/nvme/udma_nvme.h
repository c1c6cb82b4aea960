/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A poll-mode NVMe driver on udma (drivers/nvme): the worked example of a PMD
 * (doc/nvme.md). The controller is reached through the PCI layer (BAR0 mapped,
 * bus mastering on); its admin and I/O queues live in coherent memory; caller
 * buffers arrive as scatterlists, go through udma_map_sg() with the controller's
 * limits (page size from CAP.MPSMIN, MDTS as the largest transfer) and are
 * described with PRP entries (a PRP list from a udma pool of 4 KiB blocks) or, when
 * the controller supports them and the caller asks, SGL descriptors. A list that
 * PRPs cannot describe (a segment that is not page aligned where it must be, an
 * address not dword aligned) is copied through one coherent bounce buffer.
 *
 * Completion is polled (the phase tag), never interrupt driven. A queue pair
 * belongs to one thread at a time (one per lcore); controllers and their admin
 * queue are not for concurrent use either.
 *
 * Errors: every call returns 0 or a negative errno. Completion callbacks get 0,
 * -EIO (a command error: the NVMe status is passed too), -ETIMEDOUT (no completion
 * within the timeout), or -ENXIO (the controller reported fatal status, CSTS.CFS).
 */
#ifndef UDMA_NVME_H
#define UDMA_NVME_H

#include <stddef.h>
#include <stdint.h>

#include <udma.h>
#include <udma_pci.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An attached NVMe controller. Opaque. */
struct udma_nvme_ctrlr;
/** An I/O submission/completion queue pair. Opaque. */
struct udma_nvme_qpair;

/** PCI class code of an NVM Express controller (mass storage, NVM, NVMe). */
#define UDMA_NVME_CLASS 0x010802u
/** Default command timeout. TCG guests are slow: generous. */
#define UDMA_NVME_TIMEOUT_MS 10000u
/** Largest transfer the driver builds (one PRP list page of 4 KiB pages). */
#define UDMA_NVME_MAX_XFER (2u << 20)

/** Options of udma_nvme_open(); zero fields mean the default. */
struct udma_nvme_opts {
	unsigned int io_queues;   /**< I/O queue pairs to ask for (default: udma_lcore_count()) */
	unsigned int timeout_ms;  /**< per-command timeout (default UDMA_NVME_TIMEOUT_MS) */
	unsigned int use_sgl;     /**< 1: SGL descriptors when the controller supports them */
};

/** What the controller and its first namespace are. */
struct udma_nvme_info {
	uint16_t vid;             /**< PCI vendor id (Identify VID) */
	char serial[21];          /**< serial number, NUL terminated */
	char model[41];           /**< model number */
	char firmware[9];         /**< firmware revision */
	uint32_t version;         /**< VS register */
	uint32_t page_size;       /**< memory page size in use (CAP.MPSMIN) */
	uint32_t max_xfer;        /**< largest I/O in bytes (MDTS, capped at UDMA_NVME_MAX_XFER) */
	uint32_t max_qdepth;      /**< queue entries (CAP.MQES + 1, capped at 1024) */
	uint32_t io_queues;       /**< I/O queue pairs granted (Set Features) */
	uint32_t doorbell_stride; /**< bytes between doorbells (4 << CAP.DSTRD) */
	uint32_t nsid;            /**< the namespace used (1) */
	uint32_t lba_size;        /**< bytes per logical block */
	uint64_t nlbas;           /**< namespace size in logical blocks */
	int sgl;                  /**< the controller supports SGLs (Identify SGLS) */
};

/**
 * Completion callback.
 * @param arg what was given at submission.
 * @param status 0, -EIO (command error), -ETIMEDOUT, -ENXIO (controller fatal).
 * @param nvme_status the NVMe status field (SCT << 8 | SC), 0 when not from the device.
 */
typedef void (*udma_nvme_cb)(void *arg, int status, uint16_t nvme_status);

/**
 * Open the NVMe controller at a PCI address: udma_pci_open(), BAR0, bus
 * mastering, then the bring-up: disable (CC.EN = 0, wait CSTS.RDY = 0), admin
 * queues in coherent memory, enable, wait ready within CAP.TO, Identify
 * Controller and Namespace 1, Set Features (Number of Queues).
 * @param ctrlr receives the controller.
 * @param pci_addr "DDDD:BB:DD.F".
 * @param opts NULL for the defaults.
 * @return 0, -EINVAL (bad argument, one log line), -ENODEV (not NVMe), -ETIMEDOUT
 *         (never ready), -ENXIO (fatal status), -EIO, -ENOMEM.
 */
int udma_nvme_open(struct udma_nvme_ctrlr **ctrlr, const char *pci_addr,
		   const struct udma_nvme_opts *opts);

/**
 * Shut the controller down (CC.SHN normal, wait CSTS.SHST complete), delete the
 * I/O queues still allocated, free every ring, pool and mapping, close the PCI
 * function. NULL is ignored.
 */
void udma_nvme_close(struct udma_nvme_ctrlr *ctrlr);

/** Fill @p info. @return 0, or -EINVAL. */
int udma_nvme_get_info(const struct udma_nvme_ctrlr *ctrlr, struct udma_nvme_info *info);

/** @return the controller's udma device (for mapping and debug), or NULL. */
struct udma_device *udma_nvme_dma_device(const struct udma_nvme_ctrlr *ctrlr);

/**
 * Create an I/O queue pair (Create I/O CQ, then SQ) with rings in coherent memory on
 * the calling thread's NUMA node. Call it on the lcore that will use the pair.
 * @param depth entries, 2..info.max_qdepth (0: 128); depth - 1 commands in flight.
 * @return the pair, or NULL with errno EINVAL, ENOSPC (no queue id left), EIO, ENOMEM.
 */
struct udma_nvme_qpair *udma_nvme_qpair_create(struct udma_nvme_ctrlr *ctrlr, unsigned int depth);

/**
 * Delete a queue pair (Delete SQ, then CQ) and free it. Commands still in flight
 * complete with -ECANCELED first. NULL is ignored.
 */
void udma_nvme_qpair_destroy(struct udma_nvme_qpair *qp);

/**
 * Submit a read of @p nlb blocks at @p lba into the buffers of @p sgl.
 * The list must hold nlb * lba_size bytes, at most max_xfer; it stays mapped (and
 * must not be touched) until the callback ran. Entries need no alignment: what
 * PRPs cannot describe is bounced.
 * @return 0 (the callback will run from udma_nvme_qpair_poll()), -EINVAL (bad
 *         argument: nothing submitted, one log line), -E2BIG (over max_xfer: the
 *         caller splits), -EAGAIN (the queue is full: poll and retry), -EIO (the
 *         mapping failed), -ENXIO (the queue pair failed after a timeout or fatal status).
 */
int udma_nvme_read(struct udma_nvme_qpair *qp, struct udma_sg *sgl, int nents, uint64_t lba,
		   uint32_t nlb, udma_nvme_cb cb, void *arg);

/** Submit a write; as udma_nvme_read(). */
int udma_nvme_write(struct udma_nvme_qpair *qp, struct udma_sg *sgl, int nents, uint64_t lba,
		    uint32_t nlb, udma_nvme_cb cb, void *arg);

/** Submit a Flush of the namespace. @return as udma_nvme_read(). */
int udma_nvme_flush(struct udma_nvme_qpair *qp, udma_nvme_cb cb, void *arg);

/** Submit a Write Zeroes of @p nlb blocks at @p lba (1..65536). @return as udma_nvme_read(). */
int udma_nvme_write_zeroes(struct udma_nvme_qpair *qp, uint64_t lba, uint32_t nlb, udma_nvme_cb cb,
			   void *arg);

/**
 * Reap completions: poll the phase tag of the completion ring, run the callbacks
 * (each request's mapping, PRP list block and bounce buffer released first), ring
 * the CQ head doorbell once. Also fails commands older than the timeout
 * (-ETIMEDOUT) and reports fatal controller status (-ENXIO).
 * @param max 0 for no limit.
 * @return completions reaped (>= 0), or -EINVAL / -ENXIO.
 */
int udma_nvme_qpair_poll(struct udma_nvme_qpair *qp, unsigned int max);

/** Counters of a queue pair. */
struct udma_nvme_qpair_stats {
	uint64_t submitted;   /**< commands submitted */
	uint64_t completed;   /**< completions reaped (successful or not) */
	uint64_t errors;      /**< completions with an error status */
	uint64_t bounced;     /**< I/Os whose data went through a bounce buffer */
	uint64_t prp_lists;   /**< I/Os that needed a PRP list / SGL segment block */
	uint64_t full;        /**< submissions pushed back (-EAGAIN) */
};

/** Fill @p st. @return 0, or -EINVAL. */
int udma_nvme_qpair_stats(const struct udma_nvme_qpair *qp, struct udma_nvme_qpair_stats *st);

/** @return commands in flight on @p qp, or -EINVAL. */
int udma_nvme_qpair_outstanding(const struct udma_nvme_qpair *qp);

/**
 * Synchronous helpers for tests and tools: submit, then poll until complete.
 * @return 0, or the submission error, or the completion status (-EIO with
 *         @p nvme_status set when not NULL).
 */
int udma_nvme_io_sync(struct udma_nvme_qpair *qp, int write, struct udma_sg *sgl, int nents,
		      uint64_t lba, uint32_t nlb, uint16_t *nvme_status);

/** @return a static string naming an NVMe status (SCT << 8 | SC). */
const char *udma_nvme_status_str(uint16_t nvme_status);

/**
 * Build the PRP entries of a mapped list (exposed for tests and dma-perf).
 * @param seg_addr, seg_len the mapped segments (udma_map_sg() output).
 * @param nseg their count.
 * @param page_size the controller page size (power of two, >= 4096).
 * @param list a page_size block for the PRP list (its IOVA in @p list_iova), used
 *        when the transfer touches more than two pages.
 * @param prp1, prp2 receive DPTR.
 * @return entries written to @p list (0 when none), -EINVAL when the segments
 *         cannot be described with PRPs (the caller bounces), -E2BIG when more than
 *         one list page would be needed.
 */
int udma_nvme_build_prp(const udma_addr_t *seg_addr, const uint32_t *seg_len, int nseg,
			uint32_t page_size, uint64_t *list, udma_addr_t list_iova, uint64_t *prp1,
			uint64_t *prp2);

/**
 * Build PRPs straight from a mapped scatterlist (udma_sg_dma_address/len of the
 * first @p nseg entries); same contract as udma_nvme_build_prp().
 */
int udma_nvme_build_prp_sg(struct udma_sg *sgl, int nseg, uint32_t page_size, uint64_t *list,
			   udma_addr_t list_iova, uint64_t *prp1, uint64_t *prp2);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_NVME_H */
