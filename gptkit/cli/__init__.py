"""The ``gptkit`` command: one module per subcommand, each parsing, calling the library, printing."""
