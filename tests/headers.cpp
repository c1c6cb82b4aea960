// SPDX-License-Identifier: BSD-3-Clause
// Every public header, included from C++.
#include <udma.h>
#include <udma_linux.h>

extern "C" int headers_cpp(void);

int headers_cpp(void)
{
	static struct udma_sg sg[3];

	udma_sg_init_table(sg, 3);
	if (udma_sg_next(&sg[0]) != &sg[1])
		return 1;
	return sizeof(struct udma_pool_params) >= 48 && udma_is_err(udma_err_ptr(-5)) ? 0 : 1;
}
