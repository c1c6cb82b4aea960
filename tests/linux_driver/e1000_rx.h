/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An e1000-style receive path written as kernel driver code (tests/linux_driver):
 * it compiles against <udma_linux.h> alone. The register and descriptor layout
 * follow the 8254x manual (legacy rx descriptors, RDBAL/RDBAH/RDLEN/RDH/RDT).
 */
#ifndef E1000_RX_H
#define E1000_RX_H

#include <stdbool.h>

#include <udma_linux.h>

#define E1000_RDBAL 0x2800
#define E1000_RDBAH 0x2804
#define E1000_RDLEN 0x2808
#define E1000_RDH 0x2810
#define E1000_RDT 0x2818
#define E1000_REGS_SIZE 0x3000

#define E1000_RXD_STAT_DD 0x01  /* descriptor done */
#define E1000_RXD_STAT_EOP 0x02 /* end of packet */

/* legacy receive descriptor: 16 bytes, little endian */
struct e1000_rx_desc {
	__le64 buffer_addr;
	__le16 length;
	__le16 csum;
	u8 status;
	u8 errors;
	__le16 special;
};

struct e1000_rx_buffer {
	void *data;
	DEFINE_DMA_UNMAP_ADDR(dma);
	DEFINE_DMA_UNMAP_LEN(len);
};

struct e1000_rx_ring {
	void *desc;          /* descriptor ring memory */
	dma_addr_t dma;      /* its bus address */
	unsigned int size;   /* bytes */
	unsigned int count;  /* descriptors */
	unsigned int next_to_use;
	unsigned int next_to_clean;
	struct e1000_rx_buffer *buffer_info;
};

struct e1000_adapter {
	struct pci_dev *pdev;
	u8 __iomem *hw_addr;
	struct e1000_rx_ring rx_ring;
	unsigned int rx_buffer_len;
	/* the stack: takes the packet buffer (kfree it) */
	void (*receive)(struct e1000_adapter *adapter, void *data, unsigned int len);
	unsigned long alloc_rx_buff_failed;
};

int e1000_setup_rx_resources(struct e1000_adapter *adapter, struct e1000_rx_ring *rx_ring);
void e1000_configure_rx(struct e1000_adapter *adapter);
void e1000_alloc_rx_buffers(struct e1000_adapter *adapter, struct e1000_rx_ring *rx_ring,
			    int cleaned_count);
bool e1000_clean_rx_irq(struct e1000_adapter *adapter, struct e1000_rx_ring *rx_ring,
			int *work_done, int work_to_do);
void e1000_clean_rx_ring(struct e1000_adapter *adapter, struct e1000_rx_ring *rx_ring);
void e1000_free_rx_resources(struct e1000_adapter *adapter, struct e1000_rx_ring *rx_ring);

#endif /* E1000_RX_H */
