#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""udma-info --json prints one JSON object that matches the options given."""
import json
import subprocess
import sys

info = sys.argv[1]
out = subprocess.run([info, '--iova-mode=sim', '--json', '-m', '4', '--lcores=3',
                      '--swiotlb=force', '--log-level=3'],
                     check=True, capture_output=True, text=True).stdout
doc = json.loads(out)
checks = [
    ('iova_mode', doc['iova_mode'] == 'sim'),
    ('lcore_slots', doc['lcore_slots'] == 3),
    ('swiotlb.forced', doc['swiotlb']['forced'] is True),
    ('swiotlb.size', doc['swiotlb']['size'] > 0),
    ('device.dma_mask', doc['device']['dma_mask'] == 0xffffffff),
    ('version', doc['version'].count('.') == 2),
    ('version_num', doc['version_num'] ==
     sum(int(x) << s for x, s in zip(doc['version'].split('.'), (16, 8, 0)))),
    ('dma_debug', doc['dma_debug'] is False),
]
bad = [name for name, ok in checks if not ok]
for name, ok in checks:
    print(('ok   ' if ok else 'FAIL ') + name)
if bad:
    print(out)
    sys.exit(1)
# a bad option still fails (and prints no JSON)
r = subprocess.run([info, '--json', '--iova-mode=bogus'], capture_output=True, text=True)
if r.returncode == 0 or r.stdout.strip():
    print('FAIL: a bad option was accepted')
    sys.exit(1)
print('ok   bad option refused')
