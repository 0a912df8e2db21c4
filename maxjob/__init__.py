"""maxjob: see what a MaxCompute job is doing, why it waits, what it cost and how it ended."""

__version__ = "0.2.0"
