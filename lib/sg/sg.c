/* SPDX-License-Identifier: BSD-3-Clause */
/* Scatterlist helpers and sg tables made of chained arrays. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eal_private.h"
#include "udma_sg.h"

#define SG_CHUNK 128

void udma_sg_init_table(struct udma_sg *sgl, unsigned int nents)
{
	if (sgl == NULL || nents == 0) {
		UDMA_LOG(ERR, "bad argument (sgl %p, nents %u)", (void *)sgl, nents);
		return;
	}
	memset(sgl, 0, nents * sizeof(*sgl));
	sgl[nents - 1].flags = UDMA_SG_END;
}

void udma_sg_set_buf(struct udma_sg *sg, void *buf, unsigned int len)
{
	if (sg == NULL) {
		UDMA_LOG(ERR, "NULL sg");
		return;
	}
	sg->buf = buf;
	sg->length = len;
	sg->flags &= UDMA_SG_END;
}

void udma_sg_mark_end(struct udma_sg *sg)
{
	if (sg == NULL) {
		UDMA_LOG(ERR, "NULL sg");
		return;
	}
	sg->flags = (sg->flags & ~UDMA_SG_CHAIN) | UDMA_SG_END;
}

void udma_sg_chain(struct udma_sg *prv, unsigned int prv_nents, struct udma_sg *sgl)
{
	struct udma_sg *link;

	if (prv == NULL || sgl == NULL || prv_nents < 2) {
		UDMA_LOG(ERR, "bad argument (prv %p, prv_nents %u, sgl %p)", (void *)prv, prv_nents,
			 (void *)sgl);
		return;
	}
	link = &prv[prv_nents - 1];
	memset(link, 0, sizeof(*link));
	link->buf = sgl;
	link->flags = UDMA_SG_CHAIN;
	prv[prv_nents - 2].flags &= ~UDMA_SG_END;
}

/* bytes of the arrays for @nents entries (one link per full array) */
static uint64_t table_bytes(unsigned int nents)
{
	uint64_t arrays = ((uint64_t)nents + SG_CHUNK - 2) / (SG_CHUNK - 1);

	return arrays * SG_CHUNK * sizeof(struct udma_sg);
}

/* what memory can hold: the machine's RAM (a table larger than that cannot be used) */
static uint64_t mem_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

	return pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : UINT64_MAX;
}

int udma_sg_alloc_table(struct udma_sg_table *t, unsigned int nents)
{
	struct udma_sg *prev = NULL;
	unsigned int left = nents;

	if (t == NULL || nents == 0 || nents > INT_MAX) {
		/* map_sg takes an int: more entries could never be mapped */
		UDMA_LOG(ERR, "bad argument (table %p, nents %u): 1..INT_MAX entries", (void *)t,
			 nents);
		return -EINVAL;
	}
	memset(t, 0, sizeof(*t));
	if (table_bytes(nents) > mem_bytes() / 2) {
		UDMA_LOG(ERR, "%u entries need %llu MiB, more than half of this machine's memory",
			 nents, (unsigned long long)(table_bytes(nents) >> 20));
		return -ENOMEM;
	}
	while (left) {
		/* every array but the last gives its final entry to the chain link */
		unsigned int n = left > SG_CHUNK ? SG_CHUNK : left;
		unsigned int alloc = left > SG_CHUNK ? SG_CHUNK : n;
		struct udma_sg *a = calloc(alloc, sizeof(*a));

		if (a == NULL) {
			UDMA_LOG(ERR, "no memory for %u entries", nents);
			udma_sg_free_table(t);
			return -ENOMEM;
		}
		udma_sg_init_table(a, alloc);
		if (prev)
			udma_sg_chain(prev, SG_CHUNK, a);
		else
			t->sgl = a;
		prev = a;
		left -= left > SG_CHUNK ? SG_CHUNK - 1 : n;
	}
	t->orig_nents = t->nents = nents;
	return 0;
}

void udma_sg_free_table(struct udma_sg_table *t)
{
	struct udma_sg *a;

	if (t == NULL)
		return;
	a = t->sgl;
	while (a) {
		struct udma_sg *next = NULL;

		for (unsigned int i = 0; i < SG_CHUNK; i++) {
			if (a[i].flags & UDMA_SG_CHAIN) {
				next = a[i].buf;
				break;
			}
			if (a[i].flags & UDMA_SG_END)
				break;
		}
		free(a);
		a = next;
	}
	memset(t, 0, sizeof(*t));
}
