"""Tools the model can call: where python tools are found (and, later, how they run)."""
