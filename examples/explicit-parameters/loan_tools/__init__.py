"""The tool package of the explicit-parameters example."""
