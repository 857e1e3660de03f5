"""Stage 2, model: located nodes -> frozen pydantic models (`Org`, `Vendor`)."""

from .inputs import Org, Vendor, build

__all__ = ["Org", "Vendor", "build"]
