"""Settings of a worker whose disk fails (tests only): the product's settings, and the fault
that DISK_FAULT names installed on DATA_DIR for this process and the workers it forks, e.g.
`EROFS:media` (the disk turns read-only at the first write under media/). See tests/faults.py."""

import os

from contentizer.settings import *  # noqa: F403 - the product's settings, unchanged
from contentizer.settings import DATA_DIR
from tests.faults import DiskFault

DiskFault.from_spec(DATA_DIR, os.environ["DISK_FAULT"]).install()
