/* SPDX-License-Identifier: BSD-3-Clause */
/* Each public header compiles on its own (the hdr_*.c files) and from C++ (headers.cpp). */
#include <stdio.h>
#include <string.h>

#include <udma_common.h>

int headers_cpp(void);

int main(void)
{
	/* values users rely on */
	if (UDMA_BIT_MASK(32) != 0xffffffffULL || UDMA_BIT_MASK(64) != ~0ULL ||
	    UDMA_MAPPING_ERROR != ~0ULL || UDMA_TO_DEVICE != 1 || UDMA_FROM_DEVICE != 2 ||
	    UDMA_BIDIRECTIONAL != 0 || UDMA_NONE != 3) {
		fprintf(stderr, "public constants changed\n");
		return 1;
	}
	/* the library's version is the headers' one, and the number follows it */
	if (strcmp(udma_version(), UDMA_VERSION_STR) != 0 ||
	    UDMA_VERSION != UDMA_VERSION_NUM(UDMA_VERSION_MAJOR, UDMA_VERSION_MINOR,
					      UDMA_VERSION_PATCH) ||
	    UDMA_VERSION_NUM(1, 2, 3) != 0x010203 || UDMA_VERSION_NUM(0, 1, 0) >= UDMA_VERSION_NUM(0, 2, 0)) {
		fprintf(stderr, "version %s vs headers %s (%#x)\n", udma_version(), UDMA_VERSION_STR,
			UDMA_VERSION);
		return 1;
	}
	return headers_cpp();
}
