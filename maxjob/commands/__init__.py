"""One module per command: its options value and its `run` function."""
