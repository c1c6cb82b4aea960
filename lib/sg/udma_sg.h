/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Scatter-gather lists and the batch sg mapper.
 *
 * A list is an array of struct udma_sg; arrays join with udma_sg_chain() (the
 * last entry of one array becomes a link to the next), and the last data entry
 * carries an end mark. udma_map_sg() translates the whole list in one pass and
 * merges IOVA-adjacent entries within the device's max segment size and segment
 * boundary; in sim mode the list gets one IOVA range. In pa/va mode an entry in
 * the same memseg page as the one before (the calling thread's, across calls) costs
 * a compare and an add.
 */
#ifndef UDMA_SG_H
#define UDMA_SG_H

#include "udma_map.h"

#ifdef __cplusplus
extern "C" {
#endif

#define UDMA_SG_CHAIN 0x1u /**< this entry links to another array (buf) */
#define UDMA_SG_END 0x2u   /**< the last entry of the list */

/** One scatter-gather entry: Linux's struct scatterlist. */
struct udma_sg {
	void *buf;                /**< CPU address of the data (or the chained array) */
	unsigned int length;      /**< bytes at buf */
	unsigned int flags;       /**< UDMA_SG_CHAIN, UDMA_SG_END */
	udma_addr_t dma_address;  /**< after udma_map_sg(): the segment's IOVA */
	unsigned int dma_length;  /**< after udma_map_sg(): the segment's length */
	unsigned int map_flags;   /**< private to the mapper */
	udma_addr_t map_iova;     /**< private: this entry's own IOVA before merging */
};

/** Clear @p nents entries and mark the last as the end (Linux: sg_init_table). */
UDMA_API void udma_sg_init_table(struct udma_sg *sgl, unsigned int nents);
/** Point @p sg at [buf, buf + len) (Linux: sg_set_buf); keeps the end mark. */
UDMA_API void udma_sg_set_buf(struct udma_sg *sg, void *buf, unsigned int len);
/** Mark @p sg as the last entry. */
UDMA_API void udma_sg_mark_end(struct udma_sg *sg);
/**
 * Chain: the last entry of @p prv (index prv_nents - 1) becomes a link to
 * @p sgl, so prv holds prv_nents - 1 data entries.
 */
UDMA_API void udma_sg_chain(struct udma_sg *prv, unsigned int prv_nents, struct udma_sg *sgl);

/** @return the entry after @p sg, following chain links; NULL after the end. */
static inline struct udma_sg *udma_sg_next(struct udma_sg *sg)
{
	if (sg->flags & UDMA_SG_END)
		return NULL;
	sg++;
	if (sg->flags & UDMA_SG_CHAIN)
		sg = (struct udma_sg *)sg->buf;
	return sg;
}

/** Iterate @p nents entries of @p sgl (Linux: for_each_sg). */
#define udma_for_each_sg(sgl, sg, nents, i) \
	for ((i) = 0, (sg) = (sgl); (i) < (nents); (i)++, (sg) = udma_sg_next(sg))

/** The segment's IOVA after mapping (Linux: sg_dma_address). */
#define udma_sg_dma_address(sg) ((sg)->dma_address)
/** The segment's length after mapping (Linux: sg_dma_len). */
#define udma_sg_dma_len(sg) ((sg)->dma_length)

/**
 * Map a list (Linux: dma_map_sg).
 * @return the number of IOVA segments (<= nents, after merging), written to the
 *         first entries' dma_address/dma_length; 0 on failure with nothing left
 *         mapped (one log line).
 */
UDMA_API int udma_map_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
			 enum udma_data_direction dir);
/** udma_map_sg() with attributes; NULL @p attrs = the plain call. */
UDMA_API int udma_map_sg_attrs(struct udma_device *dev, struct udma_sg *sgl, int nents,
			       enum udma_data_direction dir, const struct udma_attrs *attrs);
/** Unmap a list; @p nents is what was passed to udma_map_sg(), not what it returned. */
UDMA_API void udma_unmap_sg(struct udma_device *dev, struct udma_sg *sgl, int nents,
			    enum udma_data_direction dir);
/** udma_unmap_sg() with attributes. */
UDMA_API void udma_unmap_sg_attrs(struct udma_device *dev, struct udma_sg *sgl, int nents,
				  enum udma_data_direction dir, const struct udma_attrs *attrs);
/** Sync a mapped list for the CPU (bounced entries copied back). nelems as mapped. */
UDMA_API void udma_sync_sg_for_cpu(struct udma_device *dev, struct udma_sg *sgl, int nelems,
				   enum udma_data_direction dir);
/** Sync a mapped list for the device. */
UDMA_API void udma_sync_sg_for_device(struct udma_device *dev, struct udma_sg *sgl, int nelems,
				      enum udma_data_direction dir);
/** Linux's dma_sync_sg: by direction, as udma_sync_single(). */
UDMA_API void udma_sync_sg(struct udma_device *dev, struct udma_sg *sgl, int nelems,
			   enum udma_data_direction dir);

/** A long list made of chained arrays. */
struct udma_sg_table {
	struct udma_sg *sgl;     /**< the first entry */
	unsigned int nents;      /**< mapped segments (set by the caller after mapping) */
	unsigned int orig_nents; /**< data entries */
};

/**
 * Allocate a table of @p nents data entries (chained arrays of up to 128).
 * @return 0; -EINVAL (NULL table, nents 0 or above INT_MAX, which udma_map_sg()
 *         could never take); -ENOMEM, at once, when the arrays would need more than
 *         half of the machine's memory, or when an allocation fails (nothing is
 *         left allocated; the table is zeroed).
 */
UDMA_API int udma_sg_alloc_table(struct udma_sg_table *t, unsigned int nents);
/** Free what udma_sg_alloc_table() allocated. */
UDMA_API void udma_sg_free_table(struct udma_sg_table *t);

#ifdef __cplusplus
}
#endif

#endif /* UDMA_SG_H */
