"""Rules for values, each kept once: a test, and what a valid value is.

A constructor checks its own arguments with them (so plain Python use is checked too), and
gan/training/config_checks.py checks a whole config with the same rules before anything is downloaded or trained.
"""

import math
import re
from collections.abc import Callable
from typing import NamedTuple

from gan.errors import ConfigError


def integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def at_least(low: int) -> Callable[[object], bool]:
    return lambda v: integer(v) and v >= low


def optional(test: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda v: v is None or test(v)


def positive_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


class Rule(NamedTuple):
    test: Callable[[object], bool]
    requirement: str  # what a valid value is, for the message: "an integer >= 1"

    def check(self, key: str, value):
        """``value``, if the rule holds; else a ConfigError naming ``key``, the value and the requirement."""
        try:
            valid = self.test(value)
        except TypeError:  # None or a string where a number belongs
            valid = False
        if not valid:
            raise ConfigError(f"{key}={value} is invalid: it must be {self.requirement}")
        return value


POSITIVE_INT = Rule(at_least(1), "an integer >= 1")
COUNT = Rule(at_least(0), "an integer >= 0")
POSITIVE_NUMBER = Rule(positive_number, "a finite number > 0")
EMA_DECAY = Rule(optional(lambda v: 0 < v < 1), "in (0, 1), or null for none")
LEAKY_SLOPE = Rule(optional(lambda v: v >= 0), ">= 0, or null for Sigmoid")
TRUNCATION = Rule(optional(lambda v: 0 < v <= 1), "in (0, 1] (1: none), or null")
EVERY_MINUTES = Rule(optional(positive_number), "a finite number > 0, or null for epoch ends only")


# a name that becomes a file name (data.name names the judge's file): no folders, no "..", no spaces
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")
PLAIN_NAME = Rule(
    lambda v: v is None or (isinstance(v, str) and NAME.fullmatch(v) is not None and ".." not in v),
    "a plain name (letters, digits, _ . + -), or null: it names the judge's file",
)
# a gradient penalty's strength, and the least share of it that a decaying schedule keeps (gan/models/penalties.py)
STRENGTH = Rule(lambda v: v == 0 or positive_number(v), "a finite number >= 0 (0: off)")
FLOOR = Rule(lambda v: 0 <= v <= 1, "in [0, 1]: the least share of a penalty's strength that its schedule keeps")
OBJECTIVES = ("judge_fd", "low_quality")  # metrics.objective: what a search minimises on a judged dataset
OBJECTIVE = Rule(lambda v: v in OBJECTIVES, " or ".join(OBJECTIVES))
# a schedule's shape and where it ends (gan/models/schedules.py)
SHAPES = ("constant", "linear", "cosine")
SHAPE = Rule(lambda v: v in SHAPES, " or ".join(SHAPES))
FINAL = Rule(lambda v: isinstance(v, int | float) and 0 <= v <= 1, "in [0, 1], a share of the starting value")

# a ramp of R3GAN's schedule (gan/models/schedules.py Ramp): values >= 0, over a positive count of images
RAMP_VALUE = Rule(lambda v: isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0,
                  "a finite number >= 0")  # fmt: skip
RAMP_IMAGES = Rule(at_least(1), "an integer >= 1 (images seen over which the value moves)")
RAMP_SHAPE = Rule(lambda v: v in ("cosine", "linear"), "cosine or linear")

# how D steps on its probability (gan/models/update_steps.py): the walkthrough's two steps, or the DCGAN's one
D_UPDATES = ("split", "summed")
D_UPDATE = Rule(lambda v: v in D_UPDATES, "split (the walkthrough's two D steps) or summed (the DCGAN's one)")

# a picture's integer seed names its noise vector through torch.Generator().manual_seed, which takes 64 bits
NOISE_SEED = Rule(lambda v: integer(v) and 0 <= v < 2**63, "an integer in 0 .. 2**63 - 1")

# how much one command or call may draw: enough for any picture or measurement, bounded so that a typo does not
# allocate gigabytes (a 10,000,000-image panel, an 80 GB noise batch)
MAX_STEPS = 64  # images in one interpolation strip
MAX_SEEDS = 10_000  # images (or 2D points) in one picture
MAX_LATENT = 10_000  # noise values per sample
MAX_WIDTH = 16_384  # units in a hidden layer, or channels of a convolution
MAX_SETTINGS = 16  # truncation values measured in one evaluate.py command
MAX_EXPORT = 100_000  # images written by one export (generate.py export, Run.export)
MAX_GRID_SIDE = 16  # a sample panel of at most 16 x 16 images: larger ones take gigabytes to draw and show nothing more
MAX_METRIC_SAMPLES = 100_000  # generated images per evaluation: 10x the papers' count, a few hundred MB
