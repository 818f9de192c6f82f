"""geometry_pkg: Python-facing package; the work happens in the compiled Prism modules."""
from geometry_pkg.shapes import Point, distance, perimeter

__all__ = ["Point", "distance", "perimeter"]
