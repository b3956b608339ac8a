"""Probability distributions for service, patience and bot response times.

Each distribution is a small frozen, validated object with a ``mean`` (seconds), a
``sample(rng, size)`` method drawing from a caller-owned ``numpy.random.Generator`` and a
readable ``repr``. Lognormal and gamma are given by mean and coefficient of variation,
the two numbers a contact-centre analyst actually knows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.units import format_duration, not_boolean, parse_duration

if TYPE_CHECKING:
    # Imported where a draw is made: loading a scenario, and refusing a bad one, needs
    # no numpy (a tenth of a second of the command line's start, stop 32).
    import numpy as np

__all__ = [
    "Constant",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "Lognormal",
    "Uniform",
]

# A time in a distribution is at most ten years (the longest horizon), so every draw,
# and a sum of them, stays a finite number of seconds.
MAX_SECONDS = 3660 * 86400.0
Seconds = Annotated[float, BeforeValidator(parse_duration), Field(le=MAX_SECONDS)]
# Below this the distribution is a constant; shape parameters 1/cv^2 would overflow.
MIN_CV = 1e-3
MAX_CV = 20.0
CV = Annotated[float, BeforeValidator(not_boolean), Field(ge=MIN_CV, le=MAX_CV)]


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values in seconds."""
        raise NotImplementedError

    def _fields_repr(self) -> str:
        return ", ".join(
            f"{k}={format_duration(v) if k in {'mean', 'value', 'low', 'high'} else v}"
            for k, v in self.__dict__.items()
            if k != "dist"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._fields_repr()})"

    __str__ = __repr__


class Exponential(_Dist):
    """Exponential distribution given by its mean."""

    dist: Literal["exponential"] = "exponential"
    mean: Seconds = Field(gt=0)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # noqa: D102
        return rng.exponential(self.mean, size)


class Lognormal(_Dist):
    """Lognormal distribution given by mean and coefficient of variation."""

    dist: Literal["lognormal"] = "lognormal"
    mean: Seconds = Field(gt=0)
    cv: CV

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # noqa: D102
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), size)


class Gamma(_Dist):
    """Gamma distribution given by mean and coefficient of variation."""

    dist: Literal["gamma"] = "gamma"
    mean: Seconds = Field(gt=0)
    cv: CV

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # noqa: D102
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean / shape, size)


class Constant(_Dist):
    """Always the same value (deterministic tests, fixed handling steps)."""

    dist: Literal["constant"] = "constant"
    value: Seconds

    @property
    def mean(self) -> float:
        """The constant itself."""
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # noqa: D102, ARG002
        import numpy as np  # noqa: PLC0415 - see the import at the top

        return np.full(size, self.value)


class Uniform(_Dist):
    """Uniform distribution between ``low`` and ``high``."""

    dist: Literal["uniform"] = "uniform"
    low: Seconds
    high: Seconds

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self

    @property
    def mean(self) -> float:
        """Midpoint of the interval."""
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # noqa: D102
        return rng.uniform(self.low, self.high, size)


class Empirical(_Dist):
    """Resampling of observed values, each equally likely."""

    dist: Literal["empirical"] = "empirical"
    values: tuple[Seconds, ...] = Field(min_length=1)

    @property
    def mean(self) -> float:
        """Mean of the observed values."""
        import numpy as np  # noqa: PLC0415 - see the import at the top

        return float(np.mean(self.values))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # noqa: D102
        import numpy as np  # noqa: PLC0415 - see the import at the top

        return rng.choice(np.asarray(self.values), size)

    def _fields_repr(self) -> str:
        return f"n={len(self.values)}, mean={format_duration(self.mean)}"


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Constant | Uniform | Empirical,
    Field(discriminator="dist"),
]
