// SPDX-License-Identifier: BSD-3-Clause
/*
 * e1000-style rx ring setup, refill and clean, written as kernel driver code and
 * compiled unchanged against <udma_linux.h> (no udma_* name below).
 */
#include "e1000_rx.h"

#define E1000_RX_DESC(R, i) (&(((struct e1000_rx_desc *)((R).desc))[i]))
#define E1000_DESC_UNUSED(R) \
	((((R)->next_to_clean > (R)->next_to_use) ? 0 : (R)->count) + \
	 (R)->next_to_clean - (R)->next_to_use - 1)

int e1000_setup_rx_resources(struct e1000_adapter *adapter, struct e1000_rx_ring *rxdr)
{
	struct pci_dev *pdev = adapter->pdev;
	int size;

	size = sizeof(struct e1000_rx_buffer) * rxdr->count;
	rxdr->buffer_info = vzalloc(size);
	if (!rxdr->buffer_info)
		return -ENOMEM;

	rxdr->size = rxdr->count * sizeof(struct e1000_rx_desc);
	rxdr->desc = dma_alloc_coherent(&pdev->dev, rxdr->size, &rxdr->dma, GFP_KERNEL);
	if (!rxdr->desc) {
		dev_err(&pdev->dev, "Unable to allocate memory for the Receive descriptor ring");
		vfree(rxdr->buffer_info);
		return -ENOMEM;
	}
	memset(rxdr->desc, 0, rxdr->size);
	rxdr->next_to_clean = 0;
	rxdr->next_to_use = 0;
	return 0;
}

void e1000_configure_rx(struct e1000_adapter *adapter)
{
	struct e1000_rx_ring *ring = &adapter->rx_ring;
	u64 rdba = ring->dma;

	writel(lower_32_bits(rdba), adapter->hw_addr + E1000_RDBAL);
	writel(upper_32_bits(rdba), adapter->hw_addr + E1000_RDBAH);
	writel(ring->count * sizeof(struct e1000_rx_desc), adapter->hw_addr + E1000_RDLEN);
	writel(0, adapter->hw_addr + E1000_RDH);
	writel(0, adapter->hw_addr + E1000_RDT);
	e1000_alloc_rx_buffers(adapter, ring, E1000_DESC_UNUSED(ring));
}

void e1000_alloc_rx_buffers(struct e1000_adapter *adapter, struct e1000_rx_ring *rx_ring,
			    int cleaned_count)
{
	struct pci_dev *pdev = adapter->pdev;
	struct e1000_rx_desc *rx_desc;
	struct e1000_rx_buffer *buffer_info;
	unsigned int i = rx_ring->next_to_use;
	unsigned int bufsz = adapter->rx_buffer_len;
	dma_addr_t dma;
	void *data;

	while (cleaned_count--) {
		buffer_info = &rx_ring->buffer_info[i];
		data = kmalloc(bufsz, GFP_ATOMIC);
		if (!data) {
			adapter->alloc_rx_buff_failed++;
			break;
		}
		dma = dma_map_single(&pdev->dev, data, bufsz, DMA_FROM_DEVICE);
		if (dma_mapping_error(&pdev->dev, dma)) {
			kfree(data);
			adapter->alloc_rx_buff_failed++;
			break;
		}
		buffer_info->data = data;
		dma_unmap_addr_set(buffer_info, dma, dma);
		dma_unmap_len_set(buffer_info, len, bufsz);

		rx_desc = E1000_RX_DESC(*rx_ring, i);
		rx_desc->buffer_addr = cpu_to_le64(dma);
		rx_desc->status = 0;
		if (unlikely(++i == rx_ring->count))
			i = 0;
	}

	if (likely(rx_ring->next_to_use != i)) {
		rx_ring->next_to_use = i;
		if (unlikely(i-- == 0))
			i = (rx_ring->count - 1);
		/* descriptors written before the tail moves (weak-ordered archs) */
		wmb();
		writel(i, adapter->hw_addr + E1000_RDT);
	}
}

bool e1000_clean_rx_irq(struct e1000_adapter *adapter, struct e1000_rx_ring *rx_ring,
			int *work_done, int work_to_do)
{
	struct pci_dev *pdev = adapter->pdev;
	struct e1000_rx_desc *rx_desc;
	struct e1000_rx_buffer *buffer_info;
	unsigned int i = rx_ring->next_to_clean, length;
	int cleaned_count = 0;
	bool cleaned = false;

	rx_desc = E1000_RX_DESC(*rx_ring, i);
	while (READ_ONCE(rx_desc->status) & E1000_RXD_STAT_DD) {
		u8 status;

		if (*work_done >= work_to_do)
			break;
		(*work_done)++;
		/* read the rest of the descriptor only after seeing DD */
		dma_rmb();

		status = rx_desc->status;
		length = le16_to_cpu(rx_desc->length);
		buffer_info = &rx_ring->buffer_info[i];

		dma_unmap_single(&pdev->dev, dma_unmap_addr(buffer_info, dma),
				 dma_unmap_len(buffer_info, len), DMA_FROM_DEVICE);
		dma_unmap_len_set(buffer_info, len, 0);
		cleaned = true;
		cleaned_count++;

		if (likely(status & E1000_RXD_STAT_EOP) && length <= adapter->rx_buffer_len)
			adapter->receive(adapter, buffer_info->data, length);
		else
			kfree(buffer_info->data);
		buffer_info->data = NULL;
		rx_desc->status = 0;

		if (++i == rx_ring->count)
			i = 0;
		rx_desc = E1000_RX_DESC(*rx_ring, i);
	}
	rx_ring->next_to_clean = i;

	cleaned_count = E1000_DESC_UNUSED(rx_ring);
	if (cleaned_count)
		e1000_alloc_rx_buffers(adapter, rx_ring, cleaned_count);
	return cleaned;
}

void e1000_clean_rx_ring(struct e1000_adapter *adapter, struct e1000_rx_ring *rx_ring)
{
	struct pci_dev *pdev = adapter->pdev;
	unsigned int i;

	for (i = 0; i < rx_ring->count; i++) {
		struct e1000_rx_buffer *buffer_info = &rx_ring->buffer_info[i];

		if (buffer_info->data) {
			dma_unmap_single(&pdev->dev, dma_unmap_addr(buffer_info, dma),
					 dma_unmap_len(buffer_info, len), DMA_FROM_DEVICE);
			kfree(buffer_info->data);
			buffer_info->data = NULL;
		}
	}
	memset(rx_ring->desc, 0, rx_ring->size);
	rx_ring->next_to_clean = 0;
	rx_ring->next_to_use = 0;
	writel(0, adapter->hw_addr + E1000_RDH);
	writel(0, adapter->hw_addr + E1000_RDT);
}

void e1000_free_rx_resources(struct e1000_adapter *adapter, struct e1000_rx_ring *rx_ring)
{
	struct pci_dev *pdev = adapter->pdev;

	e1000_clean_rx_ring(adapter, rx_ring);
	vfree(rx_ring->buffer_info);
	rx_ring->buffer_info = NULL;
	dma_free_coherent(&pdev->dev, rx_ring->size, rx_ring->desc, rx_ring->dma);
	rx_ring->desc = NULL;
}
