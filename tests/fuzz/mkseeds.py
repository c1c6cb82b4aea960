#!/usr/bin/env python3
"""Write the seed corpus of fuzz_api (tests/fuzz/corpus/api): one small program per
area, in the byte format fuzz_api.c reads. Run from anywhere; rewrites the files."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'api')
u16 = lambda v: list(struct.pack('<H', v))

def coh_alloc(dev, size, atomic=False):
    return [0, dev, 8 if atomic else 0] + u16(size - 1)
def coh_big(dev, n64k):  # n64k * 64 KiB, 1..32 (odd n: GFP_KERNEL)
    return [0, dev, ((n64k - 1) << 3) | 7]
def coh_free(i): return [1, i]
def coh_free_bad(v, i): return [2, v, i]
def coh_rw(i, off, ln): return [3, i] + u16(off) + u16(ln)
def pool_create(i, dev, size, align_log2=3, boundary_log2=None, init=None, maxb=None, debug=False):
    f = (1 if init is not None else 0) | (2 if maxb is not None else 0) | (4 if debug else 0)
    b = 0 if boundary_log2 is None else (boundary_log2 << 1) | 1
    out = [4, i, dev, align_log2, b, f] + u16(size)
    if init is not None: out.append(init)
    if maxb is not None: out.append(maxb)
    return out
def pool_alloc(p, f=0): return [5, p, f]
def bulk_alloc(p, n): return [6, p, n - 1]
def pool_free(i, slow=0): return [7, i, slow]
def bulk_free(p, n): return [8, p, n - 1]
def pool_free_bad(v, i): return [9, v, i]
def pool_destroy(p): return [10, p]
def entry(src, slot, off, ln): return [src | (slot << 2)] + u16(off) + u16(ln - 1)
def map_single(dev, dir, src, slot, off, ln): return [11, dev, dir, 0] + entry(src, slot, off, ln)
def map_page(dev, dir, src, slot, off, ln): return [12, dev, dir, 0] + entry(src, slot, off, ln)
def map_sg(dev, dir, ents, force=False):
    out = [13, dev, dir, len(ents) - 1, 1 if force else 0]
    for e in ents: out += entry(*e)
    return out
def unmap(i): return [14, i]
def sync_dev(v, i, off=0, ln=1): return [15, v, i] + u16(off) + u16(ln - 1)
def sync_cpu(v, i, off=0, ln=1): return [16, v, i] + u16(off) + u16(ln - 1)
def map_bad(dev, v, a=0, b=0): return [17, dev, v] + u16(a) + u16(b)
def unmap_bad(v, i): return [18, v, i]
def sync_bad(v): return [19, v]
def set_mask(dev, bits): return [20, dev, bits - 20]
def register(v): return [21, v]
def sg_table(n): return [22, 1] + u16(n - 1)
def sg_table_bad(v): return [22, v]
def pool_huge(v): return [23, v]

TO, FROM, BIDI = 1, 2, 0
MEMSEG, FOREIGN, REG, TAIL = 0, 1, 2, 3

progs = {
    'coherent': coh_alloc(0, 4096) + coh_alloc(1, 20000) + coh_alloc(2, 100, True) +
        coh_rw(0, 100, 300) + coh_free_bad(0, 1) + coh_free_bad(2, 0) + coh_free(1) + coh_free(0),
    'pool': pool_create(0, 1, 64, 6, 12, init=8, maxb=40) + pool_alloc(0) + pool_alloc(0, 2) +
        bulk_alloc(0, 8) + pool_free(1) + pool_free(0, 1) + bulk_free(0, 4) + pool_free_bad(0, 0) +
        pool_free_bad(2, 1) + pool_free_bad(3, 2) + pool_destroy(0),
    'pool_debug': pool_create(1, 2, 1000, 0, None, debug=True) + bulk_alloc(1, 16) +
        pool_create(2, 0, 4096, 12) + pool_alloc(2, 1) + bulk_free(1, 16) + pool_free_bad(5, 0),
    'map_single': map_single(0, TO, MEMSEG, 0, 10, 5000) + map_single(1, FROM, FOREIGN, 1, 0, 65536) +
        map_single(2, BIDI, REG, 2, 4000, 9000) + sync_dev(0, 0, 5, 100) + sync_cpu(1, 1, 0, 4096) +
        sync_cpu(0, 2, 10, 10) + sync_dev(3, 2, 0, 9000) + unmap(0) + unmap(0) + unmap(0),
    'map_page': map_page(0, FROM, MEMSEG, 3, 100, 2000) + map_page(1, TO, FOREIGN, 4, 4095, 1) +
        map_page(2, TO, TAIL, 0, 0, 4096) + sync_cpu(2, 0, 0, 2000) + sync_dev(2, 1) + unmap(1),
    'map_sg': map_sg(2, TO, [(MEMSEG, 0, 0, 30000), (FOREIGN, 0, 5, 100), (REG, 0, 4096, 8192)]) +
        map_sg(0, BIDI, [(MEMSEG, 1, 0, 4096), (MEMSEG, 2, 0, 4096)], True) +
        sync_dev(1, 0) + sync_cpu(0, 1) + sync_dev(0, 1) + unmap(0) + unmap(0),
    'force_swiotlb': map_single(1, BIDI, FOREIGN, 0, 0, 65536) + map_sg(0, FROM, [(MEMSEG, 0, 0, 5), (FOREIGN, 1, 0, 60000)]) +
        sync_cpu(1, 0, 1000, 2000) + sync_cpu(0, 1) + unmap(1) + unmap(0),
    'invalid': map_bad(0, 0) + map_bad(1, 1) + map_bad(2, 2) + map_bad(0, 3) + map_bad(0, 5) +
        map_bad(0, 6) + map_bad(0, 7) + map_bad(0, 8) + sync_bad(0) + sync_bad(4) + sync_bad(8) +
        sync_bad(12) + unmap_bad(0, 0) + register(0) + register(1) + register(2) + register(3) +
        pool_create(0, 0, 0) + pool_create(0, 0, 100, 15) + pool_create(0, 0, 5000, 3, 10),
    'masks': set_mask(1, 24) + set_mask(1, 40) + set_mask(2, 64) + coh_alloc(1, 8192) +
        map_single(1, TO, FOREIGN, 0, 0, 100) + unmap_bad(1, 0) + unmap_bad(2, 0) + unmap(0) + coh_free(0),
    'register': map_single(0, TO, REG, 0, 0, 100) + register(4) + unmap(0) + register(4) +
        map_single(1, FROM, REG, 1, 0, 8192) + unmap(0),
    'grow': coh_big(0, 31) + coh_big(0, 29) + coh_big(1, 17) + pool_create(0, 0, 4096, 12) +
        bulk_alloc(0, 16) + bulk_alloc(0, 16) + coh_free(0) + coh_free(0),
    'sg_table': sg_table(1) + sg_table(128) + sg_table(129) + sg_table(600) + sg_table_bad(0) +
        sg_table_bad(2) + pool_huge(0),
    'past_end': map_bad(0, 9, 100, 100) + map_bad(0, 25, 4000, 60000),
}

os.makedirs(OUT, exist_ok=True)
for cfg_name, cfg in (('sim', 0), ('va', 1), ('pa', 2), ('force', 3)):
    for name, prog in progs.items():
        if name == 'force_swiotlb' and cfg != 3:
            continue
        data = bytes([cfg | (4 if name in ('pool_debug', 'map_sg') else 0)] + prog)
        with open(os.path.join(OUT, f'{cfg_name}_{name}'), 'wb') as f:
            f.write(data)
