"""The enterprise registry: typed frames, readers, validation and derived fields."""
