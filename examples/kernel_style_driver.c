/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A kernel-style driver fragment built unchanged against <udma_linux.h>: a
 * descriptor ring from a pci_pool, packet buffers mapped with pci_map_sg, and a
 * "device" (the sim device model) that fetches each descriptor, gathers its
 * buffers and writes a completion. Run it with udma options, e.g.
 *   ./kernel_style_driver --iova-mode=sim
 * It exits 0 when the device saw every byte the driver queued.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <udma_linux.h>

#define RING 8
#define FRAGS 3
#define FRAG_LEN 1500

/* what the hardware reads: little-endian, 64-byte aligned */
struct tx_desc {
	u64 addr[FRAGS];
	uint32_t len[FRAGS];
	uint32_t nfrags;
	uint32_t status;  /* written by the device: 1 = done */
	uint32_t csum;    /* written by the device: sum of the bytes it read */
};

struct nic {
	struct pci_dev *pdev;
	struct pci_pool *desc_pool;
	struct tx_desc *desc[RING];
	dma_addr_t desc_dma[RING];
	struct scatterlist sg[RING][FRAGS];
	int mapped[RING];
};

/* ---- the driver, as it would read in the kernel ---------------------------- */

static int nic_open(struct nic *nic)
{
	int i;

	if (pci_set_dma_mask(nic->pdev, DMA_BIT_MASK(64)) ||
	    pci_set_consistent_dma_mask(nic->pdev, DMA_BIT_MASK(64)))
		return -1;
	nic->desc_pool = pci_pool_create("tx_desc", nic->pdev, sizeof(struct tx_desc), 64, 4096);
	if (!nic->desc_pool)
		return -1;
	for (i = 0; i < RING; i++) {
		nic->desc[i] = pci_pool_alloc(nic->desc_pool, GFP_KERNEL, &nic->desc_dma[i]);
		if (!nic->desc[i])
			return -1;
		memset(nic->desc[i], 0, sizeof(struct tx_desc));
	}
	return 0;
}

static int nic_xmit(struct nic *nic, int slot, void *frag[FRAGS])
{
	struct scatterlist *sg;
	struct tx_desc *d = nic->desc[slot];
	int i, count;

	sg_init_table(nic->sg[slot], FRAGS);
	for (i = 0; i < FRAGS; i++)
		sg_set_buf(&nic->sg[slot][i], frag[i], FRAG_LEN);
	count = pci_map_sg(nic->pdev, nic->sg[slot], FRAGS, PCI_DMA_TODEVICE);
	if (count == 0)
		return -1;
	for_each_sg(nic->sg[slot], sg, count, i) {
		d->addr[i] = sg_dma_address(sg);
		d->len[i] = sg_dma_len(sg);
	}
	d->nfrags = count;
	d->status = 0;
	nic->mapped[slot] = 1;
	return 0;
}

static int nic_complete(struct nic *nic, int slot, uint32_t *csum)
{
	if (!nic->mapped[slot] || nic->desc[slot]->status != 1)
		return -1;
	pci_unmap_sg(nic->pdev, nic->sg[slot], FRAGS, PCI_DMA_TODEVICE);
	nic->mapped[slot] = 0;
	*csum = nic->desc[slot]->csum;
	return 0;
}

static void nic_close(struct nic *nic)
{
	int i;

	for (i = 0; i < RING; i++)
		pci_pool_free(nic->desc_pool, nic->desc[i], nic->desc_dma[i]);
	pci_pool_destroy(nic->desc_pool);
}

/* ---- the device: bus-master reads through the sim device model ------------ */

static int device_process(struct udma_device *dev, dma_addr_t desc_dma)
{
	struct tx_desc d;
	static uint8_t buf[FRAGS * FRAG_LEN];
	uint32_t i, k, sum = 0;

	if (udma_sim_dma_read(dev, desc_dma, &d, sizeof(d)))
		return -1;
	for (i = 0; i < d.nfrags; i++) {
		if (d.len[i] > sizeof(buf) || udma_sim_dma_read(dev, d.addr[i], buf, d.len[i]))
			return -1;
		for (k = 0; k < d.len[i]; k++)
			sum += buf[k];
	}
	d.status = 1;
	d.csum = sum;
	return udma_sim_dma_write(dev, desc_dma + offsetof(struct tx_desc, status), &d.status, 8);
}

int main(int argc, char **argv)
{
	static uint8_t frames[RING][FRAGS][FRAG_LEN];
	struct pci_dev pdev;
	struct nic nic = {.pdev = &pdev};
	int ret = udma_eal_init(argc, argv), slot, f, errors = 0;

	if (ret < 0)
		return ret == -ECANCELED ? 0 : 1;
	pdev.dev = udma_linux_device(udma_device_create("nic0", NULL, -1));
	if (pdev.dev.udma == NULL || nic_open(&nic))
		return 1;
	for (slot = 0; slot < RING; slot++) {
		void *frag[FRAGS];
		uint32_t want = 0, got;

		for (f = 0; f < FRAGS; f++) {
			memset(frames[slot][f], slot * FRAGS + f + 1, FRAG_LEN);
			want += (uint32_t)(slot * FRAGS + f + 1) * FRAG_LEN;
			frag[f] = frames[slot][f];
		}
		if (nic_xmit(&nic, slot, frag) || device_process(pdev.dev.udma, nic.desc_dma[slot]) ||
		    nic_complete(&nic, slot, &got) || got != want) {
			fprintf(stderr, "slot %d: the device did not see the frame\n", slot);
			errors++;
		}
	}
	nic_close(&nic);
	udma_device_destroy(pdev.dev.udma);
	udma_eal_cleanup();
	printf("kernel_style_driver: %d/%d frames checked by the device\n", RING - errors, RING);
	return errors ? 1 : 0;
}
