"""SSIM (Debian python3-pyssim, the library behind its `pyssim` command) of image pairs read from stdin,
one "reference<TAB>distorted" per line; prints one value per line. One process for all pairs.

Debian 12's pyssim still uses numpy.float, which numpy 1.24 removed: restore the alias (it was the
builtin float) before importing it. Gaussian window 11, sigma 1.5: pyssim's defaults.
"""
import sys

import numpy

numpy.float = float  # noqa: the alias pyssim 0.2 expects
from ssim import SSIM  # noqa: E402
from ssim.utils import get_gaussian_kernel  # noqa: E402

kernel = get_gaussian_kernel(11, 1.5)
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line:
        continue
    ref, dist = line.split("\t")
    print("%.6f" % SSIM(ref, kernel).ssim_value(dist), flush=True)
