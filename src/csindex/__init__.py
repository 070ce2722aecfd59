"""csindex: customer satisfaction index studies, from sampling frame to report."""

__version__ = "0.1.0"
