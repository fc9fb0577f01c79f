"""The tool package of the python-tool example."""
